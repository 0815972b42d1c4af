/**
 * The model file with the toolbox's state (format version 2): each layer's options, batch
 * norm's γ, β and running statistics, RMSprop's and Adagrad's buffers (centered RMSprop's
 * third one), and Huber's δ. Save → load gives bit-identical predictions; 2 epochs, save,
 * load, 2 more equal 4 epochs bit for bit with dropout and batch norm on (the masks'
 * step and the running statistics travel in the file). A version 1 file written by the
 * previous release (test/io/fixtures/format-v1.sdnt, made by main at 12d4ddb) still loads,
 * predicts what it predicted then, and trains on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { createModel, init, loadModel, saveModel } from '../../src/index.js';
import type { ModelSpec } from '../../src/model/spec.js';
import { expectBitEqual } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights } from '../helpers/model-state.js';

const data = blobs(120, 5, 3, 21);

const spec = (optimizer: ModelSpec['optimizer'], extra: Partial<ModelSpec> = {}): ModelSpec => ({
  inputSize: 5,
  layers: [
    { units: 12, activation: 'relu', batchNorm: true, dropout: 0.3, l2: 1e-3 },
    { units: 8, activation: 'leakyRelu', alpha: 0.1, dropout: 0.2, l1: 1e-4, initializer: 'glorotNormal' },
    { units: 3, activation: 'softmax', batchNorm: { momentum: 0.05, epsilon: 1e-4 } },
  ],
  optimizer,
  seed: 6,
  ...extra,
});

describe('save -> load with the toolbox', () => {
  it('keeps every option, batch norm’s vectors and the optimizer state: bit-identical predictions and description', async () => {
    const model = await createModel(spec({ type: 'rmsprop', learningRate: 0.005, centered: true, momentum: 0.5 }));
    await model.fit(data, { epochs: 2, batchSize: 16 });
    const loaded = await loadModel(saveModel(model));
    expectBitEqual(flatWeights(loaded), flatWeights(model), 'weights');
    expectBitEqual(loaded.predict(data.inputs), model.predict(data.inputs), 'predictions');
    expect(loaded.describe()).toEqual(model.describe());
    expect(loaded.layers).toEqual(model.layers);
    expect(loaded.optimizer).toEqual(model.optimizer);
    const bn = loaded.describe().layers[0].batchNorm!;
    expect(bn.momentum).toBe(0.1);
    expect(bn.epsilon).toBe(1e-5);
    expect(Array.from(bn.runningVar).some((v) => v !== 1)).toBe(true);
  });

  it('a regression model with Huber δ keeps δ', async () => {
    const model = await createModel({
      inputSize: 3,
      layers: [{ units: 4, activation: 'gelu' }, { units: 2 }],
      loss: 'huber',
      huberDelta: 0.25,
    });
    const loaded = await loadModel(saveModel(model));
    expect(loaded.loss).toBe('huber');
    const inputs = new Float32Array([0.5, -1, 2, 3, 0.1, -0.2]);
    const targets = new Float32Array([1, -1, 0.5, 0.5]);
    const dataset = { inputs, targets, count: 2, inputSize: 3 };
    expect(loaded.evaluate(dataset).loss).toBe(model.evaluate(dataset).loss);
  });
});

describe('resumed training equals uninterrupted training with dropout and batch norm, bit for bit', () => {
  const cases: [string, ModelSpec['optimizer']][] = [
    [
      'centered RMSprop with momentum (three buffers)',
      { type: 'rmsprop', learningRate: 0.005, centered: true, momentum: 0.5 },
    ],
    [
      'Adagrad with an initial accumulator and lrDecay',
      { type: 'adagrad', learningRate: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 },
    ],
    ['Adam', { type: 'adam', learningRate: 0.01 }],
  ];
  it.each(cases)('%s: 2 epochs, save, load, 2 more == 4 epochs', async (_, optimizer) => {
    const straight = await createModel(spec(optimizer));
    const straightHistory = await straight.fit(data, { epochs: 4, batchSize: 16 });
    const first = await createModel(spec(optimizer));
    await first.fit(data, { epochs: 2, batchSize: 16 });
    const resumed = await loadModel(saveModel(first));
    const resumedHistory = await resumed.fit(data, { epochs: 2, batchSize: 16 });
    expectBitEqual(flatWeights(resumed), flatWeights(straight), 'weights after 4 epochs');
    expect(resumed.describe()).toEqual(straight.describe());
    expect(resumedHistory.epochs.map((e) => e.loss)).toEqual(straightHistory.epochs.slice(2).map((e) => e.loss));
  });
});

describe('a file from format version 1', () => {
  const bytes = new Uint8Array(readFileSync(new URL('./fixtures/format-v1.sdnt', import.meta.url)));
  const predictions: number[] = JSON.parse(
    readFileSync(new URL('./fixtures/format-v1.predictions.json', import.meta.url), 'utf8'),
  );
  const inputs = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));

  it('is version 1, loads, and predicts exactly what the version that wrote it predicted', async () => {
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(1);
    // The predictions were written by the baseline core (the relaxed one may fuse, and round, differently).
    await init({ relaxed: false });
    const model = await loadModel(bytes);
    expect(model.layers.map((l) => [l.units, l.activation])).toEqual([
      [5, 'tanh'],
      [2, 'softmax'],
    ]);
    expect(Array.from(model.predict({ inputs, count: 8, inputSize: 3 }))).toEqual(predictions);
  });

  it('trains on from its saved optimizer state and saves as version 2', async () => {
    const model = await loadModel(bytes);
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 2);
    await model.fit({ inputs, labels, count: 8, inputSize: 3 }, { epochs: 1, batchSize: 4, shuffle: false });
    expect(model.training.steps).toBe(6);
    const saved = saveModel(model);
    expect(new DataView(saved.buffer, saved.byteOffset).getUint32(4, true)).toBe(2);
    expectBitEqual((await loadModel(saved)).predict(inputs), model.predict(inputs), 'predictions');
  });
});
