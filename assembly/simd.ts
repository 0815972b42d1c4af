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

/**
 * Index of the first of n floats at p that is infinite or NaN (exponent bits all ones), or -1.
 * The host's input check: a SIMD pass over data already copied into memory, rather than a
 * JavaScript loop over the caller's array (which costs ~2 ns a value: 1.9 ms for 1000 MNIST rows).
 */
export function firstNonFinite(p: usize, n: i32): i32 {
  const exponent = i32x4.splat(0x7f800000);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const at = p + (<usize>i << 2);
    const bad = v128.or(
      v128.or(i32x4.eq(v128.and(v128.load(at), exponent), exponent), i32x4.eq(v128.and(v128.load(at, 16), exponent), exponent)),
      v128.or(i32x4.eq(v128.and(v128.load(at, 32), exponent), exponent), i32x4.eq(v128.and(v128.load(at, 48), exponent), exponent)),
    );
    if (v128.any_true(bad)) break;
  }
  for (; i < n; i++) {
    if ((load<u32>(p + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) return i;
  }
  return -1;
}
