/**
 * Cloudflare Workers (workerd): the core is imported as a static module, which
 * the runtime compiles when the Worker is deployed. Workers forbid compiling
 * WebAssembly from bytes at run time, so this is the only way in there.
 * Replaces default-source.ts in dist/index.workerd.js (see that file); the
 * `./simdnet*.wasm` imports stay imports in the bundle, and Wrangler (or a
 * workerd config listing the files as `wasm` modules) supplies them.
 */
import baseline from './simdnet.wasm';
import relaxed from './simdnet-relaxed.wasm';
import type { WasmSource } from './source.js';
import type { CoreFile } from './default-source.js';

export function defaultSource(file: CoreFile = 'simdnet.wasm'): WasmSource {
  // Workers have no threads (no SharedArrayBuffer across workers): the threaded core is never asked for.
  if (file === 'simdnet-threads.wasm' || file === 'simdnet-threads-relaxed.wasm')
    throw new Error('simdnet: Cloudflare Workers have no threads; the threaded core is not bundled');
  return file === 'simdnet-relaxed.wasm' ? relaxed : baseline;
}
