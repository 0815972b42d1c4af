/**
 * Shared by the runtime tests: the packed package installed in a scratch project,
 * runtime binaries, child processes, free ports, and a static file server.
 *
 * `scratchProject()` runs `npm pack` on the built repo once and installs the
 * tarball into a temporary project with `npm install --offline`, exactly as a
 * user would (no links to this repo). Test files run in parallel processes, so
 * the project is keyed by a hash of what goes into it (dist/, package.json, the
 * fixtures) and made under a lock directory; the first process builds it, the
 * others wait and reuse it, and a later `npm test` with the same build reuses it too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FIXTURES = join(REPO, 'test', 'runtimes', 'fixtures');
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/** What `scratchProject()` reports about the package it installed. */
export interface ScratchProject {
  /** The scratch project: package.json, node_modules/simdnet, and the fixtures copied in. */
  dir: string;
  tarball: string;
  tarballBytes: number;
  packMs: number;
  installMs: number;
  /** The round trip run once by Node at set-up: every other runtime must match it bit for bit. */
  nodeReference: RoundTripResult;
}

/** What test/runtimes/fixtures/roundtrip.mjs returns (and prints as JSON). */
export interface RoundTripResult {
  runtime: string;
  /** init({ relaxed: false }), with no source, resolved to a compiled WebAssembly.Module. */
  initCompiledModule: boolean;
  samples: number;
  epochs: number;
  loss: number;
  accuracy: number;
  reachedThreshold: boolean;
  savedBytes: number;
  predictionsIdentical: boolean;
  resavedIdentical: boolean;
  loadedAccuracy: number;
  fingerprint: string;
  milliseconds: number;
}

// --- child processes ---------------------------------------------------------

export interface RunResult {
  stdout: string;
  stderr: string;
  milliseconds: number;
}

/** Runs a command to completion; rejects with its output on a non-zero exit or after `timeoutMs`. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `${command} ${args.join(' ')} failed in ${options.cwd}: ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        else resolvePromise({ stdout, stderr, milliseconds: Date.now() - started });
      },
    );
  });
}

/** The last line of `stdout` that parses as a JSON object. */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (line.startsWith('{')) return JSON.parse(line) as T;
  }
  throw new Error(`no JSON line in the output:\n${stdout}`);
}

/** What test/runtimes/fixtures/threads.mjs returns. */
export interface ThreadedResult {
  threading: { threads: number; requested: number; reason?: string };
  accuracy: number;
  milliseconds: number;
  /** The weights equal, bit for bit, those of the same model trained on one thread. */
  identical: boolean;
}

/**
 * Runs fixtures/threads.mjs (60 epochs) in the scratch project with a runtime's command
 * (`args` before the script's file name) and returns its result.
 */
export async function runThreadedFixture(
  command: string,
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<ThreadedResult> {
  const file = `threads-run-${process.pid}.mjs`;
  writeFileSync(
    join(dir, file),
    "import { threaded } from './threads.mjs';\nconsole.log(JSON.stringify(await threaded({ epochs: 60 })));\n",
  );
  try {
    return lastJsonLine<ThreadedResult>((await run(command, [...args, file], { cwd: dir, env })).stdout);
  } finally {
    rmSync(join(dir, file), { force: true });
  }
}

/** A binary from this repo's node_modules/.bin (the npm packages deno, bun, workerd), or undefined. */
export function repoBinary(name: string): string | undefined {
  const path = join(REPO, 'node_modules', '.bin', name);
  return existsSync(path) ? path : undefined;
}

/**
 * Why a runtime's test cannot run here, or undefined when it can. In CI a
 * missing runtime is a failure (the test runs and fails); elsewhere it is a skip
 * that says why on the console.
 */
export function skipReason(runtime: string, missing: string | undefined): string | undefined {
  if (missing === undefined || IN_CI) return undefined;
  const reason = `${runtime} runtime test skipped: ${missing}`;
  console.warn(reason);
  return reason;
}

// --- the scratch project ----------------------------------------------------------

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}

