// -----------------------------------------------------------------------------
// Unpacked GEMM (no scratch): A through strides, B row-major. Row-major f32.
//
//   C[M,N] = A[M,K] · B[K,N] (+ bias[N]) (then ReLU)
//   A(r,k) = a[r·aRowStride + k·aKStride], B(k,n) = b[k·ldb + n], C(r,n) = c[r·ldc + n]
//
// Same arithmetic as gemmPacked (bias or 0, then + a·b in increasing k, madd per step), so
// tests compare it with the scalar reference (reference.ts referenceGemm) bit for bit at
// every shape. Tiles: 4 rows x 8 columns (8 f32x4 accumulators, 2 B loads and 4 A broadcasts
// per k step), then 1x8 row tails, one 1x4 column panel, and scalar columns.
// -----------------------------------------------------------------------------

import { madd } from '../simd';

// @ts-ignore: decorator
@inline function loadBias(bias: usize, j: i32): v128 {
  return bias ? v128.load(bias + (<usize>j << 2)) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function clampRelu(x: v128, relu: bool): v128 {
  return relu ? f32x4.max(x, f32x4.splat(0)) : x;
}

/**
 * C[M,N] = A·B (+ bias) (+ ReLU). `bias` = 0 means no bias.
 * Strides are in floats. C and A/B must not overlap.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aKStride: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  bias: usize, relu: bool,
): void {
  const aRow = <usize>aRowStride << 2;
  const aK = <usize>aKStride << 2;
  const bRow = <usize>ldb << 2;
  const cRow = <usize>ldc << 2;
  let j = 0;
  // Panels of 8 columns, 4 rows at a time (8 accumulators: no spills).
  for (; j + 8 <= n; j += 8) {
    const bPanel = b + (<usize>j << 2);
    const cPanel = c + (<usize>j << 2);
    const bias0 = loadBias(bias, j);
    const bias1 = loadBias(bias, j + 4);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      tile4x8(k, a + <usize>i * aRow, aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, cRow, bias0, bias1, relu);
    }
    for (; i < m; i++) {
      tile1x8(k, a + <usize>i * aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, bias0, bias1, relu);
    }
  }
  // A panel of 4 columns.
  if (j + 4 <= n) {
    const bPanel = b + (<usize>j << 2);
    const cPanel = c + (<usize>j << 2);
    const bias0 = loadBias(bias, j);
    for (let i = 0; i < m; i++) {
      tile1x4(k, a + <usize>i * aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, bias0, relu);
    }
    j += 4;
  }
  // Remaining 1-3 columns, scalar.
  for (; j < n; j++) {
    const biasJ: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let i = 0; i < m; i++) {
      let sum = biasJ;
      let ap = a + <usize>i * aRow;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        sum += load<f32>(ap) * load<f32>(bp);
        ap += aK;
        bp += bRow;
      }
      if (relu && sum < 0) sum = 0;
      store<f32>(c + <usize>i * cRow + (<usize>j << 2), sum);
    }
  }
}

/** 4 rows x 8 columns of C. */
// @ts-ignore: decorator
@inline function tile4x8(
  k: i32, a: usize, aRow: usize, aK: usize, b: usize, bRow: usize, c: usize, cRow: usize,
  bias0: v128, bias1: v128, relu: bool,
): void {
  let c00 = bias0, c01 = bias1;
  let c10 = bias0, c11 = bias1;
  let c20 = bias0, c21 = bias1;
  let c30 = bias0, c31 = bias1;
  let ap = a;
  let bp = b;
  const a2 = aRow << 1;
  const a3 = aRow * 3;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(ap + aRow);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(ap + a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(ap + a3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c00, relu)); v128.store(c, clampRelu(c01, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c10, relu)); v128.store(c, clampRelu(c11, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c20, relu)); v128.store(c, clampRelu(c21, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c30, relu)); v128.store(c, clampRelu(c31, relu), 16);
}

/** 1 row x 8 columns of C (row tail). */
// @ts-ignore: decorator
@inline function tile1x8(
  k: i32, a: usize, aK: usize, b: usize, bRow: usize, c: usize,
  bias0: v128, bias1: v128, relu: bool,
): void {
  let c0 = bias0, c1 = bias1;
  let ap = a;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(ap);
    c0 = madd(x, v128.load(bp), c0);
    c1 = madd(x, v128.load(bp, 16), c1);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c0, relu));
  v128.store(c, clampRelu(c1, relu), 16);
}

/** 1 row x 4 columns of C (column tail). */
// @ts-ignore: decorator
@inline function tile1x4(
  k: i32, a: usize, aK: usize, b: usize, bRow: usize, c: usize, bias0: v128, relu: bool,
): void {
  let c0 = bias0;
  let ap = a;
  let bp = b;
  for (let p = 0; p < k; p++) {
    c0 = madd(v128.load32_splat(ap), v128.load(bp), c0);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c0, relu));
}
