// Module types for the per-runtime ways the core is imported (see default-source.ts).

/** workerd/Wrangler: a `.wasm` import is the compiled module. */
declare module '*.wasm' {
  const compiled: WebAssembly.Module;
  export default compiled;
}

/** scripts/build.mjs: the file's bytes as a base64 string, inlined in the bundle. */
declare module 'simdnet-inline:*' {
  const base64: string;
  export default base64;
}
