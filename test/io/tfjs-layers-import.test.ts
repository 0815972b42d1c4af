/**
 * fromTfjsLayers on what @tensorflow/tfjs itself writes: models built with tf.sequential /
 * tf.model, saved with model.save(withSaveHandler), turned into model.json + weights.bin,
 * imported, and compared with tfjs's own predictions (float64 reference, tolerance 1e-5);
 * and a tfjs model loaded into a simdnet Model predicts what tfjs predicts.
 */

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromTfjsLayers } from '../../src/io/tfjs-layers.js';
import { modelFromDescription } from '../../src/index.js';
import type { Activation } from '../../src/model/description.js';
import { artifactsToFiles, predict, saveArtifacts, useCpuBackend } from './tfjs-helpers.js';
import { maxAbsDifference, randomFloats, referenceForward, seededRandom } from './reference-model.js';

const TOLERANCE = 1e-5;
let largestDifferenceSeen = 0;

beforeAll(useCpuBackend);
afterAll(() => {
  console.log(
    `tfjs import: largest |tfjs - reference| seen in passing checks: ${largestDifferenceSeen.toExponential(2)}`,
  );
});

/** A seeded Dense layer with random (non-zero) biases, so bias handling is exercised. */
function dense(
  units: number,
  activation: Extract<Activation, 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softplus' | 'softmax'>,
  seed: number,
  extra: Omit<Parameters<typeof tf.layers.dense>[0], 'units'> = {},
) {
  return tf.layers.dense({
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 1 }),
    ...extra,
  });
}

/** Saves `model`, imports the files, and checks predictions on a batch of `inputShape` rows. */
async function expectImportMatchesTfjs(model: tf.LayersModel, inputShape: number[], batch: number, seed: number) {
  const { modelJson, weightsBin } = artifactsToFiles(await saveArtifacts(model));
  const desc = fromTfjsLayers(modelJson, weightsBin);
  const features = inputShape.reduce((a, b) => a * b, 1);
  expect(desc.inputSize).toBe(features);
  const input = randomFloats(seededRandom(seed), batch * features);
  const expected = predict(model, input, [batch, ...inputShape]);
  const difference = maxAbsDifference(expected, referenceForward(desc, input, batch));
  expect(difference).toBeLessThan(TOLERANCE);
  largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
  return desc;
}

describe('fromTfjsLayers on tf.sequential models', () => {
  it.each([1, 7])('every activation, with and without bias, at batch %i', async (batch) => {
    const model = tf.sequential({
      layers: [
        dense(16, 'relu', 1, { inputShape: [6] }),
        dense(12, 'tanh', 3, { useBias: false }),
        dense(10, 'sigmoid', 5),
        dense(9, 'softplus', 7),
        dense(8, 'linear', 9, { useBias: false }),
        dense(3, 'softmax', 11),
      ],
    });
    const desc = await expectImportMatchesTfjs(model, [6], batch, 900 + batch);
    expect(desc.layers.map((l) => l.activation)).toEqual(['relu', 'tanh', 'sigmoid', 'softplus', 'linear', 'softmax']);
    expect(desc.layers[1].bias).toEqual(new Float32Array(12)); // use_bias false -> zeros
    // The weights are tfjs's own values, bit for bit.
    const tfjsWeights = model.getWeights().map((w) => w.dataSync());
    expect(desc.layers[0].weights).toEqual(tfjsWeights[0]);
    expect(desc.layers[0].bias).toEqual(tfjsWeights[1]);
    expect(desc.layers[1].weights).toEqual(tfjsWeights[2]);
    model.dispose();
  });

  it('accepts Dropout, Activation (folded into a linear Dense) and a Flatten of a 2-D input', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [2, 3] }),
        dense(5, 'linear', 13),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.dropout({ rate: 0.5 }),
        dense(4, 'linear', 15),
        tf.layers.activation({ activation: 'softmax' }),
      ],
    });
    const desc = await expectImportMatchesTfjs(model, [2, 3], 7, 950);
    expect(desc.inputSize).toBe(6);
    expect(desc.layers.map((l) => l.activation)).toEqual(['relu', 'softmax']);
    model.dispose();
  });

  it('reads model.save() artifacts directly (weightSpecs + weightData)', async () => {
    const model = tf.sequential({ layers: [dense(4, 'tanh', 17, { inputShape: [3] }), dense(2, 'sigmoid', 19)] });
    const artifacts = await saveArtifacts(model);
    const desc = fromTfjsLayers(artifacts as Parameters<typeof fromTfjsLayers>[0], artifacts.weightData as ArrayBuffer);
    const input = randomFloats(seededRandom(1), 7 * 3);
    expect(maxAbsDifference(predict(model, input, [7, 3]), referenceForward(desc, input, 7))).toBeLessThan(TOLERANCE);
    model.dispose();
  });
});

