/**
 * Reproducibility: a seed fixes the initial weights and the shuffling, and the core is
 * deterministic (baseline SIMD, no FMA, no threads here), so the same seed gives
 * bit-identical weights and a bit-identical training run, each model in its own
 * WebAssembly instance. A different seed gives different weights and a different run.
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import type { ModelSpec } from '../../src/model/spec.js';
import { differsInBits, expectBitEqual } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights } from '../helpers/model-state.js';

const spec = (seed: number): ModelSpec => ({
  inputSize: 6,
  layers: [
    { units: 12, activation: 'relu' },
    { units: 9, activation: 'tanh' },
    { units: 4, activation: 'softmax' },
  ],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed,
});
const data = blobs(150, 6, 4, 77);

async function trainedRun(seed: number): Promise<{ model: Model; losses: number[]; initial: Float32Array }> {
  const model = await createModel(spec(seed));
  const initial = flatWeights(model);
  const history = await model.fit(data, { epochs: 3, batchSize: 16 });
  return { model, losses: history.epochs.map((e) => e.loss), initial };
}

describe('seeds', () => {
  it('the same seed gives bit-identical initial weights (biases start at zero)', async () => {
    const [a, b] = [await createModel(spec(5)), await createModel(spec(5))];
    expectBitEqual(flatWeights(a), flatWeights(b), 'initial weights');
    expect(a.describe().layers.every((layer) => layer.bias.every((v) => v === 0))).toBe(true);
    // Weights within the Glorot/He limits, and not degenerate.
    const first = a.describe().layers[0].weights;
    expect(Math.max(...first.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 6));
    expect(new Set(first).size).toBe(first.length);
  });

  it('a different seed gives different initial weights', async () => {
    expect(differsInBits(flatWeights(await createModel(spec(5))), flatWeights(await createModel(spec(6))))).toBe(true);
  });

  it('the same seed gives an identical training run: the same losses and bit-identical final weights', async () => {
    const [a, b] = [await trainedRun(9), await trainedRun(9)];
    expect(a.losses).toEqual(b.losses);
    expectBitEqual(flatWeights(a.model), flatWeights(b.model), 'trained weights');
    expectBitEqual(a.model.predict(data.inputs), b.model.predict(data.inputs), 'predictions');
    // And training did something.
    expect(differsInBits(a.initial, flatWeights(a.model))).toBe(true);
  });

  it('a different seed gives a different run', async () => {
    const [a, b] = [await trainedRun(9), await trainedRun(10)];
    expect(a.losses).not.toEqual(b.losses);
    expect(differsInBits(flatWeights(a.model), flatWeights(b.model))).toBe(true);
  });

  it("the seed also fixes the shuffling: the same initial weights with another seed's order train differently", async () => {
    const a = await createModel(spec(9));
    const b = await createModel(spec(10));
    b.setWeights(a.describe());
    await a.fit(data, { epochs: 1, batchSize: 16 });
    await b.fit(data, { epochs: 1, batchSize: 16 });
    expect(differsInBits(flatWeights(a), flatWeights(b))).toBe(true);
    // Without shuffling the order is the data's own, so the two runs agree exactly.
    const c = await createModel(spec(9));
    const d = await createModel(spec(10));
    d.setWeights(c.describe());
    await c.fit(data, { epochs: 2, batchSize: 16, shuffle: false });
    await d.fit(data, { epochs: 2, batchSize: 16, shuffle: false });
    expectBitEqual(flatWeights(c), flatWeights(d), 'unshuffled runs');
  });
});
