/**
 * Browsers and Deno: the model's Worker program is dist/worker.web.js, next to the bundle.
 * Replaces default-worker.ts in dist/index.web.js (see that file). Written as the literal
 * `new URL('./worker.web.js', import.meta.url)`, the pattern bundlers recognise and copy.
 */
export function defaultWorkerUrl(): URL {
  return new URL('./worker.web.js', import.meta.url);
}
