/**
 * Metrics (src/train/metrics.ts) against hand-computed values: a model whose outputs are
 * softmax(inputs) (identity weights) predicts the argmax of each input row, so the
 * predictions are chosen by the test. Class 3 never appears (neither true nor predicted)
 * and class 2 is predicted but never true: their precision and recall count 0
 * (scikit-learn's zero_division=0; its precision_recall_fscore_support(labels=[0,1,2,3],
 * average='macro') gives 0.41667, 0.29167, 0.33333 for these rows).
 */
import { describe, expect, it } from 'vitest';

import { createModel, type Model } from '../../src/index.js';
import { parseMetrics } from '../../src/train/metrics.js';
import { blobs } from '../helpers/datasets.js';

/** [true class, input row] per row: the prediction is the input's argmax. */
const rows: [number, number[]][] = [
  [0, [3, 1, 0, 0]], // predicted 0, top-2 {0, 1}
  [0, [3, 0, 1, 0]], // 0, {0, 2}
  [0, [0, 3, 1, 0]], // 1, {1, 2}: a top-2 miss
  [1, [1, 3, 0, 0]], // 1
  [1, [0, 3, 0, 1]], // 1
  [1, [0, 1, 3, 0]], // 2, {2, 1}
  [0, [1, 0, 3, 0]], // 2, {2, 0}
];
const inputs = new Float32Array(rows.flatMap(([, x]) => x));
const labels = rows.map(([t]) => t);

async function identity(units: number, activation: 'softmax' | 'linear'): Promise<Model> {
  const model = await createModel({ inputSize: units, layers: [{ units, activation }] });
  const weights = new Float32Array(units * units);
  for (let i = 0; i < units; i++) weights[i * units + i] = 1;
  model.setWeights({ inputSize: units, layers: [{ units, activation, weights, bias: new Float32Array(units) }] });
  return model;
}

