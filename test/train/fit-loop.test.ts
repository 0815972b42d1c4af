/**
 * The training loop (src/train/fit.ts): batch and epoch logs, callbacks that stop
 * training, the gradient-norm stopping rule, non-finite losses, yielding to the event
 * loop so timers run during a long fit, predict/evaluate from callbacks (a browser demo
 * predicts while it trains) without disturbing training, and one fit at a time.
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import type { BatchLog, EpochLog } from '../../src/train/fit.js';
import { expectClose } from '../helpers/compare.js';
import { blobs, curve } from '../helpers/datasets.js';
import { coreGradients } from '../helpers/gradients.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { expectBitEqual } from '../helpers/compare.js';
import { flatWeights } from '../helpers/model-state.js';
import { predict as referencePredict, referenceNetwork } from '../helpers/reference.js';
import { engineOf } from '../../src/model/model.js';

const data = blobs(100, 4, 3, 9);
const newModel = (): Promise<Model> =>
  createModel({
    inputSize: 4,
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 3,
  });

describe('logs', () => {
  it('one batch log per batch (the last one partial), an epoch log whose loss is the size-weighted mean of the batch losses', async () => {
    const model = await newModel();
    const batches: BatchLog[] = [];
    const epochs: EpochLog[] = [];
    const history = await model.fit(data, {
      epochs: 2,
      batchSize: 32,
      callbacks: {
        onBatchEnd: (log) => {
          batches.push(log);
        },
        onEpochEnd: (log) => {
          epochs.push(log);
        },
      },
    });
    // 100 rows in batches of 32: 32, 32, 32, 4.
    expect(batches.map((b) => [b.epoch, b.batch, b.batches, b.size])).toEqual([
      [1, 0, 4, 32],
      [1, 1, 4, 32],
      [1, 2, 4, 32],
      [1, 3, 4, 4],
      [2, 0, 4, 32],
      [2, 1, 4, 32],
      [2, 2, 4, 32],
      [2, 3, 4, 4],
    ]);
    expect(history.epochs).toEqual(epochs);
    for (const epoch of epochs) {
      const mine = batches.filter((b) => b.epoch === epoch.epoch);
      expect(epoch.loss).toBeCloseTo(mine.reduce((s, b) => s + b.loss * b.size, 0) / 100, 12);
      expect(epoch.accuracy).toBeCloseTo(mine.reduce((s, b) => s + b.accuracy! * b.size, 0) / 100, 12);
      expect(epoch.learningRate).toBe(0.01);
      expect(epoch.seconds).toBeGreaterThan(0);
      expect(epoch.samplesPerSec).toBeCloseTo(100 / epoch.seconds, 6);
    }
    expect(model.training.steps).toBe(8);
    expect(model.training.epochs).toBe(2);
    expect(history.stopReason).toBe('completed');
  });

  it('validation metrics appear in the epoch log and equal evaluate() on the same data after that epoch', async () => {
    const model = await newModel();
    const validation = blobs(30, 4, 3, 10);
    const evaluated: { loss: number; accuracy?: number }[] = [];
    const history = await model.fit(data, {
      epochs: 2,
      batchSize: 16,
      validationData: validation,
      callbacks: {
        onEpochEnd: () => {
          evaluated.push(model.evaluate(validation));
        },
      },
    });
    history.epochs.forEach((log, i) => {
      expect(log.valLoss).toBeCloseTo(evaluated[i].loss, 12);
      expect(log.valAccuracy).toBe(evaluated[i].accuracy);
    });
  });

  it('epochs: 0 trains nothing', async () => {
    const model = await newModel();
    const history = await model.fit(data, { epochs: 0 });
    expect(history.epochs).toEqual([]);
    expect(model.training.steps).toBe(0);
  });
});

describe('callbacks stop training', () => {
  it.each([false, 'stop'] as const)(
    'onBatchEnd returning %o stops after that batch; the partial epoch is logged over the batches run, not counted',
    async (result) => {
      const model = await newModel();
      const seen: BatchLog[] = [];
      const history = await model.fit(data, {
        epochs: 5,
        batchSize: 10,
        callbacks: {
          onBatchEnd: (log) => {
            seen.push(log);
            return log.batch === 3 ? result : undefined;
          },
        },
      });
      expect(seen.map((log) => log.batch)).toEqual([0, 1, 2, 3]);
      expect(model.training.steps).toBe(4);
      expect(history.stopReason).toBe('callback');
      expect(history.epochs.length).toBe(1);
      const [partial] = history.epochs;
      expect(partial.partial).toBe(true);
      expect(partial.loss).toBeCloseTo(seen.reduce((s, log) => s + log.loss, 0) / 4, 12);
      expect(partial.accuracy).toBeCloseTo(seen.reduce((s, log) => s + log.accuracy!, 0) / 4, 12);
      // Only whole epochs count: the next fit starts epoch 1 again (and shuffles as epoch 1).
      expect(model.training.epochs).toBe(0);
      const next = await model.fit(data, { epochs: 1, batchSize: 10 });
      expect(next.epochs[0].epoch).toBe(1);
      expect(next.epochs[0].partial).toBeUndefined();
    },
  );

  it('onEpochEnd returning false stops after that epoch; an async callback is awaited', async () => {
    const model = await newModel();
    const history = await model.fit(data, {
      epochs: 10,
      batchSize: 25,
      callbacks: {
        onEpochEnd: async (log) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return log.epoch < 3;
        },
      },
    });
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(history.stopReason).toBe('callback');
    expect(model.training.steps).toBe(12);
  });

  it('onTrainEnd receives the history, once, at the end', async () => {
    const model = await newModel();
    const calls: unknown[] = [];
    const history = await model.fit(data, {
      epochs: 2,
      callbacks: {
        onTrainEnd: (h) => {
          calls.push(h);
        },
      },
    });
    expect(calls).toEqual([history]);
  });
});

describe('minGradNorm', () => {
  // Full-batch linear regression y = 2x - 1 (one batch per epoch): the gradient norm falls towards 0.
  const line = curve((x) => 2 * x - 1, 32, -1, 1);
  const linearModel = () =>
    createModel({ inputSize: 1, layers: [{ units: 1 }], optimizer: { type: 'sgd', learningRate: 0.5 }, seed: 1 });

  it('stops at the first epoch whose mean gradient norm is below the threshold', async () => {
    const model = await linearModel();
    const history = await model.fit(line, { epochs: 1000, batchSize: 32, minGradNorm: 1e-4 });
    const norms = history.epochs.map((e) => e.gradNorm!);
    expect(history.stopReason).toBe('minGradNorm');
    expect(history.epochs.length).toBeLessThan(1000);
    expect(norms.at(-1)!).toBeLessThan(1e-4);
    for (const norm of norms.slice(0, -1)) expect(norm).toBeGreaterThanOrEqual(1e-4);
    const [layer] = model.describe().layers;
    expect(layer.weights[0]).toBeCloseTo(2, 3);
    expect(layer.bias[0]).toBeCloseTo(-1, 3);
  });

  it('the logged gradNorm is the global L2 norm of the batch gradient (before the update)', async () => {
    const model = await linearModel();
    const { inputs, targets } = line;
    const gradients = coreGradients(await linearModel(), inputs, targets, 32);
    const expected = Math.hypot(...gradients.layers.flatMap((l) => [...l.weights, ...l.bias]));
    const history = await model.fit(line, { epochs: 1, batchSize: 32, trackGradNorm: true, shuffle: false });
    expectClose([history.epochs[0].gradNorm!], [expected], { atol: 0, rtol: 1e-6 }, 'gradient norm');
  });

  it('without minGradNorm or trackGradNorm no norm is logged', async () => {
    const history = await (await linearModel()).fit(line, { epochs: 1 });
    expect(history.epochs[0].gradNorm).toBeUndefined();
  });
});

describe('non-finite loss', () => {
  it('a diverging run stops with stopReason nonFiniteLoss instead of training on NaN', async () => {
    const random = seededRandom(4);
    const inputs = uniform(random, 64 * 3, -100, 100);
    const targets = uniform(random, 64, -100, 100);
    const model = await createModel({
      inputSize: 3,
      layers: [{ units: 1 }],
      optimizer: { type: 'sgd', learningRate: 10 },
      seed: 1,
    });
    const history = await model.fit({ inputs, targets }, { epochs: 50, batchSize: 8 });
    expect(history.stopReason).toBe('nonFiniteLoss');
    expect(history.epochs.length).toBeLessThan(50);
  });
});

describe('yielding to the event loop', () => {
  it('a setTimeout and a setImmediate scheduled before fit run while fit is still training (between epochs)', async () => {
    const model = await newModel();
    const epochs = 20;
    let timeoutSawEpochs = -1;
    let immediateSawEpochs = -1;
    setTimeout(() => {
      timeoutSawEpochs = model.training.epochs;
    }, 0);
    setImmediate(() => {
      immediateSawEpochs = model.training.epochs;
    });
    await model.fit(data, { epochs, batchSize: 50 });
    expect(immediateSawEpochs).toBeGreaterThanOrEqual(1);
    expect(immediateSawEpochs).toBeLessThan(epochs);
    expect(timeoutSawEpochs).toBeGreaterThanOrEqual(1);
    expect(timeoutSawEpochs).toBeLessThan(epochs);
  });

  it('during long training, a timer runs between batches (yieldEveryMs: 0)', async () => {
    const model = await newModel();
    let timerSawSteps = -1;
    setTimeout(() => {
      timerSawSteps = model.training.steps;
    }, 0);
    // 3,000 one-row steps: long enough that the timer's 1 ms has passed before the end
    // even on a fast, idle machine (a 100-step run could finish within it).
    await model.fit(data, { epochs: 30, batchSize: 1, yieldEveryMs: 0 });
    expect(model.training.steps).toBe(3000);
    expect(timerSawSteps).toBeGreaterThanOrEqual(1);
    expect(timerSawSteps).toBeLessThan(3000);
  });
});

describe('predict and evaluate during fit', () => {
  it('work from callbacks (even when they grow memory) and do not disturb training: the run is bit-identical to one without them', async () => {
    const plain = await newModel();
    const plainHistory = await plain.fit(data, { epochs: 3, batchSize: 16 });

    const busy = await newModel();
    // 100,000 rows: larger than the row buffers and large enough to grow linear memory.
    const big = uniform(seededRandom(5), 100_000 * 4);
    const validation = blobs(30, 4, 3, 10);
    let predictions = 0;
    const memoryBefore = engineOf(busy).core.memory.buffer.byteLength;
    const busyHistory = await busy.fit(data, {
      epochs: 3,
      batchSize: 16,
      callbacks: {
        onBatchEnd: (log) => {
          if (log.batch !== 2) return;
          const outputs = busy.predict(big.subarray(0, (log.epoch === 2 ? 100_000 : 300) * 4));
          const expected = referencePredict(referenceNetwork(busy.describe()), big.subarray(0, 12), 3);
          expectClose(outputs.subarray(0, 9), expected, { atol: 1e-6, rtol: 1e-5 }, 'predictions during fit');
          predictions++;
        },
        onEpochEnd: () => {
          expect(busy.isTraining).toBe(true);
          busy.evaluate(validation);
        },
      },
    });
    expect(busy.isTraining).toBe(false);
    expect(predictions).toBe(3);
    expect(engineOf(busy).core.memory.buffer.byteLength).toBeGreaterThan(memoryBefore);
    expect(busyHistory.epochs.map((e) => e.loss)).toEqual(plainHistory.epochs.map((e) => e.loss));
    expectBitEqual(flatWeights(busy), flatWeights(plain), 'weights');
  });

  it('a second fit while one runs is rejected; the first finishes as if it ran alone, and the next fit runs', async () => {
    const alone = await newModel();
    const aloneHistory = await alone.fit(data, { epochs: 3, batchSize: 10, yieldEveryMs: 0 });
    const model = await newModel();
    // yieldEveryMs: 0 yields between batches, so the rejected call lands mid-epoch.
    const first = model.fit(data, { epochs: 3, batchSize: 10, yieldEveryMs: 0 });
    expect(model.isTraining).toBe(true);
    await expect(model.fit(data, { epochs: 1 })).rejects.toThrow(/already training/);
    const history = await first;
    expect(history.epochs.length).toBe(3);
    expect(history.epochs.map((e) => e.loss)).toEqual(aloneHistory.epochs.map((e) => e.loss));
    expectBitEqual(flatWeights(model), flatWeights(alone), 'weights');
    expect(history.epochs[2].loss).toBeLessThan(history.epochs[0].loss);
    expect(model.isTraining).toBe(false);
    await expect(model.fit(data, { epochs: 1 })).resolves.toBeDefined();
  });

  it('a fit that fails validation does not leave the model marked as training', async () => {
    const model = await newModel();
    await expect(model.fit(data, { epochs: 1, batchSize: 0 })).rejects.toThrow(/batchSize/);
    expect(model.isTraining).toBe(false);
    await expect(model.fit(data, { epochs: 1 })).resolves.toBeDefined();
  });
});

describe('shuffling', () => {
  /**
   * The order in which an epoch visits the samples, read from batch losses: with batch
   * size 1 and a learning rate far below one f32 ulp of the weights, the weights never
   * change, so each batch's loss is exactly its sample's loss under the initial weights.
   */
  async function visitOrders(options: { shuffle?: boolean; seed?: number }, epochs = 3): Promise<number[][]> {
    const model = await createModel({
      inputSize: 4,
      layers: [{ units: 3, activation: 'softmax' }],
      optimizer: { type: 'sgd', learningRate: 1e-30 },
      seed: options.seed ?? 3,
    });
    const sampleLosses = Array.from(
      { length: 20 },
      (_, r) =>
        model.evaluate({ inputs: data.inputs.subarray(r * 4, (r + 1) * 4), labels: data.labels.subarray(r, r + 1) })
          .loss,
    );
    expect(new Set(sampleLosses).size, 'per-sample losses identify the samples').toBe(20);
    const orders: number[][] = [];
    const subset = { inputs: data.inputs.subarray(0, 20 * 4), labels: data.labels.subarray(0, 20) };
    await model.fit(subset, {
      epochs,
      batchSize: 1,
      shuffle: options.shuffle,
      callbacks: {
        onBatchEnd: (log) => {
          (orders[log.epoch - 1] ??= []).push(sampleLosses.indexOf(log.loss));
        },
      },
    });
    return orders;
  }
  const identity = Array.from({ length: 20 }, (_, i) => i);

  it('every epoch visits each sample exactly once, in a fresh order', async () => {
    const orders = await visitOrders({});
    for (const order of orders) expect([...order].sort((a, b) => a - b)).toEqual(identity);
    expect(orders[0]).not.toEqual(identity);
    expect(orders[1]).not.toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[1]);
  });

  it("the orders depend on the seed, and shuffle: false keeps the data's order", async () => {
    expect(await visitOrders({ seed: 4 })).not.toEqual(await visitOrders({ seed: 3 }));
    expect(await visitOrders({ shuffle: false }, 2)).toEqual([identity, identity]);
  });
});
