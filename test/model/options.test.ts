/**
 * Strict options: an unknown key in any options object is an Error naming the key
 * and, when one is close, the key meant; the failed call leaves the model as it was.
 */
import { describe, expect, it } from 'vitest';
import { createModel, init, type Model, modelFromDescription, saveModel } from '../../src/index.js';
import { closestKey, editDistance } from '../../src/options.js';

const XOR = {
  inputs: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1]),
  labels: new Int32Array([0, 1, 1, 0, 0, 1, 1, 0]),
};

const small = (extra: object = {}): Promise<Model> =>
  createModel({
    inputSize: 2,
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 2, activation: 'softmax' },
    ],
    ...extra,
  });

/** Weights, optimizer and training state: what a failed call must leave alone. */
function stateOf(model: Model): string {
  const d = model.describe();
  return JSON.stringify({
    w: d.layers.map((l) => [...l.weights, ...l.bias]),
    optimizer: model.optimizer,
    training: model.training,
    training_: model.isTraining,
  });
}

/** Runs a call that must throw `pattern` and checks the model did not change. */
async function rejectsUntouched(model: Model, call: () => unknown, pattern: RegExp): Promise<void> {
  const before = stateOf(model);
  await expect(async () => await call()).rejects.toThrow(pattern);
  expect(stateOf(model)).toBe(before);
}

describe('closest keys', () => {
  it('edit distance counts insertions, deletions, substitutions and transpositions once each', () => {
    expect(editDistance('shuffle', 'shuffle')).toBe(0);
    expect(editDistance('shufle', 'shuffle')).toBe(1);
    expect(editDistance('bacth', 'batch')).toBe(1);
    expect(editDistance('epochz', 'epochs')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('finds aliases, snake_case, other cases and typos; nothing for a far key', () => {
    const fit = ['epochs', 'batchSize', 'shuffle', 'validationData', 'validationSplit'];
    expect(closestKey('lr', ['type', 'learningRate'])).toBe('learningRate');
    expect(closestKey('batch_size', fit)).toBe('batchSize');
    expect(closestKey('batchsize', fit)).toBe('batchSize');
    expect(closestKey('epoch', fit)).toBe('epochs');
    expect(closestKey('shufle', fit)).toBe('shuffle');
    expect(closestKey('validation_split', fit)).toBe('validationSplit');
    expect(closestKey('colour', fit)).toBeUndefined();
    // An alias applies only where its target is known.
    expect(closestKey('lr', ['loss', 'seed'])).toBeUndefined();
  });
});

describe('unknown option keys', () => {
  it('model spec', async () => {
    await expect(small({ optimiser: 'sgd' })).rejects.toThrow(
      /^simdnet: unknown model spec option "optimiser"; did you mean "optimizer"\?$/,
    );
    await expect(small({ colour: 'red' })).rejects.toThrow(
      /unknown model spec option "colour"; expected one of inputSize/,
    );
  });

  it('layer', async () => {
    await expect(createModel({ inputSize: 2, layers: [{ units: 2, activaton: 'relu' } as never] })).rejects.toThrow(
      /unknown layers\[0\] option "activaton"; did you mean "activation"\?/,
    );
  });

  it('optimizer, in the spec and in setOptimizer (the model untouched)', async () => {
    await expect(small({ optimizer: { type: 'adam', lr: 0.1 } })).rejects.toThrow(
      /^simdnet: unknown optimizer option "lr"; did you mean "learningRate"\?$/,
    );
    const model = await small({ optimizer: { type: 'sgd', learningRate: 0.05 } });
    await rejectsUntouched(
      model,
      () => model.setOptimizer({ type: 'adam', beta_1: 0.8 } as never),
      /unknown optimizer option "beta_1"; did you mean "beta1"\?/,
    );
    expect(model.optimizer.type).toBe('sgd');
  });

  it('fit, early stopping, schedules and callbacks: rejected before training starts', async () => {
    const model = await small();
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { epochs: 1, batch_size: 4 } as never),
      /^simdnet: unknown fit option "batch_size"; did you mean "batchSize"\?$/,
    );
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { earlyStopping: { patiance: 2 } as never }),
      /unknown earlyStopping option "patiance"; did you mean "patience"\?/,
    );
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { schedule: { type: 'step', stepSize: 1, gama: 0.5 } as never }),
      /unknown step schedule option "gama"; did you mean "gamma"\?/,
    );
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { schedule: { type: 'plateau', min_lr: 1e-5 } as never }),
      /unknown plateau schedule option "min_lr"; did you mean "minLearningRate"\?/,
    );
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { schedule: { type: 'exponential', gamma: 0.9, stepSize: 2 } as never }),
      /unknown exponential schedule option "stepSize"; expected one of type, gamma/,
    );
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { callbacks: { onEpochStart: () => {} } as never }),
      /unknown callbacks option "onEpochStart"/,
    );
    // The same model still trains with the keys spelt right.
    const history = await model.fit(XOR, { epochs: 1, batchSize: 4, earlyStopping: { patience: 2 } });
    expect(history.epochs).toHaveLength(1);
  });

  it('predict, predictClasses and evaluate', async () => {
    const model = await small();
    await rejectsUntouched(
      model,
      () => model.predict(XOR.inputs, { batch: 2 } as never),
      /unknown predict option "batch"; did you mean "batchSize"\?/,
    );
    await rejectsUntouched(
      model,
      () => model.predictClasses(XOR.inputs, { batch_size: 2 } as never),
      /unknown predict option "batch_size"; did you mean "batchSize"\?/,
    );
    await rejectsUntouched(
      model,
      () => model.evaluate(XOR, { batchsize: 2 } as never),
      /unknown evaluate option "batchsize"; did you mean "batchSize"\?/,
    );
  });

  it('save and saveModel', async () => {
    const model = await small();
    expect(() => model.save({ includeOptimizer: false } as never)).toThrow(
      /unknown save option "includeOptimizer"; did you mean "optimizerState"\?/,
    );
    expect(() => saveModel(model, { optimizerstate: false } as never)).toThrow(/did you mean "optimizerState"\?/);
  });

  it('init', async () => {
    await expect(init({ relaxd: 'auto' } as never)).rejects.toThrow(
      /unknown init option "relaxd"; did you mean "relaxed"\?/,
    );
  });

  it('modelFromDescription', async () => {
    const description = (await small()).describe();
    await expect(modelFromDescription(description, { sed: 3 } as never)).rejects.toThrow(
      /unknown modelFromDescription option "sed"; did you mean "seed"\?/,
    );
  });
});

