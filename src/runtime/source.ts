/**
 * Where the WebAssembly core comes from: a compiled module (Cloudflare Workers, which
 * forbid compiling bytes at run time), its bytes, a URL or path, or a fetch Response.
 */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;
