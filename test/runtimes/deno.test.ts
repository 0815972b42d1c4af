/**
 * Deno (npm package `deno`): the round trip from the installed tarball, with
 * 'simdnet' resolved through the package's `deno` export (the core fetched from
 * a file: URL next to the bundle, hence --allow-read); and the threaded mode on
 * Web Workers, against the same model trained on one thread.
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REPO,
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

const deno = repoBinary('deno');
const skip = skipReason('Deno', deno ? undefined : 'node_modules/.bin/deno is missing (npm install)');

let project: ScratchProject;
beforeAll(async () => {
  if (!skip) project = await scratchProject();
});

describe('Deno, from the packed tarball', () => {
  it.skipIf(skip)('trains, saves and loads with identical predictions (deno export)', async () => {
    const { stdout, milliseconds } = await run(deno ?? 'deno', ['run', '--allow-read', '--no-prompt', 'run.mjs'], {
      cwd: project.dir,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    const result = lastJsonLine<RoundTripResult>(stdout);
    console.log(
      `deno: ${result.runtime}, accuracy ${result.accuracy}, round trip ${result.milliseconds} ms, process ${milliseconds} ms`,
    );
    expect(result.runtime).toMatch(/^Deno /);
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });

  it.skipIf(skip)('trains on 2 threads (Web Workers) to the one-thread weights, bit for bit', async () => {
    const result = await runThreadedFixture(deno ?? 'deno', ['run', '--allow-read', '--no-prompt'], project.dir, {
      ...process.env,
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    });
    console.log(
      `deno threads: ${JSON.stringify(result.threading)}, accuracy ${result.accuracy}, ${result.milliseconds} ms, same weights as 1 thread: ${result.identical}`,
    );
    expect(result.threading).toEqual({ threads: 2, requested: 2 });
    expect(result.identical).toBe(true);
    expect(result.accuracy).toBeGreaterThan(0.8);
  });

  it.skipIf(skip)(
    "type-checks examples/deno.ts against the installed package's declarations (deno check)",
    async () => {
      const file = `deno-example-${process.pid}.ts`;
      copyFileSync(join(REPO, 'examples', 'deno.ts'), join(project.dir, file));
      try {
        await run(deno ?? 'deno', ['check', file], {
          cwd: project.dir,
          env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
        });
      } finally {
        rmSync(join(project.dir, file), { force: true });
      }
    },
  );
});
