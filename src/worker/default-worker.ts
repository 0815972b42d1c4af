/**
 * Where the model's Worker program is when `workerUrl` is not given.
 *
 * This is the universal version, used when running from source (tests, scripts): in
 * Node and Bun the built dist/worker.node.js (run `npm run build`), elsewhere
 * worker.web.js next to this module. The published bundles replace this module with
 * one per runtime (scripts/build.mjs), as they do src/runtime/default-source.ts:
 *   default-worker-node.ts   Node, Bun          dist/worker.node.js, next to the bundle
 *   default-worker-web.ts    browsers, Deno     new URL('./worker.web.js', import.meta.url)
 *   default-worker-none.ts   workerd, inline    none: pass `workerUrl`
 */
import { nodeWorkerThreads } from './spawn.js';

export function defaultWorkerUrl(): URL {
  if (!nodeWorkerThreads()) return new URL('./worker.web.js', import.meta.url);
  const fs = (globalThis as { process: { getBuiltinModule(name: string): unknown } }).process.getBuiltinModule(
    'node:fs',
  ) as typeof import('node:fs');
  const candidates = [
    new URL('./worker.node.js', import.meta.url),
    new URL('../../dist/worker.node.js', import.meta.url),
  ];
  const found = candidates.find((url) => url.protocol === 'file:' && fs.existsSync(url));
  if (!found)
    throw new Error(
      `simdnet: the worker program was not found at ${candidates.map(String).join(' or ')}; run \`npm run build\`, or pass workerUrl`,
    );
  return found;
}
