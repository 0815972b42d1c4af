/**
 * The oracle: simdnet's network maths in plain float64 on the host, written from the
 * conventions stated in assembly/activations.ts and assembly/losses.ts, never from the
 * core's code. Every buffer is row-major [rows, n] in a flat array.
 *
 *   activations  linear, sigmoid, tanh, relu, softplus, softmax (stable: max subtracted);
 *                leakyRelu, elu (α: PyTorch's defaults 0.01 and 1 unless given), selu, gelu,
 *                geluTanh, silu (test/kernels/reference64.ts)
 *   losses, over a batch of `rows` rows of n outputs, with a = σ(z):
 *     mse                 1/(rows·n) Σ (a - t)²
 *     l2                  1/rows Σ_rows ½ Σ_j (a - t)²
 *     crossEntropy        1/rows Σ_rows Σ_j t_j (lse(z) - z_j)          (softmax fused)
 *     binaryCrossEntropy  1/(rows·n) Σ max(z, 0) - z·t + log1p(e^-|z|)   (sigmoid fused)
 *     huber (δ), mae      1/(rows·n) Σ h(a - t)                          (test/kernels/reference64.ts)
 *   a dense network     a_l = σ_l(a_{l-1} · W_l + b_l), W_l stored [in, units]
 *   optimizers          PyTorch's update rules (see optimizerSteps)
 *
 * Derivatives are deliberately absent: tests get them by central differences of these
 * functions (see centralDifferences), so the oracle never restates a formula the core uses.
 */
import type { Activation, ModelDescription } from '../../src/model/description.js';
import type { Loss, NormalizedOptimizer } from '../../src/model/spec.js';
import { activation64, regressionLoss64 } from '../kernels/reference64.js';

export type Values = ArrayLike<number>;

// --- activations -------------------------------------------------------------

export function sigmoid(z: number): number {
  // Exponentiate only non-positive numbers: exact limits at ±∞.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** log Σ_j e^(z_j), stable for any magnitude: m + log Σ e^(z_j - m), m = max z. */
export function logSumExp(z: Values, start = 0, n = z.length): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, z[start + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[start + j] - max);
  return max + Math.log(sum);
}

/** PyTorch's default α of leakyRelu (0.01) and elu (1); 0 for the other activations. */
export function defaultAlpha(activation: Activation): number {
  return activation === 'leakyRelu' ? 0.01 : activation === 'elu' ? 1 : 0;
}

/** a[rows, n] = σ(z[rows, n]) in float64 (`alpha`: leakyRelu's and elu's α, default PyTorch's). */
export function activate(
  activation: Activation,
  z: Values,
  rows: number,
  n: number,
  alpha = defaultAlpha(activation),
): Float64Array {
  const a = new Float64Array(rows * n);
  if (activation === 'softmax') {
    for (let r = 0; r < rows; r++) {
      const lse = logSumExp(z, r * n, n);
      for (let j = 0; j < n; j++) a[r * n + j] = Math.exp(z[r * n + j] - lse);
    }
    return a;
  }
  const f = elementwise(activation, alpha);
  for (let i = 0; i < rows * n; i++) a[i] = f(z[i]);
  return a;
}

function elementwise(activation: Exclude<Activation, 'softmax'>, alpha: number): (z: number) => number {
  switch (activation) {
    case 'linear':
      return (z) => z;
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return Math.tanh;
    case 'relu':
      return (z) => Math.max(z, 0);
    case 'softplus':
      return softplus;
    case 'leakyRelu':
    case 'elu':
    case 'selu':
    case 'gelu':
    case 'geluTanh':
    case 'silu':
      return activation64(activation, alpha);
    default:
      throw new Error(missing('activation', activation));
  }
}

/** The error for a name from src/ that this oracle does not implement yet. */
function missing(what: string, name: string): string {
  return `test/helpers/reference.ts has no float64 ${what} '${name}': add one, and the op suite checks the core's against it`;
}

// --- losses ------------------------------------------------------------------

/**
 * The batch's mean loss as a function of the output layer's pre-activations z (the
 * fused losses need z; mse and l2 go through a = σ(z)). `targets` is [rows, n].
 */