describe('fromTfjsLayers: BatchNormalization, LeakyReLU, ELU, Dropout and the new activations', () => {
  /** Gives every BatchNormalization layer random gamma, beta, moving mean and variance (variance in [0.2, 2.2)). */
  function randomizeBatchNorms(model: tf.LayersModel, seed: number) {
    const random = seededRandom(seed);
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'BatchNormalization') continue;
      const units = layer.getWeights()[0].shape[0];
      const values = [
        randomFloats(random, units, 0.5).map((v) => v + 1),
        randomFloats(random, units, 0.5),
        randomFloats(random, units, 0.5),
        randomFloats(random, units, 1).map((v) => v + 1.2),
      ];
      layer.setWeights(values.map((v) => tf.tensor1d(v)));
    }
  }

  it.each([1, 7])('tfjs predictions equal the imported model at batch %i; settings carried over', async (batch) => {
    const model = tf.sequential({
      layers: [
        dense(9, 'linear', 31, { inputShape: [5] }),
        tf.layers.batchNormalization({ epsilon: 0.05, momentum: 0.9 }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 8, activation: 'selu' }),
        tf.layers.dense({ units: 8, activation: 'gelu' }),
        tf.layers.dense({ units: 7 }),
        tf.layers.batchNormalization({}),
        tf.layers.activation({ activation: 'swish' }),
        tf.layers.dense({ units: 6 }),
        tf.layers.elu({}),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeBatchNorms(model, 5);
    const desc = await expectImportMatchesTfjs(model, [5], batch, 970 + batch);
    expect(desc.layers.map((l) => l.activation)).toEqual(['leakyRelu', 'selu', 'gelu', 'silu', 'elu', 'softmax']);
    expect(desc.layers[0].alpha).toBeCloseTo(0.2, 7);
    expect(desc.layers[0].dropout).toBe(0.3);
    expect(desc.layers[0].batchNorm?.epsilon).toBe(0.05);
    expect(desc.layers[0].batchNorm?.momentum).toBeCloseTo(0.1, 12); // 1 - Keras' 0.9
    expect([desc.layers[3].batchNorm?.epsilon, desc.layers[3].batchNorm?.momentum]).toEqual([1e-3, 0.01]); // Keras defaults
    const weights = model.layers[1].getWeights().map((w) => w.dataSync());
    expect(desc.layers[0].batchNorm?.gamma).toEqual(weights[0]);
    expect(desc.layers[0].batchNorm?.runningMean).toEqual(weights[2]);
    expect(desc.layers[0].batchNorm?.runningVar).toEqual(weights[3]);
    // The imported model predicts what tfjs predicts.
    const simdnet = await modelFromDescription(desc);
    const input = randomFloats(seededRandom(3), 7 * 5);
    expect(maxAbsDifference(simdnet.predict(input), predict(model, input, [7, 5]))).toBeLessThan(TOLERANCE);
    simdnet.dispose();
    model.dispose();
  });

  it('a BatchNormalization after an activation is an error naming the layer', async () => {
    const late = tf.sequential({
      layers: [dense(4, 'relu', 41, { inputShape: [3] }), tf.layers.batchNormalization({ name: 'late_bn' })],
    });
    const { modelJson, weightsBin } = artifactsToFiles(await saveArtifacts(late));
    expect(() => fromTfjsLayers(modelJson, weightsBin)).toThrow(
      /BatchNormalization layer 'late_bn' must directly follow a Dense layer/,
    );
    late.dispose();
  });
});

