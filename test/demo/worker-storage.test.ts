/**
 * The browser demo trains in a Web Worker: a 10 ms setInterval timer on the page is
 * never late by more than 20 ms while it trains (several seconds, measured over the
 * whole run, numbers printed); and Save / Load keep the model in IndexedDB across a
 * page reload, with the same test accuracy and the same prediction for a drawn digit.
 *
 * A busy machine (other processes taking the CPU) makes even an idle page's timer late:
 * each training run follows as long a run of the idle page as a control, up to ATTEMPTS runs
 * are made, and the 20 ms bound is judged when the machine is quiet enough to judge it (the
 * load average below the core count at the start, and an idle control within the bound).
 * Checked always: the median lateness (at most 2 ms) and the share of ticks late by more than
 * 20 ms (at most 10%); training on the page's thread is late by about 30 ms at the median.
 *
 * Required when CI=true; elsewhere skipped, with a warning, when /usr/bin/chromium is missing.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../demo/serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const IN_CI = process.env.CI === 'true';
const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`;
const skip = missing !== undefined && !IN_CI;
if (skip) console.warn(`demo worker test skipped: ${missing}`);

const MAX_LATENESS_MS = 20;
/** SIMDNET_TIMER_STRICT=1 (set by .ci/run, which runs these files alone after the suite) judges the bound whatever the load. */
const STRICT = process.env.SIMDNET_TIMER_STRICT === '1';
const ATTEMPTS = 3;
const TRAIN_MS = 5000;

let server: DemoServer | undefined;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (skip) return;
  if (missing) throw new Error(`${missing}: the demo test is required when CI=true`);
  server = await startDemoServer({ port: 0, buildCore: false });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const waitFor = (condition: string, timeout = 30_000) =>
  page.waitForFunction(condition, undefined, { timeout, polling: 50 });
const body = (key: string) => page.evaluate((name) => document.body.dataset[name], key);

interface Lateness {
  ticks: number;
  medianMs: number;
  maxMs: number;
  /** Fraction of ticks late by more than 20 ms. */
  over20: number;
  /** The latest ticks: [ms from the timer's start to the gap, ms late]. */
  worst: [number, number][];
}

/** Starts a 10 ms interval timer on the page that records how late each tick is. */
const startTimer = () =>
  page.evaluate(() => {
    const started = performance.now();
    const state = { lates: [] as number[], worst: [] as [number, number][], last: started, id: 0 };
    state.id = window.setInterval(() => {
      const now = performance.now();
      const late = now - state.last - 10;
      state.lates.push(late);
      if (late > 10) state.worst.push([Math.round(state.last - started), Math.round(late)]);
      state.last = now;
    }, 10);
    (window as unknown as { lateness: typeof state }).lateness = state;
  });

const stopTimer = (): Promise<Lateness> =>
  page.evaluate(() => {
    const state = (window as unknown as { lateness: { lates: number[]; worst: [number, number][]; id: number } })
      .lateness;
    clearInterval(state.id);
    const sorted = [...state.lates].sort((a, b) => a - b);
    return {
      ticks: sorted.length,
      medianMs: sorted[Math.floor(sorted.length / 2)],
      maxMs: sorted[sorted.length - 1],
      over20: sorted.filter((late) => late > 20).length / sorted.length,
      worst: state.worst.sort((a, b) => b[1] - a[1]).slice(0, 5),
    };
  });

/** Draws a vertical stroke and returns the prediction's probabilities. */
async function strokeProbabilities(): Promise<number[]> {
  await page.click('#clear');
  await waitFor(`document.getElementById('prediction').dataset.class === ''`, 5_000);
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (x: number, y: number) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const;
  await page.mouse.move(...at(140, 40));
  await page.mouse.down();
  for (const y of [90, 140, 190, 240]) await page.mouse.move(...at(140, y), { steps: 4 });
  await page.mouse.up();
  await waitFor(`document.getElementById('prediction').dataset.class !== ''`, 5_000);
  await page.waitForTimeout(300); // the last of the stroke's predictions
  return JSON.parse((await page.getAttribute('#prediction', 'data-probabilities'))!) as number[];
}

