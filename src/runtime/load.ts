/**
 * Finding, compiling and instantiating the WebAssembly core.
 *
 * `init(source?)` compiles the module once per process; every model then gets
 * its own instance and memory (instantiation is cheap, compilation is not).
 * A source may be an already compiled WebAssembly.Module (Cloudflare Workers,
 * which forbid compiling bytes at run time), the bytes, a URL, or a Response.
 * With no source the default for the runtime is used: the file next to this
 * module, read from disk in Node/Bun, fetched elsewhere.
 */
import { Core } from './core.js';
// Swapped per runtime by scripts/build.mjs (node, web, workerd, inline); see default-source.ts.
import { defaultSource } from './default-source.js';

export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles the core from `source` (or the runtime's default) and keeps it for every later model. */
export function init(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined && compiled) return compiled;
  const next = compile(source ?? defaultSource());
  compiled = next;
  next.catch(() => { if (compiled === next) compiled = undefined; });
  return next;
}

async function compile(source: WasmSource | Promise<WasmSource>): Promise<WebAssembly.Module> {
  const resolved = await source;
  if (resolved instanceof WebAssembly.Module) return resolved;
  if (resolved instanceof ArrayBuffer || ArrayBuffer.isView(resolved)) return WebAssembly.compile(resolved as BufferSource);
  if (typeof resolved === 'string' || resolved instanceof URL) return compile(fetch(resolved));
  const response = resolved as Response;
  if (!response.ok) throw new Error(`simdnet: could not load the WebAssembly core from ${response.url}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** A fresh instance of the core with its own memory of at least `initialBytes`. */
export async function instantiateCore(initialBytes = 1 << 20): Promise<Core> {
  const module = await init();
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / 65536)) });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return new Core(instance, memory);
}

let compiledThreads: Promise<WebAssembly.Module> | undefined;

/**
 * Compiles the threaded mode's core (the same code on a shared memory) from
 * `source` or the runtime's default; called by models created with `threads`.
 */
export function initThreads(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined && compiledThreads) return compiledThreads;
  const next = compile(source ?? defaultSource('simdnet-threads.wasm'));
  compiledThreads = next;
  next.catch(() => { if (compiledThreads === next) compiledThreads = undefined; });
  return next;
}

/** Pages of the threaded core's shared memory (its declared maximum): 2 GiB. */
export const SHARED_MEMORY_PAGES = 32768;

/** An instance of the threaded core on a new shared memory, and its module (for the helpers). */
export async function instantiateSharedCore(initialBytes = 1 << 20): Promise<{ core: Core; module: WebAssembly.Module }> {
  const module = await initThreads();
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / 65536)), maximum: SHARED_MEMORY_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { core: new Core(instance, memory), module };
}
