/**
 * The threaded mode: several threads train one model on a shared memory and end
 * with exactly the single-thread weights, with and without clipping (every gradient
 * is computed over the whole batch, split by input rows, the same sums in the same
 * order; the optimizer acts element by element); deterministic from run to run;
 * predict and evaluate give the single-thread outputs; and where threads are
 * unavailable the model trains on one thread, says why, and never errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model, type ModelSpec } from '../../src/index.js';

function blobs(count: number) {
  let state = 3;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const inputs = new Float32Array(count * 8);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let j = 0; j < 8; j++) inputs[i * 8 + j] = (j % 4 === labels[i] ? 1.5 : 0) + next() - 0.5;
  }
  return { count, inputSize: 8, inputs, labels };
}

const models: Model[] = [];
async function model(threads: number, overrides: Partial<ModelSpec> = {}) {
  const m = await createModel({
    inputSize: 8,
    layers: [
      { units: 32, activation: 'relu' },
      { units: 16, activation: 'tanh' },
      { units: 4, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 5,
    threads,
    ...overrides,
  });
  models.push(m);
  return m;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

/** Fits each model in turn on the same data with the same options; their histories. */
async function fitEach(each: Model[], data: Parameters<Model['fit']>[0], options: Parameters<Model['fit']>[1]) {
  const histories = [];
  for (const m of each) histories.push(await m.fit(data, options));
  return histories;
}

