/**
 * Cloudflare Workers (npm package `workerd`, the runtime Wrangler runs locally):
 * a Worker that runs the round trip on each request and answers with JSON.
 *
 * The Worker is bundled the way Wrangler bundles one (esbuild with the
 * `workerd`, `worker` and `browser` conditions, `.wasm` imports left as module
 * imports), so 'simdnet' resolves to the package's `workerd` export, which
 * imports the core as a compiled module. workerd forbids compiling WebAssembly
 * from bytes (as Cloudflare does), so any other loading path fails here.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  repoBinary,
  roundTripProblems,
  scratchProject,
  skipReason,
  startProcess,
  type RoundTripResult,
  type ScratchProject,
} from './helpers.js';

const workerd = repoBinary('workerd');
const skip = skipReason('workerd', workerd ? undefined : 'node_modules/.bin/workerd is missing (npm install)');

/** workerd's configuration: one Worker made of the bundle and the .wasm files it imports. */
function config(wasmFiles: string[]): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${wasmFiles.map((file) => `    (name = "${file}", wasm = embed "${file}"),`).join('\n')}
  ],
  compatibilityDate = "2025-09-01",
);
`;
}

let project: ScratchProject;
let dir: string;
let server: ReturnType<typeof startProcess> | undefined;
let origin: string;

beforeAll(async () => {
  if (skip) return;
  project = await scratchProject();
  dir = join(project.dir, `workerd-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const wasmFiles: string[] = [];
  await build({
    entryPoints: [join(project.dir, 'worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    outfile: join(dir, 'worker.js'),
    logLevel: 'error',
    plugins: [
      {
        name: 'wasm-modules',
        setup(plugin) {
          plugin.onResolve({ filter: /\.wasm$/ }, (args) => {
            const file = basename(args.path);
            copyFileSync(resolve(args.resolveDir, args.path), join(dir, file));
            wasmFiles.push(file);
            return { path: `./${file}`, external: true };
          });
        },
      },
    ],
  });
  writeFileSync(join(dir, 'config.capnp'), config(wasmFiles));
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = startProcess(workerd!, ['serve', 'config.capnp', `--socket-addr=http=127.0.0.1:${port}`], dir);
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The first answer of the Worker, waiting for workerd to listen. */
async function fetchWhenUp(url: string, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server!.child.exitCode !== null)
      throw new Error(`workerd exited (${server!.child.exitCode}):\n${server!.output()}`);
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`workerd did not answer at ${url}: ${(error as Error).message}\n${server!.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('Cloudflare Workers (workerd), from the packed tarball', () => {
  it.skipIf(skip)('imports the core as a compiled module, not bytes', () => {
    const bundle = readFileSync(join(dir, 'worker.js'), 'utf8');
    expect(bundle).toMatch(/import \w+ from "\.\/simdnet\.wasm"/);
    expect(bundle).toContain('dist/index.workerd.js');
  });

  it.skipIf(skip)('a Worker trains, saves and loads with identical predictions on a request', async () => {
    const started = Date.now();
    const response = await fetchWhenUp(`${origin}/`);
    const body = await response.text();
    expect(response.status, body).toBe(200);
    const result = JSON.parse(body) as RoundTripResult;
    console.log(
      `workerd: ${result.runtime}, accuracy ${result.accuracy}, request ${Date.now() - started} ms (with start-up)`,
    );
    expect(result.runtime).toBe('Cloudflare-Workers');
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });
});
