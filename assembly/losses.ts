// -----------------------------------------------------------------------------
// Losses over a batch of `rows` output rows of width n, and their output deltas
// δ = ∂L/∂z for the output layer. L is a mean over the batch, so δ already
// carries the 1/rows factor and weight gradients are plain sums δ·aᵀ.
//
//   MSE   L = 1/(rows·n) Σ (a - t)²            ∂L/∂a = 2(a - t)/(rows·n)
//         (mean over every element: PyTorch's MSELoss, Keras' 'mse')
//   L2    L = 1/rows Σ_rows ½ Σ_j (a - t)²      ∂L/∂a = (a - t)/rows
//         (the textbook quadratic cost, summed over outputs)
//   CE    softmax + categorical cross-entropy, fused and stable:
//         L = 1/rows Σ_rows Σ_j t_j (lse(z) - z_j),  lse(z) = m + log Σ e^(z_k - m)
//         δ_j = (a_j Σ_k t_k - t_j)/rows            (= (a - t)/rows for one-hot t)
//   BCE   sigmoid + binary cross-entropy, fused and stable, mean over elements:
//         L = 1/(rows·n) Σ max(z,0) - z t + log1p(e^-|z|)    δ = (a - t)/(rows·n)
//   Huber L = 1/(rows·n) Σ h(a - t),  h(d) = |d| < β ? ½d² : β(|d| - ½β)
//         ∂L/∂a = clamp(a - t, -β, β)/(rows·n)   (PyTorch's HuberLoss(delta=β), Keras' Huber)
//   MAE   L = 1/(rows·n) Σ |a - t|            ∂L/∂a = sign(a - t)/(rows·n), 0 at a = t
//         (PyTorch's L1Loss, Keras' 'mae')
//
// On entry `zd` holds the output pre-activations z; on exit (when `writeDelta`)
// it holds δ. `a` holds the outputs σ(z); `t` the targets, all [rows, n].
// -----------------------------------------------------------------------------

import { activationBackward } from './activations';
import {
  SIGMOID, SOFTMAX, MSE, L2, CROSS_ENTROPY, BINARY_CROSS_ENTROPY, HUBER, MAE, ACCURACY_NONE, ACCURACY_ARGMAX, ACCURACY_THRESHOLD,
} from './abi';

/** The rows' share of the batch's mean loss; writes δ into zd when writeDelta. */
export function lossAndDelta(
  loss: i32, outputActivation: i32, zd: usize, a: usize, t: usize, rows: i32, n: i32, writeDelta: bool,
  batchRows: i32,
): f64 {
  return lossAndDeltaWithParameters(loss, outputActivation, zd, a, t, rows, n, writeDelta, batchRows, 1, 0, 0);
}

/**
 * lossAndDelta with the parameters the newer kinds need: `huberDelta` (β of HUBER, > 0),
 * and the output activation's `alpha` and pre-activations `z` (a buffer apart from zd,
 * which receives δ) for activationBackward (activations.ts: z is read by GELU, GELU_TANH
 * and SILU only; 0 otherwise). Per-element losses (MSE, HUBER, MAE) work with any
 * output activation; CE needs SOFTMAX and BCE SIGMOID.
 */
