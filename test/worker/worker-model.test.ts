/**
 * WorkerModel in Node (worker_threads, running the built dist/worker.node.js): the
 * same numbers as a Model on this thread for the same seed, bit for bit; callbacks
 * on this thread with the worker's logs; stopping from a callback and from stop();
 * errors re-thrown here with the worker's message; data copied or moved as documented;
 * the threaded mode inside the worker; dispose.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createModel,
  createWorkerModel,
  loadWorkerModel,
  type BatchLog,
  type EpochLog,
  type Model,
  type ModelSpec,
  type WorkerModel,
} from '../../src/index.js';

const SPEC: ModelSpec = {
  inputSize: 8,
  layers: [
    { units: 24, activation: 'relu' },
    { units: 3, activation: 'softmax' },
  ],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 11,
};

/** `count` rows of 8 features; the class is which of three feature sums is largest. Deterministic. */
function threeClasses(count: number): { inputs: Float32Array; labels: Int32Array } {
  const inputs = new Float32Array(count * 8);
  const labels = new Int32Array(count);
  let state = 12345;
  for (let i = 0; i < inputs.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    inputs[i] = state / 2 ** 32 - 0.5;
  }
  for (let r = 0; r < count; r++) {
    const x = inputs.subarray(r * 8, r * 8 + 8);
    const sums = [x[0] + x[1] + x[2], x[3] + x[4] + x[5], x[6] + x[7]];
    labels[r] = sums.indexOf(Math.max(...sums));
  }
  return { inputs, labels };
}

const bits = (array: Float32Array) => Array.from(new Uint32Array(array.slice().buffer));
const weightBits = async (model: Model | WorkerModel) =>
  (await model.describe()).layers.flatMap((layer) => [...bits(layer.weights), ...bits(layer.bias)]);
/** An epoch log without its clock readings. */
const withoutTimes = ({ seconds: _s, samplesPerSec: _r, ...log }: EpochLog) => log;

const open: WorkerModel[] = [];
async function workerModel(spec: ModelSpec = SPEC): Promise<WorkerModel> {
  const model = await createWorkerModel(spec);
  open.push(model);
  return model;
}
afterAll(async () => {
  await Promise.all(open.map((model) => model.dispose()));
});

