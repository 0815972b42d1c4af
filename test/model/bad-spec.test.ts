/**
 * Bad model specs and training options: each is an Error whose message names the
 * setting and the value, thrown before any memory is touched or any step is taken.
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import type { ModelSpec } from '../../src/model/spec.js';
import type { FitOptions } from '../../src/train/fit.js';
import { blobs } from '../helpers/datasets.js';
import { expectModelUnchanged, modelState } from '../helpers/model-state.js';

const hidden = { units: 4, activation: 'tanh' as const };

describe('createModel rejects', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'an unknown activation',
      { inputSize: 2, layers: [{ units: 3, activation: 'swish' }] },
      /layer 0 has unknown activation 'swish'; expected one of linear, sigmoid, tanh, relu, softplus, softmax, leakyRelu, elu, selu, gelu, geluTanh, silu/,
    ],
    [
      'an unknown loss',
      { inputSize: 2, layers: [hidden], loss: 'hinge' },
      /unknown loss 'hinge'; expected one of mse, l2, crossEntropy, binaryCrossEntropy/,
    ],
    [
      'an unknown optimizer name',
      { inputSize: 2, layers: [hidden], optimizer: 'lion' },
      /unknown optimizer 'lion'; expected one of sgd, adam, adamw, rmsprop, adagrad/,
    ],
    [
      'an unknown optimizer type',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'lbfgs' } },
      /unknown optimizer 'lbfgs'/,
    ],
    [
      'crossEntropy without a softmax output',
      { inputSize: 2, layers: [hidden, { units: 3, activation: 'sigmoid' }], loss: 'crossEntropy' },
      /loss 'crossEntropy' needs a softmax output layer, but the output activation is 'sigmoid'/,
    ],
    [
      'binaryCrossEntropy without a sigmoid output',
      { inputSize: 2, layers: [{ units: 3, activation: 'softmax' }], loss: 'binaryCrossEntropy' },
      /loss 'binaryCrossEntropy' needs a sigmoid output layer, but the output activation is 'softmax'/,
    ],
    [
      'crossEntropy with one output unit',
      { inputSize: 2, layers: [{ units: 1, activation: 'softmax' }] },
      /crossEntropy needs at least 2 output units/,
    ],
    [
      'softmax on a hidden layer',
      { inputSize: 2, layers: [{ units: 3, activation: 'softmax' }, { units: 2 }] },
      /softmax is supported on the output layer only \(layer 0 is hidden\)/,
    ],
    ['inputSize 0', { inputSize: 0, layers: [hidden] }, /inputSize must be a positive integer, got 0/],
    ['a fractional inputSize', { inputSize: 2.5, layers: [hidden] }, /inputSize must be a positive integer, got 2.5/],
    ['no layers', { inputSize: 2, layers: [] }, /at least one layer/],
    [
      'a layer of 0 units',
      { inputSize: 2, layers: [hidden, { units: 0 }] },
      /layer 1 units must be a positive integer, got 0/,
    ],
    [
      'a negative seed',
      { inputSize: 2, layers: [hidden], seed: -1 },
      /seed must be an integer in \[0, 2\^32\), got -1/,
    ],
    ['a fractional seed', { inputSize: 2, layers: [hidden], seed: 1.5 }, /seed must be an integer/],
    [
      'learning rate 0',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'sgd', learningRate: 0 } },
      /optimizer.learningRate must be a positive number, got 0/,
    ],
    [
      'a NaN learning rate',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'adam', learningRate: NaN } },
      /optimizer.learningRate must be a positive number, got NaN/,
    ],
    [
      'momentum 1',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'sgd', momentum: 1 } },
      /optimizer.momentum must be in \[0, 1\), got 1/,
    ],
    [
      'beta2 of 1',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'adam', beta2: 1 } },
      /optimizer.beta2 must be in \[0, 1\), got 1/,
    ],
    [
      'epsilon 0',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'adam', epsilon: 0 } },
      /optimizer.epsilon must be a positive number, got 0/,
    ],
    [
      'a negative weight decay',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'adamw', weightDecay: -0.1 } },
      /optimizer.weightDecay must be a non-negative number/,
    ],
    [
      'a negative clipNorm',
      { inputSize: 2, layers: [hidden], optimizer: { type: 'sgd', clipNorm: -1 } },
      /optimizer.clipNorm must be a non-negative number/,
    ],
  ];
  it.each(cases)('%s', async (_, spec, message) => {
    await expect(createModel(spec as ModelSpec)).rejects.toThrow(message);
  });

  it('defaults: crossEntropy for softmax, binaryCrossEntropy for sigmoid, mse otherwise; Adam at 1e-3', async () => {
    expect((await createModel({ inputSize: 2, layers: [{ units: 3, activation: 'softmax' }] })).loss).toBe(
      'crossEntropy',
    );
    expect((await createModel({ inputSize: 2, layers: [{ units: 1, activation: 'sigmoid' }] })).loss).toBe(
      'binaryCrossEntropy',
    );
    const model = await createModel({ inputSize: 2, layers: [{ units: 1 }] });
    expect(model.loss).toBe('mse');
    expect(model.optimizer).toMatchObject({
      type: 'adam',
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      clipNorm: 0,
    });
    expect(
      (await createModel({ inputSize: 2, layers: [{ units: 1 }], optimizer: 'adamw' })).optimizer.weightDecay,
    ).toBe(0.01);
    expect((await createModel({ inputSize: 2, layers: [{ units: 1 }], optimizer: 'sgd' })).optimizer.learningRate).toBe(
      0.01,
    );
  });
});

describe('fit options are checked before training', () => {
  const data = blobs(12, 2, 3, 1);
  const newModel = () => createModel({ inputSize: 2, layers: [hidden, { units: 3, activation: 'softmax' }], seed: 1 });

  const cases: [string, FitOptions, RegExp][] = [
    ['batch size 0', { batchSize: 0 }, /batchSize must be a positive integer, got 0/],
    ['a fractional batch size', { batchSize: 1.5 }, /batchSize must be a positive integer, got 1.5/],
    ['a negative batch size', { batchSize: -4 }, /batchSize must be a positive integer, got -4/],
    ['a NaN batch size', { batchSize: NaN }, /batchSize must be a positive integer, got NaN/],
    ['fractional epochs', { epochs: 1.5 }, /epochs must be a positive integer, got 1.5/],
    ['negative epochs', { epochs: -1 }, /epochs must be a positive integer, got -1/],
    [
      'a negative patience',
      { earlyStopping: { patience: -1 } },
      /earlyStopping.patience must be a non-negative integer, got -1/,
    ],
    ['a negative minGradNorm', { minGradNorm: -1 }, /minGradNorm must be a non-negative number, got -1/],
  ];
  it.each(cases)('%s', async (_, options, message) => {
    const model = await newModel();
    const before = modelState(model);
    await expect(model.fit(data, { epochs: 2, ...options })).rejects.toThrow(message);
    expectModelUnchanged(model, before);
  });

  it.each([0, 2.5, -1])('predict and evaluate reject batchSize %s', async (batchSize) => {
    const model = await newModel();
    expect(() => model.predict(data.inputs, { batchSize })).toThrow(
      new RegExp(`batchSize must be a positive integer, got ${batchSize}`),
    );
    expect(() => model.evaluate(data, { batchSize })).toThrow(/batchSize must be a positive integer/);
  });
});

describe('model setters', () => {
  let model: Model;
  it('setLearningRate rejects 0, negatives and NaN and keeps the old rate', async () => {
    model = await createModel({ inputSize: 2, layers: [{ units: 2 }], optimizer: { type: 'sgd', learningRate: 0.5 } });
    for (const bad of [0, -1, NaN, Infinity])
      expect(() => model.setLearningRate(bad)).toThrow(/learning rate must be a positive number/);
    expect(model.training.learningRate).toBe(0.5);
  });

  it('setWeights rejects another architecture, a wrong shape, or NaN, leaving the weights as they were', async () => {
    model = await createModel({ inputSize: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 2 }] });
    const before = modelState(model);
    const description = model.describe();
    expect(() => model.setWeights({ ...description, inputSize: 3 })).toThrow(/do not fit this 2-3-2 model/);
    const wrongShape = model.describe();
    wrongShape.layers[1].weights = new Float32Array(5);
    expect(() => model.setWeights(wrongShape)).toThrow(/layer 1 weights have shape .* expected \[3, 2\]/);
    const withNaN = model.describe();
    withNaN.layers[1].bias[1] = NaN;
    expect(() => model.setWeights(withNaN)).toThrow(/layer 1 weights contain NaN/);
    expectModelUnchanged(model, before);
  });
});
