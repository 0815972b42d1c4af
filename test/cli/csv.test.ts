/**
 * The CLI on CSV files, end to end as a user runs it: train and save, then
 * info, evaluate, predict and export the saved model. The exported ONNX and TF.js
 * models must give the same outputs as `simdnet predict` on raw features, which
 * checks that the saved standardization is applied (and folded into the export).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { housePrices, irisLike, parseCsv, runOk, scratchDir, toCsv, type Table } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

const features = (table: Table, count: number) => table.rows.map((row) => row.slice(0, count).map(Number));

describe('CSV classification: train, info, evaluate, predict, export', () => {
  const train = irisLike(240, 1);
  const holdout = irisLike(90, 2);
  let trainJson: Record<string, any>;

  beforeAll(async () => {
    scratch.write('iris.csv', toCsv(train));
    scratch.write('iris-holdout.csv', toCsv(holdout));
    // The holdout without its label column, columns shuffled: predict reads features by name.
    const shuffled: Table = {
      header: ['petal_width', 'id', 'sepal_length', 'petal_length', 'sepal_width'],
      rows: holdout.rows.map((row, i) => [row[3], i, row[0], row[2], row[1]]),
    };
    scratch.write('iris-unlabelled.csv', toCsv(shuffled));
    trainJson = JSON.parse(
      await runOk(
        [
          'train',
          '--csv',
          'iris.csv',
          '--label',
          'species',
          '--validation-split',
          '0.25',
          '--layers',
          '16,16',
          '--activation',
          'tanh,relu',
          '--epochs',
          '40',
          '--batch-size',
          '16',
          '--lr',
          '0.01',
          '--schedule',
          'plateau',
          '--early-stopping',
          '8',
          '--seed',
          '3',
          '--save',
          'iris.model',
          '--json',
        ],
        cwd,
      ),
    );
  });

  it('trains with a seeded validation split and reports JSON', async () => {
    expect(trainJson.task).toBe('classification');
    expect(trainJson.trainSamples).toBe(180);
    expect(trainJson.validationSamples).toBe(60);
    expect(trainJson.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(trainJson.layers).toEqual([4, 16, 16, 3]);
    expect(trainJson.activations).toEqual(['tanh', 'relu', 'softmax']);
    expect(trainJson.validationAccuracy).toBeGreaterThan(0.85);
    expect(trainJson.schedule.type).toBe('plateau');
    expect(existsSync(join(cwd, 'iris.model'))).toBe(true);
  });

  it('the same seed gives the same model', async () => {
    const again = JSON.parse(
      await runOk(
        [
          'train',
          '--csv',
          'iris.csv',
          '--label',
          'species',
          '--validation-split',
          '0.25',
          '--layers',
          '16,16',
          '--activation',
          'tanh,relu',
          '--epochs',
          '40',
          '--batch-size',
          '16',
          '--lr',
          '0.01',
          '--schedule',
          'plateau',
          '--early-stopping',
          '8',
          '--seed',
          '3',
          '--json',
        ],
        cwd,
      ),
    );
    expect(again.validationLoss).toBe(trainJson.validationLoss);
    expect(again.history.map((e: any) => e.loss)).toEqual(trainJson.history.map((e: any) => e.loss));
  });

  it('info shows architecture, optimizer, training state and metadata', async () => {
    const text = await runOk(['info', 'iris.model'], cwd);
    expect(text).toContain('dense_0   4 -> 16 tanh');
    expect(text).toContain('3 classes: setosa, versicolor, virginica');
    expect(text).toContain('standardized');
    expect(text).toMatch(/optimizer adam, lr 0.01/);
    const info = JSON.parse(await runOk(['info', 'iris.model', '--json'], cwd));
    expect(info.parameterCount).toBe(4 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3);
    expect(info.layers.map((l: any) => l.activation)).toEqual(['tanh', 'relu', 'softmax']);
    expect(info.training.epochs).toBe(trainJson.epochs);
    expect(info.training.steps).toBe(trainJson.epochs * Math.ceil(180 / 16));
    expect(info.metadata.features).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(info.metadata.label).toBe('species');
    expect(info.metadata.standardize.mean).toHaveLength(4);
  });

  it('evaluate applies the saved standardization (label column taken from the model)', async () => {
    const result = JSON.parse(await runOk(['evaluate', 'iris.model', '--csv', 'iris-holdout.csv', '--json'], cwd));
    expect(result.samples).toBe(90);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(await runOk(['evaluate', 'iris.model', '--csv', 'iris-holdout.csv', '--label', 'species'], cwd)).toMatch(
      /^iris-holdout\.csv: 90 samples, accuracy \d+\.\d\d%, loss \d\.\d{4}\nconfusion matrix .*\n[\s\S]*macro .* 90\n$/,
    );
  });

  it('predict writes classes and probabilities as CSV and JSON, reading features by name', async () => {
    const csv = parseCsv(await runOk(['predict', 'iris.model', '--csv', 'iris-unlabelled.csv'], cwd));
    expect(csv.header).toEqual(['class', 'p_setosa', 'p_versicolor', 'p_virginica']);
    expect(csv.rows).toHaveLength(90);
    const correct = csv.rows.filter((row, i) => row[0] === holdout.rows[i][4]).length;
    expect(correct / 90).toBeGreaterThan(0.85);
    for (const row of csv.rows) expect(row.slice(1).reduce((s, p) => s + Number(p), 0)).toBeCloseTo(1, 4);

    await runOk(
      [
        'predict',
        'iris.model',
        '--csv',
        'iris-holdout.csv',
        '--format',
        'json',
        '--out',
        'predictions.json',
        '--limit',
        '5',
      ],
      cwd,
    );
    const json = JSON.parse(readFileSync(join(cwd, 'predictions.json'), 'utf8'));
    expect(json).toHaveLength(5);
    expect(json.map((r: any) => r.class)).toEqual(csv.rows.slice(0, 5).map((row) => row[0]));
    expect(Object.keys(json[0].probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('ONNX and TF.js exports take raw features and match simdnet predict', async () => {
    const predicted = parseCsv(await runOk(['predict', 'iris.model', '--csv', 'iris-holdout.csv'], cwd)).rows.map(
      (row) => row.slice(1).map(Number),
    );
    const inputs = features(holdout, 4);

    expect(await runOk(['export', 'iris.model', '--format', 'onnx', '--out', 'iris.onnx'], cwd)).toMatch(
      /^wrote iris\.onnx/,
    );
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(join(cwd, 'iris.onnx')));
    const feeds = { input: new ort.Tensor('float32', Float32Array.from(inputs.flat()), [inputs.length, 4]) };
    const onnxOut = (await session.run(feeds)).output.data as Float32Array;
    predicted.forEach((row, r) => row.forEach((p, j) => expect(Math.abs(onnxOut[r * 3 + j] - p)).toBeLessThan(2e-5)));

    await runOk(['export', 'iris.model', '--format', 'tfjs', '--out', 'iris-tfjs'], cwd);
    const modelJson = JSON.parse(readFileSync(join(cwd, 'iris-tfjs', 'model.json'), 'utf8'));
    expect(modelJson.userDefinedMetadata.simdnet.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const weights = readFileSync(join(cwd, 'iris-tfjs', 'weights.bin'));
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const tfOut = (model.predict(tf.tensor2d(inputs)) as tf.Tensor).dataSync();
    predicted.forEach((row, r) => row.forEach((p, j) => expect(Math.abs(tfOut[r * 3 + j] - p)).toBeLessThan(2e-5)));
  });

  it('import reads a TF.js export back, with its class names and feature names', async () => {
    const original = await runOk(['predict', 'iris.model', '--csv', 'iris-unlabelled.csv'], cwd);
    // Folded export: the imported model takes raw features (tiny rounding differences only).
    expect(await runOk(['import', join('iris-tfjs', 'model.json'), '--out', 'imported.model'], cwd)).toMatch(
      /^wrote imported\.model: 4-16-16-3/,
    );
    const folded = parseCsv(await runOk(['predict', 'imported.model', '--csv', 'iris-unlabelled.csv'], cwd));
    const expected = parseCsv(original);
    expect(folded.header).toEqual(expected.header);
    folded.rows.forEach((row, r) =>
      row.slice(1).forEach((p, j) => expect(Math.abs(Number(p) - Number(expected.rows[r][j + 1]))).toBeLessThan(2e-5)),
    );
    // Unfolded export: the standardization travels in the metadata and predictions are identical.
    await runOk(['export', 'iris.model', '--format', 'tfjs', '--no-fold', '--out', 'iris-tfjs-raw'], cwd);
    await runOk(['import', join('iris-tfjs-raw', 'model.json'), '--out', 'imported-raw.model'], cwd);
    expect(await runOk(['predict', 'imported-raw.model', '--csv', 'iris-unlabelled.csv'], cwd)).toBe(original);
  });

  it('train --init continues a saved model with its own classes and scaling', async () => {
    const result = JSON.parse(
      await runOk(
        [
          'train',
          '--init',
          'iris.model',
          '--csv',
          'iris-holdout.csv',
          '--epochs',
          '5',
          '--lr',
          '0.001',
          '--save',
          'iris-tuned.model',
          '--json',
          '--quiet',
        ],
        cwd,
      ),
    );
    expect(result.epochs).toBe(5);
    expect(result.layers).toEqual([4, 16, 16, 3]);
    expect(result.optimizer.learningRate).toBe(0.001);
    const info = JSON.parse(await runOk(['info', 'iris-tuned.model', '--json'], cwd));
    expect(info.training.epochs).toBe(trainJson.epochs + 5);
    expect(info.metadata.fineTunedFrom).toBe('iris.model');
    expect(info.metadata.standardize).toEqual(
      JSON.parse(await runOk(['info', 'iris.model', '--json'], cwd)).metadata.standardize,
    );
    expect(info.metadata.validationAccuracy).toBeUndefined(); // no stale results from the first run
    const evaluation = JSON.parse(await runOk(['evaluate', 'iris-tuned.model', '--csv', 'iris.csv', '--json'], cwd));
    expect(evaluation.accuracy).toBeGreaterThan(0.85);
  });
});

describe('CSV regression', () => {
  const houses = housePrices(600, 5);
  const holdout = housePrices(100, 6);
  beforeAll(async () => {
    scratch.write('houses.csv.gz', gzipSync(toCsv(houses)));
    scratch.write('houses-valid.csv', toCsv(holdout));
  });

  it('trains on a gzipped CSV with a validation file; errors are reported in dollars', async () => {
    const result = JSON.parse(
      await runOk(
        [
          'train',
          '--csv',
          'houses.csv.gz',
          '--label',
          'price',
          '--task',
          'regression',
          '--validation',
          'houses-valid.csv',
          '--layers',
          '32',
          '--epochs',
          '60',
          '--optimizer',
          'adamw',
          '--lr',
          '0.01',
          '--schedule',
          'step',
          '--step-size',
          '20',
          '--save',
          'houses.model',
          '--json',
          '--quiet',
        ],
        cwd,
      ),
    );
    expect(result.task).toBe('regression');
    expect(result.validationSamples).toBe(100);
    expect(result.layers).toEqual([3, 32, 1]);
    expect(result.validationR2).toBeGreaterThan(0.9);
    expect(result.validationRmse).toBeLessThan(15_000);
  });

  it('evaluate and predict give values in target units; the exported ONNX model matches', async () => {
    const metrics = JSON.parse(await runOk(['evaluate', 'houses.model', '--csv', 'houses-valid.csv', '--json'], cwd));
    expect(metrics.r2).toBeGreaterThan(0.9);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(metrics.mse), 6);

    const csv = parseCsv(await runOk(['predict', 'houses.model', '--csv', 'houses-valid.csv'], cwd));
    expect(csv.header).toEqual(['price']);
    const predicted = csv.rows.map((row) => Number(row[0]));
    const actual = holdout.rows.map((row) => Number(row[3]));
    const rmse = Math.sqrt(predicted.reduce((s, p, i) => s + (p - actual[i]) ** 2, 0) / predicted.length);
    expect(rmse).toBeCloseTo(metrics.rmse, -1);

    const json = JSON.parse(
      await runOk(['predict', 'houses.model', '--csv', 'houses-valid.csv', '--format', 'json', '--limit', '3'], cwd),
    );
    expect(json).toEqual(predicted.slice(0, 3).map((price) => ({ price })));

    await runOk(['export', 'houses.model', '--format', 'onnx', '--out', 'houses.onnx'], cwd);
    const session = await ort.InferenceSession.create(readFileSync(join(cwd, 'houses.onnx')));
    const inputs = features(holdout, 3);
    const out = (
      await session.run({ input: new ort.Tensor('float32', Float32Array.from(inputs.flat()), [inputs.length, 3]) })
    ).output.data as Float32Array;
    predicted.forEach((p, r) => expect(Math.abs(out[r] - p) / Math.abs(p)).toBeLessThan(1e-5));
  });
});
