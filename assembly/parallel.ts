// -----------------------------------------------------------------------------
// Data-parallel training support. Each thread runs gradientStep() on its slice of
// the batch with its own context (its own X, T, A, D and gradient buffers, shared
// parameters); then one thread adds the gradient buffers and steps the optimizer.
// -----------------------------------------------------------------------------

/** dst[n] += src[n]: the gradient reduction. */
export function accumulate(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
  }
}
