/**
 * ONNX export details: custom tensor names, seen by onnxruntime-web (its wasm backend,
 * loaded offline from node_modules/onnxruntime-web/dist) and checked against the float64
 * reference at an absolute tolerance of 1e-5, and the descriptions toOnnx refuses.
 * The model cases every exporter runs in its runtime are in export-conformance.test.ts.
 */

import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { toOnnx } from '../../src/io/onnx.js';
import {
  cloneDescription,
  maxAbsDifference,
  randomDescription,
  randomFloats,
  referenceForward,
  seededRandom,
} from './reference-model.js';

const TOLERANCE = 1e-5;

beforeAll(() => {
  // One thread: no worker threads in the test process. The .wasm is found next to the
  // package's own module file, so nothing is fetched from the network.
  ort.env.wasm.numThreads = 1;
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

describe('toOnnx in onnxruntime-web', () => {
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

describe('toOnnx rejects what it cannot encode', () => {
  const good = randomDescription(53, 3, [{ units: 2, activation: 'relu' }]);

  it('weights of the wrong length, naming the layer', () => {
    const bad = cloneDescription(good);
    bad.layers[0].weights = new Float32Array(5);
    expect(() => toOnnx(bad)).toThrow(/layer 0: weights must be a Float32Array of 3 x 2 = 6 values, got 5 values/);
  });

  it('an unknown activation', () => {
    const bad = cloneDescription(good);
    (bad.layers[0] as { activation: string }).activation = 'mish';
    expect(() => toOnnx(bad)).toThrow(/unknown activation 'mish'/);
  });

  it('a model with no layers', () => {
    expect(() => toOnnx({ inputSize: 3, layers: [] })).toThrow(/no layers/);
  });

  it('clashing tensor names', () => {
    expect(() => toOnnx(good, { inputName: 'x', outputName: 'x' })).toThrow(/both 'x'/);
    expect(() => toOnnx(good, { inputName: 'dense_1/weights' })).toThrow(/reserved/);
  });
});