/** A hash of everything the scratch project is made from. */
function contentKey(): string {
  const hash = createHash('sha256');
  for (const path of [join(REPO, 'package.json'), ...filesUnder(join(REPO, 'dist')), ...filesUnder(FIXTURES)]) {
    hash.update(relative(REPO, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let project: Promise<ScratchProject> | undefined;

/** The packed package installed in a scratch project (made once, shared by every test file). */
export function scratchProject(): Promise<ScratchProject> {
  project ??= makeOrReuseScratchProject();
  return project;
}

async function makeOrReuseScratchProject(): Promise<ScratchProject> {
  for (const required of [
    'dist/index.node.js',
    'dist/index.web.js',
    'dist/index.workerd.js',
    'dist/index.inline.js',
    'dist/simdnet.wasm',
    'dist/types/index.d.ts',
  ]) {
    if (!existsSync(join(REPO, required)))
      throw new Error(`${required} is missing: run \`npm run build\` (npm test does it first)`);
  }
  const root = join(tmpdir(), 'simdnet-runtime-tests');
  mkdirSync(root, { recursive: true });
  const key = contentKey();
  const dir = join(root, key);
  const ready = join(dir, 'ready.json');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 180_000;
  while (!existsSync(ready)) {
    try {
      mkdirSync(lock);
    } catch {
      // Another test process is making it; a lock older than 5 minutes is a crashed run's.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock} (another test run making the scratch project)`);
      await sleep(250);
      continue;
    }
    try {
      if (!existsSync(ready)) await makeScratchProject(dir, ready);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  removeOldProjects(root, key);
  return { dir, ...JSON.parse(readFileSync(ready, 'utf8')) } as ScratchProject;
}

async function makeScratchProject(dir: string, ready: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // npm pack without scripts: `npm test` has just built dist/ (pretest), and prepack would build again.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: REPO,
    timeoutMs: 120_000,
  });
  const [{ filename }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[];
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'simdnet-scratch', private: true, type: 'module' }, null, 2)}\n`,
  );
  const installArgs = ['install', '--no-audit', '--no-fund', '--no-package-lock', `./${filename}`];
  let install: RunResult;
  try {
    install = await run('npm', [...installArgs, '--offline'], { cwd: dir, timeoutMs: 120_000 });
  } catch (error) {
    // The tarball's one dependency (cli-progress, for the CLI) is not in npm's cache.
    console.warn(
      `npm install --offline failed; retrying with --prefer-offline\n${(error as Error).message.split('\n')[0]}`,
    );
    install = await run('npm', [...installArgs, '--prefer-offline'], { cwd: dir, timeoutMs: 120_000 });
  }
  cpSync(FIXTURES, dir, { recursive: true });
  const reference = await run(process.execPath, ['run.mjs'], { cwd: dir });
  const info: Omit<ScratchProject, 'dir'> = {
    tarball: join(dir, filename),
    tarballBytes: statSync(join(dir, filename)).size,
    packMs: pack.milliseconds,
    installMs: install.milliseconds,
    nodeReference: lastJsonLine<RoundTripResult>(reference.stdout),
  };
  writeFileSync(ready, JSON.stringify(info, null, 2));
}

/** Scratch projects of earlier builds, left an hour ago or more. */
function removeOldProjects(root: string, keep: string): void {
  for (const name of readdirSync(root)) {
    if (name === keep || name.endsWith('.lock') || existsSync(join(root, `${name}.lock`))) continue;
    const path = join(root, name);
    if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}

// --- checks shared by every runtime -----------------------------------------------

/**
 * The assertions every runtime's round trip must pass, as one list of problems
 * (empty when all is well) so a failure names everything that went wrong at once.
 */
export function roundTripProblems(result: RoundTripResult, reference: RoundTripResult): string[] {
  const problems: string[] = [];
  if (!result.initCompiledModule)
    problems.push('init({ relaxed: false }) with no source did not give a compiled WebAssembly.Module');
  if (!result.reachedThreshold)
    problems.push(`accuracy ${result.accuracy} is below the threshold after ${result.epochs} epochs`);
  if (!result.predictionsIdentical) problems.push('the loaded model predicts differently from the trained one');
  if (!result.resavedIdentical) problems.push('the loaded model saves to different bytes');
  if (result.loadedAccuracy !== result.accuracy)
    problems.push(`the loaded model's accuracy ${result.loadedAccuracy} differs from ${result.accuracy}`);
  if (result.fingerprint !== reference.fingerprint || result.loss !== reference.loss) {
    problems.push(
      `predictions differ from Node's (fingerprint ${result.fingerprint} vs ${reference.fingerprint}, loss ${result.loss} vs ${reference.loss})`,
    );
  }
  return problems;
}

// --- Chromium --------------------------------------------------------------------

/** Debian's chromium; CHROMIUM_PATH points elsewhere (another machine's Chrome or Chromium). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Opens `url` and returns what the page stored in window[name] (awaited), with the page's errors on failure. */
export async function pageResult<T>(page: Page, url: string, name: string, timeoutMs = 60_000): Promise<T> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  try {
    await page.waitForFunction((key) => key in window, name, { timeout: timeoutMs });
  } catch (error) {
    throw new Error(
      `${url} never set window.${name}: ${(error as Error).message}\npage errors: ${errors.join('\n') || 'none'}`,
    );
  }
  const result = await page.evaluate((key) => (window as unknown as Record<string, unknown>)[key], name);
  if (result && typeof result === 'object' && 'error' in result)
    throw new Error(`${url}: ${(result as { error: string }).error}`);
  return result as T;
}

// --- network -----------------------------------------------------------------------

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export interface StaticServer {
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` on 127.0.0.1 (a free port). `headersFor(path)` adds response
 * headers, e.g. cross-origin isolation for some pages.
 */
export function serveStatic(
  root: string,
  headersFor: (path: string) => Record<string, string> = () => ({}),
): Promise<StaticServer> {
  const requests: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    requests.push(path);
    const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...headersFor(path),
    });
    response.end(readFileSync(file));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Starts a long-running process; its output is kept for error messages. */
export function startProcess(
  command: string,
  args: string[],
  cwd: string,
): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
