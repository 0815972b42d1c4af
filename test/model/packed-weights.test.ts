/**
 * Inference packs every layer's weights once (packWeights) and reads the packed copy
 * until the weights change. Every write of the weights must make the next inference
 * pack again: after training (one thread and threaded), setWeights, a restored
 * snapshot, and a re-planned memory. Each case compares a model that predicted before
 * the write (its packed copy current, then stale) with a twin that did not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model } from '../../src/index.js';
import { blobs } from '../helpers/datasets.js';
import { engineOf } from '../../src/model/model.js';

const models: Model[] = [];
async function model(threads = 1, seed = 3) {
  // 40 units: two whole 16-column panels and a partial one.
  const m = await createModel({
    inputSize: 20,
    layers: [
      { units: 40, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.02 },
    seed,
    threads,
  });
  models.push(m);
  return m;
}
/** Whether the model's forward reads the packed weights (its context's CTX_PACKED_WEIGHTS). */
const packedInUse = (m: Model): boolean =>
  engineOf(m).core.view().i32[(engineOf(m).plan.context + engineOf(m).core.layout.CTX_PACKED_WEIGHTS) >> 2] === 1;
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

const data = { count: 300, inputSize: 20, ...blobs(300, 20, 3, 11) };
const probe = data.inputs.subarray(0, 50 * 20);

describe('packed weights for inference', () => {
  for (const threads of [1, 2]) {
    it(`after training (${threads} thread${threads > 1 ? 's' : ''}), predict uses the new weights`, async () => {
      const early = await model(threads);
      const twin = await model(threads);
      expect(packedInUse(early)).toBe(false);
      const before = early.predict(probe);
      expect(packedInUse(early)).toBe(true);
      expect(before).toEqual(twin.predict(probe));
      // Batches of 7 rows: in threaded mode too small to split, so trained on the one-thread path.
      for (const m of [early, twin]) await m.fit(data, { epochs: 1, batchSize: threads > 1 ? 7 : 32 });
      const after = early.predict(probe);
      expect(after).not.toEqual(before);
      // The twin packs afresh: the same outputs, bit for bit.
      const fresh = await model(threads);
      fresh.setWeights(early.describe());
      expect(after).toEqual(fresh.predict(probe));
    });
  }

  it('after setWeights, predict and evaluate use the new weights', async () => {
    const m = await model(1, 3);
    const other = await model(1, 4);
    const own = m.predict(probe);
    const theirs = other.predict(probe);
    expect(own).not.toEqual(theirs);
    m.setWeights(other.describe());
    expect(m.predict(probe)).toEqual(theirs);
    expect(m.evaluate(data)).toEqual(other.evaluate(data));
  });

  it('after a restored snapshot, predict uses the restored weights', async () => {
    const m = await model();
    const saved = engineOf(m).snapshot(false);
    const before = m.predict(probe);
    await m.fit(data, { epochs: 1, batchSize: 32 });
    expect(m.predict(probe)).not.toEqual(before);
    engineOf(m).restore(saved);
    expect(m.predict(probe)).toEqual(before);
  });

  it('after the memory is planned anew (more rows per call), predict still matches', async () => {
    const m = await model();
    const small = m.predict(probe);
    const many = new Float32Array(5000 * 20);
    for (let i = 0; i < many.length; i++) many[i] = data.inputs[i % data.inputs.length];
    const large = m.predict(many, { batchSize: 5000 });
    expect(large.subarray(0, small.length)).toEqual(small);
    // And the new plan's packed copy is filled and in use (else every call packs W again).
    expect(packedInUse(m)).toBe(true);
    await m.fit(data, { epochs: 1, batchSize: 32 });
    const twin = await model();
    twin.setWeights(m.describe());
    expect(m.predict(many, { batchSize: 5000 })).toEqual(twin.predict(many, { batchSize: 5000 }));
  });
});
