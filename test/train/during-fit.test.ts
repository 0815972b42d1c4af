/**
 * A model answers predict()/evaluate() from fit()'s callbacks (a browser demo
 * predicts while it trains) without disturbing the training data, and refuses a
 * second concurrent fit().
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';

function blobs(count: number, seed: number) {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const inputs = new Float32Array(count * 4);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 4; j++) inputs[i * 4 + j] = (j === labels[i] ? 2 : 0) + next() - 0.5;
  }
  return { count, inputSize: 4, inputs, labels };
}

const spec = () => ({
  inputSize: 4,
  layers: [
    { units: 16, activation: 'relu' as const },
    { units: 3, activation: 'softmax' as const },
  ],
  optimizer: { type: 'adam' as const, learningRate: 0.01 },
  seed: 7,
});

describe('during fit', () => {
  it('predict and evaluate from callbacks leave training identical to training without them', async () => {
    const train = blobs(300, 1);
    const probe = blobs(500, 2); // larger than the training set: its copy must not overwrite it
    const quiet = await createModel(spec());
    const busy = await createModel(spec());
    const quietHistory = await quiet.fit(train, { epochs: 3, batchSize: 32 });
    const seen: number[] = [];
    const busyHistory = await busy.fit(train, {
      epochs: 3,
      batchSize: 32,
      callbacks: {
        onBatchEnd: () => {
          seen.push(busy.predict(probe.inputs)[0]);
        },
        onEpochEnd: () => {
          expect(busy.isTraining).toBe(true);
          busy.evaluate(probe);
        },
      },
    });
    expect(seen.length).toBe(30);
    expect(busyHistory.epochs.map((e) => e.loss)).toEqual(quietHistory.epochs.map((e) => e.loss));
    expect(busy.describe().layers[0].weights).toEqual(quiet.describe().layers[0].weights);
    expect(busy.isTraining).toBe(false);
  });

  it('a second fit while one runs is an error, and the first completes', async () => {
    const model = await createModel(spec());
    const train = blobs(200, 3);
    const first = model.fit(train, { epochs: 2, batchSize: 8, yieldEveryMs: 0 });
    await expect(model.fit(train, { epochs: 1 })).rejects.toThrow(/already training/);
    const history = await first;
    expect(history.epochs.length).toBe(2);
    expect(history.epochs[1].accuracy).toBeGreaterThan(0.9);
  });
});
