/**
 * A model that lives in a dedicated Worker, so training never blocks the
 * calling thread (a page's main thread stays free for input, timers, drawing).
 * The methods are Model's, each returning a promise; `fit`'s callbacks run on
 * the calling thread with the logs the worker posts (see protocol.ts).
 *
 * Data crossing to the worker (fit, predict, evaluate), per typed array:
 *   on a SharedArrayBuffer        shared, never copied
 *   a view of part of a buffer    its bytes copied here once, the copy moved across
 *   owning its whole buffer       copied once by postMessage; with `transfer: true`, moved
 *                                 instead (no copy; the array is detached here afterwards)
 *   2 MiB or more, to be copied   copied here 1 MiB per task (protocol.ts forPostingInSlices),
 *                                 the copy moved: no long task on the calling thread; such an
 *                                 array must not change until the call's promise settles
 * Results (predictions, weights, saved bytes) are moved back, never copied.
 */
import type { Dataset } from '../data/dataset.js';
import type { SaveOptions } from '../io/format.js';
import type { DatasetLike } from '../model/dataset-check.js';
import type { ModelDescription } from '../model/description.js';
import type { Model } from '../model/model.js';
import type { ModelSpec, OptimizerConfig, OptimizerType } from '../model/spec.js';
import type { Callbacks, EvaluateResult, FitOptions, History, TrainingState } from '../train/types.js';
import { modelBytes, type ModelSource } from '../io/model-source.js';
import { Connection, type Answer } from './connection.js';
// Swapped per runtime by scripts/build.mjs (node, web, none); see default-worker.ts.
import { defaultWorkerUrl } from './default-worker.js';
import { dataForPosting, forPosting, type ModelState, type Reply, type WorkerInit } from './protocol.js';

/** Where the worker finds its WebAssembly core: init()'s options, with sources that can be posted to a worker. */
export interface WorkerInitOptions {
  /** The baseline core: a URL (absolute, or relative to the page), a compiled module, or the bytes. */
  source?: string | URL | WebAssembly.Module | ArrayBuffer | Uint8Array;
  /** The relaxed-SIMD core: false (default), 'auto' or true, as in init(). */
  relaxed?: boolean | 'auto';
  /** The relaxed core's source, as `source`. */
  relaxedSource?: string | URL | WebAssembly.Module | ArrayBuffer | Uint8Array;
}

/** How createWorkerModel and loadWorkerModel start the worker. */
export interface WorkerModelOptions {
  /**
   * The worker program: by default the package's worker.web.js (browsers, Deno) or
   * worker.node.js (Node, Bun), found next to the library's bundle with
   * `new URL('./worker.web.js', import.meta.url)`. Give it when a bundler or server puts
   * the file elsewhere (the file is dist/worker.web.js or dist/worker.node.js).
   */
  workerUrl?: string | URL;
  /** How the worker loads its WebAssembly core (default: the file next to the worker program). */
  init?: WorkerInitOptions;
}

/** Options of WorkerModel.predict, predictClasses and evaluate. */
export interface WorkerDataOptions {
  /** Rows per call into WebAssembly, as in Model.predict. */
  batchSize?: number;
  /** Move whole-buffer typed arrays to the worker instead of copying them (they are detached here). Default false. */
  transfer?: boolean;
}

/** Options of WorkerModel.fit: Model.fit's, and how data and callbacks cross. */
export interface WorkerFitOptions extends FitOptions {
  /** Move whole-buffer typed arrays to the worker instead of copying them (they are detached here). Default false. */
  transfer?: boolean;
  /**
   * How many batches the worker may run past the last batch log onBatchEnd has finished
   * with (default 2): a stop from onBatchEnd takes effect within this many batches. 0 makes
   * the worker wait for every onBatchEnd, as in-thread (one round trip per batch); Infinity
   * never waits (stop() still stops within a batch). onEpochEnd is always waited for.
   */
  maxBatchesAhead?: number;
}

/** A stop flag the worker can read while it trains: an i32 on a SharedArrayBuffer, where there is one. */
function sharedStopFlag(): Int32Array | undefined {
  if (typeof SharedArrayBuffer === 'undefined') return undefined;
  try {
    return new Int32Array(new SharedArrayBuffer(4));
  } catch {
    return undefined;
  }
}

