/**
 * Headless Chromium, from the packed tarball: a WorkerModel trains in a Web Worker
 * (the package's dist/worker.web.js, found next to index.web.js) while a 10 ms
 * setInterval timer on the page measures how late it fires; the page must never be
 * late by more than 20 ms over several seconds of training (see ATTEMPTS for a busy
 * machine). The same model trained on the page's own thread is measured too, for
 * comparison (printed, not asserted).
 * On a cross-origin isolated page the worker runs the threaded mode (2 threads),
 * to the one-thread weights bit for bit.
 */
import { existsSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  scratchProject,
  serveStatic,
  skipReason,
  type ScratchProject,
  type StaticServer,
} from './helpers.js';
import { browserHarness, openHarness, type HarnessWindow } from './browser-harness.js';

const skip = skipReason(
  'Chromium',
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
);

/** The bound the issue sets: a 10 ms timer on the page is never late by more than this while the worker trains. */
const MAX_LATENESS_MS = 20;
/** SIMDNET_TIMER_STRICT=1 (set by .ci/run, which runs these files alone after the suite) judges the bound whatever the load. */
const STRICT = process.env.SIMDNET_TIMER_STRICT === '1';
/**
 * Measurements of 4 s of training in the worker, each after 4 s of an idle page as a
 * control. The bound must hold in one of them. On a machine kept busy by other work (load
 * average at or above the core count at the start, or every idle control late by more than
 * the bound) the bound cannot be judged: the test says so, and checks the median lateness
 * (at most 2 ms) and the share of ticks late by more than 20 ms (at most 10%), as always.
 */
const ATTEMPTS = 3;

let project: ScratchProject;
let server: StaticServer;
let isolatedServer: StaticServer;
let browser: Browser;
let harness: string;

