/**
 * Test helpers for the interchange formats: seeded random ModelDescriptions and a plain
 * float64 forward pass that serves as the oracle every exported model is compared with.
 *
 * Shapes: inputs and outputs are row-major [batch, features] in flat arrays.
 */

import type { Activation, DenseLayerDescription, ModelDescription } from '../../src/model/description.js';
import { seededRandom } from '../helpers/random.js';

export { seededRandom };

/** Uniform floats in [-scale, scale). */
export function randomFloats(random: () => number, count: number, scale = 1): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}

export interface LayerSpec {
  units: number;
  activation: Activation;
  /** α of leakyRelu / elu. */
  alpha?: number;
  /** A dropout rate (inference: no effect; exporters must write it as nothing or identity). */
  dropout?: number;
  /**
   * Batch norm with random γ in [0.5, 1.5), β in [-0.5, 0.5), running mean in [-0.5, 0.5),
   * running variance in [0.2, 2.2), and this epsilon (default 1e-5), momentum 0.1.
   */
  batchNorm?: boolean | { epsilon?: number; momentum?: number };
}

/**
 * A network with Glorot-like random weights (uniform, scale sqrt(6 / (in + units)) times
 * `weightScale`) and random biases in [-0.5, 0.5).
 */
export function randomDescription(
  seed: number,
  inputSize: number,
  layers: LayerSpec[],
  weightScale = 1,
): ModelDescription {
  const random = seededRandom(seed);
  let inputs = inputSize;
  return {
    inputSize,
    layers: layers.map(({ units, activation, alpha, dropout, batchNorm }) => {
      const scale = Math.sqrt(6 / (inputs + units)) * weightScale;
      const layer: DenseLayerDescription = {
        units,
        activation,
        weights: randomFloats(random, inputs * units, scale),
        bias: randomFloats(random, units, 0.5),
        ...(alpha === undefined ? {} : { alpha }),
        ...(dropout === undefined ? {} : { dropout }),
      };
      if (batchNorm) {
        const options = batchNorm === true ? {} : batchNorm;
        layer.batchNorm = {
          gamma: randomFloats(random, units, 0.5).map((v) => v + 1),
          beta: randomFloats(random, units, 0.5),
          runningMean: randomFloats(random, units, 0.5),
          runningVar: randomFloats(random, units, 1).map((v) => v + 1.2),
          epsilon: options.epsilon ?? 1e-5,
          momentum: options.momentum ?? 0.1,
        };
      }
      inputs = units;
      return layer;
    }),
  };
}

/**
 * The layers' inference maths in float64, written from the definitions in
 * src/model/description.ts: z = a·W + b; with batch norm z ← γ(z - mean)/√(var + ε) + β;
 * a = act(z). Dropout is the identity at inference. Inputs and outputs [batch, features].
 */
export function referenceForward(desc: ModelDescription, input: ArrayLike<number>, batch: number): Float64Array {
  if (input.length !== batch * desc.inputSize) throw new Error('referenceForward: input length != batch * inputSize');
  let a: Float64Array = Float64Array.from(input);
  let inputs = desc.inputSize;
  for (const layer of desc.layers) {
    const n = layer.units;
    const z = new Float64Array(batch * n);
    for (let r = 0; r < batch; r++) {
      for (let o = 0; o < n; o++) {
        let sum = layer.bias[o];
        for (let i = 0; i < inputs; i++) sum += a[r * inputs + i] * layer.weights[i * n + o];
        const bn = layer.batchNorm;
        if (bn) sum = (bn.gamma[o] * (sum - bn.runningMean[o])) / Math.sqrt(bn.runningVar[o] + bn.epsilon) + bn.beta[o];
        z[r * n + o] = sum;
      }
    }
    a = activateRows(layer, z, batch, n);
    inputs = n;
  }
  return a;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * erf in float64: the Maclaurin series for |x| < 3 (terms below 1e3, so about 1e-13
 * absolute), the continued fraction of erfc beyond.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
  let fraction = ax;
  for (let k = 60; k >= 1; k--) fraction = ax + k / 2 / fraction;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

function activateRows(layer: DenseLayerDescription, z: Float64Array, rows: number, n: number): Float64Array {
  const a = new Float64Array(z.length);
  if (layer.activation === 'softmax') {
    for (let r = 0; r < rows; r++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, z[r * n + j]);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(z[r * n + j] - max);
      for (let j = 0; j < n; j++) a[r * n + j] = Math.exp(z[r * n + j] - max) / sum;
    }
    return a;
  }
  const f = elementwise(layer.activation, layer.alpha);
  for (let i = 0; i < z.length; i++) a[i] = f(z[i]);
  return a;
}

function elementwise(activation: Activation, alpha: number | undefined): (z: number) => number {
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
      return (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    case 'leakyRelu': {
      const k = alpha ?? 0.01;
      return (z) => (z > 0 ? z : k * z);
    }
    case 'elu': {
      const k = alpha ?? 1;
      return (z) => (z > 0 ? z : k * Math.expm1(z));
    }
    case 'selu':
      return (z) => SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
    case 'gelu':
      return (z) => 0.5 * z * (1 + erf(z / Math.SQRT2));
    case 'geluTanh':
      return (z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    case 'silu':
      return (z) => z * sigmoid(z);
    default:
      throw new Error(`referenceForward: no activation '${activation}'`);
  }
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDifference: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** A copy of `desc` with fresh weight and bias arrays, so a test can change one safely. */
export function cloneDescription(desc: ModelDescription): ModelDescription {
  return {
    inputSize: desc.inputSize,
    layers: desc.layers.map((layer) => ({
      ...layer,
      weights: layer.weights.slice(),
      bias: layer.bias.slice(),
      ...(layer.batchNorm
        ? {
            batchNorm: {
              ...layer.batchNorm,
              gamma: layer.batchNorm.gamma.slice(),
              beta: layer.batchNorm.beta.slice(),
              runningMean: layer.batchNorm.runningMean.slice(),
              runningVar: layer.batchNorm.runningVar.slice(),
            },
          }
        : {}),
    })),
  };
}
