/**
 * Bun (npm package `bun`): the round trip from the installed tarball, with
 * 'simdnet' resolved through the package's `bun` export (the core read from disk).
 * Bun runs JavaScriptCore, not V8: matching Node's predictions bit for bit shows
 * the core computes the same numbers on another engine. The threaded mode runs on
 * worker_threads there too, against the same model trained on one thread.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  lastJsonLine,
  repoBinary,
  roundTripProblems,
  run,
  runThreadedFixture,
  scratchProject,
  skipReason,
  type RoundTripResult,
  type ScratchProject,
} from './helpers.js';

const bun = repoBinary('bun');
const skip = skipReason('Bun', bun ? undefined : 'node_modules/.bin/bun is missing (npm install)');

let project: ScratchProject;
beforeAll(async () => {
  if (!skip) project = await scratchProject();
});

describe('Bun, from the packed tarball', () => {
  it.skipIf(skip)('trains, saves and loads with identical predictions (bun export)', async () => {
    const { stdout, milliseconds } = await run(bun ?? 'bun', ['run.mjs'], {
      cwd: project.dir,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const result = lastJsonLine<RoundTripResult>(stdout);
    console.log(
      `bun: ${result.runtime}, accuracy ${result.accuracy}, round trip ${result.milliseconds} ms, process ${milliseconds} ms`,
    );
    expect(result.runtime).toMatch(/^Bun /);
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });

  it.skipIf(skip)('trains on 2 threads (worker_threads) to the one-thread weights, bit for bit', async () => {
    const result = await runThreadedFixture(bun ?? 'bun', [], project.dir, { ...process.env, NO_COLOR: '1' });
    console.log(
      `bun threads: ${JSON.stringify(result.threading)}, accuracy ${result.accuracy}, ${result.milliseconds} ms, same weights as 1 thread: ${result.identical}`,
    );
    expect(result.threading).toEqual({ threads: 2, requested: 2 });
    expect(result.identical).toBe(true);
    expect(result.accuracy).toBeGreaterThan(0.8);
  });
});
