/**
 * Learning-rate schedules (src/train/schedules.ts), checked through the learningRate each
 * epoch's log records and through their effect on training:
 *
 *   step         lr = lr0 · γ^floor(epoch / stepSize)
 *   exponential  lr = lr0 · γ^epoch
 *   plateau      lr ← max(lr · factor, minLearningRate) after `patience` epochs without
 *                an improvement > minDelta; then wait `cooldown` epochs
 *   function     lr = f(epoch, current lr)
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import type { ScheduleConfig } from '../../src/train/schedules.js';
import { expectBitEqual } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights } from '../helpers/model-state.js';

const data = blobs(64, 4, 3, 5);
const newModel = (learningRate: number, type: 'sgd' | 'adam' = 'sgd'): Promise<Model> =>
  createModel({
    inputSize: 4,
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type, learningRate },
    seed: 2,
  });

async function rates(schedule: ScheduleConfig, epochs: number, learningRate = 0.1): Promise<number[]> {
  const history = await (await newModel(learningRate)).fit(data, { epochs, batchSize: 16, schedule });
  return history.epochs.map((e) => e.learningRate);
}

describe('step and exponential schedules', () => {
  it('step: lr0·γ^floor(epoch/stepSize), epochs counted from 0', async () => {
    const expected = Array.from({ length: 7 }, (_, e) => 0.1 * 0.5 ** Math.floor(e / 2));
    expect(await rates({ type: 'step', stepSize: 2, gamma: 0.5 }, 7)).toEqual(expected);
  });

  it('step defaults to γ = 0.1', async () => {
    expect(await rates({ type: 'step', stepSize: 3 }, 4)).toEqual([0.1, 0.1, 0.1, 0.1 * 0.1]);
  });

  it('exponential: lr0·γ^epoch', async () => {
    expect(await rates({ type: 'exponential', gamma: 0.9 }, 5)).toEqual([0, 1, 2, 3, 4].map((e) => 0.1 * 0.9 ** e));
  });

  it('a function gets (epoch, current rate) and its result is used', async () => {
    const calls: [number, number][] = [];
    const result = await rates((epoch, lr) => {
      calls.push([epoch, lr]);
      return 0.2 / (epoch + 1);
    }, 3);
    expect(result).toEqual([0.2, 0.1, 0.2 / 3]);
    expect(calls).toEqual([
      [0, 0.1],
      [1, 0.2],
      [2, 0.1],
    ]);
  });

  it("the scheduled rate is the one the core uses: same weights as setting each epoch's rate by hand", async () => {
    const scheduled = await newModel(0.1);
    await scheduled.fit(data, { epochs: 4, batchSize: 16, schedule: { type: 'step', stepSize: 1, gamma: 0.5 } });
    const manual = await newModel(0.1);
    for (let e = 0; e < 4; e++) {
      manual.setLearningRate(0.1 * 0.5 ** e);
      await manual.fit(data, { epochs: 1, batchSize: 16 });
    }
    expectBitEqual(flatWeights(scheduled), flatWeights(manual), 'weights');
    const constant = await newModel(0.1);
    await constant.fit(data, { epochs: 4, batchSize: 16 });
    expect(Array.from(flatWeights(constant))).not.toEqual(Array.from(flatWeights(scheduled)));
  });
});

describe('plateau', () => {
  // With SGD at lr 1e-7 the loss changes by far less than minDelta (1e-4) per epoch: a stall.
  const stalled = { learningRate: 1e-7 };

  it('halves the rate after `patience` epochs without improvement, again after each further `patience` epochs', async () => {
    const history = await (await newModel(stalled.learningRate)).fit(data, {
      epochs: 8,
      batchSize: 16,
      schedule: { type: 'plateau', patience: 2, factor: 0.5 },
    });
    const losses = history.epochs.map((e) => e.loss);
    for (let i = 1; i < losses.length; i++) expect(Math.abs(losses[i] - losses[i - 1])).toBeLessThan(1e-4);
    // Epoch 1 sets the best; epochs 2 and 3 do not improve -> halve after 3; 4, 5 -> halve after 5; ...
    const lr = stalled.learningRate;
    expect(history.epochs.map((e) => e.learningRate)).toEqual([lr, lr, lr, lr / 2, lr / 2, lr / 4, lr / 4, lr / 8]);
  });

  it('never goes below minLearningRate', async () => {
    const lr = stalled.learningRate;
    const history = await (await newModel(lr)).fit(data, {
      epochs: 7,
      batchSize: 16,
      schedule: { type: 'plateau', patience: 1, factor: 0.5, minLearningRate: lr * 0.3 },
    });
    expect(history.epochs.map((e) => e.learningRate)).toEqual([lr, lr, lr / 2, lr * 0.3, lr * 0.3, lr * 0.3, lr * 0.3]);
  });

  it('waits `cooldown` epochs after a reduction before counting again', async () => {
    const lr = stalled.learningRate;
    const history = await (await newModel(lr)).fit(data, {
      epochs: 8,
      batchSize: 16,
      schedule: { type: 'plateau', patience: 1, factor: 0.5, cooldown: 2 },
    });
    // Reduce after epoch 2; epochs 3 and 4 cool down; epoch 5 is 1 epoch without improvement -> reduce after it.
    expect(history.epochs.map((e) => e.learningRate)).toEqual([lr, lr, lr / 2, lr / 2, lr / 2, lr / 4, lr / 4, lr / 4]);
  });

  it('leaves the rate alone while the loss keeps improving', async () => {
    const history = await (await newModel(0.05)).fit(data, {
      epochs: 8,
      batchSize: 16,
      schedule: { type: 'plateau', patience: 1 },
    });
    const losses = history.epochs.map((e) => e.loss);
    losses.slice(1).forEach((loss, i) => expect(losses[i] - loss).toBeGreaterThan(1e-4));
    expect(new Set(history.epochs.map((e) => e.learningRate))).toEqual(new Set([0.05]));
  });
});

describe('bad schedules are errors before training', () => {
  it.each([
    [{ type: 'step', stepSize: 0 }, /stepSize must be a positive integer/],
    [{ type: 'step', stepSize: 1.5 }, /stepSize must be a positive integer/],
    [{ type: 'exponential', gamma: -1 }, /gamma must be a positive number/],
    [{ type: 'plateau', factor: 1 }, /factor must be in \(0, 1\)/],
    [{ type: 'cosine' }, /unknown schedule type 'cosine'/],
  ])('%o', async (schedule, message) => {
    const model = await newModel(0.1);
    const before = flatWeights(model);
    await expect(model.fit(data, { epochs: 2, schedule: schedule as ScheduleConfig })).rejects.toThrow(message);
    expectBitEqual(flatWeights(model), before, 'weights');
  });

  it('a function returning a non-positive rate stops fit with an error naming the epoch', async () => {
    await expect(
      (await newModel(0.1)).fit(data, { epochs: 3, schedule: (epoch) => (epoch === 1 ? 0 : 0.1) }),
    ).rejects.toThrow(/returned 0 for epoch 1/);
  });
});
