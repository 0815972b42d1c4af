/**
 * Node and Bun: the core is the file next to the bundle (dist/), read from disk.
 * Replaces default-source.ts in dist/index.node.js and dist/node.js (see that file).
 */
import { readFile } from 'node:fs/promises';
import type { WasmSource } from './source.js';
import type { CoreFile } from './default-source.js';

export async function defaultSource(file: CoreFile = 'simdnet.wasm'): Promise<WasmSource> {
  const url = new URL(`./${file}`, import.meta.url);
  try {
    return await readFile(url);
  } catch (error) {
    throw new Error(
      `simdnet: could not read the WebAssembly core ${url.href} (${(error as Error).message}); pass the module to init() if it lives elsewhere`,
    );
  }
}
