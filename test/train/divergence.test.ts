/**
 * Divergence rollback (src/train/rollback.ts, fit.ts): when the loss turns non-finite,
 * fit stops with stopReason 'nonFiniteLoss' and the model holds, bit for bit, the
 * weights, optimizer moments, step counter and epoch count of the last finite state
 * it reports in history.rolledBackTo. A model with non-finite weights is neither saved,
 * exported nor loaded.
 */
import { describe, expect, it } from 'vitest';

import { createModel, loadModel, type Model, toOnnx, toSafetensors, toTfjsLayers } from '../../src/index.js';
import { engineOf } from '../../src/model/model.js';
import { blobs } from '../helpers/datasets.js';
import { expectModelUnchanged, type ModelState, modelState } from '../helpers/model-state.js';

const data = blobs(256, 6, 3, 1);

const sgd = (learningRate: number, threads = 1): Promise<Model> =>
  createModel({
    inputSize: 6,
    layers: [
      { units: 16, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type: 'sgd', learningRate, momentum: 0.9 },
    seed: 3,
    threads,
  });

/** Fits, keeping the model's whole state after every whole epoch (index = epochs done). */
async function fitRecording(model: Model, options: Parameters<Model['fit']>[1]) {
  const states: ModelState[] = [modelState(model)];
  const history = await model.fit(data, {
    ...options,
    callbacks: {
      onEpochEnd: () => {
        states[model.training.epochs] = modelState(model);
      },
    },
  });
  return { history, states };
}

describe('divergence', () => {
  it('SGD at lr 1e3 stops and returns to the last finite state, bit for bit', async () => {
    const model = await sgd(1e3);
    const { history, states } = await fitRecording(model, { epochs: 5, batchSize: 16 });
    expect(history.stopReason).toBe('nonFiniteLoss');
    expect(history.rolledBackTo).toBeDefined();
    const epoch = history.rolledBackTo!.epoch;
    expect(model.training.epochs).toBe(epoch);
    expectModelUnchanged(model, states[epoch]);
    for (const v of engineOf(model).parameters()) expect(Number.isFinite(v)).toBe(true);
    // The restored model saves and loads.
    const loaded = await loadModel(model.save());
    expect(loaded.predict(data.inputs.subarray(0, 6))).toEqual(model.predict(data.inputs.subarray(0, 6)));
  });

  it('a divergence in a later epoch rolls back to that epoch start, optimizer state included', async () => {
    const model = await sgd(0.01);
    // Two calm epochs, then a learning rate that blows up.
    const { history, states } = await fitRecording(model, {
      epochs: 6,
      batchSize: 16,
      schedule: (epoch, lr) => (epoch >= 2 ? 1e4 : lr),
    });
    expect(history.stopReason).toBe('nonFiniteLoss');
    const epoch = history.rolledBackTo!.epoch;
    expect(epoch).toBeGreaterThanOrEqual(2);
    expect(epoch).toBeLessThan(6);
    expect(model.training.epochs).toBe(epoch);
    const expected = states[epoch];
    // The learning rate in force is the rolled-back epoch's (the schedule's), not a NaN one.
    expectModelUnchanged(model, { ...expected, training: { ...model.training, steps: expected.training.steps } });
    expect(model.training.steps).toBe(expected.training.steps);
    expect(Array.from(expected.moment1).some((v) => v !== 0)).toBe(true);
  });

  it('with restoreBestWeights the best epoch is restored', async () => {
    const model = await sgd(0.01);
    const { history, states } = await fitRecording(model, {
      epochs: 8,
      batchSize: 16,
      earlyStopping: { monitor: 'loss', patience: 10, restoreBestWeights: true },
      schedule: (epoch, lr) => (epoch >= 3 ? 1e4 : lr),
    });
    expect(history.stopReason).toBe('nonFiniteLoss');
    expect(history.rolledBackTo!.epoch).toBe(history.bestEpoch);
    const best = states[history.bestEpoch!];
    expectModelUnchanged(model, { ...best, training: { ...best.training, learningRate: model.training.learningRate } });
  });

  it('same bits on 2 threads', async () => {
    const one = await sgd(1e3, 1);
    const two = await sgd(1e3, 2);
    const h1 = await one.fit(data, { epochs: 3, batchSize: 64 });
    const h2 = await two.fit(data, { epochs: 3, batchSize: 64 });
    expect(h2.rolledBackTo).toEqual(h1.rolledBackTo);
    expectModelUnchanged(two, modelState(one));
    two.dispose();
  });
});

describe('non-finite weights', () => {
  async function poisoned(): Promise<Model> {
    const model = await sgd(0.01);
    engineOf(model).parameters()[5] = Number.NaN;
    return model;
  }

  it('save refuses them, naming the problem', async () => {
    const model = await poisoned();
    expect(() => model.save()).toThrow(/save: the parameters hold NaN at index 5/);
  });

  it('every export refuses them', async () => {
    const model = await poisoned();
    const desc = model.describe();
    expect(() => toOnnx(desc)).toThrow(/toOnnx: layer 0 weights hold NaN/);
    expect(() => toTfjsLayers(desc)).toThrow(/toTfjsLayers: layer 0 weights hold NaN/);
    expect(() => toSafetensors(model)).toThrow(/toSafetensors: layer 0 weights hold NaN/);
  });

  it('loadModel refuses a file with them', async () => {
    const model = await sgd(0.01);
    const bytes = model.save({ optimizerState: false });
    // Poison the first parameter in the file and fix the checksum, as a buggy writer would.
    const { crc32 } = await import('../../src/io/format.js');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = view.getUint32(8, true);
    const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
    view.setFloat32(dataStart, Number.POSITIVE_INFINITY, true);
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    await expect(loadModel(bytes)).rejects.toThrow(/load: the parameters hold Infinity at index 0/);
  });
});