describe('fromTfjsLayers on tf.model (functional) chains', () => {
  it('a single chain of Dense layers', async () => {
    const input = tf.input({ shape: [5] });
    const hidden = dense(8, 'relu', 21).apply(input) as tf.SymbolicTensor;
    const output = dense(3, 'softmax', 23).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const { modelJson } = artifactsToFiles(await saveArtifacts(model));
    expect((modelJson.modelTopology as { class_name: string }).class_name).toBe('Model');
    await expectImportMatchesTfjs(model, [5], 7, 960);
    model.dispose();
  });

  it('rejects a branching graph, naming the merging layer', async () => {
    const input = tf.input({ shape: [4] });
    const left = dense(3, 'relu', 25).apply(input) as tf.SymbolicTensor;
    const right = dense(3, 'tanh', 27).apply(input) as tf.SymbolicTensor;
    const merged = tf.layers.concatenate({ name: 'merge' }).apply([left, right]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: merged });
    const { modelJson, weightsBin } = artifactsToFiles(await saveArtifacts(model));
    expect(() => fromTfjsLayers(modelJson, weightsBin)).toThrow(
      /Concatenate layer 'merge' is not a single call on one tensor/,
    );
    model.dispose();
  });
});

describe('fromTfjsLayers rejects what a dense network cannot represent', () => {
  async function importError(model: tf.LayersModel): Promise<string> {
    const { modelJson, weightsBin } = artifactsToFiles(await saveArtifacts(model));
    model.dispose();
    try {
      fromTfjsLayers(modelJson, weightsBin);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected fromTfjsLayers to throw');
  }

  it('a Conv2D model, naming the layer class and name', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: 'my_conv' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(await importError(model)).toMatch(/unsupported layer Conv2D 'my_conv'/);
  });

  it('an LSTM model, naming the layer class and name', async () => {
    const model = tf.sequential({
      layers: [tf.layers.lstm({ inputShape: [5, 3], units: 4, name: 'my_lstm' }), tf.layers.dense({ units: 1 })],
    });
    expect(await importError(model)).toMatch(/unsupported layer LSTM 'my_lstm'/);
  });

  it('an unsupported activation, naming the layer', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'mish', name: 'mish_dense' })],
    });
    expect(await importError(model)).toMatch(/Dense layer 'mish_dense' has unsupported activation "mish"/);
  });

  it('a Dense on a multi-dimensional input without a Flatten', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4, 3], units: 2, name: 'rank3' })] });
    expect(await importError(model)).toMatch(/Dense layer 'rank3' receives per-example shape \[4, 3\]/);
  });

  it('an Activation after a non-linear Dense (two activations in a row)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 2, activation: 'relu' }),
        tf.layers.activation({ activation: 'tanh', name: 'act' }),
      ],
    });
    expect(await importError(model)).toMatch(
      /Activation layer 'act' \(tanh\) must directly follow a Dense layer with a linear activation/,
    );
  });
});

describe('fromTfjsLayers into a simdnet model', () => {
  it('a Dense model built and saved by tfjs loads in simdnet and predicts the same', async () => {
    const keras = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 8, activation: 'relu' }),
        tf.layers.dense({ units: 6, activation: 'tanh' }),
        tf.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    const { modelJson, weightsBin } = artifactsToFiles(await saveArtifacts(keras));
    const model = await modelFromDescription(fromTfjsLayers(modelJson, weightsBin));
    const inputs = randomFloats(seededRandom(3), 9 * 5, 2);
    const difference = maxAbsDifference(model.predict(inputs), predict(keras, inputs, [9, 5]));
    expect(difference).toBeLessThan(TOLERANCE);
    largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
    model.dispose();
    keras.dispose();
  });
});