/** A source the worker can use: URLs as absolute strings (a relative one is the page's, not the worker's). */
function postable(source: WorkerInitOptions['source']): WorkerInit['source'] {
  if (source instanceof URL) return source.href;
  const page = (globalThis as { location?: { href: string } }).location?.href;
  return typeof source === 'string' && page !== undefined ? new URL(source, page).href : source;
}

function workerInit(options: WorkerInitOptions | undefined): WorkerInit | undefined {
  if (!options) return undefined;
  return { relaxed: options.relaxed, source: postable(options.source), relaxedSource: postable(options.relaxedSource) };
}

const disposedError = () => new Error('simdnet: this WorkerModel was disposed');

const stops = (result: unknown): boolean => result === false || result === 'stop';

/** Builds a WorkerModel (its constructor is private); set by the class's static block. */
let wrap: (connection: Connection, state: ModelState) => WorkerModel;

/**
 * A Model running in a dedicated Worker: the same methods, each returning a promise.
 * Create one with createWorkerModel() or loadWorkerModel(); dispose() ends the worker.
 * Its properties are those of the model in the worker after the last call that returned.
 */
export class WorkerModel {
  private state: ModelState;
  private fitting: { id: number; stopFlag?: Int32Array; done: Promise<unknown> } | undefined;
  /** While fit() copies its data for posting (before `fitting` is set): settles when it is set or fit failed. */
  #preparingFit: Promise<void> | undefined;
  private disposed = false;
  /** User metadata saved with the model (JSON-serialisable); sent to the worker by save(). */
  metadata: Record<string, unknown>;

  readonly #connection: Connection;

  /** Create one with createWorkerModel() or loadWorkerModel(). */
  private constructor(connection: Connection, state: ModelState) {
    this.#connection = connection;
    this.state = state;
    this.metadata = state.metadata;
  }

  static {
    wrap = (connection, state) => new WorkerModel(connection, state);
  }

  // --- what the model is ------------------------------------------------------

  /** Features per sample. */
  get inputSize(): number {
    return this.state.inputSize;
  }
  /** Units of the last layer. */
  get outputSize(): number {
    return this.state.outputSize;
  }
  /** Each dense layer's input size, units and activation. */
  get layers(): Model['layers'] {
    return this.state.layers as Model['layers'];
  }
  /** The loss the model trains with. */
  get loss(): Model['loss'] {
    return this.state.loss as Model['loss'];
  }
  /** The optimizer and its settings. */
  get optimizer(): Model['optimizer'] {
    return { ...(this.state.optimizer as Model['optimizer']) };
  }
  /** The seed of the initial weights and the shuffles. */
  get seed(): number {
    return this.state.seed;
  }
  /** Trainable parameters (weights and biases). */
  get parameterCount(): number {
    return this.state.parameterCount;
  }
  /** Threads training the model inside the worker, and if fewer than requested, why. */
  get threading(): Model['threading'] {
    return { ...this.state.threading };
  }
  /** Where training stands (epochs, steps, learning rate), as of the last call. */
  get training(): TrainingState {
    return { ...this.state.training };
  }
  /** Whether a fit() is running. */
  get isTraining(): boolean {
    return this.fitting !== undefined || this.#preparingFit !== undefined;
  }

  private take(answer: Answer): unknown {
    if (answer.state) this.state = answer.state;
    return answer.value;
  }

  private send(method: string, args: unknown[], transfer: Transferable[] = [], extra: object = {}): Promise<unknown> {
    if (this.disposed) return Promise.reject(disposedError());
    return this.#connection
      .request({ kind: 'call', method, args, ...extra } as never, transfer)
      .then((answer) => this.take(answer));
  }

  // --- training and inference -----------------------------------------------------

