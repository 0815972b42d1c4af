/**
 * A helper thread that stops (killed between or during fits, or its job throwing in the
 * middle of a round) breaks the pool: the model goes on with one thread, says why in
 * `model.threading.reason`, and every later fit, predict and evaluate completes at once
 * (no waiting out the join timeout) with the results of a one-thread model, bit for bit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';
import { engineOf } from '../../src/model/model.js';
import type { ThreadPool } from '../../src/runtime/threads.js';
import { threadSupport } from '../../src/runtime/threads.js';

function blobs(count: number) {
  let state = 11;
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
async function model(threads: number) {
  const m = await createModel({
    inputSize: 8,
    layers: [
      { units: 32, activation: 'relu' },
      { units: 4, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed: 9,
    threads,
  });
  models.push(m);
  return m;
}
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

/** The pool of a threaded model (private to the engine; reached here as a test hook). */
const poolOf = (m: Model): ThreadPool => (engineOf(m) as unknown as { pool: ThreadPool }).pool;

/** Seconds `run` takes, and its result. */
async function timed<T>(run: () => T | Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await run();
  return [(performance.now() - start) / 1000, result];
}

/** Less than the pool's join timeout (10 s): a call that had to wait for a dead helper would take longer. */
const NO_WAIT_SECONDS = 5;
const data = blobs(512);
const fitOptions = { epochs: 2, batchSize: 64, shuffle: true };

describe.skipIf(!threadSupport().ok)('a helper thread that stops', () => {
  it('killed between fits: the next fit, predict and evaluate run on one thread, with the one-thread results', async () => {
    const threaded = await model(2);
    const single = await model(1);
    expect(threaded.threading.threads).toBe(2);
    await threaded.fit(data, fitOptions);
    await single.fit(data, fitOptions);

    await poolOf(threaded).terminateHelper(0);
    const [fitSeconds] = await timed(() => threaded.fit(data, fitOptions));
    await single.fit(data, fitOptions);
    expect(threaded.threading).toEqual({
      threads: 1,
      requested: 2,
      reason: expect.stringMatching(/^helper thread 1 exited/),
    });
    const [predictSeconds, outputs] = await timed(() => threaded.predict(data.inputs));
    const [evaluateSeconds, evaluated] = await timed(() => threaded.evaluate(data));
    expect(Math.max(fitSeconds, predictSeconds, evaluateSeconds)).toBeLessThan(NO_WAIT_SECONDS);
    expect(threaded.describe()).toEqual(single.describe());
    expect(outputs).toEqual(single.predict(data.inputs));
    expect(evaluated).toEqual(single.evaluate(data));
  });

  it('killed during a fit: the fit goes on with one thread and ends with the one-thread weights', async () => {
    const threaded = await model(2);
    const single = await model(1);
    let batches = 0;
    const history = await threaded.fit(data, {
      ...fitOptions,
      callbacks: {
        onBatchEnd: async () => {
          if (++batches === 3) await poolOf(threaded).terminateHelper(0);
        },
      },
    });
    const singleHistory = await single.fit(data, fitOptions);
    expect(threaded.threading.threads).toBe(1);
    expect(threaded.threading.reason).toMatch(/^helper thread 1 exited/);
    // The loss is a sum of the threads' shares in float64: equal up to its last bits.
    history.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(singleHistory.epochs[i].loss, 12));
    expect(threaded.describe()).toEqual(single.describe());
  });

  it("a helper's job that throws in the middle of a training round: the batch is redone on one thread", async () => {
    const threaded = await model(2);
    const single = await model(1);
    // Every job handed out from now on has a kind the helpers do not know: the first one throws.
    // (A corrupted context would not do: under load the main thread may take every row of a
    // batch before the helper wakes, and the helper then touches nothing.)
    const pool = poolOf(threaded) as unknown as { dispatch(kind: number, args: number[][]): void };
    const dispatch = pool.dispatch.bind(pool);
    pool.dispatch = (_kind, args) => dispatch(99, args);

    const [seconds] = await timed(() => threaded.fit(data, fitOptions));
    await single.fit(data, fitOptions);
    expect(seconds).toBeLessThan(NO_WAIT_SECONDS);
    expect(threaded.threading).toEqual({ threads: 1, requested: 2, reason: 'helper thread 1 failed during a round' });
    expect(threaded.describe()).toEqual(single.describe());
    expect(threaded.predict(data.inputs)).toEqual(single.predict(data.inputs));
  });

  it('a job that traps during predict (its layer aimed past the end of memory): the rows are redone on one thread', async () => {
    const threaded = await model(2);
    const single = await model(1);
    const engine = engineOf(threaded);
    const { layout } = engine.core;
    const helperLayer = engine.plan.helpers[0].context + layout.CTX_HEADER_BYTES;
    engine.core.view().u32[(helperLayer + layout.LAYER_PW) >>> 2] = 0xffffff00;
    engine.core.view().u32[(helperLayer + layout.LAYER_W) >>> 2] = 0xffffff00;
    const [seconds, outputs] = await timed(() => threaded.predict(data.inputs));
    expect(seconds).toBeLessThan(NO_WAIT_SECONDS);
    expect(threaded.threading.reason).toBe('helper thread 1 failed during a round');
    expect(outputs).toEqual(single.predict(data.inputs));
  });
});
