/**
 * Test helpers for the interchange formats: seeded random ModelDescriptions and a plain
 * float64 forward pass that serves as the oracle every exported model is compared with.
 *
 * Shapes: inputs and outputs are row-major [batch, features] in flat arrays.
 */

import type { Activation, ModelDescription } from '../../src/model/description.js';
import { seededRandom } from '../helpers/random.js';
import { predict, referenceNetwork } from '../helpers/reference.js';

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

/**
 * act(a · W + b) for every layer, in float64: the oracle of test/helpers/reference.ts
 * (stable softmax and softplus), over `batch` rows of `input` [batch, inputSize].
 */
export function referenceForward(desc: ModelDescription, input: ArrayLike<number>, batch: number): Float64Array {
  if (input.length !== batch * desc.inputSize) throw new Error('referenceForward: input length != batch * inputSize');
  return predict(referenceNetwork(desc), input, batch);
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
