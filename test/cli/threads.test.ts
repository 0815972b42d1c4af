/**
 * `simdnet train --threads`: two threads train MNIST (briefly) and say so; by default
 * every core (up to 4) trains batches with enough work, to the one-thread result exactly,
 * and a small batch trains on one thread, saying why; a bad thread count is a one-line
 * usage error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { availableCores, threadSupport } from '../../src/runtime/threads.js';
import { expectOneLineError, runCli, runOk, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('train --threads', () => {
  it('trains on 2 threads and reaches the same kind of accuracy', async () => {
    const output = await runOk(
      ['train', '--limit', '3000', '--epochs', '1', '--layers', '64', '--batch-size', '64', '--threads', '2'],
      scratch.dir,
    );
    expect(output).toMatch(/^threads: 2$/m);
    const accuracy = Number(/test accuracy ([\d.]+)%/.exec(output)?.[1]);
    expect(accuracy).toBeGreaterThan(80);
  });

  it('by default uses every core (up to 4) on MNIST-size batches and ends with the one-thread result exactly', async () => {
    // 128 rows × (784·32 + 32·10) multiply-adds: above the auto rule's 2M (src/model/threading.ts).
    const args = ['train', '--limit', '2000', '--epochs', '1', '--layers', '32', '--batch-size', '128'];
    const auto = await runOk(args, scratch.dir);
    const one = await runOk([...args, '--threads', '1'], scratch.dir);
    expect(auto).toMatch(/^threads: [1-4]$/m);
    const result = (output: string) => /^test accuracy .*$/m.exec(output)?.[0];
    expect(result(auto)).toBeDefined();
    expect(result(auto)).toBe(result(one));
  });

  it('by default trains a small batch on one thread, and says why', async () => {
    const args = ['train', '--limit', '2000', '--epochs', '1', '--layers', '32', '--batch-size', '32'];
    const auto = await runOk(args, scratch.dir);
    if (availableCores() > 1 && threadSupport().ok)
      expect(auto).toMatch(
        /^threads: 1 of [2-4] \(auto: 32 rows × 25408 multiply-adds is below 2000000 per batch, too little work for a second thread to gain\)$/m,
      );
    else expect(auto).not.toMatch(/^threads:/m);
  });

  it('--threads 0 is a usage error', async () => {
    const result = await runCli(['train', '--threads', '0'], scratch.dir);
    expect(result.status).toBe(2);
    expectOneLineError(result, /--threads must be an integer ≥ 1, got '0'/);
  });
});
