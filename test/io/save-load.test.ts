/**
 * Save and load (src/io/format.ts): a saved model loads with bit-identical weights and
 * predictions; with optimizer state, training resumes exactly where it stopped (2 + 2
 * epochs == 4 epochs, bit for bit); without it, the model still loads and predicts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadModel, saveModel } from '../../src/index.js';
import { loadModelFile, saveModelFile } from '../../src/io/node.js';
import { createModel } from '../../src/index.js';
import type { ModelSpec } from '../../src/model/spec.js';
import type { FitOptions } from '../../src/train/fit.js';
import { expectBitEqual } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights, modelState } from '../helpers/model-state.js';
import { engineOf } from '../../src/model/model.js';

const data = blobs(120, 5, 3, 21);
const spec = (optimizer: ModelSpec['optimizer']): ModelSpec => ({
  inputSize: 5,
  layers: [
    { units: 10, activation: 'tanh' },
    { units: 7, activation: 'relu' },
    { units: 3, activation: 'softmax' },
  ],
  optimizer,
  seed: 4,
});

describe('save -> load', () => {
  it('gives bit-identical weights, predictions, optimizer state and training counters', async () => {
    const model = await createModel(spec('adam'));
    await model.fit(data, { epochs: 2, batchSize: 16 });
    model.metadata = { note: 'trained on blobs', classes: ['a', 'b', 'c'] };
    const loaded = await loadModel(saveModel(model));
    expectBitEqual(flatWeights(loaded), flatWeights(model), 'weights');
    expectBitEqual(loaded.predict(data.inputs), model.predict(data.inputs), 'predictions');
    const [before, after] = [modelState(model), modelState(loaded)];
    expectBitEqual(after.moment1, before.moment1, 'moment 1');
    expectBitEqual(after.moment2, before.moment2, 'moment 2');
    expect(after.training).toEqual(before.training);
    expect(loaded.metadata).toEqual(model.metadata);
    expect(loaded.layers).toEqual(model.layers);
    expect(loaded.loss).toBe(model.loss);
    expect(loaded.optimizer).toEqual(model.optimizer);
    expect(loaded.seed).toBe(model.seed);
  });

  it('through a file on disk (saveModelFile / loadModelFile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-test-'));
    try {
      const model = await createModel(spec('sgd'));
      const path = join(dir, 'model.sdnt');
      await saveModelFile(model, path);
      const loaded = await loadModelFile(path);
      expectBitEqual(loaded.predict(data.inputs), model.predict(data.inputs), 'predictions');
      await expect(loadModelFile(join(dir, 'missing.sdnt'))).rejects.toThrow(
        /cannot read model file .*missing\.sdnt.*ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('resumed training equals uninterrupted training, bit for bit', () => {
  const optimizers: [string, ModelSpec['optimizer'], FitOptions][] = [
    ['Adam (moments and step count)', { type: 'adam', learningRate: 0.01 }, {}],
    ['AdamW', { type: 'adamw', learningRate: 0.01, weightDecay: 0.05 }, {}],
    ['SGD with Nesterov momentum (velocity)', { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true }, {}],
    [
      'Adam with a step schedule (the rate falls at global epoch 3)',
      { type: 'adam', learningRate: 0.01 },
      { schedule: { type: 'step', stepSize: 3, gamma: 0.1 } },
    ],
    [
      'SGD with an exponential schedule',
      { type: 'sgd', learningRate: 0.05 },
      { schedule: { type: 'exponential', gamma: 0.5 } },
    ],
  ];
  it.each(optimizers)('%s: 2 epochs, save, load, 2 more == 4 epochs', async (_, optimizer, options) => {
    const fitOptions: FitOptions = { batchSize: 16, ...options };
    const straight = await createModel(spec(optimizer));
    const straightHistory = await straight.fit(data, { ...fitOptions, epochs: 4 });

    const first = await createModel(spec(optimizer));
    await first.fit(data, { ...fitOptions, epochs: 2 });
    const resumed = await loadModel(saveModel(first));
    const resumedHistory = await resumed.fit(data, { ...fitOptions, epochs: 2 });

    expectBitEqual(flatWeights(resumed), flatWeights(straight), 'weights after 4 epochs');
    expect(resumedHistory.epochs.map((e) => e.epoch)).toEqual([3, 4]);
    expect(resumedHistory.epochs.map((e) => e.loss)).toEqual(straightHistory.epochs.slice(2).map((e) => e.loss));
    expect(resumedHistory.epochs.map((e) => e.learningRate)).toEqual(
      straightHistory.epochs.slice(2).map((e) => e.learningRate),
    );
    expect(resumed.training).toEqual(straight.training);
  });

  it('without the optimizer state the resumed run differs (the state is what makes it exact)', async () => {
    const straight = await createModel(spec('adam'));
    await straight.fit(data, { epochs: 4, batchSize: 16 });
    const first = await createModel(spec('adam'));
    await first.fit(data, { epochs: 2, batchSize: 16 });
    const resumed = await loadModel(saveModel(first, { optimizerState: false }));
    await resumed.fit(data, { epochs: 2, batchSize: 16 });
    expect(Array.from(flatWeights(resumed))).not.toEqual(Array.from(flatWeights(straight)));
  });
});

describe('a file without optimizer state', () => {
  it('is smaller by the two moment buffers, loads, and predicts bit-identically; the optimizer restarts at step 0', async () => {
    const model = await createModel(spec('adam'));
    await model.fit(data, { epochs: 1, batchSize: 16 });
    const full = saveModel(model);
    const light = saveModel(model, { optimizerState: false });
    const paramBytes = engineOf(model).plan.paramLength * 4;
    expect(full.length - light.length).toBe(2 * paramBytes);
    const loaded = await loadModel(light);
    expectBitEqual(loaded.predict(data.inputs), model.predict(data.inputs), 'predictions');
    const state = modelState(loaded);
    expect(state.training.steps).toBe(0);
    expect(state.training.epochs).toBe(1);
    expect(state.moment1.every((v) => v === 0) && state.moment2.every((v) => v === 0)).toBe(true);
    // It trains from there.
    const history = await loaded.fit(data, { epochs: 1, batchSize: 16 });
    expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
  });

  it('loads from an ArrayBuffer as well as a Uint8Array, a view at an offset, and Node Buffers', async () => {
    const model = await createModel(spec('sgd'));
    const bytes = saveModel(model);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 8);
    // What readFileSync returns: a Buffer (whose slice() is a view), alone or, when small,
    // at an offset in Node's shared pool.
    const pooled = Buffer.from(bytes);
    const alone = Buffer.alloc(bytes.length);
    alone.set(bytes);
    expect(pooled.byteOffset > 0 || pooled.buffer.byteLength > bytes.length).toBe(true);
    for (const source of [bytes.slice().buffer, padded.subarray(8), pooled, alone]) {
      expectBitEqual(flatWeights(await loadModel(source)), flatWeights(model), 'weights');
    }
  });
});