export function lossAndDeltaWithParameters(
  loss: i32, outputActivation: i32, zd: usize, a: usize, t: usize, rows: i32, n: i32, writeDelta: bool,
  batchRows: i32, huberDelta: f32, alpha: f32, z: usize,
): f64 {
  // `batchRows` is the whole batch's size: a thread that holds only some of its rows
  // still averages over all of them, so the threads' partial results simply add.
  const count = rows * n;
  const batchCount = batchRows * n;
  let total: f64 = 0;
  switch (loss) {
    case MSE:
    case L2: {
      const perElement = loss == MSE;
      const gradScale: f32 = perElement ? <f32>(2.0 / <f64>batchCount) : <f32>(1.0 / <f64>batchRows);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const diff = load<f32>(a + off) - load<f32>(t + off);
        total += <f64>diff * <f64>diff;
        if (writeDelta) store<f32>(zd + off, diff * gradScale);
      }
      total = perElement ? total / <f64>batchCount : 0.5 * total / <f64>batchRows;
      if (writeDelta) activationBackward(outputActivation, a, zd, rows, n, alpha, z);
      break;
    }
    case HUBER: {
      assert(huberDelta > 0);
      const gradScale: f32 = <f32>(1.0 / <f64>batchCount);
      const beta: f64 = <f64>huberDelta;
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const diff = load<f32>(a + off) - load<f32>(t + off);
        const d = <f64>diff;
        const size = Math.abs(d);
        total += size < beta ? 0.5 * d * d : beta * (size - 0.5 * beta);
        if (writeDelta) store<f32>(zd + off, Mathf.min(Mathf.max(diff, -huberDelta), huberDelta) * gradScale);
      }
      total /= <f64>batchCount;
      if (writeDelta) activationBackward(outputActivation, a, zd, rows, n, alpha, z);
      break;
    }
    case MAE: {
      const gradScale: f32 = <f32>(1.0 / <f64>batchCount);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const diff = load<f32>(a + off) - load<f32>(t + off);
        total += Math.abs(<f64>diff);
        if (writeDelta) store<f32>(zd + off, diff > 0 ? gradScale : (diff < 0 ? -gradScale : 0));
      }
      total /= <f64>batchCount;
      if (writeDelta) activationBackward(outputActivation, a, zd, rows, n, alpha, z);
      break;
    }
    case CROSS_ENTROPY: {
      assert(outputActivation == SOFTMAX);
      const invRows: f32 = <f32>(1.0 / <f64>batchRows);
      const rowBytes = <usize>n << 2;
      for (let r = 0; r < rows; r++) {
        const zr = zd + <usize>r * rowBytes;
        const ar = a + <usize>r * rowBytes;
        const tr = t + <usize>r * rowBytes;
        let max = load<f32>(zr);
        for (let j = 1; j < n; j++) max = Mathf.max(max, load<f32>(zr + (<usize>j << 2)));
        let sumExp: f64 = 0;
        for (let j = 0; j < n; j++) sumExp += Math.exp(<f64>(load<f32>(zr + (<usize>j << 2)) - max));
        const lse: f64 = <f64>max + Math.log(sumExp);
        let targetMass: f32 = 0;
        for (let j = 0; j < n; j++) {
          const off = <usize>j << 2;
          const tj = load<f32>(tr + off);
          if (tj != 0) total += <f64>tj * (lse - <f64>load<f32>(zr + off));
          targetMass += tj;
        }
        if (writeDelta) {
          for (let j = 0; j < n; j++) {
            const off = <usize>j << 2;
            store<f32>(zr + off, (load<f32>(ar + off) * targetMass - load<f32>(tr + off)) * invRows);
          }
        }
      }
      total /= <f64>batchRows;
      break;
    }
    case BINARY_CROSS_ENTROPY: {
      assert(outputActivation == SIGMOID);
      const gradScale: f32 = <f32>(1.0 / <f64>batchCount);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const z = <f64>load<f32>(zd + off);
        const target = <f64>load<f32>(t + off);
        total += Math.max(z, 0) - z * target + Math.log1p(Math.exp(-Math.abs(z)));
        if (writeDelta) store<f32>(zd + off, (load<f32>(a + off) - <f32>target) * gradScale);
      }
      total /= <f64>batchCount;
      break;
    }
    default: unreachable();
  }
  return total;
}

/** Index of the largest of n floats (first on ties). */
// @ts-ignore: decorator
@inline function argmax(p: usize, n: i32): i32 {
  let best = 0;
  let bestValue = load<f32>(p);
  for (let j = 1; j < n; j++) {
    const v = load<f32>(p + (<usize>j << 2));
    if (v > bestValue) { bestValue = v; best = j; }
  }
  return best;
}

/**
 * Correct predictions in a batch: rows whose argmax matches the target's
 * (ACCURACY_ARGMAX) or elements on the same side of 0.5 (ACCURACY_THRESHOLD).
 */
export function countCorrect(kind: i32, a: usize, t: usize, rows: i32, n: i32): i32 {
  let correct = 0;
  if (kind == ACCURACY_ARGMAX) {
    const rowBytes = <usize>n << 2;
    for (let r = 0; r < rows; r++) {
      if (argmax(a + <usize>r * rowBytes, n) == argmax(t + <usize>r * rowBytes, n)) correct++;
    }
  } else if (kind == ACCURACY_THRESHOLD) {
    const count = rows * n;
    for (let i = 0; i < count; i++) {
      const off = <usize>i << 2;
      if ((load<f32>(a + off) >= 0.5) == (load<f32>(t + off) >= 0.5)) correct++;
    }
  }
  return correct;
}
