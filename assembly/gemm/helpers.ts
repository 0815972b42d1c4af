// -----------------------------------------------------------------------------
// Small matrix helpers beside the GEMMs. Row-major f32.
//
//   transpose    dst[cols, rows] = srcᵀ for src[rows, cols]
//   columnSums   out[N] = Σ_rows X[rows, N]   (the bias gradient: column sums of δ)
// -----------------------------------------------------------------------------

/** dst[cols, rows] = srcᵀ for src[rows, cols]. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const srcRow = src + (<usize>(r * cols) << 2);
    for (let col = 0; col < cols; col++) {
      store<f32>(dst + (<usize>(col * rows + r) << 2), load<f32>(srcRow + (<usize>col << 2)));
    }
  }
}

/** out[N] = Σ_rows X[rows, N] (bias gradients: column sums of δ). */
export function columnSums(x: usize, rows: i32, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let acc = f32x4.splat(0);
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + (<usize>j << 2), acc);
  }
  for (; j < n; j++) {
    let sum: f32 = 0;
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      sum += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + (<usize>j << 2), sum);
  }
}
