// -----------------------------------------------------------------------------
// Optimizers: each is one SIMD pass over the flat parameter buffer. Parameters,
// gradients and moment buffers share one layout, so the pass never needs to know
// where one layer ends and the next begins.
//
// g is first scaled (gradient clipping) and, for coupled L2 decay, g += λ·p.
// Conventions follow PyTorch, so its results are the reference:
//   SGD        p -= lr·g
//   momentum   v = μ·v + g;  p -= lr·v                (Nesterov: p -= lr·(g + μ·v))
//   Adam       m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
//              p -= (lr / (1-β1^t)) · m / (√v / √(1-β2^t) + ε)
//   AdamW      p -= lr·λ·p first (decoupled decay), then the Adam step without L2.
//   RMSprop    s = α·s + (1-α)·g²;  centered: ḡ = α·ḡ + (1-α)·g,  d = √(s - ḡ²) + ε
//              else d = √s + ε  (ε outside the root, as PyTorch);
//              momentum μ > 0: b = μ·b + g/d;  p -= lr·b      else p -= lr·g/d
//   Adagrad    S += g²;  p -= lr/(1 + (t-1)·decay) · g/(√S + ε)   (t ≥ 1; S starts at
//              initial_accumulator_value, written by the host)
// Buffers are [n] f32; n need not be a multiple of 4.
// -----------------------------------------------------------------------------

/** Σ x² over n floats, accumulated in f64 lanes per block for accuracy. */
export function sumOfSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    // Blocks of up to 1024 floats summed in f32 SIMD (two sets of lanes, so that no add waits
    // for the previous one), then added in f64.
    const end = min(n & ~3, i + 1024);
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const at = x + (<usize>i << 2);
      const v0 = v128.load(at), v1 = v128.load(at, 16);
      acc0 = f32x4.add(acc0, f32x4.mul(v0, v0));
      acc1 = f32x4.add(acc1, f32x4.mul(v1, v1));
    }
    if (i < end) {
      const v = v128.load(x + (<usize>i << 2));
      acc0 = f32x4.add(acc0, f32x4.mul(v, v));
      i += 4;
    }
    const acc = f32x4.add(acc0, acc1);
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)
      + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

// @ts-ignore: decorator
@inline function effectiveGradient(g: v128, p: v128, gradScale: v128, l2: v128): v128 {
  return f32x4.add(f32x4.mul(g, gradScale), f32x4.mul(l2, p));
}

