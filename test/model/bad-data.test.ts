/**
 * Bad data: each problem is an Error whose message names it (which array, which sample,
 * which value), thrown before anything changes — the model's weights, optimizer state
 * and counters are bit-identical afterwards, the caller's arrays are untouched, and the
 * model still trains on good data.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { DatasetLike } from '../../src/model/dataset-check.js';
import { createModel, type Model } from '../../src/index.js';
import { blobs } from '../helpers/datasets.js';
import { expectModelUnchanged, modelState } from '../helpers/model-state.js';

/** 3 inputs, 4 classes; trained for one epoch so the optimizer state is not all zeros. */
let classifier: Model;
/** 3 inputs, 2 regression outputs. */
let regressor: Model;
const good = blobs(20, 3, 4, 1);

beforeAll(async () => {
  classifier = await createModel({
    inputSize: 3,
    layers: [
      { units: 5, activation: 'tanh' },
      { units: 4, activation: 'softmax' },
    ],
    seed: 1,
  });
  await classifier.fit(good, { epochs: 1, batchSize: 8 });
  regressor = await createModel({ inputSize: 3, layers: [{ units: 2 }], seed: 1 });
  await regressor.fit({ inputs: good.inputs, targets: new Float32Array(40) }, { epochs: 1, batchSize: 8 });
});

/** A deep copy of a data literal (typed arrays and rows), to compare the caller's data after the call. */
function copy<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return (value as unknown as Float32Array).slice() as T;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  return value;
}

type Call = 'fit' | 'evaluate' | 'predict';

async function expectRejected(
  model: Model,
  call: Call,
  data: DatasetLike,
  message: RegExp,
  validation?: DatasetLike,
): Promise<void> {
  const before = modelState(model);
  const dataBefore = copy(data);
  const validationBefore = copy(validation);
  const run = async () => {
    if (call === 'fit') return model.fit(data, { epochs: 1, batchSize: 4, validationData: validation });
    if (call === 'evaluate') return model.evaluate(data);
    return model.predict(data.inputs);
  };
  await expect(run()).rejects.toThrow(message);
  expectModelUnchanged(model, before);
  expect(data).toEqual(dataBefore);
  expect(validation).toEqual(validationBefore);
  // Nothing is left half-done: the model trains and predicts normally afterwards.
  const history = await model.fit(
    model === classifier ? good : { inputs: good.inputs, targets: new Float32Array(20 * model.outputSize) },
    { epochs: 1, batchSize: 8 },
  );
  expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
}

const rows = (...values: number[][]) => values;

describe('wrong shapes', () => {
  it.each(['fit', 'evaluate', 'predict'] as const)('%s: rows of the wrong width', async (call) => {
    await expectRejected(
      classifier,
      call,
      { inputs: rows([1, 2], [3, 4]), labels: [0, 1] },
      /inputs have 2 features per sample but the model expects 3/,
    );
  });

  it('ragged rows name the row', async () => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: rows([1, 2, 3], [4, 5]), labels: [0, 1] },
      /inputs row 1 has 2 values, but row 0 has 3/,
    );
  });

  it.each(['fit', 'predict'] as const)(
    '%s: a flat Float32Array whose length is not a multiple of the input size',
    async (call) => {
      await expectRejected(
        classifier,
        call,
        { inputs: new Float32Array(10), labels: [0, 1, 2] },
        /10 values, not a multiple of the model's 3 inputs/,
      );
    },
  );

  it('a Dataset declaring another input size', async () => {
    await expectRejected(
      classifier,
      'fit',
      { count: 2, inputSize: 4, inputs: new Float32Array(8), labels: Int32Array.of(0, 1) },
      /4 features per sample but the model expects 3/,
    );
  });

  it('labels of another length than the inputs', async () => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: new Float32Array(9), labels: [0, 1] },
      /labels has 2 entries for 3 samples/,
    );
  });

  it('targets of the wrong width', async () => {
    await expectRejected(
      regressor,
      'fit',
      { inputs: new Float32Array(9), targets: new Float32Array(9) },
      /targets has 9 values, expected count × outputs = 3 × 2 = 6/,
    );
  });

  it('an empty dataset', async () => {
    await expectRejected(classifier, 'fit', { inputs: [], labels: [] }, /empty \(0 samples\)/);
    await expectRejected(classifier, 'predict', { inputs: new Float32Array(0) }, /empty \(0 samples\)/);
  });
});

