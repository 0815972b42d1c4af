/**
 * threads: 'auto' shares a batch out only when its work pays for a second thread
 * (rows × Σ in·out ≥ AUTO_MIN_MACS, src/model/threading.ts): a small CSV-sized model trains
 * and predicts on one thread and says why; MNIST-sized work takes every core (up to 4).
 * Either way the weights are the one-thread weights, bit for bit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';
import { AUTO_MIN_MACS, autoThreadsPay, macsPerRow, type Threading } from '../../src/model/threading.js';
import { availableCores, threadSupport } from '../../src/runtime/threads.js';

const models: Model[] = [];
async function model(sizes: number[], threads: number | 'auto') {
  const m = await createModel({
    inputSize: sizes[0],
    layers: sizes.slice(1).map((units, l) => ({ units, activation: l === sizes.length - 2 ? 'softmax' : 'relu' })),
    seed: 4,
    threads,
  });
  models.push(m);
  return m;
}
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

function rows(count: number, inputSize: number, classes: number) {
  let state = 5;
  const inputs = new Float32Array(count * inputSize).map(() => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  });
  return { count, inputSize, inputs, labels: new Int32Array(count).map((_, r) => r % classes) };
}

describe('the auto rule', () => {
  it('weighs rows × Σ in·out against AUTO_MIN_MACS and says what it chose', () => {
    const layers = [
      { inSize: 784, units: 128 },
      { inSize: 128, units: 64 },
      { inSize: 64, units: 10 },
    ];
    expect(macsPerRow(layers)).toBe(784 * 128 + 128 * 64 + 64 * 10);
    const threading: Threading = { threads: 2, requested: 2, auto: true };
    expect(autoThreadsPay(threading, 64, macsPerRow(layers), 2)).toBe(true);
    expect(threading).toEqual({ threads: 2, requested: 2, auto: true });
    const perRow = 10 * 32 + 32 * 2;
    expect(autoThreadsPay(threading, 32, perRow, 2)).toBe(false);
    expect(threading.threads).toBe(1);
    expect(threading.reason).toBe(
      `auto: 32 rows × ${perRow} multiply-adds is below ${AUTO_MIN_MACS} per batch, too little work for a second thread to gain`,
    );
    // Exactly at the threshold it pays, one row below it does not.
    expect(autoThreadsPay(threading, AUTO_MIN_MACS / 1000, 1000, 2)).toBe(true);
    expect(autoThreadsPay(threading, AUTO_MIN_MACS / 1000 - 1, 1000, 2)).toBe(false);
  });
});

describe.skipIf(!threadSupport().ok || availableCores() < 2)("threads: 'auto'", () => {
  const cores = Math.min(4, availableCores());

  it('a 10-32-2 model at batch 32 trains and predicts on one thread, with the reason, and the one-thread weights', async () => {
    const auto = await model([10, 32, 2], 'auto');
    const single = await model([10, 32, 2], 1);
    expect(auto.threading).toEqual({ threads: cores, requested: cores, auto: true });
    const data = rows(256, 10, 2);
    await auto.fit(data, { epochs: 2, batchSize: 32 });
    await single.fit(data, { epochs: 2, batchSize: 32 });
    expect(auto.threading.threads).toBe(1);
    expect(auto.threading.requested).toBe(cores);
    expect(auto.threading.reason).toMatch(/^auto: 32 rows × 384 multiply-adds is below/);
    expect(auto.describe()).toEqual(single.describe());
    expect(auto.predict(data.inputs)).toEqual(single.predict(data.inputs));
  });

  it('784-128-64-10 at batch 64 takes every core (up to 4), with the one-thread weights', async () => {
    const auto = await model([784, 128, 64, 10], 'auto');
    const single = await model([784, 128, 64, 10], 1);
    const data = rows(256, 784, 10);
    await auto.fit(data, { epochs: 1, batchSize: 64 });
    await single.fit(data, { epochs: 1, batchSize: 64 });
    expect(auto.threading).toEqual({ threads: cores, requested: cores, auto: true });
    expect(auto.describe()).toEqual(single.describe());
  });
});