describe('validationSplit', () => {
  it('holds out the last rows, unshuffled, as validation data', async () => {
    const inputs = new Float32Array(20 * 2).map((_, i) => Math.sin(i * 1.7));
    const labels = new Int32Array(20).map((_, i) => (i * 7) % 2);
    const model = await small();
    const batches: number[] = [];
    const history = await model.fit(
      { inputs, labels },
      {
        epochs: 2,
        batchSize: 5,
        validationSplit: 0.25,
        callbacks: { onBatchEnd: (log) => void batches.push(log.size) },
      },
    );
    // 15 training rows (3 batches of 5 per epoch); the last 5 rows are the validation data.
    expect(batches).toEqual([5, 5, 5, 5, 5, 5]);
    const last = model.evaluate({ inputs: inputs.subarray(15 * 2), labels: labels.subarray(15) });
    expect(history.epochs[1].valLoss).toBeCloseTo(last.loss, 6);
    expect(history.epochs[1].valAccuracy).toBe(last.accuracy);
  });

  it('is a fraction in (0, 1), leaves rows on both sides, and is not given with validationData', async () => {
    const model = await small();
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { validationSplit: 1.5 }),
      /validationSplit must be a number in \(0, 1\)/,
    );
    await rejectsUntouched(model, () => model.fit(XOR, { validationSplit: 0.9 }), /leaves no training rows/);
    await rejectsUntouched(
      model,
      () => model.fit(XOR, { validationSplit: 0.5, validationData: XOR }),
      /validationData or validationSplit, not both/,
    );
  });
});
