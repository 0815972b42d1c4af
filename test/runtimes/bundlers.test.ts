/**
 * The recipes of docs/bundlers.md, each run as a user would: a small page that imports
 * 'simdnet' from the packed tarball (installed in the scratch project) is bundled, served from
 * 127.0.0.1 and opened in headless Chromium, where it trains a tiny model and predicts.
 *
 *   Vite build          no configuration: the `new URL('./simdnet.wasm', import.meta.url)` in
 *                       the browser bundle makes Vite copy every .wasm into assets/
 *   Vite dev server     no configuration either (its dependency pre-bundling keeps the URL)
 *   esbuild             --format=esm, and the .wasm files copied next to the bundle
 *
 * and the failures the recipes prevent, each of which must say what URL was tried and point
 * to docs/bundlers.md: the .wasm not copied (404), a server answering the .wasm with its
 * index.html, and a bundle that is not an ES module (no import.meta.url).
 */
import { build as esbuild } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build as viteBuild, createServer as createViteServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  freePort,
  pageResult,
  scratchProject,
  serveStatic,
  skipReason,
  type StaticServer,
} from './helpers.js';

const skip = skipReason(
  'Chromium',
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
);

/**
 * The page's script: a 2-8-2 classifier of x + y > 0 on an 8×8 grid of [-1, 1]², trained for
 * 60 epochs, then two points far from the boundary classified. window.bundlerResult holds
 * { classes, accuracy, coreUrl } or { error }.
 */
const MAIN_JS = `import { createModel } from 'simdnet';

async function run() {
  const side = 8;
  const inputs = new Float32Array(side * side * 2);
  const labels = new Int32Array(side * side);
  for (let i = 0; i < side * side; i++) {
    const x = ((i % side) / (side - 1)) * 2 - 1;
    const y = (Math.floor(i / side) / (side - 1)) * 2 - 1;
    inputs[2 * i] = x;
    inputs[2 * i + 1] = y;
    labels[i] = x + y > 0 ? 1 : 0;
  }
  const model = await createModel({
    inputSize: 2,
    layers: [{ units: 8, activation: 'relu' }, { units: 2, activation: 'softmax' }],
    optimizer: { type: 'adam', learningRate: 0.05 },
    seed: 1,
  });
  await model.fit({ inputs, labels }, { epochs: 60, batchSize: 16 });
  const classes = Array.from(model.predictClasses(new Float32Array([0.8, 0.7, -0.8, -0.6])));
  const coreUrl = performance.getEntriesByType('resource').map((entry) => entry.name).find((name) => name.endsWith('.wasm'));
  return { classes, accuracy: model.evaluate({ inputs, labels }).accuracy, coreUrl };
}

window.bundlerResult = run().catch((error) => ({ error: String(error?.stack ?? error) }));
`;

const INDEX_HTML = (script: string, type = 'module') => `<!doctype html>
<meta charset="utf-8">
<title>simdnet, bundled</title>
<script type="${type}" src="${script}"></script>
`;

interface BundlerResult {
  classes: number[];
  accuracy: number;
  coreUrl?: string;
}

let browser: Browser;
let work: string;
let dist: string;
const servers: StaticServer[] = [];

