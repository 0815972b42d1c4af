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
 * the loss for these weights: f32 lanes over blocks of 1024 weights from w, blocks added
 * in f64, so the value's bits depend on where the range starts; the gradient's do not).
 * gw = 0: the value only.
 */
export function penalizeWeights(w: usize, gw: usize, count: i32, l1: f32, l2: f32): f64 {
  return gw ? penalty(w, gw, count, l1, l2, true) : penalty(w, 0, count, l1, l2, false);
}

// @ts-ignore: decorator
@inline function penalty(w: usize, gw: usize, count: i32, l1: f32, l2: f32, update: bool): f64 {
  const l1V = f32x4.splat(l1), twoL2V = f32x4.splat(2 * l2), zero = f32x4.splat(0);
  const twoL2: f32 = 2 * l2;
  let absSum: f64 = 0, squareSum: f64 = 0;
  let i = 0;
  while (i + 4 <= count) {
    // Blocks of up to 1024 weights summed in f32 lanes, then added in f64.
    const end = min(count & ~3, i + 1024);
    let absAcc = f32x4.splat(0), squareAcc = f32x4.splat(0);
    for (; i < end; i += 4) {
      const off = <usize>i << 2;
      const wv = v128.load(w + off);
      // sign(w): +1 where w > 0, -1 where w < 0, 0 at ±0 (and NaN).
      const sign = f32x4.sub(v128.and(f32x4.gt(wv, zero), f32x4.splat(1)), v128.and(f32x4.lt(wv, zero), f32x4.splat(1)));
      if (update) v128.store(gw + off, f32x4.add(v128.load(gw + off), f32x4.add(f32x4.mul(l1V, sign), f32x4.mul(twoL2V, wv))));
      absAcc = f32x4.add(absAcc, f32x4.abs(wv));
      squareAcc = f32x4.add(squareAcc, f32x4.mul(wv, wv));
    }
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
