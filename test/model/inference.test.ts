/**
 * predict / predictClasses / evaluate: agree with the float64 reference network, with
 * each other, and across batch sizes and input forms. None of them changes the model.
 *
 * Tolerance for outputs vs float64: atol 1e-6, rtol 1e-5 (a 3-layer f32 forward pass with
 * inputs and weights of order 1). Loss vs float64: rtol 1e-5.
 */
import { describe, expect, it } from 'vitest';

import type { Activation } from '../../src/model/description.js';
import { createModel, type Model } from '../../src/index.js';
import type { Loss } from '../../src/model/spec.js';
import { expectBitEqual, expectClose } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { expectModelUnchanged, modelState } from '../helpers/model-state.js';
import { networkLoss, oneHot, predict as referencePredict, referenceNetwork } from '../helpers/reference.js';
import { seededRandom, uniform } from '../helpers/random.js';

async function trainedClassifier(): Promise<{ model: Model; data: ReturnType<typeof blobs> }> {
  const data = blobs(300, 7, 5, 12);
  const model = await createModel({
    inputSize: 7,
    layers: [
      { units: 13, activation: 'relu' },
      { units: 9, activation: 'tanh' },
      { units: 5, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 6,
  });
  await model.fit(data, { epochs: 3, batchSize: 32 });
  return { model, data };
}

describe('predict', () => {
  it('matches the float64 reference network', async () => {
    const { model, data } = await trainedClassifier();
    const expected = referencePredict(referenceNetwork(model.describe()), data.inputs, 300);
    expectClose(model.predict(data.inputs), expected, { atol: 1e-6, rtol: 1e-5 }, 'predictions');
  });

  it("is bit-identical whatever the batch size (each row's sums are added in the same order)", async () => {
    const { model, data } = await trainedClassifier();
    const reference = model.predict(data.inputs);
    for (const batchSize of [1, 5, 6, 7, 64, 299, 300, 1000])
      expectBitEqual(model.predict(data.inputs, { batchSize }), reference, `batchSize ${batchSize}`);
  });

  it('accepts a Float32Array, an array of rows, or a Dataset, with the same results', async () => {
    const { model, data } = await trainedClassifier();
    const reference = model.predict(data.inputs);
    const rows = Array.from({ length: 300 }, (_, r) => Array.from(data.inputs.subarray(r * 7, (r + 1) * 7)));
    expectBitEqual(model.predict(rows), reference, 'rows');
    expectBitEqual(model.predict({ count: 300, inputSize: 7, inputs: data.inputs }), reference, 'Dataset');
  });

  it('reads Uint8Array inputs scaled by inputScale exactly as the equivalent floats', async () => {
    const model = await createModel({
      inputSize: 20,
      layers: [{ units: 6, activation: 'sigmoid' }, { units: 2 }],
      seed: 2,
    });
    const bytes = Uint8Array.from(uniform(seededRandom(1), 3 * 20, 0, 256), Math.floor);
    const scale = 1 / 255;
    const floats = Float32Array.from(bytes, (b) => Math.fround(b * Math.fround(scale)));
    expectBitEqual(
      model.predict({ count: 3, inputSize: 20, inputs: bytes, inputScale: scale }),
      model.predict(floats),
      'bytes vs floats',
    );
  });

  it('reads typed-array views at any byte offset (a subarray of a larger buffer)', async () => {
    const { model, data } = await trainedClassifier();
    const all = model.predict(data.inputs);
    expectBitEqual(
      model.predict(data.inputs.subarray(10 * 7, 50 * 7)),
      all.subarray(10 * 5, 50 * 5),
      'Float32Array view',
    );
    const bytes = Uint8Array.from({ length: 9 * 7 }, (_, i) => (i * 37) % 256);
    const scaled = { inputSize: 7, inputScale: 1 / 255 };
    const whole = model.predict({ count: 9, inputs: bytes, ...scaled });
    expectBitEqual(
      model.predict({ count: 6, inputs: bytes.subarray(3 * 7), ...scaled }),
      whole.subarray(3 * 5),
      'Uint8Array view',
    );
  });

  it('does not change the model', async () => {
    const { model, data } = await trainedClassifier();
    const before = modelState(model);
    model.predict(data.inputs);
    model.predictClasses(data.inputs);
    model.evaluate(data);
    expectModelUnchanged(model, before);
  });
});

describe('predictClasses', () => {
  it('is the argmax of predict for several outputs', async () => {
    const { model, data } = await trainedClassifier();
    const outputs = model.predict(data.inputs);
    const expected = Array.from({ length: 300 }, (_, r) => {
      const row = Array.from(outputs.subarray(r * 5, (r + 1) * 5));
      return row.indexOf(Math.max(...row));
    });
    expect(Array.from(model.predictClasses(data.inputs))).toEqual(expected);
  });

  it('thresholds a single sigmoid output at 0.5', async () => {
    const model = await createModel({ inputSize: 1, layers: [{ units: 1, activation: 'sigmoid' }] });
    model.setWeights({
      inputSize: 1,
      layers: [{ units: 1, activation: 'sigmoid', weights: Float32Array.of(1), bias: Float32Array.of(0) }],
    });
    // sigmoid(z) >= 0.5 exactly when z >= 0.
    expect(Array.from(model.predictClasses([[-2], [-1e-3], [0], [1e-3], [3]]))).toEqual([0, 0, 1, 1, 1]);
  });
});

describe('evaluate', () => {
  it('loss equals the float64 reference loss, accuracy equals predictClasses against the labels', async () => {
    const { model, data } = await trainedClassifier();
    const network = referenceNetwork(model.describe());
    const { loss, accuracy } = model.evaluate(data);
    expectClose(
      [loss],
      [networkLoss(network, 'crossEntropy', data.inputs, oneHot(data.labels, 5), 300)],
      { atol: 0, rtol: 1e-5 },
      'loss',
    );
    const classes = model.predictClassIndices(data.inputs);
    expect(accuracy).toBe(classes.filter((c, i) => c === data.labels[i]).length / 300);
    expect(accuracy).toBeGreaterThan(0.5);
  });

  it('the batch size only changes the order of summation', async () => {
    const { model, data } = await trainedClassifier();
    const whole = model.evaluate(data);
    for (const batchSize of [1, 7, 64]) {
      const parts = model.evaluate(data, { batchSize });
      expect(parts.loss).toBeCloseTo(whole.loss, 10);
      expect(parts.accuracy).toBe(whole.accuracy);
    }
  });

  const regressionCases: [Loss, Activation][] = [
    ['mse', 'linear'],
    ['l2', 'tanh'],
    ['binaryCrossEntropy', 'sigmoid'],
  ];
  it.each(regressionCases)(
    '%s with %s outputs and float targets: the reference loss; accuracy only for BCE (per element, threshold 0.5)',
    async (loss, activation) => {
      const random = seededRandom(3);
      const inputs = uniform(random, 40 * 4);
      const targets =
        loss === 'binaryCrossEntropy'
          ? Float32Array.from(uniform(random, 40 * 3, 0, 1), Math.round)
          : uniform(random, 40 * 3);
      const model = await createModel({
        inputSize: 4,
        layers: [
          { units: 6, activation: 'softplus' },
          { units: 3, activation },
        ],
        loss,
        seed: 8,
      });
      const result = model.evaluate({ inputs, targets });
      expectClose(
        [result.loss],
        [networkLoss(referenceNetwork(model.describe()), loss, inputs, targets, 40)],
        { atol: 0, rtol: 1e-5 },
        'loss',
      );
      if (loss === 'binaryCrossEntropy') {
        const outputs = model.predict(inputs);
        const agree = outputs.filter((a, i) => a >= 0.5 === targets[i] >= 0.5).length;
        expect(result.accuracy).toBe(agree / (40 * 3));
      } else {
        expect(result.accuracy).toBeUndefined();
      }
    },
  );

  it('binary labels with a single sigmoid output: the label is the target value', async () => {
    const model = await createModel({ inputSize: 2, layers: [{ units: 1, activation: 'sigmoid' }], seed: 4 });
    const inputs = uniform(seededRandom(2), 50 * 2);
    const labels = Int32Array.from({ length: 50 }, (_, i) => i % 2);
    const result = model.evaluate({ inputs, labels });
    const network = referenceNetwork(model.describe());
    expectClose(
      [result.loss],
      [networkLoss(network, 'binaryCrossEntropy', inputs, Float64Array.from(labels), 50)],
      { atol: 0, rtol: 1e-5 },
      'loss',
    );
    const classes = model.predictClassIndices(inputs);
    expect(result.accuracy).toBe(classes.filter((c, i) => c === labels[i]).length / 50);
  });
});
