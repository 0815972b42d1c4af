/**
 * The Worker's program (bundled as dist/worker.node.js and dist/worker.web.js):
 * serves one model to the thread that started it. Node and Bun run it on
 * worker_threads (parentPort); browsers and Deno as a module Web Worker (self).
 */
import type { Reply, Request } from './protocol.js';
import { serveModel } from './serve.js';

type NodeWorkerThreads = typeof import('node:worker_threads');
const host = globalThis as {
  Deno?: unknown;
  process?: { getBuiltinModule?: (name: string) => unknown };
};
const threads =
  host.Deno === undefined
    ? (host.process?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined)
    : undefined;
const parentPort = threads?.parentPort;

if (parentPort) {
  serveModel({
    post: (message: Reply, transfer?: Transferable[]) =>
      parentPort.postMessage(message, transfer as Parameters<typeof parentPort.postMessage>[1]),
    listen: (handler) => parentPort.on('message', handler),
  });
} else {
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer?: Transferable[]): void;
    addEventListener(type: 'message', listener: (event: MessageEvent<Request>) => void): void;
  };
  serveModel({
    post: (message, transfer) => scope.postMessage(message, transfer ?? []),
    listen: (handler) => scope.addEventListener('message', (event) => handler(event.data)),
  });
}
