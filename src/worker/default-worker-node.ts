/**
 * Node and Bun: the model's Worker program is dist/worker.node.js, next to the bundle.
 * Replaces default-worker.ts in dist/index.node.js and dist/node.js (see that file).
 */
export function defaultWorkerUrl(): URL {
  return new URL('./worker.node.js', import.meta.url);
}
