/**
 * Interop through real simdnet models: a trained model exported to ONNX runs in
 * onnxruntime-web, and a model built in TensorFlow.js loads into simdnet, with
 * outputs equal to simdnet's own within 1e-5.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { createModel, modelFromDescription, toOnnx, fromTfjsLayers, toTfjsLayers } from '../../src/index.js';
import type { Activation } from '../../src/index.js';

const TOLERANCE = 1e-5;

function randomInputs(count: number, width: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count * width }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 4 - 2;
  });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function trainedModel(hidden: Activation, output: Activation) {
  const model = await createModel({
    inputSize: 6,
    layers: [
      { units: 9, activation: hidden },
      { units: 7, activation: 'tanh' },
      { units: 3, activation: output },
    ],
    loss: output === 'softmax' ? 'crossEntropy' : 'mse',
    seed: 4,
  });
  const inputs = randomInputs(64, 6, 1);
  const labels = Int32Array.from(
    { length: 64 },
    (_, i) => (inputs[i * 6] > 0 ? 1 : 0) + (inputs[i * 6 + 1] > 0 ? 1 : 0),
  );
  const data =
    output === 'softmax'
      ? { count: 64, inputSize: 6, inputs, labels }
      : { count: 64, inputSize: 6, inputs, targets: randomInputs(64, 3, 9), targetSize: 3 };
  await model.fit(data, { epochs: 3, batchSize: 16 });
  return model;
}

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  await tf.setBackend('cpu');
});

describe('simdnet -> ONNX Runtime', () => {
  for (const [hidden, output] of [
    ['relu', 'softmax'],
    ['sigmoid', 'linear'],
    ['softplus', 'sigmoid'],
  ] as [Activation, Activation][]) {
    it(`${hidden} hidden, ${output} output: ORT outputs equal simdnet's`, async () => {
      const model = await trainedModel(hidden, output);
      const inputs = randomInputs(11, 6, 7);
      const session = await ort.InferenceSession.create(toOnnx(model.describe()));
      const result = await session.run({ input: new ort.Tensor('float32', inputs, [11, 6]) });
      await session.release();
      expect(maxAbsDifference(result.output.data as Float32Array, model.predict(inputs))).toBeLessThan(TOLERANCE);
    });
  }

  it('a mismatch is detected: ORT on a perturbed export differs from simdnet', async () => {
    const model = await trainedModel('relu', 'softmax');
    const description = model.describe();
    description.layers[0].bias[0] += 0.5;
    const inputs = randomInputs(11, 6, 7);
    const session = await ort.InferenceSession.create(toOnnx(description));
    const result = await session.run({ input: new ort.Tensor('float32', inputs, [11, 6]) });
    await session.release();
    expect(maxAbsDifference(result.output.data as Float32Array, model.predict(inputs))).toBeGreaterThan(TOLERANCE);
  });
});

describe('TensorFlow.js <-> simdnet', () => {
  it('a Dense model built and saved by tfjs loads in simdnet and predicts the same', async () => {
    const keras = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 8, activation: 'relu' }),
        tf.layers.dense({ units: 6, activation: 'tanh' }),
        tf.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await keras.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const json = {
      modelTopology: saved!.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs! }],
    };
    const model = await modelFromDescription(fromTfjsLayers(json, saved!.weightData as ArrayBuffer));
    const inputs = randomInputs(9, 5, 3);
    const expected = (keras.predict(tf.tensor2d(inputs, [9, 5])) as tf.Tensor).dataSync() as Float32Array;
    expect(maxAbsDifference(model.predict(inputs), expected)).toBeLessThan(TOLERANCE);
  });

  it('a trained simdnet model exported to the TF.js layers format predicts the same in tfjs', async () => {
    const model = await trainedModel('relu', 'softmax');
    const { modelJson, weightsBin } = toTfjsLayers(model.describe());
    const artifacts = {
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: (modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[])[0].weights,
      weightData: weightsBin.slice().buffer,
    };
    const keras = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const inputs = randomInputs(9, 6, 3);
    const actual = (keras.predict(tf.tensor2d(inputs, [9, 6])) as tf.Tensor).dataSync() as Float32Array;
    expect(maxAbsDifference(actual, model.predict(inputs))).toBeLessThan(TOLERANCE);
  });
});