beforeAll(async () => {
  if (skip) return;
  project = await scratchProject();
  harness = await browserHarness(project.dir, `worker-harness-${process.pid}.html`);
  server = await serveStatic(project.dir);
  isolatedServer = await serveStatic(project.dir, () => ({
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
  }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await isolatedServer?.close();
  if (harness) rmSync(join(project.dir, harness), { force: true });
});

interface TimerReport {
  trainingMs: number;
  ticks: number;
  maxLateMs: number;
  p99LateMs: number;
  medianLateMs: number;
  /** Fraction of ticks late by more than 20 ms. */
  over20: number;
  batches: number;
  epochs: number;
  accuracy: number;
  threading: { threads: number; requested: number; reason?: string };
  /** The latest ticks: when the gap began (ms from the start) and how late the tick was. */
  worst: { atMs: number; lateMs: number }[];
}

/**
 * Trains a 784-256-10 model on random data for `seconds` (in a worker, or on the page)
 * while a 10 ms interval timer records how late each tick is (the gap since the last
 * tick, less 10 ms). From createWorkerModel to the end of fit.
 */
async function trainWithTimer(page: Page, where: 'worker' | 'page' | 'idle', seconds: number): Promise<TimerReport> {
  return page.evaluate(
    async ({ where, seconds }) => {
      const { createModel, createWorkerModel } = (window as unknown as HarnessWindow).simdnet;
      const rows = 4096;
      const inputs = new Float32Array(rows * 784);
      const labels = new Int32Array(rows);
      let seed = 7;
      for (let i = 0; i < inputs.length; i++)
        inputs[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
      for (let r = 0; r < rows; r++) labels[r] = r % 10;
      const lates: number[] = [];
      const worst: { atMs: number; lateMs: number }[] = [];
      const started = performance.now();
      let last = started;
      const timer = setInterval(() => {
        const now = performance.now();
        lates.push(now - last - 10);
        if (now - last - 10 > 5) worst.push({ atMs: Math.round(last - started), lateMs: Math.round(now - last - 10) });
        last = now;
      }, 10);
      const spec = {
        inputSize: 784,
        layers: [
          { units: 256, activation: 'relu' as const },
          { units: 10, activation: 'softmax' as const },
        ],
        seed: 1,
      };
      if (where === 'idle') {
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        clearInterval(timer);
        const sorted = [...lates].sort((a, b) => a - b);
        return {
          trainingMs: performance.now() - started,
          ticks: lates.length,
          maxLateMs: sorted[sorted.length - 1],
          p99LateMs: sorted[Math.floor(sorted.length * 0.99)],
          medianLateMs: sorted[Math.floor(sorted.length / 2)],
          over20: sorted.filter((late) => late > 20).length / sorted.length,
          batches: 0,
          epochs: 0,
          accuracy: 0,
          threading: { threads: 0, requested: 0 },
          worst: worst.sort((a, b) => b.lateMs - a.lateMs).slice(0, 5),
        };
      }
      const model = where === 'worker' ? await createWorkerModel(spec) : await createModel(spec);
      let batches = 0;
      const history = await model.fit(
        { inputs, labels },
        {
          epochs: 1000,
          batchSize: 64,
          validationData: { inputs: inputs.subarray(0, 1024 * 784), labels: labels.subarray(0, 1024) },
          callbacks: {
            onBatchEnd: () => {
              batches++;
            },
            onEpochEnd: () => (performance.now() - started > seconds * 1000 ? 'stop' : undefined),
          },
        },
      );
      const trainingMs = performance.now() - started;
      clearInterval(timer);
      const threading = model.threading;
      if ('dispose' in model) await model.dispose();
      const sorted = [...lates].sort((a, b) => a - b);
      const last_ = history.epochs[history.epochs.length - 1];
      return {
        trainingMs,
        ticks: lates.length,
        maxLateMs: sorted[sorted.length - 1],
        p99LateMs: sorted[Math.floor(sorted.length * 0.99)],
        medianLateMs: sorted[Math.floor(sorted.length / 2)],
        over20: sorted.filter((late) => late > 20).length / sorted.length,
        batches,
        epochs: history.epochs.length,
        accuracy: last_.accuracy ?? 0,
        threading,
        worst: worst.sort((a, b) => b.lateMs - a.lateMs).slice(0, 5),
      };
    },
    { where, seconds },
  );
}

const show = (label: string, r: TimerReport) =>
  console.log(
    `${label}: ${(r.trainingMs / 1000).toFixed(1)} s of training (${r.epochs} epochs, ${r.batches} batches, ${JSON.stringify(r.threading)}); 10 ms timer: ${r.ticks} ticks, late by median ${r.medianLateMs.toFixed(1)} ms, p99 ${r.p99LateMs.toFixed(1)} ms, max ${r.maxLateMs.toFixed(1)} ms, ${(r.over20 * 100).toFixed(1)}% over 20 ms; worst ${JSON.stringify(r.worst)}`,
  );

describe('headless Chromium, WorkerModel', () => {
  it.skipIf(skip)(
    `a 10 ms timer on the page is never late by more than ${MAX_LATENESS_MS} ms while the worker trains`,
    async () => {
      const page = await openHarness(browser, `${server.url}/${harness}`);
      try {
        const loadAtStart = loadavg()[0];
        const attempts: { idle: TimerReport; worker: TimerReport }[] = [];
        for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
          const idle = await trainWithTimer(page, 'idle', 4);
          show(`chromium, attempt ${attempt}, idle page (no training)`, idle);
          const worker = await trainWithTimer(page, 'worker', 4);
          show(`chromium, attempt ${attempt}, training in a worker`, worker);
          attempts.push({ idle, worker });
          if (worker.maxLateMs <= MAX_LATENESS_MS) break;
        }
        const onPage = await trainWithTimer(page, 'page', 2);
        show('chromium, training on the page (for comparison)', onPage);
        // The measurement sees a blocked page: training on the page's thread fails the median check.
        expect(onPage.medianLateMs).toBeGreaterThan(2);
        expect(server.requests).toContain('/node_modules/simdnet/dist/worker.web.js');
        for (const { worker } of attempts) {
          expect(worker.trainingMs).toBeGreaterThan(3500);
          expect(worker.batches).toBeGreaterThan(100);
          // Robust to a busy machine: most ticks are on time (training on the page: ~30 ms late).
          expect(worker.medianLateMs).toBeLessThanOrEqual(2);
          expect(worker.over20).toBeLessThanOrEqual(0.1);
        }
        const best = Math.min(...attempts.map((a) => a.worker.maxLateMs));
        const quiet =
          STRICT || (attempts.some((a) => a.idle.maxLateMs <= MAX_LATENESS_MS) && loadAtStart < availableParallelism());
        if (best > MAX_LATENESS_MS && !quiet) {
          console.warn(
            `the ${MAX_LATENESS_MS} ms bound was not judged: other work keeps this machine busy (load average ${loadAtStart.toFixed(1)} on ${availableParallelism()} cores at the start; an idle page's timer was late by up to ${Math.min(...attempts.map((a) => a.idle.maxLateMs)).toFixed(1)} ms)`,
          );
        } else {
          expect(best).toBeLessThanOrEqual(MAX_LATENESS_MS);
        }
      } finally {
        await page.close();
      }
    },
  );

  it.skipIf(skip)('names the worker program that failed to load, and re-throws errors from the worker', async () => {
    const page = await openHarness(browser, `${server.url}/${harness}`);
    try {
      const errors = await page.evaluate(async () => {
        const { createWorkerModel } = (window as unknown as HarnessWindow).simdnet;
        const messages: string[] = [];
        await createWorkerModel({ inputSize: 2, layers: [{ units: 2 }] }, { workerUrl: '/missing-worker.js' }).catch(
          (error: Error) => messages.push(error.message),
        );
        await createWorkerModel({ inputSize: 2, layers: [{ units: 0 }] }).catch((error: Error) =>
          messages.push(error.message),
        );
        const model = await createWorkerModel({ inputSize: 2, layers: [{ units: 2, activation: 'softmax' }] });
        await model
          .fit({ inputs: new Float32Array([0, 1, 1, 0, 1, 1]), labels: [0, 1, 5] })
          .catch((error: Error) => messages.push(error.message));
        await model.dispose();
        return messages;
      });
      console.log(`chromium WorkerModel errors: ${JSON.stringify(errors)}`);
      expect(errors).toHaveLength(3);
      expect(errors[0]).toMatch(/missing-worker\.js/);
      expect(errors[1]).toMatch(/units/);
      // Labels are values: a third distinct label does not fit the model's 2 classes.
      expect(errors[2]).toContain('labels have 3 distinct values');
    } finally {
      await page.close();
    }
  });

  it.skipIf(skip)(
    'runs 2 threads inside the worker on a cross-origin isolated page, to the one-thread weights',
    async () => {
      const page = await openHarness(browser, `${isolatedServer.url}/${harness}`);
      try {
        const result = await page.evaluate(async () => {
          const { simdnet, spirals } = window as unknown as HarnessWindow;
          const { createModel, createWorkerModel } = simdnet;
          const { SPIRALS_MODEL, twoSpirals } = spirals;
          const data = twoSpirals();
          const threaded = await createWorkerModel({ ...SPIRALS_MODEL, threads: 2 });
          await threaded.fit(data, { epochs: 30, batchSize: 64 });
          const single = await createModel(SPIRALS_MODEL);
          await single.fit(data, { epochs: 30, batchSize: 64 });
          const bitsOf = (d: Awaited<ReturnType<typeof single.describe>>) =>
            d.layers.flatMap((l) => [...new Uint32Array(Float32Array.from([...l.weights, ...l.bias]).buffer)]);
          const a = bitsOf(await threaded.describe());
          const b = bitsOf(single.describe());
          const threading = threaded.threading;
          await threaded.dispose();
          return {
            threading,
            identical: a.length === b.length && a.every((v, i) => v === b[i]),
            isolated: crossOriginIsolated,
          };
        });
        console.log(`chromium WorkerModel with threads: 2: ${JSON.stringify(result)}`);
        expect(result.isolated).toBe(true);
        expect(result.threading).toEqual({ threads: 2, requested: 2 });
        expect(result.identical).toBe(true);
      } finally {
        await page.close();
      }
    },
  );
});
