/**
 * Starting the model's Worker in this runtime: worker_threads in Node and Bun,
 * a module Web Worker in browsers and Deno (as src/runtime/threads.ts does for
 * the threaded mode's helpers). No `node:` import: Node's module is reached
 * through process.getBuiltinModule, so the browser bundle carries none.
 */
import type { Reply, Request } from './protocol.js';

type NodeWorkerThreads = typeof import('node:worker_threads');

/** One started Worker, the same shape in every runtime. */
export interface WorkerHandle {
  post(message: Request, transfer?: Transferable[]): void;
  /** Whether an idle worker keeps a Node process alive (Node and Bun; a no-op elsewhere). */
  keepAlive(alive: boolean): void;
  terminate(): void;
}

/** Node's worker_threads, where the model's worker runs on them (not in Deno: it has Web Workers). */
export function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const host = globalThis as { Deno?: unknown; process?: { getBuiltinModule?: (name: string) => unknown } };
  if (host.Deno !== undefined) return undefined;
  return host.process?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
}

/**
 * Starts the worker program at `url`; `onReply` gets its messages and `onFailure` an Error
 * when it fails to start, throws outside any request, or exits.
 */
export function startWorker(
  url: URL | string,
  onReply: (reply: Reply) => void,
  onFailure: (error: Error) => void,
): WorkerHandle {
  const shown = String(url);
  const threads = nodeWorkerThreads();
  if (threads) {
    const target = typeof url === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : new URL(url);
    const worker = new threads.Worker(target);
    let terminated = false;
    worker.on('message', onReply);
    worker.on('error', (error: Error) =>
      onFailure(new Error(`simdnet: the model's worker (${shown}) failed: ${error.message}`)),
    );
    worker.on('exit', (code) => {
      if (!terminated) onFailure(new Error(`simdnet: the model's worker (${shown}) exited with code ${code}`));
    });
    return {
      post: (message, transfer) => worker.postMessage(message, transfer as Parameters<typeof worker.postMessage>[1]),
      keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
      terminate: () => {
        terminated = true;
        void worker.terminate();
      },
    };
  }
  if (typeof Worker === 'undefined') throw new Error('simdnet: this runtime has no Worker to run a model in');
  const worker = new Worker(url, { type: 'module' });
  worker.addEventListener('message', (event: MessageEvent<Reply>) => onReply(event.data));
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault?.();
    const detail = event.message || `could not load or run ${shown} (a 404, or a script error)`;
    onFailure(new Error(`simdnet: the model's worker (${shown}) failed: ${detail}`));
  });
  worker.addEventListener('messageerror', () =>
    onFailure(new Error(`simdnet: a message from the model's worker (${shown}) could not be read`)),
  );
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    keepAlive: () => {},
    terminate: () => worker.terminate(),
  };
}