export function lossOfLogits(
  loss: Loss,
  outputActivation: Activation,
  z: Values,
  targets: Values,
  rows: number,
  n: number,
  { alpha = defaultAlpha(outputActivation), huberDelta = 1 }: { alpha?: number; huberDelta?: number } = {},
): number {
  let total = 0;
  switch (loss) {
    case 'huber':
    case 'mae':
      return regressionLoss64(loss, activate(outputActivation, z, rows, n, alpha), targets, rows * n, huberDelta);
    case 'mse':
    case 'l2': {
      const a = activate(outputActivation, z, rows, n, alpha);
      for (let i = 0; i < rows * n; i++) total += (a[i] - targets[i]) ** 2;
      return loss === 'mse' ? total / (rows * n) : (0.5 * total) / rows;
    }
    case 'crossEntropy': {
      if (outputActivation !== 'softmax') throw new Error('reference: crossEntropy is defined with a softmax output');
      for (let r = 0; r < rows; r++) {
        const lse = logSumExp(z, r * n, n);
        for (let j = 0; j < n; j++) total += targets[r * n + j] * (lse - z[r * n + j]);
      }
      return total / rows;
    }
    case 'binaryCrossEntropy': {
      if (outputActivation !== 'sigmoid')
        throw new Error('reference: binaryCrossEntropy is defined with a sigmoid output');
      for (let i = 0; i < rows * n; i++)
        total += Math.max(z[i], 0) - z[i] * targets[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
      return total / (rows * n);
    }
    default:
      throw new Error(missing('loss', loss));
  }
}

/** One-hot rows [labels.length, classes]. */
export function oneHot(labels: Values, classes: number): Float64Array {
  const t = new Float64Array(labels.length * classes);
  for (let r = 0; r < labels.length; r++) t[r * classes + labels[r]] = 1;
  return t;
}

// --- a dense network -----------------------------------------------------------

export interface ReferenceLayer {
  inSize: number;
  units: number;
  activation: Activation;
  /** [inSize, units] row-major. */
  weights: Float64Array;
  /** [units]. */
  bias: Float64Array;
  /** leakyRelu's and elu's α (default PyTorch's). */
  alpha?: number;
  /** Batch norm at inference (running statistics), or none. */
  batchNorm?: { gamma: Float64Array; beta: Float64Array; mean: Float64Array; variance: Float64Array; epsilon: number };
}

export interface ReferenceNetwork {
  inputSize: number;
  layers: ReferenceLayer[];
}

/** A float64 copy of a model's (f32) weights: every value converts exactly. */
export function referenceNetwork(description: ModelDescription): ReferenceNetwork {
  let inSize = description.inputSize;
  return {
    inputSize: description.inputSize,
    layers: description.layers.map((layer) => {
      const converted = {
        inSize,
        units: layer.units,
        activation: layer.activation,
        weights: Float64Array.from(layer.weights),
        bias: Float64Array.from(layer.bias),
        alpha: layer.alpha ?? defaultAlpha(layer.activation),
        ...(layer.batchNorm
          ? {
              batchNorm: {
                gamma: Float64Array.from(layer.batchNorm.gamma),
                beta: Float64Array.from(layer.batchNorm.beta),
                mean: Float64Array.from(layer.batchNorm.runningMean),
                variance: Float64Array.from(layer.batchNorm.runningVar),
                // The core adds ε in f32.
                epsilon: Math.fround(layer.batchNorm.epsilon),
              },
            }
          : {}),
      };
      inSize = layer.units;
      return converted;
    }),
  };
}

/** z[rows, units] = x[rows, in] · W[in, units] + b. */
export function dense(x: Values, rows: number, layer: ReferenceLayer): Float64Array {
  const { inSize, units, weights, bias } = layer;
  const z = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < units; o++) {
      let sum = bias[o];
      for (let i = 0; i < inSize; i++) sum += x[r * inSize + i] * weights[i * units + o];
      z[r * units + o] = sum;
    }
  }
  return z;
}

export interface ForwardPass {
  /** Each layer's pre-activations z_l [rows, units_l]. */
  preActivations: Float64Array[];
  /** Each layer's outputs a_l [rows, units_l]; the last is the network's output. */
  activations: Float64Array[];
}

export function forwardPass(network: ReferenceNetwork, inputs: Values, rows: number): ForwardPass {
  const preActivations: Float64Array[] = [];
  const activations: Float64Array[] = [];
  let x: Values = inputs;
  for (const layer of network.layers) {
    const z = dense(x, rows, layer);
    const bn = layer.batchNorm;
    if (bn) {
      // Inference: y = γ (z - μ̄)/√(σ̄² + ε) + β per unit.
      for (let i = 0; i < z.length; i++) {
        const j = i % layer.units;
        z[i] = (bn.gamma[j] * (z[i] - bn.mean[j])) / Math.sqrt(bn.variance[j] + bn.epsilon) + bn.beta[j];
      }
    }
    const a = activate(layer.activation, z, rows, layer.units, layer.alpha);
    preActivations.push(z);
    activations.push(a);
    x = a;
  }
  return { preActivations, activations };
}

/** The network's outputs [rows, outputSize]. */
export function predict(network: ReferenceNetwork, inputs: Values, rows: number): Float64Array {
  const { activations } = forwardPass(network, inputs, rows);
  return activations[activations.length - 1];
}

/** The batch's mean loss for `loss` with targets [rows, outputSize]. */
export function networkLoss(
  network: ReferenceNetwork,
  loss: Loss,
  inputs: Values,
  targets: Values,
  rows: number,
): number {
  const { preActivations } = forwardPass(network, inputs, rows);
  const output = network.layers[network.layers.length - 1];
  return lossOfLogits(loss, output.activation, preActivations[preActivations.length - 1], targets, rows, output.units, {
    alpha: output.alpha,
  });
}

