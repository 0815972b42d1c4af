/**
 * Sample and class weights (src/train/weights.ts, the core's weighted loss in
 * assembly/network.ts): the batch loss is the mean over its rows of w_i · loss_i (Keras'),
 * so one step on a weighted batch of n rows equals one step on the batch with each row
 * repeated w_i times (Σw rows) when the learning rate is scaled by n / Σw.
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import { unitWeights } from '../../src/train/weights.js';
import { expectBitEqual, expectClose } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights } from '../helpers/model-state.js';

const data = blobs(24, 5, 3, 9);

const model = (learningRate: number, threads = 1, loss?: 'mse'): Promise<Model> =>
  createModel({
    inputSize: 5,
    layers: [
      { units: 7, activation: 'tanh' },
      { units: 3, activation: loss ? 'linear' : 'softmax' },
    ],
    loss,
    optimizer: { type: 'sgd', learningRate },
    seed: 4,
    threads,
  });

/** `data`'s rows, row i repeated weights[i] times, in order. */
function repeated(weights: number[]) {
  const inputs: number[] = [];
  const labels: number[] = [];
  weights.forEach((w, i) => {
    for (let k = 0; k < w; k++) {
      inputs.push(...data.inputs.subarray(i * 5, i * 5 + 5));
      labels.push(data.labels[i]);
    }
  });
  return { inputs: new Float32Array(inputs), labels };
}

describe('sample weights', () => {
  const weights = Array.from({ length: 24 }, (_, i) => 1 + (i % 4)); // 1..4, Σ = 60

  for (const loss of [undefined, 'mse'] as const) {
    it(`a weighted batch equals the batch with rows repeated (${loss ?? 'crossEntropy'})`, async () => {
      const total = weights.reduce((a, b) => a + b, 0);
      const lr = 0.5;
      const weighted = await model((lr * 24) / total, 1, loss);
      const h = await weighted.fit(data, { epochs: 1, batchSize: 24, shuffle: false, sampleWeight: weights });
      const dup = repeated(weights);
      const plain = await model(lr, 1, loss);
      const hd = await plain.fit(dup, { epochs: 1, batchSize: total, shuffle: false });
      expectClose(flatWeights(weighted), flatWeights(plain), { atol: 1e-6, rtol: 1e-5 });
      expect(h.epochs[0].loss * 24).toBeCloseTo(hd.epochs[0].loss * total, 4);
      // And the weights matter: an unweighted step differs.
      const unweighted = await model((lr * 24) / total, 1, loss);
      await unweighted.fit(data, { epochs: 1, batchSize: 24, shuffle: false });
      expect(
        Math.max(...flatWeights(unweighted).map((v, i) => Math.abs(v - flatWeights(weighted)[i]))),
      ).toBeGreaterThan(1e-4);
    });
  }

  it('1 and 2 threads give the same bits', async () => {
    const one = await model(0.1, 1);
    const two = await model(0.1, 2);
    const options = { epochs: 3, batchSize: 24, sampleWeight: weights, classWeight: 'balanced' as const };
    const h1 = await one.fit(data, options);
    const h2 = await two.fit(data, options);
    expectBitEqual(flatWeights(two), flatWeights(one), 'weights');
    // The batch loss is summed in another order over threads (f64): close, not bit-equal.
    h2.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(h1.epochs[i].loss, 12));
    two.dispose();
  });

  it('bad weights are rejected before training', async () => {
    const m = await model(0.1);
    await expect(m.fit(data, { sampleWeight: [1, 2] })).rejects.toThrow(/sampleWeight has 2 values for 24 rows/);
    const bad = [...weights];
    bad[3] = Number.NaN;
    await expect(m.fit(data, { sampleWeight: bad })).rejects.toThrow(/sampleWeight\[3\] must be a finite number/);
    await expect(m.fit(data, { classWeight: { 7: 2 } })).rejects.toThrow(/classWeight names class "7"/);
    expect(m.training.steps).toBe(0);
  });
});

describe('class weights', () => {
  it('classWeight equals the same weights given per row', async () => {
    const byClass = await model(0.2);
    await byClass.fit(data, { epochs: 2, batchSize: 8, classWeight: { 0: 2, 2: 0.5 } });
    const byRow = await model(0.2);
    const perRow = Array.from(data.labels, (l) => [2, 1, 0.5][l]);
    await byRow.fit(data, { epochs: 2, batchSize: 8, sampleWeight: perRow });
    expectBitEqual(flatWeights(byClass), flatWeights(byRow), 'weights');
  });

  it("'balanced' is n / (k · n_c) over the classes present", () => {
    // 6 rows: class 0 ×3, class 1 ×2, class 2 ×1, class 3 absent; k = 3 present.
    const w = unitWeights('balanced', [0, 0, 0, 1, 1, 2], [0, 1, 2, 3]);
    expect(Array.from(w)).toEqual([6 / 9, 6 / 6, 6 / 3, 1]);
  });

  it('keys are class values', async () => {
    const m = await createModel({
      inputSize: 5,
      layers: [{ units: 3, activation: 'softmax' }],
      classes: ['a', 'b', 'c'],
      optimizer: 'sgd',
    });
    const labels = Array.from(data.labels, (l) => 'abc'[l]);
    await m.fit({ inputs: data.inputs, labels }, { classWeight: { b: 3 } });
    await expect(m.fit({ inputs: data.inputs, labels }, { classWeight: { d: 3 } })).rejects.toThrow(
      /classWeight names class "d", which is not one of the model's classes \(a, b, c\)/,
    );
  });
});
