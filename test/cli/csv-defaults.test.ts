/**
 * The defaults `simdnet train --csv` uses when only --csv and --label are given: the model
 * (one hidden layer of 100 relu units, scikit-learn's MLP default), epochs, batch size,
 * schedule and thread count, as the CLI reports them. docs/tabular.md measures these defaults against
 * scikit-learn's on small tabular datasets; a change here should re-run bench/tabular.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { housePrices, irisLike, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

async function trainWithDefaults(csv: string, label: string, extra: string[] = []): Promise<Record<string, any>> {
  const stdout = await runOk(['train', '--csv', csv, '--label', label, ...extra, '--json', '--quiet'], cwd);
  return JSON.parse(stdout);
}

describe('simdnet train --csv: defaults', () => {
  it('classification: inputs-100-classes, relu then softmax, 100 epochs of batch 32, no schedule', async () => {
    scratch.write('iris.csv', toCsv(irisLike(60, 3)));
    const result = await trainWithDefaults('iris.csv', 'species');
    expect(result.layers).toEqual([4, 100, 3]);
    expect(result.activations).toEqual(['relu', 'softmax']);
    expect(result.dropout).toEqual([0]); // the images' dropout default is not the CSV one
    expect(result.loss).toBe('crossEntropy');
    expect(result.optimizer.type).toBe('adam');
    expect(result.batchSize).toBe(32);
    expect(result.schedule).toBeNull();
    // 60 rows at batch 32: 2 steps an epoch, 100 epochs, no early stopping by default
    expect(result.epochs).toBe(100);
    expect(result.stopReason).toBe('completed');
    expect(result.history).toHaveLength(100);
  });

  it('regression: inputs-100-1 with a linear output and mse', async () => {
    scratch.write('houses.csv', toCsv(housePrices(40, 4)));
    const result = await trainWithDefaults('houses.csv', 'price', ['--task', 'regression']);
    expect(result.layers).toEqual([3, 100, 1]);
    expect(result.activations).toEqual(['relu', 'linear']);
    expect(result.loss).toBe('mse');
    expect(result.epochs).toBe(100);
  });

  it('one thread by default; --threads still asks for more', async () => {
    scratch.write('iris-threads.csv', toCsv(irisLike(30, 6)));
    const args = ['train', '--csv', 'iris-threads.csv', '--label', 'species', '--epochs', '1'];
    // The CLI prints a 'threads:' line whenever more than one thread was requested.
    expect(await runOk(args, cwd)).not.toMatch(/^threads:/m);
    expect(await runOk([...args, '--threads', '2'], cwd)).toMatch(/^threads: /m);
  });

  it('--layers still replaces the default', async () => {
    scratch.write('iris-small.csv', toCsv(irisLike(30, 5)));
    const result = await trainWithDefaults('iris-small.csv', 'species', ['--layers', '64,64', '--epochs', '2']);
    expect(result.layers).toEqual([4, 64, 64, 3]);
  });
});
