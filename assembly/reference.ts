// -----------------------------------------------------------------------------
// Plain scalar reference kernels: the oracle the SIMD kernels are tested against.
// Written for obviousness, not speed.
// -----------------------------------------------------------------------------

import { SELU_ALPHA, SELU_SCALE, normalCdf, normalPdf } from './activations';
import { LEAKY_RELU, ELU, SELU, GELU, GELU_TANH, SILU, HUBER, MAE } from './abi';
import { dropoutKey, mix32 } from './dropout';

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

// --- activations (the kinds of activations.ts from LEAKY_RELU on) ---------------

/** a[count] = σ(z[count]) element by element, for LEAKY_RELU .. SILU. */
export function referenceActivationForward(kind: i32, z: usize, a: usize, count: i32, alpha: f32): void {
  for (let i = 0; i < count; i++) {
    const zi = load<f32>(z + (<usize>i << 2));
    let ai: f32 = 0;
    switch (kind) {
      case LEAKY_RELU: ai = zi > 0 ? zi : alpha * zi; break;
      case ELU: ai = zi > 0 ? zi : alpha * Mathf.expm1(zi); break;
      case SELU: ai = zi > 0 ? SELU_SCALE * zi : SELU_SCALE * SELU_ALPHA * Mathf.expm1(zi); break;
      case GELU: ai = <f32>(<f64>zi * normalCdf(<f64>zi)); break;
      case GELU_TANH: {
        const x = <f64>zi;
        ai = <f32>(0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))));
        break;
      }
      case SILU: ai = zi / (1 + Mathf.exp(-zi)); break;
      default: unreachable();
    }
    store<f32>(a + (<usize>i << 2), ai);
  }
}

/** g[count] ← g ⊙ σ'(z), σ' from z[count] (every kind here), for LEAKY_RELU .. SILU. */
export function referenceActivationBackward(kind: i32, z: usize, g: usize, count: i32, alpha: f32): void {
  for (let i = 0; i < count; i++) {
    const x = <f64>load<f32>(z + (<usize>i << 2));
    let slope: f64 = 0;
    switch (kind) {
      case LEAKY_RELU: slope = x > 0 ? 1 : <f64>alpha; break;
      case ELU: slope = x > 0 ? 1 : <f64>alpha * Math.exp(x); break;
      case SELU: slope = x > 0 ? <f64>SELU_SCALE : <f64>SELU_SCALE * <f64>SELU_ALPHA * Math.exp(x); break;
      case GELU: slope = normalCdf(x) + x * normalPdf(x); break;
      case GELU_TANH: {
        const u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        const th = Math.tanh(u);
        slope = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
        break;
      }
      case SILU: {
        const s = 1 / (1 + Math.exp(-x));
        slope = s * (1 + x * (1 - s));
        break;
      }
      default: unreachable();
    }
    store<f32>(g + (<usize>i << 2), <f32>(<f64>load<f32>(g + (<usize>i << 2)) * slope));
  }
}

// --- losses ------------------------------------------------------------------------

/**
 * Huber (β = huberDelta) or MAE over a[count] against t[count], as a mean over
 * `batchCount` elements: returns the loss, writes ∂L/∂a into d[count].
 */
export function referenceRegressionLoss(loss: i32, a: usize, t: usize, d: usize, count: i32, batchCount: i32, huberDelta: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < count; i++) {
    const diff = <f64>load<f32>(a + (<usize>i << 2)) - <f64>load<f32>(t + (<usize>i << 2));
    const beta = <f64>huberDelta;
    let grad: f64 = 0;
    if (loss == HUBER) {
      if (Math.abs(diff) < beta) {
        total += 0.5 * diff * diff;
        grad = diff;
      } else {
        total += beta * (Math.abs(diff) - 0.5 * beta);
        grad = diff > 0 ? beta : -beta;
      }
    } else if (loss == MAE) {
      total += Math.abs(diff);
      grad = diff > 0 ? 1 : (diff < 0 ? -1 : 0);
    } else {
      unreachable();
    }
    store<f32>(d + (<usize>i << 2), <f32>(grad / <f64>batchCount));
  }
  return total / <f64>batchCount;
}

// --- optimizers ----------------------------------------------------------------------

/** rmspropStep (optimizers.ts), one element at a time. */
export function referenceRmspropStep(
  params: usize, grads: usize, squareAvg: usize, momentumBuffer: usize, gradAvg: usize, n: i32,
  lr: f32, alpha: f32, epsilon: f32, weightDecay: f32, momentum: f32, centered: bool, gradScale: f32,
): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    const s = alpha * load<f32>(squareAvg + off) + (1 - alpha) * (g * g);
    store<f32>(squareAvg + off, s);
    let denominator = Mathf.sqrt(s) + epsilon;
    if (centered) {
      const mean = alpha * load<f32>(gradAvg + off) + (1 - alpha) * g;
      store<f32>(gradAvg + off, mean);
      denominator = Mathf.sqrt(s - mean * mean) + epsilon;
    }
    if (momentum > 0) {
      const b = momentum * load<f32>(momentumBuffer + off) + g / denominator;
      store<f32>(momentumBuffer + off, b);
      store<f32>(params + off, p - lr * b);
    } else {
      store<f32>(params + off, p - lr * (g / denominator));
    }
  }
}

