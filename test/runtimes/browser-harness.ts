/**
 * A page for driving the installed package from a test in Chromium: it imports
 * 'simdnet' (mapped, as a browser bundler maps it, to the package's `browser` export)
 * and the spirals of fixtures/roundtrip.mjs, and publishes them as window.simdnet and
 * window.spirals; the test then runs its steps with page.evaluate. It has a file
 * input (#file) for loading a model from a File.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type * as Simdnet from '../../src/index.js';

/** What the harness page publishes on window. */
export interface HarnessWindow {
  simdnet: typeof Simdnet;
  spirals: {
    SPIRALS_MODEL: Simdnet.ModelSpec;
    twoSpirals(perArm?: number): { inputs: Float32Array; labels: Int32Array };
  };
  harnessReady?: boolean;
}

/** The file 'simdnet' resolves to for a browser bundler (esbuild, platform browser), relative to `dir`. */
async function browserEntry(dir: string): Promise<string> {
  const { metafile } = await build({
    stdin: { contents: "import 'simdnet';", resolveDir: dir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const entry = Object.keys(metafile!.inputs).find((path) => path.includes('node_modules/simdnet/'));
  if (!entry) throw new Error(`'simdnet' did not resolve for the browser: ${Object.keys(metafile!.inputs).join(', ')}`);
  return relative(dir, join(process.cwd(), entry)).split('\\').join('/');
}

/** Writes the harness page into the scratch project `dir` as `name`; returns `name`. */
export async function browserHarness(dir: string, name: string): Promise<string> {
  const entry = await browserEntry(dir);
  writeFileSync(
    join(dir, name),
    `<!doctype html>
<meta charset="utf-8">
<title>simdnet test harness</title>
<script type="importmap">${JSON.stringify({ imports: { simdnet: `/${entry}` } })}</script>
<input type="file" id="file">
<script type="module">
  import * as simdnet from 'simdnet';
  import * as spirals from './roundtrip.mjs';
  Object.assign(window, { simdnet, spirals, harnessReady: true });
</script>
`,
  );
  return name;
}

/** A new tab on the harness page, once it has loaded the package. Page errors fail the wait with their text. */
export async function openHarness(browser: Browser, url: string, page?: Page): Promise<Page> {
  const tab = page ?? (await browser.newPage());
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(String(error)));
  await tab.goto(url);
  await waitForHarness(tab, errors);
  return tab;
}

/** Waits for the harness on `page` (after goto or reload). */
export async function waitForHarness(page: Page, errors: string[] = []): Promise<void> {
  try {
    await page.waitForFunction(() => (window as unknown as HarnessWindow).harnessReady === true, undefined, {
      timeout: 30_000,
    });
  } catch (error) {
    throw new Error(
      `the harness page did not load: ${(error as Error).message}\npage errors: ${errors.join('\n') || 'none'}`,
    );
  }
}