  /**
   * Trains on `data` in the worker; see FitOptions and WorkerFitOptions. Callbacks run on
   * this thread with the worker's logs; one returning false or 'stop', or stop(), stops training.
   * A schedule must be a step, exponential or plateau schedule (a function cannot cross to the worker).
   */
  async fit(data: DatasetLike, options: WorkerFitOptions = {}): Promise<History> {
    if (this.disposed) throw disposedError();
    const { callbacks = {} as Callbacks, transfer = false, maxBatchesAhead = 2, ...posted } = options;
    if (typeof posted.schedule === 'function')
      throw new Error(
        'simdnet: a schedule function cannot run in the worker; use a step, exponential or plateau schedule, or call setLearningRate() from onEpochEnd',
      );
    if (!((Number.isInteger(maxBatchesAhead) || maxBatchesAhead === Infinity) && maxBatchesAhead >= 0))
      throw new Error(`simdnet: maxBatchesAhead must be a non-negative integer or Infinity, got ${maxBatchesAhead}`);
    if (this.fitting || this.#preparingFit)
      throw new Error('simdnet: this model is already training; wait for the running fit() to finish');
    const transferList: Transferable[] = [];
    // The data is copied over a few tasks (large arrays in slices): no second fit() meanwhile,
    // and a stop() meanwhile waits for this fit to start, then stops it.
    let started!: () => void;
    const preparing = new Promise<void>((resolve) => {
      started = resolve;
    });
    this.#preparingFit = preparing;
    let prepared: DatasetLike;
    let validationData: FitOptions['validationData'];
    try {
      prepared = await dataForPosting(data, transfer, transferList);
      validationData =
        posted.validationData === undefined
          ? undefined
          : await dataForPosting(posted.validationData, transfer, transferList);
      if (this.disposed) throw disposedError();
    } catch (error) {
      this.#preparingFit = undefined;
      started();
      throw error;
    }
    const stopFlag = sharedStopFlag();
    const id = this.#connection.peekId();

    let chain: Promise<void> = Promise.resolve();
    let handledLogs = 0;
    let callbackStop = false;
    let callbackError: { error: unknown } | undefined;
    /** Runs one callback (none after one asked to stop or threw, as in-thread). */
    const handle = async (run: () => unknown) => {
      if (callbackStop) return;
      try {
        callbackStop = stops(await run());
      } catch (error) {
        callbackError = { error };
        callbackStop = true;
      }
      if (callbackStop && stopFlag) Atomics.store(stopFlag, 0, 1);
    };
    const onLog = (reply: Extract<Reply, { kind: 'batches' | 'epoch' }>) => {
      chain = chain.then(async () => {
        if (reply.kind === 'epoch') await handle(() => callbacks.onEpochEnd?.(reply.log));
        else for (const log of reply.logs) await handle(() => callbacks.onBatchEnd?.(log));
        handledLogs += reply.kind === 'epoch' ? 1 : reply.logs.length;
        this.#connection.notify({ kind: 'ack', fit: id, logs: handledLogs, stop: callbackStop });
      });
    };
    const request = this.#connection.request(
      {
        kind: 'fit',
        data: prepared,
        options: validationData === undefined ? posted : { ...posted, validationData },
        logs: { batch: callbacks.onBatchEnd !== undefined, epoch: callbacks.onEpochEnd !== undefined },
        maxBatchesAhead,
        stopFlag,
      },
      transferList,
      onLog,
    );
    const done = request.then(
      () => chain,
      () => chain,
    );
    this.fitting = { id, stopFlag, done };
    this.#preparingFit = undefined;
    started();
    try {
      const history = this.take(await request) as History;
      await chain;
      if (callbackError) throw callbackError.error;
      await callbacks.onTrainEnd?.(history);
      return history;
    } finally {
      this.fitting = undefined;
    }
  }