beforeAll(async () => {
  if (skip) return;
  const project = await scratchProject();
  dist = join(project.dir, 'node_modules', 'simdnet', 'dist');
  // Inside the scratch project, so 'simdnet' resolves to its node_modules as in a user's app.
  work = join(project.dir, `bundlers-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'main.js'), MAIN_JS);
  writeFileSync(join(work, 'src', 'index.html'), INDEX_HTML('./main.js'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Serves `root` (see serveStatic) until the file's tests end. */
async function serve(root: string, headersFor?: (path: string) => Record<string, string>): Promise<StaticServer> {
  const server = await serveStatic(root, headersFor);
  servers.push(server);
  return server;
}

/** Opens `url` in a new tab and returns the page's result (rejects with the page's error). */
async function openPage(url: string): Promise<BundlerResult> {
  const tab = await browser.newPage();
  try {
    return await pageResult<BundlerResult>(tab, url, 'bundlerResult');
  } finally {
    await tab.close();
  }
}

/** The page trained and classified both points (x + y > 0 is class 1). */
function expectTrained(result: BundlerResult): void {
  expect(result.classes).toEqual([1, 0]);
  expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
}

/** esbuild's bundle of the page as an ES module in `outdir`, with index.html beside it. */
async function esbuildPage(outdir: string, format: 'esm' | 'iife' = 'esm'): Promise<void> {
  await esbuild({
    entryPoints: [join(work, 'src', 'main.js')],
    bundle: true,
    format,
    platform: 'browser',
    outdir,
    logLevel: 'silent',
  });
  writeFileSync(join(outdir, 'index.html'), INDEX_HTML('./main.js', format === 'esm' ? 'module' : 'text/javascript'));
}

/** The recipe's copy step: every simdnet .wasm next to the bundle. */
function copyWasmFiles(outdir: string): void {
  for (const file of readdirSync(dist).filter((name) => name.endsWith('.wasm')))
    copyFileSync(join(dist, file), join(outdir, file));
}

const RECIPE = /When a bundler moves simdnet's files, pass init\(\{ source: \.\.\. \}\) or see docs\/bundlers\.md/;

describe('bundlers, from the packed tarball, in headless Chromium', () => {
  it.skipIf(skip)('Vite build: no configuration, every .wasm copied into assets/', async () => {
    const outDir = join(work, 'vite-out');
    await viteBuild({
      root: join(work, 'src'),
      configFile: false,
      logLevel: 'silent',
      cacheDir: join(work, 'vite-cache'),
      build: { outDir, emptyOutDir: true },
    });
    const assets = readdirSync(join(outDir, 'assets'));
    for (const file of ['simdnet', 'simdnet-relaxed', 'simdnet-threads', 'simdnet-threads-relaxed'])
      expect(assets.some((name) => new RegExp(`^${file}-[\\w-]+\\.wasm$`).test(name))).toBe(true);
    const server = await serve(outDir);
    const result = await openPage(`${server.url}/`);
    expectTrained(result);
    expect(result.coreUrl).toMatch(new RegExp(`^${server.url}/assets/simdnet-[\\w-]+\\.wasm$`));
  });

  it.skipIf(skip)('Vite dev server: no configuration', async () => {
    const port = await freePort();
    let server: ViteDevServer | undefined;
    try {
      server = await createViteServer({
        root: join(work, 'src'),
        configFile: false,
        logLevel: 'silent',
        cacheDir: join(work, 'vite-dev-cache'),
        server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
      });
      await server.listen();
      const result = await openPage(`http://127.0.0.1:${port}/`);
      expectTrained(result);
      // Chromium validates relaxed SIMD: the default core there is the relaxed one.
      expect(result.coreUrl).toMatch(/\/node_modules\/simdnet\/dist\/simdnet-relaxed\.wasm$/);
    } finally {
      await server?.close();
    }
  });

  it.skipIf(skip)('esbuild: --format=esm, and the .wasm files copied next to the bundle', async () => {
    const outdir = join(work, 'esbuild-out');
    await esbuildPage(outdir);
    copyWasmFiles(outdir);
    const server = await serve(outdir);
    const result = await openPage(`${server.url}/`);
    expectTrained(result);
    expect(result.coreUrl).toBe(`${server.url}/simdnet-relaxed.wasm`);
  });

  it.skipIf(skip)('esbuild without the copy: the error names the URL (404) and the recipe', async () => {
    const outdir = join(work, 'esbuild-no-copy');
    await esbuildPage(outdir);
    const server = await serve(outdir);
    const page = openPage(`${server.url}/`);
    await expect(page).rejects.toThrow(
      `simdnet: could not fetch the WebAssembly core from ${server.url}/simdnet.wasm (404 Not Found).`,
    );
    await expect(page).rejects.toThrow(RECIPE);
    expect(server.requests).toContain('/simdnet.wasm');
  });

  it.skipIf(skip)('a server answering the .wasm with index.html: the error says it is not WebAssembly', async () => {
    const outdir = join(work, 'esbuild-html');
    await esbuildPage(outdir);
    // A dev server's fallback: any unknown path gets the app's index.html, status 200.
    writeFileSync(join(outdir, 'simdnet.wasm'), readFileSync(join(outdir, 'index.html')));
    const server = await serve(
      outdir,
      (path): Record<string, string> => (path.endsWith('.wasm') ? { 'content-type': 'text/html; charset=utf-8' } : {}),
    );
    const page = openPage(`${server.url}/`);
    await expect(page).rejects.toThrow(
      new RegExp(
        `could not fetch the WebAssembly core from ${server.url}/simdnet\\.wasm \\(got \\d+ bytes of text/html; charset=utf-8, not WebAssembly\\)`,
      ),
    );
    await expect(page).rejects.toThrow(RECIPE);
  });

  it.skipIf(skip)('esbuild --format=iife (no import.meta.url): the error says to bundle an ES module', async () => {
    const outdir = join(work, 'esbuild-iife');
    await esbuildPage(outdir, 'iife');
    copyWasmFiles(outdir);
    const server = await serve(outdir);
    const page = openPage(`${server.url}/`);
    await expect(page).rejects.toThrow(/could not locate the WebAssembly core simdnet\.wasm next to the script/);
    await expect(page).rejects.toThrow(/is the bundle an ES module\?/);
    await expect(page).rejects.toThrow(RECIPE);
  });
});
