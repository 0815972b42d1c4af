// -----------------------------------------------------------------------------
// The arithmetic peak, for bench/kernels.ts: how many f32x4 multiply-adds per
// second this engine and CPU retire when nothing but arithmetic is in the way.
//
// `chains` independent accumulator chains c_i = madd(c_i, m, a) run for
// `iterations` steps: no memory traffic, every value lives in a register. madd is
// the same helper the GEMM kernels use (mul + add in the default build, a fused
// multiply-add in the relaxed build), so the peak is the one the kernels can reach.
// m < 1 and a > 0 keep every chain near a/(1-m): no overflow, no denormals.
// One madd counts as 8 flops (4 lanes x multiply and add).
// -----------------------------------------------------------------------------

import { madd } from './simd';

/** Runs `iterations` steps of 12 (or 8) independent madd chains; returns a checksum. */
export function peakMaddChains(iterations: i32, chains: i32, seed: f32): f32 {
  const m = f32x4.splat(0.9999 - seed * 1e-6);
  const a = f32x4.splat(1e-3 + seed * 1e-9);
  let c0 = f32x4.splat(seed), c1 = f32x4.splat(seed + 1), c2 = f32x4.splat(seed + 2), c3 = f32x4.splat(seed + 3);
  let c4 = f32x4.splat(seed + 4), c5 = f32x4.splat(seed + 5), c6 = f32x4.splat(seed + 6), c7 = f32x4.splat(seed + 7);
  if (chains >= 12) {
    let c8 = f32x4.splat(seed + 8), c9 = f32x4.splat(seed + 9), c10 = f32x4.splat(seed + 10), c11 = f32x4.splat(seed + 11);
    for (let i = 0; i < iterations; i++) {
      c0 = madd(c0, m, a); c1 = madd(c1, m, a); c2 = madd(c2, m, a); c3 = madd(c3, m, a);
      c4 = madd(c4, m, a); c5 = madd(c5, m, a); c6 = madd(c6, m, a); c7 = madd(c7, m, a);
      c8 = madd(c8, m, a); c9 = madd(c9, m, a); c10 = madd(c10, m, a); c11 = madd(c11, m, a);
    }
    c0 = f32x4.add(f32x4.add(c0, c8), f32x4.add(c9, f32x4.add(c10, c11)));
  } else {
    for (let i = 0; i < iterations; i++) {
      c0 = madd(c0, m, a); c1 = madd(c1, m, a); c2 = madd(c2, m, a); c3 = madd(c3, m, a);
      c4 = madd(c4, m, a); c5 = madd(c5, m, a); c6 = madd(c6, m, a); c7 = madd(c7, m, a);
    }
  }
  const sum = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
}
