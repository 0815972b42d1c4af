/**
 * Early stopping (src/train/fit.ts): stop after `patience` epochs without an improvement
 * larger than `minDelta` in the monitored metric, and with restoreBestWeights put back
 * the weights the model had at the end of its best epoch.
 *
 * The overfitting case: 200 separable training points, and a tiny validation set from
 * the same distribution with 30% of its labels flipped. Measured with Adam(0.01),
 * seed 1: valLoss 1.147, 1.045, 1.102, 1.216, 1.222, 1.365, ... (best at epoch 2, then
 * worse every epoch as the model grows confident on the flipped points).
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import type { EarlyStoppingOptions } from '../../src/train/fit.js';
import { differsInBits, expectBitEqual } from '../helpers/compare.js';
import { blobs } from '../helpers/datasets.js';
import { flatWeights } from '../helpers/model-state.js';
import { seededRandom } from '../helpers/random.js';

const all = blobs(224, 6, 3, 1);
const train = { inputs: all.inputs.slice(0, 200 * 6), labels: all.labels.slice(0, 200) };
const validation = { inputs: all.inputs.slice(200 * 6), labels: all.labels.slice(200) };
const flip = seededRandom(3);
for (let i = 0; i < validation.labels.length; i++)
  if (flip() < 0.3) validation.labels[i] = (validation.labels[i] + 1) % 3;

const newModel = (learningRate = 0.01): Promise<Model> =>
  createModel({
    inputSize: 6,
    layers: [
      { units: 32, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate },
    seed: 1,
  });

/** Fits with early stopping, keeping a copy of the weights at the end of every epoch. */
async function fitWatching(
  model: Model,
  earlyStopping: EarlyStoppingOptions | boolean,
  epochs = 15,
  withValidation = true,
) {
  const weightsAtEpoch = new Map<number, Float32Array>();
  const history = await model.fit(train, {
    epochs,
    batchSize: 16,
    validationData: withValidation ? validation : undefined,
    earlyStopping,
    callbacks: {
      onEpochEnd: (log) => {
        weightsAtEpoch.set(log.epoch, flatWeights(model));
      },
    },
  });
  return { history, weightsAtEpoch };
}

const argmin = (values: number[]) => values.indexOf(Math.min(...values));

/**
 * The rule, as documented: an epoch improves when it beats the best so far by more than
 * minDelta (the first epoch always does); training stops once `patience` epochs in a row
 * have not improved. Returns the 1-based stopping epoch (undefined: never) and best epoch.
 */
function applyEarlyStoppingRule(
  values: number[],
  { patience, minDelta, higherIsBetter }: { patience: number; minDelta: number; higherIsBetter: boolean },
) {
  let best = NaN;
  let bestEpoch = 0;
  let wait = 0;
  for (let i = 0; i < values.length; i++) {
    const gain = higherIsBetter ? values[i] - best : best - values[i];
    if (i === 0 || gain > minDelta) {
      best = values[i];
      bestEpoch = i + 1;
      wait = 0;
    } else if (++wait >= patience) {
      return { stopEpoch: i + 1, bestEpoch };
    }
  }
  return { stopEpoch: undefined, bestEpoch };
}