/** p -= lr·(s·g + λ·p). */
export function sgdStep(params: usize, grads: usize, n: i32, lr: f32, weightDecay: f32, gradScale: f32): void {
  const lrV = f32x4.splat(lr), sV = f32x4.splat(gradScale), l2V = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const p = v128.load(params + off);
    const g = effectiveGradient(v128.load(grads + off), p, sV, l2V);
    v128.store(params + off, f32x4.sub(p, f32x4.mul(lrV, g)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    store<f32>(params + off, p - lr * g);
  }
}

/** Heavy-ball momentum, or Nesterov's variant. */
export function momentumStep(
  params: usize, grads: usize, velocity: usize, n: i32,
  lr: f32, momentum: f32, nesterov: bool, weightDecay: f32, gradScale: f32,
): void {
  const lrV = f32x4.splat(lr), muV = f32x4.splat(momentum), sV = f32x4.splat(gradScale), l2V = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const p = v128.load(params + off);
    const g = effectiveGradient(v128.load(grads + off), p, sV, l2V);
    const v = f32x4.add(f32x4.mul(muV, v128.load(velocity + off)), g);
    v128.store(velocity + off, v);
    const update = nesterov ? f32x4.add(g, f32x4.mul(muV, v)) : v;
    v128.store(params + off, f32x4.sub(p, f32x4.mul(lrV, update)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    const v = momentum * load<f32>(velocity + off) + g;
    store<f32>(velocity + off, v);
    store<f32>(params + off, p - lr * (nesterov ? g + momentum * v : v));
  }
}

/**
 * Adam (decoupled = false: weightDecay is L2 added to g) or AdamW
 * (decoupled = true: p *= 1 - lr·λ before the step). `step` is t ≥ 1.
 */
export function adamStep(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, epsilon: f32, weightDecay: f32, decoupled: bool, step: i32, gradScale: f32,
): void {
  const biasCorrection1 = 1 - Math.pow(<f64>beta1, <f64>step);
  const biasCorrection2 = 1 - Math.pow(<f64>beta2, <f64>step);
  const stepSize = <f32>(<f64>lr / biasCorrection1);
  const invSqrtBc2 = <f32>(1 / Math.sqrt(biasCorrection2));
  const decay: f32 = decoupled ? 1 - lr * weightDecay : 1;
  const l2: f32 = decoupled ? 0 : weightDecay;
  adamUpdate(params, grads, m, v, n, beta1, beta2, epsilon, stepSize, invSqrtBc2, gradScale, l2, decoupled, decay);
}

/**
 * Adam's pass over the buffers, every constant already computed. Its own function, exported
 * from the module (index.ts) so that Binaryen keeps it out of adamStep and V8 sees the
 * constants as parameters: inlined after their f64 computation, V8 recomputed part of it
 * (pow, sqrt, division) inside the loop, and the pass was 15-35% slower. The usual case
 * (no clipping scale, no weight decay) has a loop of its own: ten splatted constants do not
 * fit V8's registers next to the loop's values, and it re-broadcast them every iteration.
 */
export function adamUpdate(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  beta1: f32, beta2: f32, epsilon: f32, stepSize: f32, invSqrtBc2: f32, gradScale: f32, l2: f32, decoupled: bool, decay: f32,
): void {
  let i = 0;
  if (gradScale == 1 && l2 == 0 && !decoupled) {
    i = adamLoop(params, grads, m, v, n, beta1, beta2, epsilon, stepSize, invSqrtBc2, 1, 0, false, 1, true);
  } else {
    i = adamLoop(params, grads, m, v, n, beta1, beta2, epsilon, stepSize, invSqrtBc2, gradScale, l2, decoupled, decay, false);
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    let p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + l2 * p;
    const mi = beta1 * load<f32>(m + off) + (1 - beta1) * g;
    // (1 - β2)·(g·g), grouped as the SIMD loop groups it: the same bits whichever path runs.
    const vi = beta2 * load<f32>(v + off) + (1 - beta2) * (g * g);
    store<f32>(m + off, mi);
    store<f32>(v + off, vi);
    p *= decay;
    store<f32>(params + off, p - stepSize * (mi / (Mathf.sqrt(vi) * invSqrtBc2 + epsilon)));
  }
}

/**
 * Adam's SIMD loop over the first n & ~3 floats (plain: g used as is, no decay); returns where
 * it stopped. Two vectors per iteration, neighbours in memory: with V8's revectorizer on
 * (init({ revectorize: true })) each pair of 128-bit operations becomes one 256-bit one (the
 * square root and the division are most of the pass's arithmetic); the same operations on
 * the same floats either way, so the same bits.
 */
// @ts-ignore: decorator
@inline function adamLoop(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  beta1: f32, beta2: f32, epsilon: f32, stepSize: f32, invSqrtBc2: f32, gradScale: f32, l2: f32, decoupled: bool, decay: f32,
  plain: bool,
): i32 {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const oneMinusB1 = f32x4.splat(1 - beta1), oneMinusB2 = f32x4.splat(1 - beta2);
  const epsV = f32x4.splat(epsilon), stepV = f32x4.splat(stepSize), invV = f32x4.splat(invSqrtBc2);
  const sV = f32x4.splat(gradScale), l2V = f32x4.splat(l2), decayV = f32x4.splat(decay);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    // Every load of the eight floats, then the arithmetic, then each buffer's two stores side
    // by side: the revectorizer pairs two accesses only when nothing that touches memory
    // comes between them.
    const off = <usize>i << 2;
    const pp = params + off, gp = grads + off, mp = m + off, vp = v + off;
    let p0 = v128.load(pp), p1 = v128.load(pp, 16);
    let g0 = v128.load(gp), g1 = v128.load(gp, 16);
    const m0 = v128.load(mp), m1 = v128.load(mp, 16);
    const v0 = v128.load(vp), v1 = v128.load(vp, 16);
    if (!plain) {
      g0 = effectiveGradient(g0, p0, sV, l2V);
      g1 = effectiveGradient(g1, p1, sV, l2V);
    }
    const mi0 = f32x4.add(f32x4.mul(b1, m0), f32x4.mul(oneMinusB1, g0));
    const mi1 = f32x4.add(f32x4.mul(b1, m1), f32x4.mul(oneMinusB1, g1));
    const vi0 = f32x4.add(f32x4.mul(b2, v0), f32x4.mul(oneMinusB2, f32x4.mul(g0, g0)));
    const vi1 = f32x4.add(f32x4.mul(b2, v1), f32x4.mul(oneMinusB2, f32x4.mul(g1, g1)));
    if (!plain && decoupled) {
      p0 = f32x4.mul(p0, decayV);
      p1 = f32x4.mul(p1, decayV);
    }
    const u0 = f32x4.sub(p0, f32x4.mul(stepV, f32x4.div(mi0, f32x4.add(f32x4.mul(f32x4.sqrt(vi0), invV), epsV))));
    const u1 = f32x4.sub(p1, f32x4.mul(stepV, f32x4.div(mi1, f32x4.add(f32x4.mul(f32x4.sqrt(vi1), invV), epsV))));
    v128.store(mp, mi0); v128.store(mp, mi1, 16);
    v128.store(vp, vi0); v128.store(vp, vi1, 16);
    v128.store(pp, u0); v128.store(pp, u1, 16);
  }
  if (i + 4 <= n) {
    const off = <usize>i << 2;
    let p = v128.load(params + off);
    const g = plain ? v128.load(grads + off) : effectiveGradient(v128.load(grads + off), p, sV, l2V);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + off)), f32x4.mul(oneMinusB1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + off)), f32x4.mul(oneMinusB2, f32x4.mul(g, g)));
    v128.store(m + off, mi);
    v128.store(v + off, vi);
    if (!plain && decoupled) p = f32x4.mul(p, decayV);
    v128.store(params + off, f32x4.sub(p, f32x4.mul(stepV, f32x4.div(mi, f32x4.add(f32x4.mul(f32x4.sqrt(vi), invV), epsV)))));
    i += 4;
  }
  return i;
}

