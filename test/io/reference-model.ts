/**
 * Test helpers for the interchange formats: seeded random ModelDescriptions and a plain
 * float64 forward pass that serves as the oracle every exported model is compared with.
 *
 * Shapes: inputs and outputs are row-major [batch, features] in flat arrays.
 */

import type { Activation, ModelDescription } from '../../src/model/description.js';
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
    layers: layers.map(({ units, activation }) => {
      const scale = Math.sqrt(6 / (inputs + units)) * weightScale;
      const layer = {
        units,
        activation,
        weights: randomFloats(random, inputs * units, scale),
        bias: randomFloats(random, units, 0.5),
      };
      inputs = units;
      return layer;
    }),
  };
}

/** act(a · W + b) for every layer, in float64, with a max-subtracted (stable) softmax. */
export function referenceForward(desc: ModelDescription, input: ArrayLike<number>, batch: number): Float64Array {
  let activations = Float64Array.from(input);
  let features = desc.inputSize;
  if (activations.length !== batch * features) throw new Error('referenceForward: input length != batch * inputSize');
  for (const layer of desc.layers) {
    const next = new Float64Array(batch * layer.units);
    for (let row = 0; row < batch; row++) {
      const out = next.subarray(row * layer.units, (row + 1) * layer.units);
      for (let o = 0; o < layer.units; o++) {
        let sum = layer.bias[o];
        for (let i = 0; i < features; i++) sum += activations[row * features + i] * layer.weights[i * layer.units + o];
        out[o] = sum;
      }
      applyActivation(layer.activation, out);
    }
    activations = next;
    features = layer.units;
  }
  return activations;
}

function applyActivation(activation: Activation, row: Float64Array): void {
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < row.length; i++) row[i] = Math.max(0, row[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < row.length; i++) row[i] = 1 / (1 + Math.exp(-row[i]));
      return;
    case 'tanh':
      for (let i = 0; i < row.length; i++) row[i] = Math.tanh(row[i]);
      return;
    case 'softplus':
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|.
      for (let i = 0; i < row.length; i++) row[i] = Math.max(row[i], 0) + Math.log1p(Math.exp(-Math.abs(row[i])));
      return;
    case 'softmax': {
      const max = Math.max(...row);
      let total = 0;
      for (let i = 0; i < row.length; i++) total += row[i] = Math.exp(row[i] - max);
      for (let i = 0; i < row.length; i++) row[i] /= total;
      return;
    }
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
    layers: desc.layers.map((layer) => ({ ...layer, weights: layer.weights.slice(), bias: layer.bias.slice() })),
  };
}

export const ALL_ACTIVATIONS: Activation[] = ['linear', 'sigmoid', 'tanh', 'relu', 'softplus', 'softmax'];