describe('classification metrics', () => {
  it('evaluate: accuracy, macro precision/recall/f1, top-2, confusion matrix, per class', async () => {
    const model = await identity(4, 'softmax');
    const result = model.evaluate(
      { inputs, labels },
      { metrics: ['accuracy', 'precision', 'recall', 'f1', { name: 'topK', k: 2 }] },
    );
    expect(result.accuracy).toBeCloseTo(4 / 7, 12);
    expect(result.precision).toBeCloseTo((1 + 2 / 3 + 0 + 0) / 4, 12);
    expect(result.recall).toBeCloseTo((0.5 + 2 / 3) / 4, 12);
    expect(result.f1).toBeCloseTo((2 / 3 + 2 / 3) / 4, 12);
    expect(result.top2).toBeCloseTo(6 / 7, 12);
    expect(result.confusionMatrix).toEqual([
      [2, 1, 1, 0],
      [0, 2, 1, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(result.perClass!.precision[0]).toBe(1);
    expect(result.perClass!.recall[0]).toBe(0.5);
    expect(result.perClass!.precision[2]).toBe(0); // predicted twice, never right
    expect(result.perClass!.precision[3]).toBe(0); // never predicted: 0/0 -> 0
    expect(result.perClass!.recall[3]).toBe(0); // never true: 0/0 -> 0
    expect(result.perClass!.support).toEqual([4, 3, 0, 0]);
    expect(result.classes).toEqual([0, 1, 2, 3]);
    // 'top2' is topK with k 2; without metrics evaluate stays as it was.
    expect(model.evaluate({ inputs, labels }, { metrics: ['top2'] }).top2).toBeCloseTo(6 / 7, 12);
    expect(model.evaluate({ inputs, labels }).confusionMatrix).toBeUndefined();
  });

  it('the matrix is in class-value order for value labels', async () => {
    const model = await createModel({
      inputSize: 4,
      layers: [{ units: 4, activation: 'softmax' }],
      classes: [10, 20, 30, 40],
    });
    const weights = new Float32Array(16);
    for (let i = 0; i < 4; i++) weights[i * 4 + i] = 1;
    model.setWeights({
      inputSize: 4,
      layers: [{ units: 4, activation: 'softmax', weights, bias: new Float32Array(4) }],
    });
    const result = model.evaluate({ inputs, labels: labels.map((l) => (l + 1) * 10) }, { metrics: ['precision'] });
    expect(result.classes).toEqual([10, 20, 30, 40]);
    expect(result.confusionMatrix![0]).toEqual([2, 1, 1, 0]);
    expect(result.precision).toBeCloseTo(5 / 12, 12);
  });

  it('unknown metric names and misplaced metrics are rejected', async () => {
    expect(() => parseMetrics(['precison' as never])).toThrow(/unknown metric "precison"/);
    expect(() => parseMetrics([{ name: 'topK', k: 0 }])).toThrow(/topK needs k, a positive integer, got 0/);
    const model = await identity(4, 'softmax');
    expect(() => model.evaluate({ inputs, labels }, { metrics: ['rmse'] })).toThrow(
      /metric 'rmse' applies to regression/,
    );
  });
});

describe('regression metrics', () => {
  it('mae, rmse, r2 over every output element', async () => {
    const model = await identity(2, 'linear');
    // outputs = inputs; errors 0, 1, -2, 0; targets mean 2.75, SS_tot 12.75.
    const result = model.evaluate(
      { inputs: new Float32Array([1, 2, 3, 4]), targets: new Float32Array([1, 1, 5, 4]) },
      { metrics: ['mae', 'rmse', 'r2'] },
    );
    expect(result.mae).toBeCloseTo(0.75, 12);
    expect(result.rmse).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(result.r2).toBeCloseTo(1 - 5 / 12.75, 12);
    expect(result.confusionMatrix).toBeUndefined();
    expect(() => model.evaluate({ inputs, targets: new Float32Array(14) }, { metrics: ['f1'] })).toThrow();
  });
});

describe('metrics in fit', () => {
  const data = blobs(200, 5, 3, 4);
  const train = { inputs: data.inputs.slice(0, 150 * 5), labels: data.labels.slice(0, 150) };
  const validation = { inputs: data.inputs.slice(150 * 5), labels: data.labels.slice(150) };
  const model = (threads = 1) =>
    createModel({
      inputSize: 5,
      layers: [
        { units: 8, activation: 'relu' },
        { units: 3, activation: 'softmax' },
      ],
      seed: 5,
      threads,
    });

  it('per epoch, on training batches and validation data', async () => {
    const withMetrics = await model();
    const history = await withMetrics.fit(train, {
      epochs: 3,
      batchSize: 64,
      validationData: validation,
      metrics: ['accuracy', 'precision', 'recall', 'f1', 'top2'],
    });
    const last = history.epochs[2];
    // Validation metrics are those of the weights at the epoch's end.
    const evaluated = withMetrics.evaluate(validation, { metrics: ['precision', 'recall', 'f1', 'top2'] });
    expect(last.valPrecision).toBe(evaluated.precision);
    expect(last.valRecall).toBe(evaluated.recall);
    expect(last.valF1).toBe(evaluated.f1);
    expect(last.valTop2).toBe(evaluated.top2);
    // Training accuracy from the batches' outputs equals the core's own count.
    const plain = await model();
    const plainHistory = await plain.fit(train, { epochs: 3, batchSize: 64, validationData: validation });
    for (let e = 0; e < 3; e++) expect(history.epochs[e].accuracy).toBe(plainHistory.epochs[e].accuracy);
    for (const log of history.epochs) {
      for (const key of ['precision', 'recall', 'f1', 'top2'] as const) {
        expect(log[key]).toBeGreaterThanOrEqual(0);
        expect(log[key]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the same on 2 threads', async () => {
    const one = await model(1);
    const two = await model(2);
    const options = { epochs: 2, batchSize: 64, validationData: validation, metrics: ['f1', 'precision'] as const };
    const h1 = await one.fit(train, { ...options, metrics: [...options.metrics] });
    const h2 = await two.fit(train, { ...options, metrics: [...options.metrics] });
    for (let e = 0; e < 2; e++) {
      expect(h2.epochs[e].f1).toBe(h1.epochs[e].f1);
      expect(h2.epochs[e].valPrecision).toBe(h1.epochs[e].valPrecision);
    }
    two.dispose();
  });

  it('verbose 1 prints one line per epoch with the metrics', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      const m = await model();
      await m.fit(train, { epochs: 2, validationData: validation, metrics: ['f1'], verbose: 1 });
      await m.fit(train, { epochs: 1 });
    } finally {
      console.log = log;
    }
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^epoch 2 - [\d.]+s - loss [\d.]+ - accuracy [\d.]+ - f1 [\d.]+ - valLoss [\d.]+ - valAccuracy [\d.]+ - valF1 [\d.]+$/,
    );
  });
});