describe('early stopping on validation loss', () => {
  it("stops `patience` epochs after the best epoch and restores that epoch's weights exactly", async () => {
    const model = await newModel();
    const patience = 3;
    const { history, weightsAtEpoch } = await fitWatching(model, { patience });
    const valLosses = history.epochs.map((e) => e.valLoss!);
    const best = argmin(valLosses) + 1;
    expect(best, 'the constructed case has its best epoch after the first').toBeGreaterThanOrEqual(2);
    expect(history.stopReason).toBe('earlyStopping');
    expect(history.bestEpoch).toBe(best);
    expect(history.epochs.length).toBe(best + patience);
    // Every epoch after the best was worse.
    for (const loss of valLosses.slice(best)) expect(loss).toBeGreaterThan(valLosses[best - 1]);
    const restored = flatWeights(model);
    expectBitEqual(restored, weightsAtEpoch.get(best)!, 'weights after stopping vs at the best epoch');
    expect(differsInBits(restored, weightsAtEpoch.get(history.epochs.length)!)).toBe(true);
    expect(model.evaluate(validation).loss).toBeCloseTo(valLosses[best - 1], 10);
  });

  it("with restoreBestWeights: false the model keeps the last epoch's weights", async () => {
    const model = await newModel();
    const { history, weightsAtEpoch } = await fitWatching(model, { patience: 3, restoreBestWeights: false });
    expect(history.stopReason).toBe('earlyStopping');
    expectBitEqual(
      flatWeights(model),
      weightsAtEpoch.get(history.epochs.length)!,
      'weights after stopping vs the last epoch',
    );
  });

  it('patience 0 stops at the first epoch that does not improve', async () => {
    const { history } = await fitWatching(await newModel(), { patience: 0 });
    const valLosses = history.epochs.map((e) => e.valLoss!);
    const firstWorse = valLosses.findIndex((loss, i) => i > 0 && loss >= Math.min(...valLosses.slice(0, i)));
    expect(history.epochs.length).toBe(firstWorse + 1);
    expect(history.stopReason).toBe('earlyStopping');
  });

  it('`earlyStopping: true` means monitor valLoss, patience 5, restore the best weights', async () => {
    const model = await newModel();
    const { history, weightsAtEpoch } = await fitWatching(model, true);
    const best = argmin(history.epochs.map((e) => e.valLoss!)) + 1;
    expect(history.epochs.length).toBe(best + 5);
    expectBitEqual(flatWeights(model), weightsAtEpoch.get(best)!, 'restored weights');
  });

  it('monitoring valAccuracy treats higher as better', async () => {
    const plain = await fitWatching(await newModel(), { monitor: 'valAccuracy', patience: 100 }, 12);
    const accuracies = plain.history.epochs.map((e) => e.valAccuracy!);
    const expected = applyEarlyStoppingRule(accuracies, { patience: 2, minDelta: 0, higherIsBetter: true });
    const { history } = await fitWatching(await newModel(), { monitor: 'valAccuracy', patience: 2 }, 12);
    expect(history.bestEpoch).toBe(expected.bestEpoch);
    expect(history.epochs.length).toBe(expected.stopEpoch ?? 12);
    expect(history.stopReason).toBe(expected.stopEpoch ? 'earlyStopping' : 'completed');
  });
});

describe('minDelta', () => {
  it('improvements smaller than minDelta do not count: with minDelta larger than any change, only epoch 1 is best', async () => {
    const { history } = await fitWatching(await newModel(), { monitor: 'loss', patience: 2, minDelta: 1e6 }, 10, false);
    expect(history.bestEpoch).toBe(1);
    expect(history.epochs.length).toBe(3);
    expect(history.stopReason).toBe('earlyStopping');
  });

  it('a steadily improving training loss never triggers a stop (minDelta 0)', async () => {
    const { history } = await fitWatching(await newModel(0.002), { monitor: 'loss', patience: 1 }, 8, false);
    const losses = history.epochs.map((e) => e.loss);
    losses.slice(1).forEach((loss, i) => expect(loss).toBeLessThan(losses[i]));
    expect(history.stopReason).toBe('completed');
    expect(history.epochs.length).toBe(8);
    expect(history.bestEpoch).toBe(8);
  });

  it("a minDelta just above an epoch's improvement turns it into a non-improvement", async () => {
    const plain = await fitWatching(await newModel(0.002), { monitor: 'loss', patience: 1 }, 8, false);
    const losses = plain.history.epochs.map((e) => e.loss);
    const gains = losses.slice(1).map((loss, i) => losses[i] - loss);
    const minDelta = Math.min(...gains) * 1.0001;
    // The same seed gives the same run up to the stop, so the rule applied to the plain run's losses says where it stops.
    const expected = applyEarlyStoppingRule(losses, { patience: 1, minDelta, higherIsBetter: false });
    expect(expected.stopEpoch).toBeDefined();
    const { history } = await fitWatching(await newModel(0.002), { monitor: 'loss', patience: 1, minDelta }, 8, false);
    expect(history.epochs.length).toBe(expected.stopEpoch);
    expect(history.bestEpoch).toBe(expected.bestEpoch);
    expect(history.stopReason).toBe('earlyStopping');
  });
});

describe('monitoring what the fit does not produce', () => {
  it('monitor valLoss without validationData is an error naming the metric', async () => {
    const model = await newModel();
    await expect(model.fit(train, { epochs: 2, earlyStopping: { monitor: 'valLoss' } })).rejects.toThrow(
      /valLoss.*no validationData/,
    );
  });
});
