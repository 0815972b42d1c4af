/**
 * fit's `augment` option (src/train/augment.ts, the core's shiftImages): training on
 * shifted images repeats bit for bit, differs from training on the images as given,
 * leaves the caller's data as it was, equals no augmentation at shift 0, and a bad option
 * is an Error naming it, before the model is touched.
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Dataset, type Model } from '../../src/index.js';
import { expectBitEqual } from '../helpers/compare.js';
import { expectModelUnchanged, flatWeights, modelState } from '../helpers/model-state.js';
import { seededRandom } from '../helpers/random.js';

/** 96 random 6×5 byte images in 3 classes (a class brightens its own band of columns). */
function images(): Dataset {
  const random = seededRandom(21);
  const count = 96;
  const inputs = new Uint8Array(count * 30);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 3;
    for (let p = 0; p < 30; p++) {
      const band = Math.floor((p % 6) / 2) === labels[i];
      inputs[i * 30 + p] = Math.floor(random() * 100) + (band ? 150 : 0);
    }
  }
  return { inputs, labels, count, inputSize: 30, inputScale: 1 / 255 };
}

const newModel = (): Promise<Model> =>
  createModel({
    inputSize: 30,
    layers: [
      { units: 12, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    seed: 5,
  });

const augment = { shift: 1, width: 6, height: 5 };

describe('fit augment', () => {
  it('repeats bit for bit, differs from training without it, and leaves the given images as they were', async () => {
    const data = images();
    const given = data.inputs.slice();
    const a = await newModel();
    await a.fit(data, { epochs: 3, batchSize: 16, augment });
    const b = await newModel();
    await b.fit(data, { epochs: 3, batchSize: 16, augment });
    const plain = await newModel();
    await plain.fit(data, { epochs: 3, batchSize: 16 });
    expectBitEqual(flatWeights(b), flatWeights(a));
    expect(flatWeights(plain)).not.toEqual(flatWeights(a));
    expect(data.inputs).toEqual(given);
  });

  it('shift 0 trains exactly as without augmentation; Float32 images are shifted too', async () => {
    const data = images();
    const a = await newModel();
    await a.fit(data, { epochs: 2, batchSize: 16, augment: { ...augment, shift: 0 } });
    const plain = await newModel();
    await plain.fit(data, { epochs: 2, batchSize: 16 });
    expectBitEqual(flatWeights(a), flatWeights(plain));

    const floats: Dataset = { ...data, inputs: Float32Array.from(data.inputs, (v) => v / 255), inputScale: undefined };
    const shifted = await newModel();
    await shifted.fit(floats, { epochs: 2, batchSize: 16, augment });
    const unshifted = await newModel();
    await unshifted.fit(floats, { epochs: 2, batchSize: 16 });
    expect(flatWeights(shifted)).not.toEqual(flatWeights(unshifted));
  });

  it('predict and evaluate after an augmented fit see the data as given', async () => {
    const data = images();
    const model = await newModel();
    await model.fit(data, { epochs: 2, batchSize: 16, augment, validationData: data });
    const first = model.evaluate(data);
    const again = model.evaluate(data);
    expect(again.loss).toBe(first.loss);
    const history = await model.fit(data, { epochs: 1, batchSize: 16, validationData: data });
    expect(Number.isFinite(history.epochs[0].valLoss)).toBe(true);
  });

  it.each([
    [{ shift: 1, width: 6, height: 5, seed: 3 }, /unknown augment option "seed"/],
    [{ shfit: 1, width: 6, height: 5 }, /augment option "shfit".*did you mean "shift"/],
    [{ shift: 1, width: 5, height: 5 }, /5×5 = 25 pixels; the model takes 30 inputs/],
    [{ shift: 5, width: 6, height: 5 }, /augment.shift must be below the image's width and height/],
    [{ shift: 1.5, width: 6, height: 5 }, /augment.shift must be an integer ≥ 0, got 1.5/],
    [{ shift: -1, width: 6, height: 5 }, /augment.shift must be an integer ≥ 0/],
    [{ shift: 1, width: 0, height: 5 }, /augment.width must be an integer ≥ 1/],
  ])('rejects %o before touching the model', async (bad, message) => {
    const model = await newModel();
    const before = modelState(model);
    // @ts-expect-error: options a user might write by mistake
    await expect(model.fit(images(), { epochs: 1, augment: bad })).rejects.toThrow(message);
    expectModelUnchanged(model, before);
  });
});
