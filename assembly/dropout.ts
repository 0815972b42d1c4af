// -----------------------------------------------------------------------------
// Inverted dropout on a layer's outputs a[rows, n] (row-major), in place:
//
//   forward   keep_ij ~ Bernoulli(1 - p);  m_ij = keep_ij / (1 - p);  a_ij ← a_ij · m_ij
//   backward  g_ij ← g_ij · m_ij                   (the same mask, read back)
//
// so that E[a] is unchanged and inference is the identity. p = 0 is the identity
// (m = 1 exactly); p ≥ 1 drops everything (m = 0).
//
// Random bits come from a counter-based hash, not a generator's stream: element
// (sample s, unit j) of layer l at step t draws
//
//   key    = mix(mix(mix(seed) ^ t) ^ l)                  once per call
//   rowKey = mix(key ^ mix(s))                            once per row
//   bits   = mix(rowKey + j · 0x9E3779B9)                 per element (SIMD: 4 units)
//   keep   = (bits >>> 8) ≥ round(p · 2²⁴)                24 bits, P(keep) = 1 - p ± 2⁻²⁵
//
// with mix = Wellons' "lowbias32" integer finaliser (x ^= x >>> 16; x *= 0x7feb352d;
// x ^= x >>> 15; x *= 0x846ca68b; x ^= x >>> 16), a bijection of u32. The sample index
// s is the row's position in the whole batch (`firstSample` + r), so a row's mask is
// a function of (seed, t, l, s, j) only: the same whichever thread computes the row
// and however the batch is split into calls.
// -----------------------------------------------------------------------------

/** Wellons' lowbias32: a bijective 32-bit integer hash with low bias. */
// @ts-ignore: decorator
@inline export function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

// @ts-ignore: decorator
@inline function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(0x846ca68b));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

/** The hash key of one call: seed, step and layer mixed (see the header). */
export function dropoutKey(seed: u32, step: u32, layer: u32): u32 {
  return mix32(mix32(mix32(seed) ^ step) ^ layer);
}

/** The Weyl increment between units of a row (2³² / golden ratio). */
const UNIT_STRIDE: u32 = 0x9e3779b9;

/** P(drop) as a 24-bit threshold: an element is kept when its top 24 bits are ≥ this. */
// @ts-ignore: decorator
@inline function dropThreshold(rate: f32): i32 {
  if (!(rate > 0)) return 0;
  if (rate >= 1) return 1 << 24;
  return <i32>Math.round(<f64>rate * 16777216.0);
}

/**
 * Applies inverted dropout at rate p (`rate`) to a[rows, n] in place and writes the
 * mask m[rows, n] (0 or 1/(1 - p)) for the backward pass. Row r is sample
 * `firstSample` + r of the batch; `seed`, `step` and `layer` select the stream.
 *
 * mask = 0: the mask is applied but not stored. Called on the deltas g with the forward's
 * arguments, that is the backward (g ⊙ m, the same bits as dropoutBackward) without a
 * mask buffer, for the price of hashing again.
 */
export function dropoutForward(
  a: usize, mask: usize, rows: i32, n: i32, rate: f32, seed: u32, step: u32, layer: u32, firstSample: i32,
): void {
  if (mask) applyDropout(a, mask, rows, n, rate, seed, step, layer, firstSample, true);
  else applyDropout(a, 0, rows, n, rate, seed, step, layer, firstSample, false);
}

// @ts-ignore: decorator
@inline function applyDropout(
  a: usize, mask: usize, rows: i32, n: i32, rate: f32, seed: u32, step: u32, layer: u32, firstSample: i32, storeMask: bool,
): void {
  const threshold = dropThreshold(rate);
  const scale: f32 = threshold >= 1 << 24 ? 0 : (threshold == 0 ? 1 : <f32>(1.0 / (1.0 - <f64>rate)));
  const key = dropoutKey(seed, step, layer);
  const scaleV = f32x4.splat(scale);
  const thresholdV = i32x4.splat(threshold);
  const lanes = i32x4(0, UNIT_STRIDE, 2 * UNIT_STRIDE, 3 * UNIT_STRIDE);
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const rowKey = mix32(key ^ mix32(<u32>(firstSample + r)));
    const ar = a + <usize>r * rowBytes;
    const mr = mask + <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const counters = i32x4.add(i32x4.splat(rowKey + <u32>j * UNIT_STRIDE), lanes);
      const bits = i32x4.shr_u(mix32x4(counters), 8);
      // bits < 2²⁴, so the signed comparison is the unsigned one.
      const keep = i32x4.ge_s(bits, thresholdV);
      const m = v128.and(scaleV, keep);
      const off = <usize>j << 2;
      if (storeMask) v128.store(mr + off, m);
      v128.store(ar + off, f32x4.mul(v128.load(ar + off), m));
    }
    for (; j < n; j++) {
      const bits = <i32>(mix32(rowKey + <u32>j * UNIT_STRIDE) >>> 8);
      const m: f32 = bits >= threshold ? scale : 0;
      const off = <usize>j << 2;
      if (storeMask) store<f32>(mr + off, m);
      store<f32>(ar + off, load<f32>(ar + off) * m);
    }
  }
}

/** g[rows, n] ← g ⊙ m: the backward of dropoutForward, with the mask it wrote. */
export function dropoutBackward(g: usize, mask: usize, rows: i32, n: i32): void {
  const count = rows * n;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const off = <usize>i << 2;
    v128.store(g + off, f32x4.mul(v128.load(g + off), v128.load(mask + off)));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    store<f32>(g + off, load<f32>(g + off) * load<f32>(mask + off));
  }
}
