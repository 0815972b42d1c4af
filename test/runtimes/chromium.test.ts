/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core): a page
 * served from 127.0.0.1 runs the round trip. 'simdnet' is mapped (import map)
 * to the file a browser bundler picks through the package's `browser` export,
 * so the core is fetched from the URL next to that bundle, served as
 * application/wasm and compiled while it streams.
 *
 * The page runs twice: from a plain origin, and from one served with the
 * cross-origin isolation headers (COOP/COEP) that SharedArrayBuffer, and so
 * threads, need. A second page asks for 2 threads: on the isolated origin it
 * trains with Web Workers on a shared memory; on the plain one it falls back to
 * one thread and says why. The threaded run also trains the same model on one
 * thread and compares the weights: they must be equal bit for bit.
 */
import { build } from 'esbuild';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  pageResult,
  roundTripProblems,
  scratchProject,
  serveStatic,
  skipReason,
  type RoundTripResult,
  type ScratchProject,
  type StaticServer,
} from './helpers.js';

const skip = skipReason(
  'Chromium',
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
);

let project: ScratchProject;
let server: StaticServer;
let isolatedServer: StaticServer;
let browser: Browser;
let page: string;
let threadsPage: string;

/** The file 'simdnet' resolves to for a browser bundler (esbuild, platform browser), relative to the project. */
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

beforeAll(async () => {
  if (skip) return;
  project = await scratchProject();
  const entry = await browserEntry(project.dir);
  page = `roundtrip-${process.pid}.html`;
  writeFileSync(
    join(project.dir, page),
    `<!doctype html>
<meta charset="utf-8">
<title>simdnet round trip</title>
<script type="importmap">${JSON.stringify({ imports: { simdnet: `/${entry}` } })}</script>
<script type="module">
  import { roundtrip } from './roundtrip.mjs';
  window.roundtripResult = roundtrip()
    .then((result) => ({ ...result, crossOriginIsolated: self.crossOriginIsolated }))
    .catch((error) => ({ error: String(error?.stack ?? error) }));
</script>
`,
  );
  threadsPage = `threads-${process.pid}.html`;
  writeFileSync(
    join(project.dir, threadsPage),
    `<!doctype html>
<meta charset="utf-8">
<title>simdnet threads</title>
<script type="importmap">${JSON.stringify({ imports: { simdnet: `/${entry}` } })}</script>
<script type="module">
  import { threaded } from './threads.mjs';
  window.threadsResult = threaded()
    .then((result) => ({ ...result, crossOriginIsolated: self.crossOriginIsolated }))
    .catch((error) => ({ error: String(error?.stack ?? error) }));
</script>
`,
  );
  server = await serveStatic(project.dir);
  isolatedServer = await serveStatic(project.dir, () => CROSS_ORIGIN_ISOLATION);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await isolatedServer?.close();
  if (page) rmSync(join(project.dir, page), { force: true });
  if (threadsPage) rmSync(join(project.dir, threadsPage), { force: true });
});

/** The headers that make a page cross-origin isolated (SharedArrayBuffer available). */
const CROSS_ORIGIN_ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

async function runPage(origin: StaticServer): Promise<RoundTripResult & { crossOriginIsolated: boolean }> {
  const tab = await browser.newPage();
  try {
    const started = Date.now();
    const result = await pageResult<RoundTripResult & { crossOriginIsolated: boolean }>(
      tab,
      `${origin.url}/${page}`,
      'roundtripResult',
    );
    console.log(
      `chromium (crossOriginIsolated ${result.crossOriginIsolated}): ${result.runtime}, accuracy ${result.accuracy}, round trip ${result.milliseconds} ms, page ${Date.now() - started} ms`,
    );
    return result;
  } finally {
    await tab.close();
  }
}

describe('headless Chromium, from the packed tarball', () => {
  it.skipIf(skip)('trains, saves and loads with identical predictions (browser export)', async () => {
    const result = await runPage(server);
    expect(result.runtime).toMatch(/HeadlessChrome|Chrome/);
    expect(result.crossOriginIsolated).toBe(false);
    expect(server.requests).toContain('/node_modules/simdnet/dist/index.web.js');
    expect(server.requests).toContain('/node_modules/simdnet/dist/simdnet.wasm');
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });

  it.skipIf(skip)('does the same on a cross-origin isolated page (COOP/COEP)', async () => {
    const result = await runPage(isolatedServer);
    expect(result.crossOriginIsolated).toBe(true);
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });
});

interface ThreadsResult {
  threading: { threads: number; requested: number; reason?: string };
  accuracy: number;
  milliseconds: number;
  /** Its weights equal, bit for bit, those of the same model trained on one thread. */
  identical: boolean;
  crossOriginIsolated: boolean;
  error?: string;
}

async function runThreadsPage(origin: StaticServer): Promise<ThreadsResult> {
  const tab = await browser.newPage();
  try {
    const result = await pageResult<ThreadsResult>(tab, `${origin.url}/${threadsPage}`, 'threadsResult');
    console.log(
      `chromium threads (crossOriginIsolated ${result.crossOriginIsolated}): ${JSON.stringify(result.threading)}, accuracy ${result.accuracy}, ${result.milliseconds} ms, same weights as 1 thread: ${result.identical}`,
    );
    return result;
  } finally {
    await tab.close();
  }
}

describe('headless Chromium, threaded mode', () => {
  it.skipIf(skip)('trains on 2 threads (Web Workers, shared memory) on a cross-origin isolated page', async () => {
    const result = await runThreadsPage(isolatedServer);
    expect(result.error).toBeUndefined();
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.threading).toEqual({ threads: 2, requested: 2 });
    // Chromium validates relaxed SIMD: by default the threads run the relaxed threaded core.
    expect(isolatedServer.requests).toContain('/node_modules/simdnet/dist/simdnet-threads-relaxed.wasm');
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.identical).toBe(true);
  });

  it.skipIf(skip)('falls back to one thread, with the reason, on a page without isolation', async () => {
    const result = await runThreadsPage(server);
    expect(result.error).toBeUndefined();
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.threading.threads).toBe(1);
    expect(result.threading.requested).toBe(2);
    expect(result.threading.reason).toMatch(/cross-origin isolat|SharedArrayBuffer/);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
