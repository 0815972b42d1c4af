// Builds the publishable package into dist/: ESM bundles (library per runtime, and
// the CLI), the .wasm files next to them, and TypeScript declarations (tsc, after this).
// Usage: node scripts/build.mjs   (after `npm run build:wasm`)
//
// The library is bundled once per way of finding the WebAssembly core; package.json's
// conditional exports pick one per runtime. Each bundle swaps src/runtime/default-source.ts
// for its runtime's version:
//
//   dist/index.node.js, dist/node.js,   node, bun    read dist/simdnet.wasm from disk
//   dist/cli.js                                      (split: 'simdnet', 'simdnet/node' and the CLI share
//                                                    one chunk, so they are one library with one Model class)
//   dist/index.web.js                   browser,deno fetch new URL('./simdnet.wasm', import.meta.url)
//   dist/index.workerd.js               workerd      import './simdnet.wasm' as a compiled module
//   dist/index.inline.js                default      the bytes inlined as base64 (no file to find)
//
// The Worker that runs a WorkerModel (src/worker/entry.ts) is bundled for the two runtimes that
// start one: dist/worker.node.js (worker_threads; shares the node chunk) and dist/worker.web.js
// (a module Web Worker: browsers, Deno). The library finds it with
// new URL('./worker.<node|web>.js', import.meta.url) (src/worker/default-worker-<variant>.ts).
import { build } from 'esbuild';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCoreInterface } from './core-interface.mjs';

mkdirSync('dist', { recursive: true });
for (const file of ['simdnet.wasm', 'simdnet-relaxed.wasm', 'simdnet-threads.wasm', 'simdnet-threads-relaxed.wasm']) {
  if (existsSync(`build/${file}`)) copyFileSync(`build/${file}`, `dist/${file}`);
}
if (!existsSync('dist/simdnet.wasm')) throw new Error('build/simdnet.wasm is missing: run `npm run build:wasm` first');
// The host's declaration of the core's exports, from the release build's bindings.
writeCoreInterface();

/** esbuild plugin: bundle with src/runtime/default-source-<variant>.ts in place of default-source.ts. */
function defaultSourceFor(variant) {
  return {
    name: `simdnet-default-source-${variant}`,
    setup(plugin) {
      plugin.onResolve({ filter: /^\.\/default-source\.js$/ }, (args) =>
        args.importer.endsWith(join('runtime', 'load.ts'))
          ? { path: resolve(args.resolveDir, `default-source-${variant}.ts`) }
          : undefined,
      );
      // Where the WorkerModel's worker program is: next to the bundle (node, web), or nowhere (workerd, inline).
      plugin.onResolve({ filter: /^\.\/default-worker\.js$/ }, (args) =>
        args.importer.endsWith(join('worker', 'worker-model.ts'))
          ? {
              path: resolve(
                args.resolveDir,
                `default-worker-${variant === 'node' || variant === 'web' ? variant : 'none'}.ts`,
              ),
            }
          : undefined,
      );
      // workerd: `import module from './simdnet.wasm'` stays an import of the file next to the bundle.
      plugin.onResolve({ filter: /^\.\/simdnet(-relaxed)?\.wasm$/ }, (args) => ({ path: args.path, external: true }));
      // inline: `import base64 from 'simdnet-inline:simdnet.wasm'` is the file's bytes as a base64 string.
      plugin.onResolve({ filter: /^simdnet-inline:/ }, (args) => ({
        path: resolve('dist', args.path.slice('simdnet-inline:'.length)),
        namespace: 'simdnet-inline',
      }));
      plugin.onLoad({ filter: /.*/, namespace: 'simdnet-inline' }, (args) => ({
        contents: `export default ${JSON.stringify(readFileSync(args.path).toString('base64'))};`,
        loader: 'js',
      }));
    },
  };
}

// No source maps: the bundles are readable, unminified ESM (esbuild marks each source file in
// a comment), and maps of four bundles of the same sources would triple the package's size.
/** @type {import("esbuild").BuildOptions} */
const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: false,
  logLevel: 'warning',
  outdir: 'dist',
  metafile: true,
};

const results = await Promise.all([
  build({
    ...common,
    entryPoints: {
      'index.node': 'src/index.ts',
      node: 'src/node.ts',
      cli: 'src/cli/main.ts',
      'worker.node': 'src/worker/entry.ts',
    },
    platform: 'node',
    packages: 'external',
    splitting: true,
    chunkNames: 'shared-[hash]',
    plugins: [defaultSourceFor('node')],
  }),
  build({
    ...common,
    entryPoints: { 'index.web': 'src/index.ts' },
    platform: 'browser',
    plugins: [defaultSourceFor('web')],
  }),
  build({
    ...common,
    entryPoints: { 'worker.web': 'src/worker/entry.ts' },
    platform: 'browser',
    plugins: [defaultSourceFor('web')],
  }),
  build({
    ...common,
    entryPoints: { 'index.workerd': 'src/index.ts' },
    platform: 'neutral',
    plugins: [defaultSourceFor('workerd')],
  }),
  build({
    ...common,
    entryPoints: { 'index.inline': 'src/index.ts' },
    platform: 'neutral',
    plugins: [defaultSourceFor('inline')],
  }),
]);

// Remove what this build did not write: content-hashed chunks of earlier builds and outputs of
// earlier layouts. Only after writing, so a process started from the previous build (tests
// running while someone rebuilds) does not find its chunks gone before the new files exist.
const written = new Set(
  results.flatMap((result) => Object.keys(result.metafile.outputs)).map((path) => path.replace(/^dist\//, '')),
);
for (const file of readdirSync('dist')) {
  if (/\.js(\.map)?$/.test(file) && !written.has(file)) rmSync(join('dist', file));
}

// The CLI is an executable: a hashbang line first, and the execute bits (npm sets them when it
// installs the package, but `npx simdnet` in this repository runs dist/cli.js as it was built).
const cliText = readFileSync('dist/cli.js', 'utf8');
if (!cliText.startsWith('#!')) writeFileSync('dist/cli.js', `#!/usr/bin/env node\n${cliText}`);
chmodSync('dist/cli.js', 0o755);

// The bundles for browsers, Deno, Workers and bundlers must not reach for Node's modules.
for (const file of ['index.web.js', 'worker.web.js', 'index.workerd.js', 'index.inline.js']) {
  const text = readFileSync(join('dist', file), 'utf8');
  const nodeImport = text.match(/(?:from|import\()\s*["']node:[^"']+["']/);
  if (nodeImport) throw new Error(`dist/${file} imports ${nodeImport[0]}: it must run without Node's modules`);
  if (/\bprocess\.versions\b/.test(text)) throw new Error(`dist/${file} still carries the universal default source`);
}
