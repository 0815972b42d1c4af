/**
 * Float64 oracles for the issue-12 kernels, written from the definitions (PyTorch's and
 * Keras' documentation), never from the core's code:
 *
 *   leakyRelu(α)  z > 0 ? z : αz              elu(α)  z > 0 ? z : α(e^z - 1)
 *   selu          λ·elu_α(z), α = 1.6732632423543772, λ = 1.0507009873554805
 *   gelu          z·Φ(z), Φ(z) = ½ erfc(-z/√2)  (erfc below, good to ~1e-15)
 *   geluTanh      ½z(1 + tanh(√(2/π)(z + 0.044715 z³)))      silu  z / (1 + e^-z)
 *   huber(β)      mean of |d| < β ? ½d² : β(|d| - ½β)        mae   mean of |d|
 *   batch norm    per column: x̂ = (x - μ)/√(σ² + ε) (σ² biased), y = γx̂ + β
 *   penalty       l1·Σ|w| + l2·Σw²
 *
 * Derivatives come from centralDifferences (test/helpers/reference.ts) of these.
 */
import type { Values } from '../helpers/reference.js';

export type NewActivation = 'leakyRelu' | 'elu' | 'selu' | 'gelu' | 'geluTanh' | 'silu';

export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/**
 * erfc(x) in float64: for |x| < 2 from erf's series e^(-x²)·2x/√π·Σ (2x²)ⁿ/(1·3···(2n+1))
 * (positive terms, no cancellation); for x ≥ 2 from the continued fraction
 * erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    let term = (2 * x) / Math.sqrt(Math.PI);
    let sum = term;
    for (let n = 1; n < 200 && term > 1e-18 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - Math.exp(-x * x) * sum;
  }
  let fraction = x;
  for (let k = 200; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The new activations, element-wise. */
export function activation64(name: NewActivation, alpha: number): (z: number) => number {
  switch (name) {
    case 'leakyRelu':
      return (z) => (z > 0 ? z : alpha * z);
    case 'elu':
      return (z) => (z > 0 ? z : alpha * Math.expm1(z));
    case 'selu':
      return (z) => SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
    case 'gelu':
      return (z) => z * normalCdf(z);
    case 'geluTanh':
      return (z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    case 'silu':
      return (z) => z / (1 + Math.exp(-z));
  }
}

/** Mean Huber (β) or MAE loss of a against t over `batchCount` elements. */
export function regressionLoss64(loss: 'huber' | 'mae', a: Values, t: Values, batchCount: number, beta = 1): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - t[i]);
    total += loss === 'mae' ? d : d < beta ? 0.5 * d * d : beta * (d - 0.5 * beta);
  }
  return total / batchCount;
}

/** Batch norm's training forward in float64 over x[rows, n]: y, and the batch mean and biased variance. */
export function batchNorm64(
  x: Values,
  rows: number,
  n: number,
  gamma: Values,
  beta: Values,
  epsilon: number,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const y = new Float64Array(rows * n);
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += x[r * n + j];
    mean[j] = sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (x[r * n + j] - mean[j]) ** 2;
    variance[j] = squares / rows;
    const s = 1 / Math.sqrt(variance[j] + epsilon);
    for (let r = 0; r < rows; r++) y[r * n + j] = gamma[j] * (x[r * n + j] - mean[j]) * s + beta[j];
  }
  return { y, mean, variance };
}

/** l1·Σ|w| + l2·Σw². */
export function penalty64(w: Values, l1: number, l2: number): number {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += l1 * Math.abs(w[i]) + l2 * w[i] * w[i];
  return total;
}

/** Σ_i a_i·b_i in float64. */
export function dot(a: Values, b: Values): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * b[i];
  return total;
}
