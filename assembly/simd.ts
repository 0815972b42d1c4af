// -----------------------------------------------------------------------------
// SIMD helpers shared by every kernel.
//
// madd(a, b, c) = a·b + c. The default build uses separate mul and add (baseline
// simd128, bit-exact across CPUs and accepted by every engine, Safari included).
// The relaxed build (compiled with --enable relaxed-simd) uses f32x4.relaxed_madd,
// which is a fused multiply-add where the CPU has one: faster, and rounded once
// instead of twice, so its results differ in the last bits between machines.
// -----------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function horizontalSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
