/**
 * The threaded mode: two threads train one model on a shared memory, matching
 * single-thread training within float tolerance (not bit for bit: each thread
 * sums its rows' gradients, then the sums are added, a different rounding order),
 * deterministic from run to run; and where threads are unavailable the model
 * trains on one thread, says why, and never errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';

function blobs(count: number) {
  let state = 3;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const inputs = new Float32Array(count * 8);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let j = 0; j < 8; j++) inputs[i * 8 + j] = (j % 4 === labels[i] ? 1.5 : 0) + next() - 0.5;
  }
  return { count, inputSize: 8, inputs, labels };
}

const models: Model[] = [];
async function model(threads: number) {
  const m = await createModel({
    inputSize: 8,
    layers: [{ units: 32, activation: 'relu' }, { units: 16, activation: 'tanh' }, { units: 4, activation: 'softmax' }],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 5,
    threads,
  });
  models.push(m);
  return m;
}
afterEach(() => { models.splice(0).forEach((m) => m.dispose()); });

describe('threaded mode', () => {
  it('two threads train to the same result as one, within float tolerance', async () => {
    const data = blobs(1000);
    const single = await model(1);
    const double = await model(2);
    expect(double.threading).toEqual({ threads: 2, requested: 2 });
    const a = await single.fit(data, { epochs: 3, batchSize: 64 });
    const b = await double.fit(data, { epochs: 3, batchSize: 64 });
    a.epochs.forEach((epoch, i) => {
      expect(b.epochs[i].loss).toBeCloseTo(epoch.loss, 4);
      expect(b.epochs[i].accuracy).toBeCloseTo(epoch.accuracy!, 2);
    });
    const wa = single.describe().layers[0].weights;
    const wb = double.describe().layers[0].weights;
    let maxDiff = 0;
    for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(b.epochs[2].accuracy).toBeGreaterThan(0.95);
  });

  it('is deterministic: the same seed and thread count give bit-identical weights', async () => {
    const data = blobs(500);
    const first = await model(2);
    const second = await model(2);
    await first.fit(data, { epochs: 2, batchSize: 50 });
    await second.fit(data, { epochs: 2, batchSize: 50 });
    expect(second.describe().layers[1].weights).toEqual(first.describe().layers[1].weights);
  });

  it('batches too small to split, and the final partial batch, run on the main thread', async () => {
    const data = blobs(70);
    const double = await model(2);
    const single = await model(1);
    // Batch 10 < 2 threads x 8 rows: every step is single-threaded, so the runs are identical.
    await double.fit(data, { epochs: 1, batchSize: 10 });
    await single.fit(data, { epochs: 1, batchSize: 10 });
    expect(double.describe().layers[0].weights).toEqual(single.describe().layers[0].weights);
  });

  it('without SharedArrayBuffer it falls back to one thread, says why, and trains', async () => {
    const saved = globalThis.SharedArrayBuffer;
    // @ts-expect-error: simulating a runtime without it (a page without cross-origin isolation)
    delete globalThis.SharedArrayBuffer;
    let fallback: Model;
    try {
      fallback = await model(2);
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    expect(fallback.threading.threads).toBe(1);
    expect(fallback.threading.requested).toBe(2);
    expect(fallback.threading.reason).toMatch(/SharedArrayBuffer/);
    const history = await fallback.fit(blobs(200), { epochs: 2, batchSize: 32 });
    expect(history.epochs[1].accuracy).toBeGreaterThan(0.5);
  });

  it("rejects a bad thread count with a clear error; 'auto' picks at least one", async () => {
    await expect(model(0)).rejects.toThrow(/threads must be an integer from 1 to 64/);
    const auto = await createModel({ inputSize: 2, layers: [{ units: 1 }], threads: 'auto' });
    models.push(auto);
    expect(auto.threading.threads).toBeGreaterThanOrEqual(1);
  });
});
