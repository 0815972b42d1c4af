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

/** Bytes of the state peakMaddWide reads and writes: 24 accumulators, then m and a as two vectors each. */
export const PEAK_WIDE_STATE_BYTES: i32 = 24 * 16 + 64;

/**
 * The 256-bit peak under V8's revectorizer (--experimental-wasm-revectorize): 24
 * independent madd chains as 12 pairs of neighbours in memory (`state`: the accumulators,
 * then m and a twice), loaded at the start and stored at the end, so that V8 can pair each
 * two 128-bit chains into one 256-bit chain (12 ymm chains: enough to cover the FMA's
 * latency on two pipes). Without the revectorizer the 24 accumulators spill: meant only for
 * the wide measurement. 8 flops per 128-bit madd.
 */
export function peakMaddWide(iterations: i32, state: usize): void {
  const m0 = v128.load(state, 384), m1 = v128.load(state, 400);
  const a0 = v128.load(state, 416), a1 = v128.load(state, 432);
  let c0 = v128.load(state), c1 = v128.load(state, 16), c2 = v128.load(state, 32), c3 = v128.load(state, 48);
  let c4 = v128.load(state, 64), c5 = v128.load(state, 80), c6 = v128.load(state, 96), c7 = v128.load(state, 112);
  let c8 = v128.load(state, 128), c9 = v128.load(state, 144), c10 = v128.load(state, 160), c11 = v128.load(state, 176);
  let c12 = v128.load(state, 192), c13 = v128.load(state, 208), c14 = v128.load(state, 224), c15 = v128.load(state, 240);
  let c16 = v128.load(state, 256), c17 = v128.load(state, 272), c18 = v128.load(state, 288), c19 = v128.load(state, 304);
  let c20 = v128.load(state, 320), c21 = v128.load(state, 336), c22 = v128.load(state, 352), c23 = v128.load(state, 368);
  let i = 0;
  do {
    c0 = madd(c0, m0, a0); c1 = madd(c1, m1, a1); c2 = madd(c2, m0, a0); c3 = madd(c3, m1, a1);
    c4 = madd(c4, m0, a0); c5 = madd(c5, m1, a1); c6 = madd(c6, m0, a0); c7 = madd(c7, m1, a1);
    c8 = madd(c8, m0, a0); c9 = madd(c9, m1, a1); c10 = madd(c10, m0, a0); c11 = madd(c11, m1, a1);
    c12 = madd(c12, m0, a0); c13 = madd(c13, m1, a1); c14 = madd(c14, m0, a0); c15 = madd(c15, m1, a1);
    c16 = madd(c16, m0, a0); c17 = madd(c17, m1, a1); c18 = madd(c18, m0, a0); c19 = madd(c19, m1, a1);
    c20 = madd(c20, m0, a0); c21 = madd(c21, m1, a1); c22 = madd(c22, m0, a0); c23 = madd(c23, m1, a1);
    i++;
  } while (i < iterations);
  v128.store(state, c0); v128.store(state, c1, 16); v128.store(state, c2, 32); v128.store(state, c3, 48);
  v128.store(state, c4, 64); v128.store(state, c5, 80); v128.store(state, c6, 96); v128.store(state, c7, 112);
  v128.store(state, c8, 128); v128.store(state, c9, 144); v128.store(state, c10, 160); v128.store(state, c11, 176);
  v128.store(state, c12, 192); v128.store(state, c13, 208); v128.store(state, c14, 224); v128.store(state, c15, 240);
  v128.store(state, c16, 256); v128.store(state, c17, 272); v128.store(state, c18, 288); v128.store(state, c19, 304);
  v128.store(state, c20, 320); v128.store(state, c21, 336); v128.store(state, c22, 352); v128.store(state, c23, 368);
}
