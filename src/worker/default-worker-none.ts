/**
 * Cloudflare Workers and the inlined build: no Worker program ships with these bundles.
 * Replaces default-worker.ts in dist/index.workerd.js and dist/index.inline.js.
 */
export function defaultWorkerUrl(): URL {
  throw new Error(
    "simdnet: this build of simdnet has no worker program; pass workerUrl (the package's dist/worker.web.js or dist/worker.node.js)",
  );
}
