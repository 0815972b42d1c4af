/**
 * ONNX export, checked by running the exported bytes in onnxruntime-web (its wasm backend,
 * loaded offline from node_modules/onnxruntime-web/dist) and comparing with the float64
 * reference forward pass at an absolute tolerance of 1e-5.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { toOnnx } from '../../src/io/onnx.js';
import type { ModelDescription } from '../../src/model/description.js';
import {
  ALL_ACTIVATIONS,
  cloneDescription,
  maxAbsDifference,
  randomDescription,
  randomFloats,
  referenceForward,
  seededRandom,
  type LayerSpec,
} from './reference-model.js';

const TOLERANCE = 1e-5;
const BATCH_SIZES = [1, 7];
let largestDifferenceSeen = 0;

beforeAll(() => {
  // One thread: no worker threads in the test process. The .wasm is found next to the
  // package's own module file, so nothing is fetched from the network.
  ort.env.wasm.numThreads = 1;
});

afterAll(() => {
  console.log(
    `onnx: largest |onnxruntime - reference| seen in passing checks: ${largestDifferenceSeen.toExponential(2)}`,
  );
});

async function runInOnnxRuntime(
  bytes: Uint8Array,
  input: Float32Array,
  batch: number,
  inputSize: number,
  names = { input: 'input', output: 'output' },
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [names.input]: new ort.Tensor('float32', input, [batch, inputSize]) };
    const results = await session.run(feeds);
    return results[names.output].data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Exports `desc`, runs a random batch through onnxruntime and the reference; returns both. */
async function compareWithReference(desc: ModelDescription, batch: number, seed: number, inputScale = 1) {
  const input = randomFloats(seededRandom(seed), batch * desc.inputSize, inputScale);
  const actual = await runInOnnxRuntime(toOnnx(desc), input, batch, desc.inputSize);
  const expected = referenceForward(desc, input, batch);
  return { actual, expected, input };
}

async function expectMatchesReference(desc: ModelDescription, batch: number, seed: number, inputScale = 1) {
  const { actual, expected } = await compareWithReference(desc, batch, seed, inputScale);
  const outputUnits = desc.layers[desc.layers.length - 1].units;
  expect(actual.length).toBe(batch * outputUnits);
  const difference = maxAbsDifference(actual, expected);
  expect(difference).toBeLessThan(TOLERANCE);
  largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
}

