/**
 * Anywhere else (bundlers that cannot copy assets, runtimes without file or
 * network access): the baseline core's bytes are inlined in the bundle as base64
 * (about a third larger than the file) and compiled from memory.
 * Replaces default-source.ts in dist/index.inline.js (see that file). Not for
 * Cloudflare Workers, which forbid compiling bytes (use the `workerd` entry).
 */
import coreBase64 from 'simdnet-inline:simdnet.wasm';
import type { WasmSource } from './source.js';
import type { CoreFile } from './default-source.js';

export function defaultSource(file: CoreFile = 'simdnet.wasm'): WasmSource {
  if (file !== 'simdnet.wasm') throw new Error(`simdnet: the inlined build carries only simdnet.wasm, not ${file}`);
  const binary = atob(coreBase64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