/** adagradStep (optimizers.ts), one element at a time. */
export function referenceAdagradStep(
  params: usize, grads: usize, sumSquares: usize, n: i32,
  lr: f32, lrDecay: f32, epsilon: f32, weightDecay: f32, step: i32, gradScale: f32,
): void {
  const clr = <f32>(<f64>lr / (1 + <f64>(step - 1) * <f64>lrDecay));
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const p = load<f32>(params + off);
    const g = load<f32>(grads + off) * gradScale + weightDecay * p;
    const sum = load<f32>(sumSquares + off) + g * g;
    store<f32>(sumSquares + off, sum);
    store<f32>(params + off, p - clr * (g / (Mathf.sqrt(sum) + epsilon)));
  }
}

// --- dropout ----------------------------------------------------------------------------

/** dropoutForward (dropout.ts), one element at a time from the hash's definition. */
export function referenceDropoutForward(
  a: usize, mask: usize, rows: i32, n: i32, rate: f32, seed: u32, step: u32, layer: u32, firstSample: i32,
): void {
  const threshold: u32 = rate >= 1 ? 1 << 24 : (rate > 0 ? <u32>Math.round(<f64>rate * 16777216.0) : 0);
  const scale: f32 = threshold >= 1 << 24 ? 0 : (threshold == 0 ? 1 : <f32>(1.0 / (1.0 - <f64>rate)));
  const key = dropoutKey(seed, step, layer);
  for (let r = 0; r < rows; r++) {
    const rowKey = mix32(key ^ mix32(<u32>(firstSample + r)));
    for (let j = 0; j < n; j++) {
      const keep = (mix32(rowKey + <u32>j * 0x9e3779b9) >>> 8) >= threshold;
      const m: f32 = keep ? scale : 0;
      const off = (<usize>r * <usize>n + <usize>j) << 2;
      store<f32>(mask + off, m);
      store<f32>(a + off, load<f32>(a + off) * m);
    }
  }
}

// --- batch norm -------------------------------------------------------------------------

/** batchNormForwardTraining (batchnorm.ts) over all units, one column at a time. */
export function referenceBatchNormForwardTraining(
  x: usize, xhat: usize, y: usize, rows: i32, n: i32,
  gamma: usize, beta: usize, mean: usize, invStd: usize, runningMean: usize, runningVar: usize,
  momentum: f32, epsilon: f32,
): void {
  for (let j = 0; j < n; j++) {
    const col = <usize>j << 2;
    const rowBytes = <usize>n << 2;
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(x + <usize>r * rowBytes + col);
    const mu = sum / <f32>rows;
    let squares: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const d = load<f32>(x + <usize>r * rowBytes + col) - mu;
      squares += d * d;
    }
    const variance = squares / <f32>rows;
    const s: f32 = 1 / Mathf.sqrt(variance + epsilon);
    store<f32>(mean + col, mu);
    store<f32>(invStd + col, s);
    store<f32>(runningMean + col, (1 - momentum) * load<f32>(runningMean + col) + momentum * mu);
    if (rows > 1) {
      const unbiased = variance * <f32>(<f64>rows / <f64>(rows - 1));
      store<f32>(runningVar + col, (1 - momentum) * load<f32>(runningVar + col) + momentum * unbiased);
    }
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const normalised = (load<f32>(x + at) - mu) * s;
      store<f32>(xhat + at, normalised);
      store<f32>(y + at, load<f32>(gamma + col) * normalised + load<f32>(beta + col));
    }
  }
}

/** batchNormBackward (batchnorm.ts) over all units, one column at a time. */
export function referenceBatchNormBackward(
  g: usize, xhat: usize, dx: usize, rows: i32, n: i32, gamma: usize, invStd: usize, dGamma: usize, dBeta: usize,
): void {
  const rowBytes = <usize>n << 2;
  const invCount: f32 = <f32>(1.0 / <f64>rows);
  for (let j = 0; j < n; j++) {
    const col = <usize>j << 2;
    let sumG: f32 = 0, sumGX: f32 = 0;
    for (let r = 0; r < rows; r++) {
      sumG += load<f32>(g + <usize>r * rowBytes + col);
      sumGX += load<f32>(g + <usize>r * rowBytes + col) * load<f32>(xhat + <usize>r * rowBytes + col);
    }
    store<f32>(dBeta + col, sumG);
    store<f32>(dGamma + col, sumGX);
    const factor = load<f32>(gamma + col) * load<f32>(invStd + col);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      store<f32>(dx + at, factor * ((load<f32>(g + at) - sumG * invCount) - load<f32>(xhat + at) * (sumGX * invCount)));
    }
  }
}

// --- L1/L2 -------------------------------------------------------------------------------

/** penalizeWeights (regularize.ts) one weight at a time; the value summed in f64. */
export function referencePenalizeWeights(w: usize, gw: usize, count: i32, l1: f32, l2: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < count; i++) {
    const wi = load<f32>(w + (<usize>i << 2));
    const sign: f32 = wi > 0 ? 1 : (wi < 0 ? -1 : 0);
    if (gw) store<f32>(gw + (<usize>i << 2), load<f32>(gw + (<usize>i << 2)) + (l1 * sign + 2 * l2 * wi));
    total += <f64>l1 * Math.abs(<f64>wi) + <f64>l2 * <f64>wi * <f64>wi;
  }
  return total;
}