  /**
   * Asks a running fit() to stop after the batch the worker is on (at once where
   * SharedArrayBuffer is available; else at fit's next yield, every yieldEveryMs).
   * Resolves when that fit has ended; at once when none runs.
   */
  async stop(): Promise<void> {
    if (!this.fitting && this.#preparingFit) await this.#preparingFit;
    const fitting = this.fitting;
    if (!fitting) return;
    if (fitting.stopFlag) Atomics.store(fitting.stopFlag, 0, 1);
    else this.#connection.notify({ kind: 'stop', fit: fitting.id });
    await fitting.done;
  }

  /** Outputs [count, outputSize], as Model.predict. */
  predict(inputs: DatasetLike['inputs'] | Dataset, options: WorkerDataOptions = {}): Promise<Float32Array> {
    const { transfer = false, ...rest } = options;
    const list: Transferable[] = [];
    return dataForPosting(inputs, transfer, list).then(
      (posted) => this.send('predict', [posted, rest], list) as Promise<Float32Array>,
    );
  }

  /** Class indices (argmax of each output row; threshold 0.5 for a single output), as Model.predictClasses. */
  predictClasses(inputs: DatasetLike['inputs'] | Dataset, options: WorkerDataOptions = {}): Promise<Int32Array> {
    const { transfer = false, ...rest } = options;
    const list: Transferable[] = [];
    return dataForPosting(inputs, transfer, list).then(
      (posted) => this.send('predictClasses', [posted, rest], list) as Promise<Int32Array>,
    );
  }

  /** Mean loss (and accuracy where defined) over a dataset, as Model.evaluate. */
  evaluate(data: DatasetLike, options: WorkerDataOptions = {}): Promise<EvaluateResult> {
    const { transfer = false, ...rest } = options;
    const list: Transferable[] = [];
    return dataForPosting(data, transfer, list).then(
      (posted) => this.send('evaluate', [posted, rest], list) as Promise<EvaluateResult>,
    );
  }

  /** The model as a simdnet model file (with this object's `metadata`), as Model.save. */
  save(options?: SaveOptions): Promise<Uint8Array> {
    return this.send('save', [options], [], { metadata: this.metadata }) as Promise<Uint8Array>;
  }

  /** Copies of the weights and biases (W as [in, units]), as Model.describe. */
  describe(): Promise<ModelDescription> {
    return this.send('describe', []) as Promise<ModelDescription>;
  }

  /** One line per layer, Keras-style, as Model.summary. */
  summary(): Promise<string> {
    return this.send('summary', []) as Promise<string>;
  }

  /** Replaces the weights from a description of the same architecture, as Model.setWeights. */
  async setWeights(description: ModelDescription): Promise<void> {
    const list: Transferable[] = [];
    const layers = description.layers.map((layer) => ({
      ...layer,
      weights: forPosting(layer.weights, false, list),
      bias: forPosting(layer.bias, false, list),
    }));
    await this.send('setWeights', [{ ...description, layers }], list);
  }

  /** Changes the learning rate from now on, as Model.setLearningRate. */
  async setLearningRate(learningRate: number): Promise<void> {
    await this.send('setLearningRate', [learningRate]);
  }

  /** Switches optimizer (its moments restart from zero), as Model.setOptimizer. */
  async setOptimizer(optimizer: OptimizerType | OptimizerConfig): Promise<void> {
    await this.send('setOptimizer', [optimizer]);
  }

  /** Re-reads the model's properties (training state, threading) from the worker. */
  async refresh(): Promise<void> {
    await this.send('state', []);
  }

  /**
   * Stops a running fit, releases the model's helper threads and terminates the worker.
   * Later calls reject; calling it again does nothing.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const fitting = this.fitting;
    if (fitting?.stopFlag) Atomics.store(fitting.stopFlag, 0, 1);
    else if (fitting) this.#connection.notify({ kind: 'stop', fit: fitting.id });
    const released = this.#connection.request({ kind: 'call', method: 'dispose', args: [] }).catch(() => undefined);
    await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 1000))]);
    this.#connection.close(disposedError());
  }
}

async function start(
  options: WorkerModelOptions,
  first: (connection: Connection) => Promise<Answer>,
): Promise<WorkerModel> {
  const connection = new Connection(options.workerUrl ?? defaultWorkerUrl());
  try {
    const answer = await first(connection);
    return wrap(connection, answer.state!);
  } catch (error) {
    connection.close(error as Error);
    throw error;
  }
}

/**
 * A new model (as createModel(spec)) running in a dedicated Worker: a Web Worker in
 * browsers and Deno, worker_threads in Node and Bun. `spec.threads` works inside it where
 * SharedArrayBuffer is available (Node, Bun, Deno, cross-origin isolated pages).
 */
export function createWorkerModel(spec: ModelSpec, options: WorkerModelOptions = {}): Promise<WorkerModel> {
  return start(options, (connection) => connection.request({ kind: 'create', spec, init: workerInit(options.init) }));
}

/**
 * A saved model (anything loadModel() takes: bytes, a File, Blob, Response, URL, or
 * 'indexeddb://name') loaded into a dedicated Worker; see createWorkerModel.
 */
export async function loadWorkerModel(source: ModelSource, options: WorkerModelOptions = {}): Promise<WorkerModel> {
  const bytes = await modelBytes(source);
  const list: Transferable[] = [];
  // The caller's own bytes are copied across; bytes read here (from a Blob, a URL, IndexedDB) are moved.
  const own = !(source instanceof Uint8Array || source instanceof ArrayBuffer);
  const posted = forPosting(bytes, own, list);
  return start(options, (connection) =>
    connection.request({ kind: 'load', bytes: posted, init: workerInit(options.init) }, list),
  );
}
