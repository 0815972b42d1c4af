/**
 * Browsers and Deno: the core is a URL relative to the bundle, fetched and compiled here
 * (while it streams when served as application/wasm); load.ts takes the compiled module.
 * Replaces default-source.ts in dist/index.web.js (see that file).
 *
 * Each URL is written as the literal `new URL('./file.wasm', import.meta.url)`:
 * bundlers (Vite, webpack 5, Parcel, Rollup plugins) recognise that pattern and
 * copy the file into the application's output. Others (esbuild) leave the URL as it is, so
 * the .wasm files must be copied next to the bundle (docs/bundlers.md).
 *
 * Every way the file can be missing ends in one error that names the URL tried and the way
 * out: a failed request (network error, CORS), an HTTP error (404), or a response that is
 * not WebAssembly (a dev server's index.html served for any unknown path, whatever its
 * content type). A response of another content type holding WebAssembly bytes is compiled.
 */
import type { CoreFile } from './default-source.js';
import type { WasmSource } from './source.js';

/** What the error says to do when the core cannot be fetched. */
const RECIPE = "When a bundler moves simdnet's files, pass init({ source: ... }) or see docs/bundlers.md";

export function defaultSource(file: CoreFile = 'simdnet.wasm'): Promise<WasmSource> {
  let url: URL;
  try {
    url = coreUrl(file);
  } catch (error) {
    // import.meta.url is empty in a bundle of a non-module format (esbuild --format=iife).
    return Promise.reject(
      new Error(
        `simdnet: could not locate the WebAssembly core ${file} next to the script (${(error as Error).message}; ` +
          `is the bundle an ES module?). ${RECIPE}`,
      ),
    );
  }
  return fetchCore(url);
}

function coreUrl(file: CoreFile): URL {
  // Spelled out (not `./${file}`) so bundlers see, and copy, each file.
  if (file === 'simdnet-relaxed.wasm') return new URL('./simdnet-relaxed.wasm', import.meta.url);
  if (file === 'simdnet-threads.wasm') return new URL('./simdnet-threads.wasm', import.meta.url);
  if (file === 'simdnet-threads-relaxed.wasm') return new URL('./simdnet-threads-relaxed.wasm', import.meta.url);
  return new URL('./simdnet.wasm', import.meta.url);
}

function notFetched(url: URL, why: string): Error {
  return new Error(`simdnet: could not fetch the WebAssembly core from ${url.href} (${why}). ${RECIPE}`);
}

/** The first 4 bytes of every WebAssembly module: "\0asm". */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Fetches and compiles the core at `url` (while it streams when served as application/wasm);
 * every failure is an error naming `url`.
 */
async function fetchCore(url: URL): Promise<WebAssembly.Module> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw notFetched(url, (error as Error).message);
  }
  if (!response.ok) throw notFetched(url, `${response.status} ${response.statusText}`.trim());
  const type = response.headers.get('content-type') ?? '';
  try {
    if (type.startsWith('application/wasm') && typeof WebAssembly.compileStreaming === 'function')
      return await WebAssembly.compileStreaming(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!WASM_MAGIC.every((byte, i) => bytes[i] === byte))
      throw new Error(`got ${bytes.length} bytes of ${type || 'no content type'}, not WebAssembly`);
    return await WebAssembly.compile(bytes);
  } catch (error) {
    throw notFetched(url, (error as Error).message);
  }
}
