// -----------------------------------------------------------------------------
// L1/L2 weight penalties, Keras' convention (tf.keras.regularizers.L1L2):
//
//   loss     += l1·Σ|w| + l2·Σw²
//   gradient += l1·sign(w) + 2·l2·w          (sign(0) = 0: the subgradient 0 at 0)
//
// over a layer's weights w[count] (biases are not penalised), added to its weight
// gradient gw[count] once that holds the data term ∂L/∂w of the whole batch. Note the
// factor 2: Keras' l2 = λ/2 of PyTorch's weight_decay = λ (which adds λ·w to g).
// -----------------------------------------------------------------------------

/**
 * gw[count] += l1·sign(w) + 2·l2·w, and returns l1·Σ|w| + l2·Σw² (the penalty's share of
 * the loss for these weights: two sets of f32 lanes over blocks of 1024 weights from w,
 * blocks added in f64, so the value's bits depend on where the range starts; the
 * gradient's do not: each weight's is the scalar reference's, bit for bit).
 * gw = 0: the value only.
 */
export function penalizeWeights(w: usize, gw: usize, count: i32, l1: f32, l2: f32): f64 {
  return gw ? penalty(w, gw, count, l1, l2, true) : penalty(w, 0, count, l1, l2, false);
}

// @ts-ignore: decorator
@inline function penalty(w: usize, gw: usize, count: i32, l1: f32, l2: f32, update: bool): f64 {
  // Without L1 (the usual case) the sign is not needed: l1·sign(w) is then +0, or -0 where
  // w < 0, which the loop adds as such (the same bits as the full expression).
  return l1 == 0 ? penaltyLoop(w, gw, count, l1, l2, update, false) : penaltyLoop(w, gw, count, l1, l2, update, true);
}

/** l1·sign(w) + 2·l2·w on four weights (withL1 false: l1 is 0, the sign's term a signed zero). */
// @ts-ignore: decorator
@inline function penaltyGradient(wv: v128, l1V: v128, twoL2V: v128, withL1: bool): v128 {
  const zero = f32x4.splat(0);
  if (!withL1) return f32x4.add(v128.and(f32x4.lt(wv, zero), f32x4.splat(-0.0)), f32x4.mul(twoL2V, wv));
  // sign(w): +1 where w > 0, -1 where w < 0, 0 at ±0 (and NaN).
  const one = f32x4.splat(1);
  const sign = f32x4.sub(v128.and(f32x4.gt(wv, zero), one), v128.and(f32x4.lt(wv, zero), one));
  return f32x4.add(f32x4.mul(l1V, sign), f32x4.mul(twoL2V, wv));
}

/**
 * The pass: two vectors per iteration (their loads, then their stores, side by side, for V8's
 * revectorizer) with two sets of accumulators for the sums, so that no add waits for the
 * previous one; per block of 1024 weights the lanes are added in f64.
 */
// @ts-ignore: decorator
@inline function penaltyLoop(w: usize, gw: usize, count: i32, l1: f32, l2: f32, update: bool, withL1: bool): f64 {
  const l1V = f32x4.splat(l1), twoL2V = f32x4.splat(2 * l2);
  const twoL2: f32 = 2 * l2;
  let absSum: f64 = 0, squareSum: f64 = 0;
  let i = 0;
  while (i + 4 <= count) {
    const end = min(count & ~3, i + 1024);
    let abs0 = f32x4.splat(0), abs1 = f32x4.splat(0), square0 = f32x4.splat(0), square1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const off = <usize>i << 2;
      const wp = w + off;
      const w0 = v128.load(wp), w1 = v128.load(wp, 16);
      if (update) {
        const gp = gw + off;
        const g0 = v128.load(gp), g1 = v128.load(gp, 16);
        const u0 = f32x4.add(g0, penaltyGradient(w0, l1V, twoL2V, withL1));
        const u1 = f32x4.add(g1, penaltyGradient(w1, l1V, twoL2V, withL1));
        v128.store(gp, u0);
        v128.store(gp, u1, 16);
      }
      abs0 = f32x4.add(abs0, f32x4.abs(w0));
      abs1 = f32x4.add(abs1, f32x4.abs(w1));
      square0 = f32x4.add(square0, f32x4.mul(w0, w0));
      square1 = f32x4.add(square1, f32x4.mul(w1, w1));
    }
    if (i < end) {
      const off = <usize>i << 2;
      const w0 = v128.load(w + off);
      if (update) v128.store(gw + off, f32x4.add(v128.load(gw + off), penaltyGradient(w0, l1V, twoL2V, withL1)));
      abs0 = f32x4.add(abs0, f32x4.abs(w0));
      square0 = f32x4.add(square0, f32x4.mul(w0, w0));
      i += 4;
    }
    const absAcc = f32x4.add(abs0, abs1), squareAcc = f32x4.add(square0, square1);
    absSum += <f64>f32x4.extract_lane(absAcc, 0) + <f64>f32x4.extract_lane(absAcc, 1)
      + <f64>f32x4.extract_lane(absAcc, 2) + <f64>f32x4.extract_lane(absAcc, 3);
    squareSum += <f64>f32x4.extract_lane(squareAcc, 0) + <f64>f32x4.extract_lane(squareAcc, 1)
      + <f64>f32x4.extract_lane(squareAcc, 2) + <f64>f32x4.extract_lane(squareAcc, 3);
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    const wi = load<f32>(w + off);
    const sign: f32 = wi > 0 ? 1 : (wi < 0 ? -1 : 0);
    if (update) store<f32>(gw + off, load<f32>(gw + off) + (l1 * sign + twoL2 * wi));
    absSum += <f64>Mathf.abs(wi);
    squareSum += <f64>wi * <f64>wi;
  }
  return <f64>l1 * absSum + <f64>l2 * squareSum;
}