describe('toOnnx in onnxruntime-web', () => {
  describe.each(ALL_ACTIVATIONS)('one Dense layer with %s', (activation) => {
    it.each(BATCH_SIZES)('matches the reference at batch %i', async (batch) => {
      const desc = randomDescription(11, 5, [{ units: 4, activation }]);
      await expectMatchesReference(desc, batch, 100 + batch);
    });
  });

  const deepLayers: LayerSpec[] = [
    { units: 16, activation: 'relu' },
    { units: 12, activation: 'tanh' },
    { units: 10, activation: 'sigmoid' },
    { units: 9, activation: 'softplus' },
    { units: 8, activation: 'linear' },
    { units: 3, activation: 'softmax' },
  ];

  it.each(BATCH_SIZES)('a six-layer net with every activation matches at batch %i', async (batch) => {
    await expectMatchesReference(randomDescription(23, 6, deepLayers), batch, 200 + batch);
  });

  it('a wider 32-64-48-10 net matches at batch 7', async () => {
    const desc = randomDescription(29, 32, [
      { units: 64, activation: 'relu' },
      { units: 48, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ]);
    await expectMatchesReference(desc, 7, 300);
  });

  it('an MNIST-sized 784-300-100-10 net (about 1 MB of raw_data) matches at batch 7', async () => {
    const desc = randomDescription(33, 784, [
      { units: 300, activation: 'relu' },
      { units: 100, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ]);
    await expectMatchesReference(desc, 7, 350);
  });

  it('saturated sigmoid, tanh and softmax (logits in the hundreds) stay finite and match', async () => {
    for (const activation of ['sigmoid', 'tanh', 'softmax'] as const) {
      const desc = randomDescription(31, 4, [{ units: 6, activation }], 60);
      await expectMatchesReference(desc, 7, 400, 10);
    }
  });

  it('uses the dynamic batch dimension: one model runs batches of 1, 7 and 64', async () => {
    const desc = randomDescription(37, 3, [{ units: 2, activation: 'tanh' }]);
    const bytes = toOnnx(desc);
    for (const batch of [1, 7, 64]) {
      const input = randomFloats(seededRandom(batch), batch * 3);
      const actual = await runInOnnxRuntime(bytes, input, batch, 3);
      expect(maxAbsDifference(actual, referenceForward(desc, input, batch))).toBeLessThan(TOLERANCE);
    }
  });

  it('honours custom input and output names', async () => {
    const desc = randomDescription(41, 3, [
      { units: 4, activation: 'relu' },
      { units: 2, activation: 'linear' },
    ]);
    const bytes = toOnnx(desc, { inputName: 'features', outputName: 'scores', producerName: 'test', graphName: 'g' });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['scores']);
    expect(session.inputMetadata[0]).toMatchObject({
      name: 'features',
      isTensor: true,
      type: 'float32',
      shape: ['batch', 3],
    });
    expect(session.outputMetadata[0]).toMatchObject({
      name: 'scores',
      isTensor: true,
      type: 'float32',
      shape: ['batch', 2],
    });
    await session.release();
    const input = randomFloats(seededRandom(5), 2 * 3);
    const actual = await runInOnnxRuntime(bytes, input, 2, 3, { input: 'features', output: 'scores' });
    expect(maxAbsDifference(actual, referenceForward(desc, input, 2))).toBeLessThan(TOLERANCE);
  });
});

describe('the comparison would catch a wrong export', () => {
  const desc = randomDescription(43, 5, [
    { units: 8, activation: 'tanh' },
    { units: 4, activation: 'sigmoid' },
  ]);

  it('a weight perturbed by 1e-3 breaks equality', async () => {
    const { actual, input } = await compareWithReference(desc, 7, 500);
    const perturbed = cloneDescription(desc);
    perturbed.layers[1].weights[3] += 1e-3;
    expect(maxAbsDifference(actual, referenceForward(perturbed, input, 7))).toBeGreaterThan(TOLERANCE);
  });

  it('a swapped activation breaks equality', async () => {
    const { actual, input } = await compareWithReference(desc, 7, 501);
    const swapped = cloneDescription(desc);
    swapped.layers[0].activation = 'relu';
    expect(maxAbsDifference(actual, referenceForward(swapped, input, 7))).toBeGreaterThan(TOLERANCE);
  });

  it('a transposed weight matrix breaks equality', async () => {
    const square = randomDescription(47, 4, [{ units: 4, activation: 'linear' }]);
    const { actual, input } = await compareWithReference(square, 7, 502);
    const transposed = cloneDescription(square);
    for (let i = 0; i < 4; i++)
      for (let o = 0; o < 4; o++) transposed.layers[0].weights[o * 4 + i] = square.layers[0].weights[i * 4 + o];
    expect(maxAbsDifference(actual, referenceForward(transposed, input, 7))).toBeGreaterThan(TOLERANCE);
  });
});

describe('toOnnx rejects what it cannot encode', () => {
  const good = randomDescription(53, 3, [{ units: 2, activation: 'relu' }]);

  it('weights of the wrong length, naming the layer', () => {
    const bad = cloneDescription(good);
    bad.layers[0].weights = new Float32Array(5);
    expect(() => toOnnx(bad)).toThrow(/layer 0: weights must be a Float32Array of 3 x 2 = 6 values, got 5 values/);
  });

  it('an unknown activation', () => {
    const bad = cloneDescription(good);
    (bad.layers[0] as { activation: string }).activation = 'gelu';
    expect(() => toOnnx(bad)).toThrow(/unknown activation 'gelu'/);
  });

  it('a model with no layers', () => {
    expect(() => toOnnx({ inputSize: 3, layers: [] })).toThrow(/no layers/);
  });

  it('clashing tensor names', () => {
    expect(() => toOnnx(good, { inputName: 'x', outputName: 'x' })).toThrow(/both 'x'/);
    expect(() => toOnnx(good, { inputName: 'dense_1/weights' })).toThrow(/reserved/);
  });
});
