/**
 * Browsers and Deno: the core is a URL relative to the bundle, fetched by load.ts
 * and compiled while it streams when served as application/wasm.
 * Replaces default-source.ts in dist/index.web.js (see that file).
 *
 * Each URL is written as the literal `new URL('./file.wasm', import.meta.url)`:
 * bundlers (Vite, webpack 5, Parcel, Rollup plugins) recognise that pattern and
 * copy the file into the application's output.
 */
import type { WasmSource } from './source.js';
import type { CoreFile } from './default-source.js';

export function defaultSource(file: CoreFile = 'simdnet.wasm'): WasmSource {
  // Spelled out (not `./${file}`) so bundlers see, and copy, each file.
  if (file === 'simdnet-relaxed.wasm') return new URL('./simdnet-relaxed.wasm', import.meta.url);
  if (file === 'simdnet-threads.wasm') return new URL('./simdnet-threads.wasm', import.meta.url);
  if (file === 'simdnet-threads-relaxed.wasm') return new URL('./simdnet-threads-relaxed.wasm', import.meta.url);
  return new URL('./simdnet.wasm', import.meta.url);
}
