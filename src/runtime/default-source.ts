/**
 * Where the core comes from when init() is called with no source.
 *
 * This is the universal version, used when running from source (tests, scripts):
 * in Node-like runtimes it reads the file next to this module or in build/,
 * elsewhere it returns a URL next to the module for load.ts to fetch.
 *
 * The published bundles replace this module with one per runtime
 * (scripts/build.mjs, package.json conditional exports):
 *   default-source-node.ts     Node, Bun            read dist/<file> from disk
 *   default-source-web.ts      browsers, Deno       URL relative to the bundle (fetched, compiled while streaming)
 *   default-source-workerd.ts  Cloudflare Workers   the .wasm imported as a static, already compiled module
 *   default-source-inline.ts   anything else        the bytes inlined in the bundle as base64
 * Every version exports `defaultSource(file)` with this signature.
 */
import type { WasmSource } from './source.js';

/**
 * The core's file names: the baseline simd128 build, the optional relaxed-SIMD build, and
 * each of them built on a shared memory for the threaded mode.
 */
export type CoreFile =
  | 'simdnet.wasm'
  | 'simdnet-relaxed.wasm'
  | 'simdnet-threads.wasm'
  | 'simdnet-threads-relaxed.wasm';

export async function defaultSource(file: CoreFile = 'simdnet.wasm'): Promise<WasmSource> {
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../../build/${file}`, import.meta.url)];
  const isNodeLike = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (isNodeLike && candidates[0].protocol === 'file:') {
    const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises');
    for (const url of candidates) {
      try {
        return await readFile(url);
      } catch {
        /* try the next place */
      }
    }
    throw new Error(
      `simdnet: ${file} not found next to ${import.meta.url}; run \`npm run build\`, or pass the module to init()`,
    );
  }
  return candidates[0];
}