describe('non-finite values', () => {
  it.each(['fit', 'evaluate', 'predict'] as const)(
    '%s: NaN in the inputs names the sample and feature',
    async (call) => {
      const inputs = good.inputs.slice(0, 9);
      inputs[5] = NaN;
      await expectRejected(
        classifier,
        call,
        { inputs, labels: [0, 1, 2] },
        /inputs contains NaN at sample 1, feature 2/,
      );
    },
  );

  it('Infinity in rows of inputs', async () => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: rows([1, 2, 3], [-Infinity, 0, 0]), labels: [0, 1] },
      /inputs contains -Infinity at sample 1, feature 0/,
    );
  });

  it('NaN in the targets names the sample and output', async () => {
    const targets = new Float32Array(6);
    targets[3] = NaN;
    await expectRejected(
      regressor,
      'fit',
      { inputs: good.inputs.slice(0, 9), targets },
      /targets contains NaN at sample 1, output 1/,
    );
  });

  it('a non-finite inputScale', async () => {
    await expectRejected(
      classifier,
      'fit',
      { count: 1, inputSize: 3, inputs: Uint8Array.of(1, 2, 3), inputScale: Infinity, labels: Int32Array.of(0) },
      /inputScale must be a finite number/,
    );
  });
});

describe('labels', () => {
  it.each([
    // Labels are values (model/classes.ts); this model's first fit fixed its classes 0..3.
    ['one past the last class', [0, 4, 1], /labels\[1\] = 4 is not one of the model's classes \(0, 1, 2, 3\)/],
    ['negative', [0, 1, -1], /labels\[2\] = -1 is not one of the model's classes \(0, 1, 2, 3\)/],
  ])('%s', async (_, labels, message) => {
    await expectRejected(classifier, 'fit', { inputs: good.inputs.slice(0, 9), labels }, message);
  });

  it('a Dataset with a Uint8Array label out of range', async () => {
    await expectRejected(
      classifier,
      'evaluate',
      { count: 2, inputSize: 3, inputs: new Float32Array(6), labels: Uint8Array.of(3, 200) },
      /labels\[1\] = 200 is not one of the model's classes/,
    );
  });

  // Plain-array labels are converted to an Int32Array before they are checked; the
  // conversion must not turn a bad label into a valid one (NaN and 2^32 both become 0).
  it.each([
    ['non-integer', [0, 1.5, 1]],
    ['NaN', [0, NaN, 1]],
    ['2^32', [0, 2 ** 32, 1]],
  ])('a %s label given as a plain array is rejected, not read as class 0', async (_, labels) => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: good.inputs.slice(0, 9), labels },
      /labels\[1\] = .* is not one of the model's classes/,
    );
  });

  it('labels for a single sigmoid output must have two values', async () => {
    const binary = await createModel({ inputSize: 3, layers: [{ units: 1, activation: 'sigmoid' }] });
    const before = modelState(binary);
    await expect(binary.fit({ inputs: good.inputs.slice(0, 6), labels: [0, 1, 2] })).rejects.toThrow(
      /labels have 3 distinct values \(0, 1, 2\) but the model has 2 classes \(1 output unit\)/,
    );
    expectModelUnchanged(binary, before);
  });
});

describe('labels and targets', () => {
  it('both at once', async () => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: good.inputs.slice(0, 3), labels: [0], targets: new Float32Array(4) },
      /both labels and targets/,
    );
  });

  it('neither, for fit and evaluate', async () => {
    await expectRejected(
      classifier,
      'fit',
      { inputs: good.inputs.slice(0, 3) },
      /needs labels \(class indices\) or targets/,
    );
    await expectRejected(
      classifier,
      'evaluate',
      { inputs: good.inputs.slice(0, 3) },
      /needs labels \(class indices\) or targets/,
    );
  });
});

describe('validation data is checked as carefully, before training starts', () => {
  it('a non-integer label in validationData names validationData', async () => {
    await expectRejected(
      classifier,
      'fit',
      good,
      /validationData\.labels\[1\] = 1\.5 is not one of the model's classes/,
      {
        inputs: good.inputs.slice(0, 6),
        labels: [0, 1.5],
      },
    );
  });

  it('an out-of-range label in validationData names validationData', async () => {
    await expectRejected(classifier, 'fit', good, /validationData\.labels\[1\] = 7 is not one of the model's classes/, {
      inputs: good.inputs.slice(0, 6),
      labels: [0, 7],
    });
  });

  it('NaN in validationData names validationData', async () => {
    const inputs = good.inputs.slice(0, 6);
    inputs[0] = NaN;
    await expectRejected(classifier, 'fit', good, /validationData\.inputs contains NaN at sample 0, feature 0/, {
      inputs,
      labels: [0, 1],
    });
  });
});