describe('browser demo: training in a Web Worker, Save and Load', () => {
  it.skipIf(skip)(
    `a 10 ms page timer is never late by more than ${MAX_LATENESS_MS} ms while the worker trains`,
    { timeout: 120_000 },
    async () => {
      const loadAtStart = loadavg()[0];
      await page.goto(`${server!.url}/?train=60000`);
      await waitFor(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, 40_000);
      expect(await page.textContent('#error')).toBe('');
      await page.selectOption('#epochs', '20');

      const runs: { idle: Lateness; training: Lateness; batches: number }[] = [];
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        await startTimer();
        await page.waitForTimeout(TRAIN_MS);
        const idle = await stopTimer();
        const batchesBefore = Number(await body('batches'));
        await startTimer();
        await page.click('#train');
        await page.waitForTimeout(TRAIN_MS);
        expect(await body('state')).toBe('training');
        await page.click('#stop');
        await waitFor(`document.body.dataset.state === 'stopped'`, 10_000);
        const training = await stopTimer();
        const batches = Number(await body('batches')) - batchesBefore;
        runs.push({ idle, training, batches });
        console.log(
          `demo attempt ${attempt}: idle page timer late by median ${idle.medianMs.toFixed(1)} ms, max ${idle.maxMs.toFixed(1)} ms; ` +
            `training in the worker (${batches} batches, ${training.ticks} ticks): median ${training.medianMs.toFixed(1)} ms, max ${training.maxMs.toFixed(1)} ms, ${(training.over20 * 100).toFixed(1)}% of ticks over 20 ms; worst [at ms, late ms] ${JSON.stringify(training.worst)}`,
        );
        if (training.maxMs <= MAX_LATENESS_MS) break;
      }
      for (const run of runs) {
        expect(run.batches).toBeGreaterThan(100);
        expect(run.training.ticks).toBeGreaterThan(200);
        expect(run.training.medianMs).toBeLessThanOrEqual(2);
        expect(run.training.over20).toBeLessThanOrEqual(0.1);
      }
      const best = Math.min(...runs.map((run) => run.training.maxMs));
      const quiet =
        STRICT || (runs.some((run) => run.idle.maxMs <= MAX_LATENESS_MS) && loadAtStart < availableParallelism());
      if (best > MAX_LATENESS_MS && !quiet) {
        console.warn(
          `the ${MAX_LATENESS_MS} ms bound was not judged: other work keeps this machine busy (load average ${loadAtStart.toFixed(1)} on ${availableParallelism()} cores at the start; an idle page's timer was late by up to ${Math.min(...runs.map((run) => run.idle.maxMs)).toFixed(1)} ms)`,
        );
      } else {
        expect(best).toBeLessThanOrEqual(MAX_LATENESS_MS);
      }
      expect(pageErrors).toEqual([]);
    },
  );

  it.skipIf(skip)('Save keeps the model in IndexedDB; after a reload Load brings back the same model', async () => {
    expect(await body('state')).toBe('stopped');
    const accuracy = await body('testAccuracy');
    expect(Number(accuracy)).toBeGreaterThan(0.8);
    const before = await strokeProbabilities();
    await page.click('#save');
    await waitFor(`document.body.dataset.savedBytes !== undefined`, 10_000);
    expect(Number(await body('savedBytes'))).toBeGreaterThan(784 * 128 * 4);
    expect(await page.textContent('#storage-note')).toContain('Saved in this browser');

    await page.reload();
    await waitFor(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, 40_000);
    expect(await page.isEnabled('#load')).toBe(true);
    expect(await body('testAccuracy')).toBeUndefined();
    await page.click('#load');
    await waitFor(`document.body.dataset.loaded === 'true' || document.body.dataset.state === 'error'`, 20_000);
    expect(await page.textContent('#error')).toBe('');
    expect(await body('testAccuracy')).toBe(accuracy);
    const after = await strokeProbabilities();
    console.log(
      `demo: saved and loaded model: test accuracy ${accuracy}; a vertical stroke: ${after.indexOf(Math.max(...after))}`,
    );
    expect(after).toEqual(before);
    expect(pageErrors).toEqual([]);
  });
});
