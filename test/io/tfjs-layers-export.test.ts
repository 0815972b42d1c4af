/**
 * toTfjsLayers, checked by loading the export in @tensorflow/tfjs (cpu backend) and
 * comparing its predictions with the float64 reference at an absolute tolerance of 1e-5.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromTfjsLayers, toTfjsLayers } from '../../src/io/tfjs-layers.js';
import type { ModelDescription } from '../../src/model/description.js';
import { loadExportInTfjs, predict, useCpuBackend } from './tfjs-helpers.js';
import {
  ALL_ACTIVATIONS,
  cloneDescription,
  maxAbsDifference,
  randomDescription,
  randomFloats,
  referenceForward,
  seededRandom,
} from './reference-model.js';

const TOLERANCE = 1e-5;
const BATCH_SIZES = [1, 7];
let largestDifferenceSeen = 0;

beforeAll(useCpuBackend);
afterAll(() => {
  console.log(
    `tfjs export: largest |tfjs - reference| seen in passing checks: ${largestDifferenceSeen.toExponential(2)}`,
  );
});

async function tfjsPredictions(desc: ModelDescription, batch: number, seed: number) {
  const model = await loadExportInTfjs(toTfjsLayers(desc));
  const input = randomFloats(seededRandom(seed), batch * desc.inputSize);
  const actual = predict(model, input, [batch, desc.inputSize]);
  model.dispose();
  return { actual, input };
}

async function expectMatchesReference(desc: ModelDescription, batch: number, seed: number) {
  const { actual, input } = await tfjsPredictions(desc, batch, seed);
  const difference = maxAbsDifference(actual, referenceForward(desc, input, batch));
  expect(difference).toBeLessThan(TOLERANCE);
  largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
}

describe('toTfjsLayers in @tensorflow/tfjs', () => {
  describe.each(ALL_ACTIVATIONS)('one Dense layer with %s', (activation) => {
    it.each(BATCH_SIZES)('matches the reference at batch %i', async (batch) => {
      await expectMatchesReference(randomDescription(61, 5, [{ units: 4, activation }]), batch, 600 + batch);
    });
  });

  it.each(BATCH_SIZES)('a six-layer net with every activation matches at batch %i', async (batch) => {
    const desc = randomDescription(67, 6, [
      { units: 16, activation: 'relu' },
      { units: 12, activation: 'tanh' },
      { units: 10, activation: 'sigmoid' },
      { units: 9, activation: 'softplus' },
      { units: 8, activation: 'linear' },
      { units: 3, activation: 'softmax' },
    ]);
    await expectMatchesReference(desc, batch, 700 + batch);
  });

  it('an MNIST-sized 784-300-100-10 net matches at batch 7', async () => {
    const desc = randomDescription(69, 784, [
      { units: 300, activation: 'relu' },
      { units: 100, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ]);
    await expectMatchesReference(desc, 7, 750);
  });

  it('writes the model.json layout tfjs writes', () => {
    const desc = randomDescription(71, 3, [
      { units: 4, activation: 'relu' },
      { units: 2, activation: 'softmax' },
    ]);
    const { modelJson, weightsBin } = toTfjsLayers(desc);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.generatedBy).toBe('simdnet');
    expect(modelJson.weightsManifest).toEqual([
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'dense_1/kernel', shape: [3, 4], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [4], dtype: 'float32' },
          { name: 'dense_2/kernel', shape: [4, 2], dtype: 'float32' },
          { name: 'dense_2/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ]);
    const topology = modelJson.modelTopology as {
      class_name: string;
      config: { layers: { config: Record<string, unknown> }[] };
    };
    expect(topology.class_name).toBe('Sequential');
    expect(topology.config.layers[0].config).toMatchObject({
      units: 4,
      activation: 'relu',
      use_bias: true,
      batch_input_shape: [null, 3],
    });
    expect(topology.config.layers[1].config).toMatchObject({ units: 2, activation: 'softmax', name: 'dense_2' });
    expect(weightsBin.byteLength).toBe((3 * 4 + 4 + 4 * 2 + 2) * 4);
    // Little-endian float32, kernel first: the first four bytes are W[0][0].
    expect(new DataView(weightsBin.buffer).getFloat32(0, true)).toBe(desc.layers[0].weights[0]);
  });

  it('round-trips through fromTfjsLayers bit for bit', () => {
    const desc = randomDescription(73, 7, [
      { units: 5, activation: 'softplus' },
      { units: 3, activation: 'sigmoid' },
    ]);
    const { modelJson, weightsBin } = toTfjsLayers(desc);
    expect(fromTfjsLayers(JSON.stringify(modelJson), weightsBin)).toEqual(desc);
  });

  it('honours the options', () => {
    const desc = randomDescription(79, 2, [{ units: 1, activation: 'linear' }]);
    const { modelJson } = toTfjsLayers(desc, { modelName: 'm', weightsPath: 'm.weights.bin', generatedBy: 'me' });
    expect(modelJson.weightsManifest[0].paths).toEqual(['m.weights.bin']);
    expect(modelJson.generatedBy).toBe('me');
    expect((modelJson.modelTopology as { config: { name: string } }).config.name).toBe('m');
  });

  it('rejects an invalid description, naming the layer', () => {
    const bad = randomDescription(83, 3, [{ units: 2, activation: 'relu' }]);
    bad.layers[0].bias = new Float32Array(3);
    expect(() => toTfjsLayers(bad)).toThrow(
      /toTfjsLayers: layer 0: bias must be a Float32Array of 2 values, got 3 values/,
    );
  });
});

describe('the tfjs comparison would catch a wrong export', () => {
  const desc = randomDescription(89, 5, [
    { units: 8, activation: 'relu' },
    { units: 4, activation: 'softmax' },
  ]);

  it('a weight perturbed by 1e-3 breaks equality', async () => {
    const { actual, input } = await tfjsPredictions(desc, 7, 800);
    const perturbed = cloneDescription(desc);
    perturbed.layers[1].weights[0] += 1e-3;
    expect(maxAbsDifference(actual, referenceForward(perturbed, input, 7))).toBeGreaterThan(TOLERANCE);
  });

  it('a swapped activation breaks equality', async () => {
    const { actual, input } = await tfjsPredictions(desc, 7, 801);
    const swapped = cloneDescription(desc);
    swapped.layers[0].activation = 'softplus';
    expect(maxAbsDifference(actual, referenceForward(swapped, input, 7))).toBeGreaterThan(TOLERANCE);
  });
});
