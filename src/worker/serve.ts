/**
 * The Worker's side of a WorkerModel: one Model, created or loaded on request,
 * running what the caller asks (see protocol.ts for the messages). Requests are
 * started in the order they arrive; a predict or evaluate that arrives while a
 * fit runs runs between two of its batches, as it would from a callback in-thread.
 */
import { createModel, init, loadModel, type BatchLog, type Model } from '../index.js';
import { postError, resultTransfers, type ModelState, type Reply, type Request, type WorkerInit } from './protocol.js';

/** How the worker talks to its caller: Node's parentPort, or a Web Worker's global scope. */
export interface WorkerEndpoint {
  post(message: Reply, transfer?: Transferable[]): void;
  listen(handler: (message: Request) => void): void;
}

/**
 * Batch logs are posted in bundles, at most one message per LOG_FLUSH_MS (and before the
 * worker waits for the caller, at each epoch's end and at the end of fit): a fast model
 * runs thousands of batches a second, and a message each would keep the caller's thread busy.
 */
const LOG_FLUSH_MS = 8;

/** A running fit's link to the caller: acknowledged logs and stop requests. */
interface FitControl {
  ack(logs: number, stop: boolean): void;
  stop(): void;
}

function stateOf(model: Model): ModelState {
  return {
    inputSize: model.inputSize,
    outputSize: model.outputSize,
    layers: model.layers.map((layer) => ({ ...layer })),
    loss: model.loss,
    optimizer: { ...model.optimizer },
    seed: model.seed,
    parameterCount: model.parameterCount,
    threading: { ...model.threading },
    training: { ...model.training },
    metadata: model.metadata,
  };
}

async function initCore(options: WorkerInit | undefined): Promise<void> {
  if (options && (options.source ?? options.relaxed ?? options.relaxedSource) !== undefined) await init(options);
}

/** Serves one model over `endpoint` until the worker is terminated. */
export function serveModel(endpoint: WorkerEndpoint): void {
  let model: Model | undefined;
  const fits = new Map<number, FitControl>();

  const need = (): Model => {
    if (!model) throw new Error('simdnet: the worker has no model yet');
    return model;
  };

  async function handle(request: Request): Promise<unknown> {
    switch (request.kind) {
      case 'create':
      case 'load': {
        if (model) throw new Error('simdnet: this worker already holds a model');
        await initCore(request.init);
        model = request.kind === 'create' ? await createModel(request.spec) : await loadModel(request.bytes);
        return undefined;
      }
      case 'fit':
        return runFit(request);
      case 'call': {
        const m = need();
        const [first, second] = request.args as [never, never];
        switch (request.method) {
          case 'predict':
            return m.predict(first, second);
          case 'predictClasses':
            return m.predictClasses(first, second);
          case 'evaluate':
            return m.evaluate(first, second);
          case 'save':
            if (request.metadata) m.metadata = request.metadata;
            return m.save(first);
          case 'describe':
            return m.describe();
          case 'summary':
            return m.summary();
          case 'setWeights':
            return m.setWeights(first);
          case 'setLearningRate':
            return m.setLearningRate(first);
          case 'setOptimizer':
            return m.setOptimizer(first);
          case 'state':
            return undefined;
          case 'dispose':
            return m.dispose();
        }
      }
    }
    throw new Error(
      `simdnet: the worker got an unknown request ${JSON.stringify((request as { kind: unknown }).kind)}`,
    );
  }

  async function runFit(request: Extract<Request, { kind: 'fit' }>): Promise<unknown> {
    const m = need();
    const { id, logs, maxBatchesAhead, stopFlag } = request;
    let posted = 0;
    let acked = 0;
    let bundle: BatchLog[] = [];
    let flushedAt = performance.now();
    const flush = () => {
      if (bundle.length === 0) return;
      endpoint.post({ id, kind: 'batches', logs: bundle });
      bundle = [];
      flushedAt = performance.now();
    };
    let stopRequested = false;
    let waiting: { until: number; resolve: () => void } | undefined;
    const stopped = () => stopRequested || (stopFlag !== undefined && Atomics.load(stopFlag, 0) !== 0);
    const wake = () => {
      if (waiting && (acked >= waiting.until || stopped())) {
        waiting.resolve();
        waiting = undefined;
      }
    };
    /** Resolves once the caller has handled `count` logs (or asked to stop). */
    const handled = (count: number): Promise<false | undefined> =>
      new Promise<void>((resolve) => {
        waiting = { until: count, resolve };
        wake();
      }).then(() => (stopped() ? false : undefined));
    fits.set(id, {
      ack(count, stop) {
        acked = Math.max(acked, count);
        if (stop) stopRequested = true;
        wake();
      },
      stop() {
        stopRequested = true;
        wake();
      },
    });
    try {
      return await m.fit(request.data, {
        ...request.options,
        callbacks: {
          onBatchEnd(log) {
            if (logs.batch) {
              bundle.push(log);
              posted++;
              const mustWait = posted - maxBatchesAhead > acked && !stopped();
              if (mustWait || performance.now() - flushedAt >= LOG_FLUSH_MS) flush();
              if (mustWait) return handled(posted - maxBatchesAhead);
            }
            return stopped() ? false : undefined;
          },
          onEpochEnd(log) {
            flush();
            if (logs.epoch) {
              endpoint.post({ id, kind: 'epoch', log });
              posted++;
              return handled(posted);
            }
            return stopped() ? false : undefined;
          },
        },
      });
    } finally {
      flush();
      fits.delete(id);
    }
  }

  endpoint.listen((request) => {
    if (request.kind === 'ack') return fits.get(request.fit)?.ack(request.logs, request.stop);
    if (request.kind === 'stop') return fits.get(request.fit)?.stop();
    handle(request).then(
      (value) => {
        const reply: Reply = { id: request.id, kind: 'result', value, state: model ? stateOf(model) : undefined };
        try {
          endpoint.post(reply, resultTransfers(value));
        } catch (error) {
          endpoint.post({ id: request.id, kind: 'error', error: postError(error) });
        }
      },
      (error) => endpoint.post({ id: request.id, kind: 'error', error: postError(error) }),
    );
  });
}