/**
 * RMSprop (PyTorch's torch.optim.RMSprop): squareAvg s, and when used a momentum buffer b
 * (momentum > 0) and a gradient average ḡ (centered); buffers not used may be 0.
 * weightDecay is L2 added to g. All buffers [n], start at zero.
 */
export function rmspropStep(
  params: usize, grads: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, n: i32,
  lr: f32, alpha: f32, epsilon: f32, weightDecay: f32, momentum: f32, centered: bool, gradScale: f32,
): void {
  const oneMinusAlpha: f32 = 1 - alpha;
  const useMomentum = momentum > 0;
  assert(!useMomentum || momentumBuffer != 0);
  assert(!centered || gradAvg != 0);
  const lrV = f32x4.splat(lr), aV = f32x4.splat(alpha), oneMinusAV = f32x4.splat(oneMinusAlpha);
  const epsV = f32x4.splat(epsilon), muV = f32x4.splat(momentum), sV = f32x4.splat(gradScale), l2V = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const p = v128.load(params + off);
    const g = effectiveGradient(v128.load(grads + off), p, sV, l2V);
    const s = f32x4.add(f32x4.mul(aV, v128.load(squareAvg + off)), f32x4.mul(oneMinusAV, f32x4.mul(g, g)));
    v128.store(squareAvg + off, s);
    let variance = s;
    if (centered) {
      const mean = f32x4.add(f32x4.mul(aV, v128.load(gradAvg + off)), f32x4.mul(oneMinusAV, g));
      v128.store(gradAvg + off, mean);
      variance = f32x4.sub(s, f32x4.mul(mean, mean));
    }
    const step = f32x4.div(g, f32x4.add(f32x4.sqrt(variance), epsV));
    if (useMomentum) {
      const b = f32x4.add(f32x4.mul(muV, v128.load(momentumBuffer + off)), step);
      v128.store(momentumBuffer + off, b);
      v128.store(params + off, f32x4.sub(p, f32x4.mul(lrV, b)));
    } else {
      v128.store(params + off, f32x4.sub(p, f32x4.mul(lrV, step)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    const s = alpha * load<f32>(squareAvg + off) + oneMinusAlpha * (g * g);
    store<f32>(squareAvg + off, s);
    let variance = s;
    if (centered) {
      const mean = alpha * load<f32>(gradAvg + off) + oneMinusAlpha * g;
      store<f32>(gradAvg + off, mean);
      variance = s - mean * mean;
    }
    const step = g / (Mathf.sqrt(variance) + epsilon);
    if (useMomentum) {
      const b = momentum * load<f32>(momentumBuffer + off) + step;
      store<f32>(momentumBuffer + off, b);
      store<f32>(params + off, p - lr * b);
    } else {
      store<f32>(params + off, p - lr * step);
    }
  }
}

/**
 * Adagrad (PyTorch's torch.optim.Adagrad) at step t = `step` ≥ 1: the accumulator S
 * (start it at initial_accumulator_value) gains g², and p -= clr·g/(√S + ε) with
 * clr = lr/(1 + (t-1)·lrDecay). weightDecay is L2 added to g.
 */
export function adagradStep(
  params: usize, grads: usize, sumSquares: usize, n: i32,
  lr: f32, lrDecay: f32, epsilon: f32, weightDecay: f32, step: i32, gradScale: f32,
): void {
  const clr = <f32>(<f64>lr / (1 + <f64>(step - 1) * <f64>lrDecay));
  const clrV = f32x4.splat(clr), epsV = f32x4.splat(epsilon), sV = f32x4.splat(gradScale), l2V = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const p = v128.load(params + off);
    const g = effectiveGradient(v128.load(grads + off), p, sV, l2V);
    const sum = f32x4.add(v128.load(sumSquares + off), f32x4.mul(g, g));
    v128.store(sumSquares + off, sum);
    v128.store(params + off, f32x4.sub(p, f32x4.mul(clrV, f32x4.div(g, f32x4.add(f32x4.sqrt(sum), epsV)))));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    const sum = load<f32>(sumSquares + off) + g * g;
    store<f32>(sumSquares + off, sum);
    store<f32>(params + off, p - clr * (g / (Mathf.sqrt(sum) + epsilon)));
  }
}
