/**
 * The CLI on a CSV read as a stream (--stream; automatic above 256 MiB): train takes its
 * classes and standardization from a first pass (the statistics of the whole read), learns,
 * and repeats for a seed; evaluate and predict print exactly what the whole read prints;
 * the flags that need the data in memory and bad rows are one-line errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModelFile } from '../../src/io/node.js';
import { expectOneLineError, housePrices, irisLike, runCli, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

const trainArgs = (file: string, save: string, extra: string[] = []) => [
  'train',
  '--csv',
  file,
  '--label',
  'species',
  '--layers',
  '16',
  '--epochs',
  '15',
  '--batch-size',
  '16',
  '--lr',
  '0.01',
  '--threads',
  '1',
  '--save',
  save,
  '--json',
  '--quiet',
  ...extra,
];

describe('CSV classification through the streaming path', () => {
  let streamed: Record<string, any>;

  beforeAll(async () => {
    scratch.write('iris.csv', toCsv(irisLike(300, 1)));
    scratch.write('holdout.csv', toCsv(irisLike(120, 2)));
    streamed = JSON.parse(
      await runOk(trainArgs('iris.csv', 'streamed.simdnet', ['--stream', '--validation', 'holdout.csv']), cwd),
    );
    await runOk(trainArgs('iris.csv', 'whole.simdnet', ['--validation', 'holdout.csv']), cwd);
  }, 60_000);

  it('train: the classes and statistics of the whole read; it learns; it repeats for a seed', async () => {
    const a = await loadModelFile(join(cwd, 'streamed.simdnet'));
    const b = await loadModelFile(join(cwd, 'whole.simdnet'));
    const [ma, mb] = [a.metadata as Record<string, any>, b.metadata as Record<string, any>];
    expect(ma.classNames).toEqual(mb.classNames);
    expect(ma.features).toEqual(mb.features);
    ma.standardize.mean.forEach((m: number, j: number) => expect(m).toBeCloseTo(mb.standardize.mean[j], 10));
    ma.standardize.std.forEach((s: number, j: number) => expect(s).toBeCloseTo(mb.standardize.std[j], 10));
    expect(streamed.trainSamples).toBe(300);
    expect(streamed.validationSamples).toBe(120);
    expect(streamed.history).toHaveLength(15);
    expect(streamed.validationAccuracy).toBeGreaterThan(0.85);
    const again = JSON.parse(
      await runOk(trainArgs('iris.csv', 'again.simdnet', ['--stream', '--validation', 'holdout.csv']), cwd),
    );
    expect(again.history.map((e: any) => e.loss)).toEqual(streamed.history.map((e: any) => e.loss));
    const otherSeed = JSON.parse(await runOk(trainArgs('iris.csv', 'seed2.simdnet', ['--stream', '--seed', '2']), cwd));
    expect(otherSeed.history.map((e: any) => e.loss)).not.toEqual(streamed.history.map((e: any) => e.loss));
  }, 60_000);

  it('evaluate and predict --stream print what the whole read prints', async () => {
    for (const args of [
      ['evaluate', 'streamed.simdnet', '--csv', 'holdout.csv'],
      ['evaluate', 'streamed.simdnet', '--csv', 'holdout.csv', '--limit', '50', '--json'],
      ['predict', 'streamed.simdnet', '--csv', 'holdout.csv'],
      ['predict', 'streamed.simdnet', '--csv', 'holdout.csv', '--format', 'json', '--limit', '7'],
    ]) {
      const expected = await runOk(args, cwd);
      expect(await runOk([...args, '--stream'], cwd), args.join(' ')).toBe(expected);
    }
    const evaluated = JSON.parse(
      await runOk(['evaluate', 'streamed.simdnet', '--csv', 'holdout.csv', '--json', '--stream'], cwd),
    );
    expect(evaluated.samples).toBe(120);
    expect(evaluated.accuracy).toBeCloseTo(streamed.validationAccuracy, 12);
    await runOk(['predict', 'streamed.simdnet', '--csv', 'holdout.csv', '--stream', '--out', 'p.csv'], cwd);
    expect(readFileSync(join(cwd, 'p.csv'), 'utf8')).toBe(
      await runOk(['predict', 'streamed.simdnet', '--csv', 'holdout.csv'], cwd),
    );
  }, 60_000);

  it('flags that need the data in memory, and bad rows, are one-line errors naming the file and line', async () => {
    expectOneLineError(
      await runCli(['train', '--csv', 'iris.csv', '--label', 'species', '--stream', '--validation-split', '0.2'], cwd),
      /--validation-split needs the data in memory/,
    );
    expectOneLineError(
      await runCli(['train', '--csv', 'iris.csv', '--label', 'species', '--shuffle-buffer', '5'], cwd),
      /--shuffle-buffer applies with --stream only/,
    );
    const rows = toCsv(irisLike(60, 3)).split('\n');
    rows[41] = rows[41].replace(/^[^,]+/, 'oops');
    scratch.write('bad.csv', rows.join('\n'));
    expectOneLineError(
      await runCli(['evaluate', 'streamed.simdnet', '--csv', 'bad.csv', '--stream'], cwd),
      /bad\.csv: CSV line 42: column 'sepal_length' is not a number: "oops"/,
    );
    expectOneLineError(
      await runCli(['predict', 'streamed.simdnet', '--csv', 'bad.csv', '--stream'], cwd),
      /bad\.csv: CSV line 42: column 'sepal_length' is not a number/,
    );
    const unknown = toCsv(irisLike(60, 4)).replace(/setosa\n/, 'daisy\n');
    scratch.write('unknown.csv', unknown);
    expectOneLineError(
      await runCli(['evaluate', 'streamed.simdnet', '--csv', 'unknown.csv', '--stream'], cwd),
      /unknown\.csv: CSV line 2: label "daisy" in column 'species' is not one of the classes/,
    );
  }, 60_000);
});

describe('CSV regression through the streaming path', () => {
  it('train, evaluate and predict: the metrics and outputs of the whole read', async () => {
    scratch.write('houses.csv', toCsv(housePrices(400, 5)));
    scratch.write('houses-holdout.csv', toCsv(housePrices(100, 6)));
    const trained = JSON.parse(
      await runOk(
        [
          'train',
          '--csv',
          'houses.csv',
          '--label',
          'price',
          '--task',
          'regression',
          '--epochs',
          '30',
          '--stream',
          '--validation',
          'houses-holdout.csv',
          '--threads',
          '1',
          '--save',
          'houses.simdnet',
          '--json',
          '--quiet',
        ],
        cwd,
      ),
    );
    expect(trained.validationR2).toBeGreaterThan(0.8);
    const evaluate = ['evaluate', 'houses.simdnet', '--csv', 'houses-holdout.csv', '--json'];
    const whole = JSON.parse(await runOk(evaluate, cwd));
    const streamed = JSON.parse(await runOk([...evaluate, '--stream'], cwd));
    for (const key of ['rmse', 'mae', 'r2', 'loss']) expect(streamed[key]).toBeCloseTo(whole[key], 9);
    expect(streamed.rmse).toBeCloseTo(trained.validationRmse, 9);
    const predict = ['predict', 'houses.simdnet', '--csv', 'houses-holdout.csv'];
    expect(await runOk([...predict, '--stream'], cwd)).toBe(await runOk(predict, cwd));
  }, 60_000);
});
