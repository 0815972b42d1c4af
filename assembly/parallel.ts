// -----------------------------------------------------------------------------
// Data-parallel training support. Each thread runs gradientStep() on its slice of
// the batch with its own context (its own X, T, A, D and gradient buffers, shared
// parameters); then one thread adds the gradient buffers and steps the optimizer.
// -----------------------------------------------------------------------------

import { updateRange, OPT_GRADS } from './network';

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

/**
 * A thread's share of the update after the gradient steps: adds every helper's
 * gradients for parameters [start, start + count) into the main gradient buffer
 * (the optimizer's), then applies the optimizer to that range. `sources` points
 * to `sourceCount` i32 addresses of the helpers' gradient buffers.
 */
export function reduceAndUpdate(opt: usize, sources: usize, sourceCount: i32, start: i32, count: i32, step: i32): void {
  const offset = <usize>start << 2;
  const grads = <usize>load<u32>(opt + <usize>OPT_GRADS) + offset;
  for (let s = 0; s < sourceCount; s++) {
    accumulate(grads, <usize>load<u32>(sources + (<usize>s << 2)) + offset, count);
  }
  updateRange(opt, start, count, step, 1);
}
