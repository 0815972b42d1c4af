/**
 * The CLI's --metrics and --class-weight (src/cli/fit-flags.ts) and evaluate's
 * classification report, run as a user runs them; integer labels that are not class
 * indices ({0, 65535}, 1..3) make one class per distinct value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../../src/index.js';

import { expectOneLineError, irisLike, runCli, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

const iris = irisLike(150, 4);

beforeAll(() => {
  scratch.write('iris.csv', toCsv(iris));
  // The same rows with labels {0, 65535}: setosa -> 0, others -> 65535.
  scratch.write(
    'binary.csv',
    toCsv({
      header: iris.header,
      rows: iris.rows.map((row) => [...row.slice(0, -1), row[row.length - 1] === 'setosa' ? 0 : 65535]),
    }),
  );
});

describe('train --metrics, --class-weight', () => {
  it('prints the chosen metrics every epoch, on training and validation data', async () => {
    const out = await runOk(
      [
        'train',
        '--csv',
        'iris.csv',
        '--label',
        'species',
        '--validation-split',
        '0.2',
        '--epochs',
        '3',
        '--metrics',
        'precision,f1,top2',
        '--class-weight',
        'balanced',
        '--save',
        'iris.sdnt',
      ],
      cwd,
    );
    const epochs = out.split('\n').filter((line) => /^epoch /.test(line));
    expect(epochs).toHaveLength(3);
    for (const line of epochs)
      expect(line).toMatch(
        / precision \d\.\d{4} {2}f1 \d\.\d{4} {2}top2 \d\.\d{4} {2}val precision \d\.\d{4} {2}val f1 \d\.\d{4} {2}val top2 \d\.\d{4}/,
      );
  });

  it('class weights by label text; unknown names and metrics are usage errors', async () => {
    await runOk(
      ['train', '--csv', 'iris.csv', '--label', 'species', '--epochs', '1', '--class-weight', 'setosa:2,virginica:0.5'],
      cwd,
    );
    expectOneLineError(
      await runCli(['train', '--csv', 'iris.csv', '--label', 'species', '--class-weight', 'rose:2'], cwd),
      /--class-weight names class 'rose', which the data does not have/,
    );
    expectOneLineError(
      await runCli(['train', '--csv', 'iris.csv', '--label', 'species', '--metrics', 'f2'], cwd),
      /--metrics: unknown metric "f2"/,
    );
  });

  it('labels {0, 65535} make 2 classes', async () => {
    const out = JSON.parse(
      await runOk(
        ['train', '--csv', 'binary.csv', '--label', 'species', '--epochs', '2', '--json', '--save', 'binary.sdnt'],
        cwd,
      ),
    );
    expect(out.classNames).toEqual(['0', '65535']);
    expect(out.layers.at(-1)).toBeLessThanOrEqual(2);
    // The model file keeps the class values: a library user gets them from predictClasses.
    const model = await loadModel(readFileSync(join(cwd, 'binary.sdnt')));
    expect(model.classes).toEqual([0, 65535]);
    const iris = await loadModel(readFileSync(join(cwd, 'iris.sdnt')));
    expect(iris.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    for (const c of iris.predictClasses(new Float32Array(8)))
      expect(['setosa', 'versicolor', 'virginica']).toContain(c);
  });
});

describe('evaluate', () => {
  it('prints the confusion matrix and per-class precision, recall, f1', async () => {
    const out = await runOk(['evaluate', 'iris.sdnt', '--csv', 'iris.csv'], cwd);
    expect(out).toMatch(/confusion matrix \(rows: true class, columns: predicted\):/);
    const lines = out.split('\n');
    const header = lines.findIndex((line) => /confusion matrix/.test(line));
    expect(lines[header + 1].trim().split(/\s+/)).toEqual(['setosa', 'versicolor', 'virginica']);
    // Each row of the matrix sums to that class's rows in the file.
    for (const [i, name] of ['setosa', 'versicolor', 'virginica'].entries()) {
      const cells = lines[header + 2 + i].trim().split(/\s+/);
      expect(cells[0]).toBe(name);
      const total = cells.slice(1).reduce((s, v) => s + Number(v), 0);
      expect(total).toBe(iris.rows.filter((row) => row[row.length - 1] === name).length);
    }
    expect(out).toMatch(/class +precision +recall +f1 +support/);
    expect(out).toMatch(/macro +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +150/);
    const json = JSON.parse(
      await runOk(['evaluate', 'iris.sdnt', '--csv', 'iris.csv', '--json', '--metrics', 'f1'], cwd),
    );
    expect(json.confusionMatrix).toHaveLength(3);
    expect(json.f1).toBeGreaterThan(0);
    expect(json.perClass.support.reduce((s: number, v: number) => s + v, 0)).toBe(150);
  });
});
