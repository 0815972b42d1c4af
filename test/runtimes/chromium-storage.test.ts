/**
 * Browser storage in headless Chromium, from the packed tarball: a model saved to
 * IndexedDB, the page reloaded, loaded back with bit-identical predictions (a Model
 * and a WorkerModel); listModels and removeModel; a downloads:// save captured as
 * playwright's download event, its bytes the model's, loaded back from a File picked
 * in a file input and from a Blob.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserHarness, openHarness, waitForHarness, type HarnessWindow } from './browser-harness.js';
import { CHROMIUM, CHROMIUM_ARGS, scratchProject, serveStatic, skipReason, type StaticServer } from './helpers.js';

const skip = skipReason(
  'Chromium',
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
);

let dir: string;
let server: StaticServer;
let browser: Browser;
let context: BrowserContext;
let harness: string;

beforeAll(async () => {
  if (skip) return;
  dir = (await scratchProject()).dir;
  harness = await browserHarness(dir, `storage-harness-${process.pid}.html`);
  server = await serveStatic(dir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ acceptDownloads: true });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  if (harness) rmSync(join(dir, harness), { force: true });
});

/** Trains the spirals model (a Model or a WorkerModel) and saves it to `url`; returns its predictions' bits and the save's info. */
function trainAndSave(page: Page, kind: 'model' | 'worker', url: string) {
  return page.evaluate(
    async ({ kind, url }) => {
      const { simdnet, spirals } = window as unknown as HarnessWindow;
      const data = spirals.twoSpirals();
      const model =
        kind === 'worker'
          ? await simdnet.createWorkerModel(spirals.SPIRALS_MODEL)
          : await simdnet.createModel(spirals.SPIRALS_MODEL);
      await model.fit(data, { epochs: 60, batchSize: 32 });
      model.metadata = { note: `saved from a ${kind}` };
      const info = await simdnet.saveModel(model, url);
      const predictions = [...new Uint32Array((await model.predict(data.inputs)).buffer)];
      const bytes = [...(await model.save())];
      if ('dispose' in model) await model.dispose();
      return { info: { ...info, dateSaved: info.dateSaved.toISOString() }, predictions, bytes };
    },
    { kind, url },
  );
}

/** Loads `url` (a Model or a WorkerModel) and returns its predictions' bits and metadata. */
function loadAndPredict(page: Page, kind: 'model' | 'worker', url: string) {
  return page.evaluate(
    async ({ kind, url }) => {
      const { simdnet, spirals } = window as unknown as HarnessWindow;
      const model = kind === 'worker' ? await simdnet.loadWorkerModel(url) : await simdnet.loadModel(url);
      const predictions = [...new Uint32Array((await model.predict(spirals.twoSpirals().inputs)).buffer)];
      const metadata = model.metadata;
      if ('dispose' in model) await model.dispose();
      return { predictions, metadata };
    },
    { kind, url },
  );
}

describe('headless Chromium, browser storage', () => {
  it.skipIf(skip)(
    'saves to IndexedDB, reloads the page, loads back bit-identical (Model and WorkerModel)',
    async () => {
      const page = await openHarness(browser, `${server.url}/${harness}`, await context.newPage());
      try {
        const saved = await trainAndSave(page, 'model', 'indexeddb://spirals');
        const savedFromWorker = await trainAndSave(page, 'worker', 'indexeddb://spirals-worker');
        expect(saved.info).toMatchObject({ url: 'indexeddb://spirals', name: 'spirals', bytes: saved.bytes.length });
        expect(savedFromWorker.predictions).toEqual(saved.predictions); // same seed, same data: same model

        await page.reload();
        await waitForHarness(page);
        const listed = await page.evaluate(async () =>
          (await (window as unknown as HarnessWindow).simdnet.listModels()).map((m) => ({
            ...m,
            dateSaved: m.dateSaved.toISOString(),
          })),
        );
        expect(listed).toEqual([saved.info, savedFromWorker.info]);
        console.log(`chromium IndexedDB after reload: ${JSON.stringify(listed)}`);

        const loaded = await loadAndPredict(page, 'model', 'indexeddb://spirals');
        expect(loaded.predictions).toEqual(saved.predictions);
        expect(loaded.metadata).toEqual({ note: 'saved from a model' });
        const loadedInWorker = await loadAndPredict(page, 'worker', 'indexeddb://spirals-worker');
        expect(loadedInWorker.predictions).toEqual(saved.predictions);
        expect(loadedInWorker.metadata).toEqual({ note: 'saved from a worker' });

        const afterRemove = await page.evaluate(async () => {
          const { simdnet } = window as unknown as HarnessWindow;
          await simdnet.removeModel('indexeddb://spirals');
          const names = (await simdnet.listModels()).map((m) => m.name);
          const errors: string[] = [];
          for (const attempt of [
            () => simdnet.loadModel('indexeddb://spirals'),
            () => simdnet.removeModel('indexeddb://spirals'),
            () => simdnet.loadModel('indexeddb://'),
            () => simdnet.loadModel('nothing-here.sdnt'),
          ])
            await attempt().catch((error: Error) => errors.push(error.message));
          return { names, errors };
        });
        expect(afterRemove.names).toEqual(['spirals-worker']);
        expect(afterRemove.errors[0]).toContain("no model named 'spirals' in IndexedDB");
        expect(afterRemove.errors[1]).toContain("no model named 'spirals' in IndexedDB");
        expect(afterRemove.errors[2]).toContain('indexeddb:// needs a model name');
        expect(afterRemove.errors[3]).toMatch(/nothing-here\.sdnt: HTTP 404/);
      } finally {
        await page.close();
      }
    },
  );

  it.skipIf(skip)('downloads:// saves a file download, which loads back from a File and a Blob', async () => {
    const page = await openHarness(browser, `${server.url}/${harness}`, await context.newPage());
    try {
      const [download, saved] = await Promise.all([
        page.waitForEvent('download'),
        trainAndSave(page, 'model', 'downloads://spirals'),
      ]);
      expect(download.suggestedFilename()).toBe('spirals.sdnt');
      expect(saved.info).toMatchObject({ url: 'downloads://spirals', name: 'spirals.sdnt', bytes: saved.bytes.length });
      const path = await download.path();
      const bytes = readFileSync(path);
      expect([...bytes]).toEqual(saved.bytes);

      await page.setInputFiles('#file', path);
      const fromFile = await page.evaluate(async () => {
        const { simdnet, spirals } = window as unknown as HarnessWindow;
        const file = (document.getElementById('file') as HTMLInputElement).files![0];
        const model = await simdnet.loadModel(file);
        const worker = await simdnet.loadWorkerModel(file);
        const inputs = spirals.twoSpirals().inputs;
        const result = {
          name: file.name,
          model: [...new Uint32Array(model.predict(inputs).buffer)],
          worker: [...new Uint32Array((await worker.predict(inputs)).buffer)],
          blob: [
            ...new Uint32Array((await simdnet.loadModel(new Blob([await file.arrayBuffer()]))).predict(inputs).buffer),
          ],
        };
        await worker.dispose();
        return result;
      });
      expect(fromFile.model).toEqual(saved.predictions);
      expect(fromFile.worker).toEqual(saved.predictions);
      expect(fromFile.blob).toEqual(saved.predictions);
    } finally {
      await page.close();
    }
  });
});