// --- optimizers ------------------------------------------------------------------

export interface OptimizerState {
  params: Float64Array;
  /** SGD: the velocity v; Adam: the first moment m; RMSprop: the momentum buffer b. */
  moment1: Float64Array;
  /** Adam: the second moment v; RMSprop: the square average s; Adagrad: the sum of squares S. */
  moment2: Float64Array;
}

/**
 * The parameters after one step per gradient in `gradients`, from zero optimizer state,
 * steps t = 1, 2, ... (PyTorch's conventions; clipping is the caller's):
 *
 *   sgd    g ← g + λ·p;  v ← μ·v + g;  p ← p - lr·v   (Nesterov: p ← p - lr·(g + μ·v))
 *   adam   g ← g + λ·p;  m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²
 *          p ← p - lr·m̂ / (√v̂ + ε),  m̂ = m / (1-β1^t),  v̂ = v / (1-β2^t)
 *   adamw  p ← p·(1 - lr·λ) first, then the Adam step with λ = 0
 *   rmsprop  g ← g + λ·p;  s ← α·s + (1-α)·g²;  ḡ ← α·ḡ + (1-α)·g (centered; s̃ = s - ḡ², else s̃ = s)
 *            μ > 0: b ← μ·b + g/(√s̃ + ε), p ← p - lr·b;  else p ← p - lr·g/(√s̃ + ε)
 *   adagrad  g ← g + λ·p;  S ← S + g² (S₀ = initialAccumulatorValue);  p ← p - lr/(1 + (t-1)·lrDecay)·g/(√S + ε)
 */
export function optimizerSteps(rule: NormalizedOptimizer, initial: Values, gradients: Values[]): OptimizerState {
  const n = initial.length;
  const p = Float64Array.from(initial);
  const m = new Float64Array(n);
  const v = new Float64Array(n).fill(rule.type === 'adagrad' ? rule.initialAccumulatorValue : 0);
  const mean = new Float64Array(n);
  const { learningRate: lr, momentum: mu, beta1, beta2, epsilon, weightDecay: decay } = rule;
  gradients.forEach((grad, index) => {
    const t = index + 1;
    for (let i = 0; i < n; i++) {
      switch (rule.type) {
        case 'sgd': {
          const g = grad[i] + decay * p[i];
          m[i] = mu * m[i] + g;
          p[i] -= lr * (rule.nesterov ? g + mu * m[i] : m[i]);
          break;
        }
        case 'adam':
        case 'adamw': {
          if (rule.type === 'adamw') p[i] *= 1 - lr * decay;
          const g = grad[i] + (rule.type === 'adamw' ? 0 : decay * p[i]);
          m[i] = beta1 * m[i] + (1 - beta1) * g;
          v[i] = beta2 * v[i] + (1 - beta2) * g * g;
          const mHat = m[i] / (1 - beta1 ** t);
          const vHat = v[i] / (1 - beta2 ** t);
          p[i] -= (lr * mHat) / (Math.sqrt(vHat) + epsilon);
          break;
        }
        case 'rmsprop': {
          const g = grad[i] + decay * p[i];
          v[i] = rule.alpha * v[i] + (1 - rule.alpha) * g * g;
          let square = v[i];
          if (rule.centered) {
            mean[i] = rule.alpha * mean[i] + (1 - rule.alpha) * g;
            square -= mean[i] * mean[i];
          }
          const step = g / (Math.sqrt(square) + epsilon);
          if (mu > 0) {
            m[i] = mu * m[i] + step;
            p[i] -= lr * m[i];
          } else {
            p[i] -= lr * step;
          }
          break;
        }
        case 'adagrad': {
          const g = grad[i] + decay * p[i];
          v[i] += g * g;
          p[i] -= ((lr / (1 + (t - 1) * rule.lrDecay)) * g) / (Math.sqrt(v[i]) + epsilon);
          break;
        }
        default:
          throw new Error(missing('optimizer', rule.type));
      }
    }
  });
  return { params: p, moment1: m, moment2: v };
}

// --- numerical derivatives -------------------------------------------------------

/**
 * ∂f/∂x_i ≈ (f(x + h e_i) - f(x - h e_i)) / 2h for every i, in float64. `x` is
 * perturbed in place and restored. Truncation error is O(h²·f'''), rounding error
 * O(ε·|f|/h): with h = 1e-6 and |f| ~ 1 both are around 1e-10.
 */
export function centralDifferences(
  f: () => number,
  x: Float64Array,
  h = 1e-6,
  indices?: Iterable<number>,
): Float64Array {
  const gradient = new Float64Array(x.length);
  for (const i of indices ?? x.keys()) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = f();
    x[i] = saved - h;
    const minus = f();
    x[i] = saved;
    gradient[i] = (plus - minus) / (2 * h);
  }
  return gradient;
}