describe('threaded mode', () => {
  it('two threads train to exactly the weights of one thread', async () => {
    const data = blobs(1000);
    const single = await model(1);
    const double = await model(2);
    expect(double.threading).toEqual({ threads: 2, requested: 2 });
    const [a, b] = await fitEach([single, double], data, { epochs: 3, batchSize: 64 });
    a.epochs.forEach((epoch, i) => {
      expect(b.epochs[i].loss).toBeCloseTo(epoch.loss, 4);
      expect(b.epochs[i].accuracy).toBeCloseTo(epoch.accuracy!, 2);
    });
    // Epoch losses are sums of the threads' partial losses (another order): close, not equal.
    expect(double.describe().layers).toEqual(single.describe().layers);
    expect(b.epochs[2].accuracy).toBeGreaterThan(0.95);
  });

  it("one step with 2 and 3 threads: every layer's update is the single-thread one bit for bit", async () => {
    // Plain SGD: after one step W = W0 - lr·g, so equal weights mean equal gradients.
    // 7 inputs x 5 units: W0 has 35 floats (padding), shares of 4 input rows.
    const data = blobs(60);
    const narrow = { count: 60, inputSize: 7, inputs: new Float32Array(60 * 7), labels: data.labels };
    for (let r = 0; r < 60; r++) for (let j = 0; j < 7; j++) narrow.inputs[r * 7 + j] = data.inputs[r * 8 + j];
    const spec: Partial<ModelSpec> = {
      inputSize: 7,
      layers: [
        { units: 5, activation: 'relu' },
        { units: 6, activation: 'sigmoid' },
        { units: 4, activation: 'softmax' },
      ],
      optimizer: { type: 'sgd', learningRate: 0.5 },
    };
    const single = await model(1, spec);
    for (const threads of [2, 3]) {
      const parallel = await model(threads, spec);
      expect(parallel.threading.threads).toBe(threads);
      await single.setWeights(await parallel.describe());
      await fitEach([single, parallel], narrow, { epochs: 1, batchSize: 60, shuffle: false });
      const [a, b] = [single.describe().layers, parallel.describe().layers];
      const before = (await model(1, spec)).describe().layers;
      for (const l of [0, 1, 2]) {
        // The step moved these weights, and both runs moved them exactly alike.
        expect(maxAbsDiff(b[l].weights, before[l].weights)).toBeGreaterThan(1e-3);
        expect(b[l].weights).toEqual(a[l].weights);
        expect(b[l].bias).toEqual(a[l].bias);
      }
    }
  });

  it('a single-layer model (no later layers to reduce) trains on 2 threads exactly like on one', async () => {
    // One layer: the whole gradient is the first layer's, computed over the whole batch.
    const spec: Partial<ModelSpec> = {
      layers: [{ units: 4, activation: 'softmax' }],
      optimizer: { type: 'adam', learningRate: 0.05 },
    };
    const data = blobs(300);
    const single = await model(1, spec);
    const double = await model(2, spec);
    await fitEach([single, double], data, { epochs: 2, batchSize: 50 });
    expect(double.describe().layers[0].weights).toEqual(single.describe().layers[0].weights);
    expect(double.describe().layers[0].bias).toEqual(single.describe().layers[0].bias);
  });

  it('three and four threads, and gradient clipping (the norm before the update), match one thread exactly', async () => {
    const data = blobs(700);
    const single = await model(1);
    const reference = await single.fit(data, { epochs: 2, batchSize: 96 });
    for (const threads of [3, 4]) {
      const parallel = await model(threads);
      const history = await parallel.fit(data, { epochs: 2, batchSize: 96 });
      history.epochs.forEach((epoch, i) => expect(epoch.loss).toBeCloseTo(reference.epochs[i].loss, 4));
      expect(parallel.describe().layers).toEqual(single.describe().layers);
    }
    const clipSpec: Partial<ModelSpec> = { optimizer: { type: 'adam', learningRate: 0.01, clipNorm: 0.5 } };
    const clippedSingle = await model(1, clipSpec);
    const clippedDouble = await model(2, clipSpec);
    const [c1, c2] = await fitEach([clippedSingle, clippedDouble], data, { epochs: 2, batchSize: 64 });
    c2.epochs.forEach((epoch, i) => expect(epoch.loss).toBeCloseTo(c1.epochs[i].loss, 4));
    expect(clippedDouble.describe().layers).toEqual(clippedSingle.describe().layers);
  });

  it('the packed weights the threads keep for the forward follow every other write of the weights', async () => {
    // 970 rows in batches of 64: the last batch of each epoch (10 rows) is too small to split
    // and runs on the main thread (its update is not re-packed by the threads).
    const data = blobs(970);
    const single = await model(1);
    const parallel = await model(2);
    await fitEach([single, parallel], data, { epochs: 3, batchSize: 64 });
    expect(parallel.describe().layers).toEqual(single.describe().layers);
    // 1024 rows: every batch runs on both threads, so the packed weights are current after
    // the fit. Weights written from the host: the next predict and training step use them.
    const even = blobs(1024);
    await fitEach([single, parallel], even, { epochs: 1, batchSize: 64 });
    const other = (await model(1, { seed: 99 })).describe();
    single.setWeights(other);
    parallel.setWeights(other);
    expect(parallel.predict(data.inputs)).toEqual(single.predict(data.inputs));
    await fitEach([single, parallel], even, { epochs: 1, batchSize: 64 });
    expect(parallel.describe().layers).toEqual(single.describe().layers);
    // Early stopping's restore of the best weights (the later epochs made worse on purpose: a huge rate).
    for (const m of [single, parallel]) m.setLearningRate(5);
    const options = {
      epochs: 4,
      batchSize: 64,
      validationData: blobs(200),
      earlyStopping: { patience: 1, restoreBestWeights: true },
    };
    const [a, b] = await fitEach([single, parallel], even, options);
    expect(b.stopReason).toBe('earlyStopping');
    expect(a.stopReason).toBe('earlyStopping');
    expect(parallel.predict(data.inputs)).toEqual(single.predict(data.inputs));
  });

  it('predict and evaluate share the rows out between the threads and give the one-thread results exactly', async () => {
    const data = blobs(1001);
    const single = await model(1);
    const parallel = await model(3);
    await parallel.setWeights(single.describe());
    // Float32 rows (read in place), in calls of 257 rows: uneven slices of 86, 86 and 85.
    expect(parallel.predict(data.inputs, { batchSize: 257 })).toEqual(single.predict(data.inputs, { batchSize: 257 }));
    // Byte rows with a scale (gathered and widened by each thread into its own rows).
    const bytes = {
      count: 1001,
      inputSize: 8,
      inputs: Uint8Array.from(data.inputs, (v) => Math.round((v + 1) * 60)),
      inputScale: 1 / 60,
    };
    const expected = single.predict(bytes);
    expect(expected.some((v, i) => v !== single.predict(data.inputs)[i])).toBe(true); // really other inputs
    expect(parallel.predict(bytes)).toEqual(expected);
    const [a, b] = [single.evaluate(data, { batchSize: 300 }), parallel.evaluate(data, { batchSize: 300 })];
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.loss).toBeCloseTo(a.loss, 10);
  });

  it('predict and evaluate from fit callbacks leave the threaded training as it would be without them', async () => {
    const data = blobs(600);
    const plain = await model(2);
    const probed = await model(2);
    await plain.fit(data, { epochs: 2, batchSize: 64 });
    const seen: number[] = [];
    await probed.fit(data, {
      epochs: 2,
      batchSize: 64,
      validationData: blobs(200),
      callbacks: {
        onBatchEnd: () => {
          seen.push(probed.predict(data.inputs.subarray(0, 80 * 8))[0]);
        },
      },
    });
    expect(seen.length).toBeGreaterThan(10);
    expect(probed.describe().layers.map((l) => l.weights)).toEqual(plain.describe().layers.map((l) => l.weights));
  });

  it('is deterministic: the same seed and thread count give bit-identical weights', async () => {
    const data = blobs(500);
    const first = await model(2);
    const second = await model(2);
    await fitEach([first, second], data, { epochs: 2, batchSize: 50 });
    expect(second.describe().layers[1].weights).toEqual(first.describe().layers[1].weights);
  });

  it('batches too small to split, and the final partial batch, run on the main thread', async () => {
    const data = blobs(70);
    const double = await model(2);
    const single = await model(1);
    // Batch 10 < 2 threads x 8 rows: every step is single-threaded, so the runs are identical.
    await fitEach([double, single], data, { epochs: 1, batchSize: 10 });
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
