/**
 * WorkerModel from the packed tarball in Node, Deno and Bun: each runtime finds the
 * package's worker program by itself (dist/worker.node.js on worker_threads in Node
 * and Bun; dist/worker.web.js as a module Web Worker in Deno), trains the spirals in
 * it to the weights of the same model trained on the calling thread, bit for bit,
 * runs the threaded mode inside the worker, stops from a callback, loads saved bytes
 * into a second worker, and disposes (the process then exits by itself).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, repoBinary, run, scratchProject, skipReason, type ScratchProject } from './helpers.js';

const SCRIPT = `worker-model-${process.pid}.mjs`;
const SOURCE = `import { createModel, createWorkerModel, loadWorkerModel } from 'simdnet';
import { SPIRALS_MODEL, twoSpirals } from './roundtrip.mjs';
import { sameBits, weightBits } from './threads.mjs';

const data = twoSpirals();
const started = Date.now();
const worker = await createWorkerModel(SPIRALS_MODEL);
const inThread = await createModel(SPIRALS_MODEL);
const logs = [];
await worker.fit(data, { epochs: 40, batchSize: 32, callbacks: { onEpochEnd: (log) => void logs.push(log.loss) } });
const expectedLogs = [];
await inThread.fit(data, { epochs: 40, batchSize: 32, callbacks: { onEpochEnd: (log) => void expectedLogs.push(log.loss) } });
/** A WorkerModel's weights as bit patterns (describe() is a promise there). */
async function workerWeights(model) {
  const description = await model.describe();
  return weightBits({ describe: () => description });
}
const identical = sameBits(await workerWeights(worker), weightBits(inThread));
const predictionsIdentical = sameBits(
  [...new Uint32Array((await worker.predict(data.inputs)).buffer)],
  [...new Uint32Array(inThread.predict(data.inputs).buffer)],
);
const loaded = await loadWorkerModel(await worker.save());
const loadedIdentical = sameBits(await workerWeights(loaded), weightBits(inThread));
const stopped = await loaded.fit(data, {
  epochs: 5,
  batchSize: 16,
  callbacks: { onBatchEnd: (log) => (log.batch === 2 ? 'stop' : undefined) },
});
const stepsAfterStop = loaded.training.steps - inThread.training.steps;

const threaded = await createWorkerModel({ ...SPIRALS_MODEL, threads: 2 });
await threaded.fit(data, { epochs: 20, batchSize: 64 });
const single = await createModel(SPIRALS_MODEL);
await single.fit(data, { epochs: 20, batchSize: 64 });
const threadedIdentical = sameBits(await workerWeights(threaded), weightBits(single));
const threading = threaded.threading;
await Promise.all([worker.dispose(), loaded.dispose(), threaded.dispose()]);
console.log(JSON.stringify({
  identical,
  logsIdentical: JSON.stringify(logs) === JSON.stringify(expectedLogs),
  predictionsIdentical,
  loadedIdentical,
  stopReason: stopped.stopReason,
  stepsAfterStop,
  threading,
  threadedIdentical,
  milliseconds: Date.now() - started,
}));
`;

interface WorkerRunResult {
  identical: boolean;
  logsIdentical: boolean;
  predictionsIdentical: boolean;
  loadedIdentical: boolean;
  stopReason: string;
  stepsAfterStop: number;
  threading: { threads: number; requested: number; reason?: string };
  threadedIdentical: boolean;
  milliseconds: number;
}

let project: ScratchProject;
beforeAll(async () => {
  project = await scratchProject();
  writeFileSync(join(project.dir, SCRIPT), SOURCE);
});
afterAll(() => {
  if (project) rmSync(join(project.dir, SCRIPT), { force: true });
});

const deno = repoBinary('deno');
const bun = repoBinary('bun');
const runtimes: { name: string; command: string | undefined; args: string[]; skip: string | undefined }[] = [
  { name: 'Node', command: process.execPath, args: [], skip: undefined },
  {
    name: 'Deno',
    command: deno,
    args: ['run', '--allow-read', '--no-prompt'],
    skip: skipReason('Deno', deno ? undefined : 'node_modules/.bin/deno is missing (npm install)'),
  },
  {
    name: 'Bun',
    command: bun,
    args: [],
    skip: skipReason('Bun', bun ? undefined : 'node_modules/.bin/bun is missing (npm install)'),
  },
];

describe('WorkerModel from the packed tarball', () => {
  for (const runtime of runtimes) {
    it.skipIf(runtime.skip)(
      `${runtime.name}: trains in a worker to the in-thread weights, threads inside, stops`,
      async () => {
        const { stdout } = await run(runtime.command!, [...runtime.args, SCRIPT], {
          cwd: project.dir,
          env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
        });
        const result = lastJsonLine<WorkerRunResult>(stdout);
        console.log(`${runtime.name} WorkerModel: ${JSON.stringify(result)}`);
        expect(result.identical).toBe(true);
        expect(result.logsIdentical).toBe(true);
        expect(result.predictionsIdentical).toBe(true);
        expect(result.loadedIdentical).toBe(true);
        expect(result.stopReason).toBe('callback');
        expect(result.stepsAfterStop).toBeGreaterThanOrEqual(3);
        expect(result.stepsAfterStop).toBeLessThanOrEqual(5); // batch 2 said stop: 3 batches, and at most 2 more
        expect(result.threading).toEqual({ threads: 2, requested: 2 });
        expect(result.threadedIdentical).toBe(true);
      },
    );
  }
});
