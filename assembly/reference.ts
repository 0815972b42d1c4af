// -----------------------------------------------------------------------------
// Plain scalar reference kernels: the oracle the SIMD kernels are tested against.
// Written for obviousness, not speed.
// -----------------------------------------------------------------------------

/** C[M,N] = A·B (+ bias) (+ ReLU), same arguments as gemm() in gemm.ts. */
export function referenceGemm(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aKStride: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  bias: usize, relu: bool,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
      for (let p = 0; p < k; p++) {
        const aValue = load<f32>(a + (<usize>(i * aRowStride + p * aKStride) << 2));
        const bValue = load<f32>(b + (<usize>(p * ldb + j) << 2));
        sum += aValue * bValue;
      }
      if (relu && sum < 0) sum = 0;
      store<f32>(c + (<usize>(i * ldc + j) << 2), sum);
    }
  }
}