describe('WorkerModel (worker_threads)', () => {
  it('trains, predicts, evaluates and saves exactly as a Model on this thread', async () => {
    const data = threeClasses(300);
    const inThread = await createModel(SPEC);
    const worker = await workerModel();
    expect(worker.inputSize).toBe(8);
    expect(worker.outputSize).toBe(3);
    expect(worker.parameterCount).toBe(inThread.parameterCount);
    expect(worker.layers).toEqual(inThread.layers);
    expect(await weightBits(worker)).toEqual(await weightBits(inThread));

    const batchLogs: BatchLog[] = [];
    const epochLogs: EpochLog[] = [];
    const inThreadBatches: BatchLog[] = [];
    const inThreadEpochs: EpochLog[] = [];
    const options = { epochs: 4, batchSize: 32, validationData: threeClasses(60) };
    const history = await worker.fit(data, {
      ...options,
      callbacks: { onBatchEnd: (log) => void batchLogs.push(log), onEpochEnd: (log) => void epochLogs.push(log) },
    });
    const expected = await inThread.fit(data, {
      ...options,
      callbacks: {
        onBatchEnd: (log) => void inThreadBatches.push(log),
        onEpochEnd: (log) => void inThreadEpochs.push(log),
      },
    });
    expect(history.stopReason).toBe('completed');
    expect(history.epochs.map(withoutTimes)).toEqual(expected.epochs.map(withoutTimes));
    expect(batchLogs).toEqual(inThreadBatches);
    expect(batchLogs).toHaveLength(4 * Math.ceil(300 / 32));
    expect(epochLogs.map(withoutTimes)).toEqual(inThreadEpochs.map(withoutTimes));
    expect(await weightBits(worker)).toEqual(await weightBits(inThread));
    expect(worker.training).toEqual(inThread.training);

    expect(bits(await worker.predict(data.inputs))).toEqual(bits(inThread.predict(data.inputs)));
    expect(await worker.predictClasses(data.inputs)).toEqual(inThread.predictClasses(data.inputs));
    expect(await worker.evaluate(data)).toEqual(inThread.evaluate(data));
    expect(await worker.summary()).toBe(inThread.summary());
    worker.metadata = { note: 'from the worker' };
    inThread.metadata = { note: 'from the worker' };
    expect(await worker.save()).toEqual(inThread.save());
  });

  it('loads saved bytes into a worker, and takes new weights', async () => {
    const inThread = await createModel(SPEC);
    const data = threeClasses(100);
    await inThread.fit(data, { epochs: 2 });
    const loaded = await loadWorkerModel(inThread.save());
    open.push(loaded);
    expect(loaded.training).toEqual(inThread.training);
    expect(bits(await loaded.predict(data.inputs))).toEqual(bits(inThread.predict(data.inputs)));
    const fresh = await workerModel({ ...SPEC, seed: 99 });
    await fresh.setWeights(inThread.describe());
    expect(bits(await fresh.predict(data.inputs))).toEqual(bits(inThread.predict(data.inputs)));
  });

  it('stops from onEpochEnd exactly as in-thread, and from onBatchEnd within maxBatchesAhead batches', async () => {
    const data = threeClasses(640); // 20 batches of 32 per epoch
    const worker = await workerModel();
    const byEpoch = await worker.fit(data, {
      epochs: 10,
      batchSize: 32,
      callbacks: { onEpochEnd: (log) => (log.epoch === 2 ? 'stop' : undefined) },
    });
    expect(byEpoch.stopReason).toBe('callback');
    expect(byEpoch.epochs).toHaveLength(2);
    expect(worker.training.epochs).toBe(2);

    // maxBatchesAhead 0: the worker waits for each onBatchEnd, so it stops after exactly that batch.
    const exact = await workerModel();
    const inThread = await createModel(SPEC);
    const stopAt = (log: BatchLog) => (log.batch === 5 ? false : undefined);
    const stopped = await exact.fit(data, {
      epochs: 3,
      batchSize: 32,
      maxBatchesAhead: 0,
      callbacks: { onBatchEnd: stopAt },
    });
    const reference = await inThread.fit(data, { epochs: 3, batchSize: 32, callbacks: { onBatchEnd: stopAt } });
    expect(stopped.stopReason).toBe('callback');
    expect(exact.training.steps).toBe(6);
    expect(stopped.epochs.map(withoutTimes)).toEqual(reference.epochs.map(withoutTimes));
    expect(await weightBits(exact)).toEqual(await weightBits(inThread));

    // The default (2 batches ahead): at most two batches past the one whose callback said stop.
    for (const ahead of [1, 2]) {
      const model = await workerModel();
      const seen: number[] = [];
      const history = await model.fit(data, {
        epochs: 3,
        batchSize: 32,
        maxBatchesAhead: ahead,
        callbacks: {
          onBatchEnd(log) {
            seen.push(log.batch);
            return log.batch === 5 ? 'stop' : undefined;
          },
        },
      });
      const extra = model.training.steps - 6;
      console.log(
        `worker stop from onBatchEnd, maxBatchesAhead ${ahead}: ${extra} batch(es) after the one that said stop`,
      );
      expect(history.stopReason).toBe('callback');
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(ahead);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]); // no callback runs after the one that stopped
    }
  });

  it('stop() ends a running fit within a batch or two', async () => {
    const worker = await workerModel({
      ...SPEC,
      layers: [
        { units: 256, activation: 'relu' },
        { units: 3, activation: 'softmax' },
      ],
    });
    const data = threeClasses(4096);
    let batches = 0;
    let batchesAtStop = -1;
    let stopAsked = 0;
    const fit = worker.fit(data, {
      epochs: 50,
      batchSize: 64,
      callbacks: {
        onBatchEnd() {
          batches++;
          if (batches === 10) {
            batchesAtStop = batches;
            stopAsked = performance.now();
            void worker.stop();
          }
        },
      },
    });
    expect(worker.isTraining).toBe(true);
    const history = await fit;
    const stoppedAfterMs = performance.now() - stopAsked;
    const extra = worker.training.steps - batchesAtStop;
    console.log(
      `worker stop(): fit ended ${stoppedAfterMs.toFixed(1)} ms after stop(), ${extra} batch(es) after the batch it was called in`,
    );
    expect(history.stopReason).toBe('callback');
    expect(worker.isTraining).toBe(false);
    expect(extra).toBeLessThanOrEqual(2);
    await worker.stop(); // no fit: resolves at once
  });

  for (const how of ['a SharedArrayBuffer flag', "a 'stop' message (no SharedArrayBuffer)"]) {
    it(`stop() with no callbacks ends the fit through ${how}`, async () => {
      if (how.includes('message')) vi.stubGlobal('SharedArrayBuffer', undefined);
      try {
        const worker = await workerModel();
        const fit = worker.fit(threeClasses(4096), { epochs: 10_000, batchSize: 16 });
        await new Promise((resolve) => setTimeout(resolve, 200));
        await worker.refresh();
        const stepsBefore = worker.training.steps;
        const asked = performance.now();
        await worker.stop();
        const history = await fit;
        const ms = performance.now() - asked;
        console.log(
          `worker stop() through ${how}: the fit ended ${ms.toFixed(1)} ms later (${worker.training.steps - stepsBefore} batches after the last refresh)`,
        );
        expect(history.stopReason).toBe('callback');
        expect(history.epochs.length).toBeLessThan(10_000);
        expect(ms).toBeLessThan(2000); // a generous bound: it stops; the printed time is the measurement
      } finally {
        vi.unstubAllGlobals();
      }
    });
  }

  it('re-throws errors with the original message, and stays usable', async () => {
    const badSpec = { ...SPEC, layers: [{ units: 0, activation: 'relu' as const }] };
    const inThreadError = await createModel(badSpec).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(inThreadError).toBeDefined();
    await expect(createWorkerModel(badSpec)).rejects.toThrow(inThreadError);

    const worker = await workerModel();
    const data = threeClasses(50);
    const badLabels = { inputs: data.inputs, labels: data.labels.map((label, i) => (i === 7 ? 3 : label)) };
    const inThread = await createModel(SPEC);
    const message = await inThread.fit(badLabels).then(
      () => '',
      (error: Error) => error.message,
    );
    // Labels are values: a fourth distinct label does not fit the model's 3 classes.
    expect(message).toContain('labels have 4 distinct values');
    await expect(worker.fit(badLabels)).rejects.toThrow(message);
    await expect(worker.predict(new Float32Array(5))).rejects.toThrow(/not a multiple of the model's 8 inputs/);
    await expect(worker.setLearningRate(-1)).rejects.toThrow('learning rate must be a positive number');
    await expect(worker.fit(data, { schedule: () => 0.1 })).rejects.toThrow(
      /schedule function cannot run in the worker/,
    );
    await expect(worker.fit(data, { maxBatchesAhead: -1 })).rejects.toThrow(/maxBatchesAhead/);
    // Nothing above changed the model.
    expect(await weightBits(worker)).toEqual(await weightBits(inThread));
    // A callback that throws rejects fit with its error (after the batch it saw, as in-thread).
    await expect(
      worker.fit(data, {
        callbacks: {
          onBatchEnd() {
            throw new Error('callback failed');
          },
        },
      }),
    ).rejects.toThrow('callback failed');
    expect((await worker.fit(data, { epochs: 1 })).stopReason).toBe('completed');
  });

  it('rejects a worker program that cannot be loaded, naming it', async () => {
    await expect(createWorkerModel(SPEC, { workerUrl: new URL('file:///nonexistent/worker.js') })).rejects.toThrow(
      /nonexistent\/worker\.js/,
    );
  });

  it('copies data by default, moves it with transfer: true, and copies views of a larger buffer', async () => {
    const worker = await workerModel();
    const data = threeClasses(64);
    await worker.fit(data, { epochs: 1 });
    expect(data.inputs.length).toBe(64 * 8); // copied: still here
    const big = threeClasses(64);
    const view = big.inputs.subarray(8, 8 + 32 * 8);
    await worker.predict(view, { transfer: true });
    expect(big.inputs.length).toBe(64 * 8); // a view: its bytes were copied, the buffer stays
    const moved = threeClasses(64);
    await worker.fit(moved, { epochs: 1, transfer: true });
    expect(moved.inputs.length).toBe(0); // detached: moved to the worker
    expect(moved.labels.length).toBe(0);
  });

  it('runs the threaded mode inside the worker, to the one-thread weights bit for bit', async () => {
    const data = threeClasses(512);
    const threaded = await workerModel({ ...SPEC, threads: 2 });
    expect(threaded.threading).toEqual({ threads: 2, requested: 2 });
    const single = await createModel(SPEC);
    await threaded.fit(data, { epochs: 3, batchSize: 64 });
    await single.fit(data, { epochs: 3, batchSize: 64 });
    expect(await weightBits(threaded)).toEqual(await weightBits(single));
  });

  it('dispose() ends a running fit and the worker; later calls reject', async () => {
    const worker = await createWorkerModel(SPEC);
    const fit = worker.fit(threeClasses(2048), { epochs: 10_000, batchSize: 16 });
    const outcome = fit.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await worker.dispose();
    const result = await outcome;
    console.log(`worker dispose() during fit: ${(performance.now() - started).toFixed(1)} ms; the fit ${result}`);
    expect(['resolved', 'simdnet: this WorkerModel was disposed']).toContain(result);
    await expect(worker.predict(new Float32Array(8))).rejects.toThrow('disposed');
    await worker.dispose(); // twice: nothing
  });
});
