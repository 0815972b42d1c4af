/**
 * The one message protocol between a WorkerModel (the calling thread) and the
 * model it runs in a dedicated Worker (serve.ts), both directions.
 *
 * Every request carries an id; the worker answers it once, with 'result' (the
 * value, and the model's properties as they now are) or 'error' (the original
 * name and message). 'ack' and 'stop' have no answer.
 *
 *   caller -> worker                          worker -> caller
 *   create {spec, init}                       result {value, state}
 *   load {bytes, init}                        error {name, message, stack}
 *   call {method, args, metadata?}
 *   fit {data, options, logs, stopFlag?}      batches {logs} (fit with onBatchEnd; bundled)
 *                                             epoch {log}   (fit with onEpochEnd)
 *   ack {fit, logs, stop}     (a log handled by the caller's callback; stop asked)
 *   stop {fit}                (model.stop(), where no SharedArrayBuffer flag is shared)
 *
 * Stopping a fit that runs in the worker: with SharedArrayBuffer, a shared i32
 * flag the worker reads after every batch; without, a 'stop' message, which the
 * worker handles at fit's next yield to its event loop (every yieldEveryMs).
 * Callback logs: batch logs go in bundles (at most one message per 8 ms); the worker
 * runs at most `maxBatchesAhead` batches past the last batch log the caller has acknowledged, and waits for the caller's answer to
 * each epoch log, so a callback's stop takes effect as it would in-thread (after
 * the epoch; after at most maxBatchesAhead further batches).
 */
import type { DatasetLike } from '../model/dataset-check.js';
import type { Model } from '../model/model.js';
import type { ModelSpec } from '../model/spec.js';
import type { InitOptions } from '../runtime/load.js';
import type { BatchLog, EpochLog, FitOptions, TrainingState } from '../train/types.js';

/** Model methods the worker runs on request (each returns what Model's does). */
export type CallMethod =
  | 'predict'
  | 'predictClasses'
  | 'evaluate'
  | 'save'
  | 'describe'
  | 'summary'
  | 'setWeights'
  | 'setLearningRate'
  | 'setOptimizer'
  | 'state'
  | 'dispose';

/** How the worker loads its core: InitOptions whose sources can be posted (URLs as strings). */
export type WorkerInit = Pick<InitOptions, 'relaxed'> & {
  source?: string | WebAssembly.Module | ArrayBuffer | Uint8Array;
  relaxedSource?: string | WebAssembly.Module | ArrayBuffer | Uint8Array;
};

/** The model's properties, sent with every result so the caller's copy stays current. */
export interface ModelState {
  inputSize: number;
  outputSize: number;
  layers: Model['layers'][number][];
  loss: string;
  optimizer: Record<string, unknown>;
  seed: number;
  parameterCount: number;
  threading: Model['threading'];
  training: TrainingState;
  metadata: Record<string, unknown>;
}

/** fit's options as they cross: no callbacks (the caller keeps them) and no schedule function. */
export type PostedFitOptions = Omit<FitOptions, 'callbacks'>;

export type Request =
  | { id: number; kind: 'create'; spec: ModelSpec; init?: WorkerInit }
  | { id: number; kind: 'load'; bytes: Uint8Array; init?: WorkerInit }
  | { id: number; kind: 'call'; method: CallMethod; args: unknown[]; metadata?: Record<string, unknown> }
  | {
      id: number;
      kind: 'fit';
      data: DatasetLike;
      options: PostedFitOptions;
      /** Which logs the caller wants (it has those callbacks). */
      logs: { batch: boolean; epoch: boolean };
      maxBatchesAhead: number;
      /** Int32Array on a SharedArrayBuffer: word 0 non-zero = stop. */
      stopFlag?: Int32Array;
    }
  | { id: number; kind: 'ack'; fit: number; logs: number; stop: boolean }
  | { id: number; kind: 'stop'; fit: number };

/** An Error as it crosses: its name, message and (the worker's) stack. */
export interface PostedError {
  name: string;
  message: string;
  stack?: string;
}

export type Reply =
  | { id: number; kind: 'result'; value: unknown; state?: ModelState }
  | { id: number; kind: 'error'; error: PostedError }
  | { id: number; kind: 'batches'; logs: BatchLog[] }
  | { id: number; kind: 'epoch'; log: EpochLog };

export function postError(error: unknown): PostedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The Error re-thrown on the caller: the worker's name and message (its stack kept as `workerStack`). */
export function rethrown(posted: PostedError): Error {
  const error = new Error(posted.message);
  error.name = posted.name;
  if (posted.stack) (error as Error & { workerStack?: string }).workerStack = posted.stack;
  return error;
}

// --- moving typed arrays across ------------------------------------------------------------

type Typed = Float32Array | Uint8Array | Uint16Array | Int32Array | Uint32Array;

const isTyped = (value: unknown): value is Typed =>
  ArrayBuffer.isView(value) && !(value instanceof DataView) && 'BYTES_PER_ELEMENT' in value;

const isShared = (buffer: ArrayBufferLike): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;

/**
 * A typed array ready to post, and the buffers to list for transfer.
 *
 *   on a SharedArrayBuffer       posted as is: shared, never copied
 *   a view of part of a buffer   copied (only its bytes) here, and the copy transferred
 *   owns its whole buffer        `transfer`: moved (detached here); else copied once by postMessage
 */
export function forPosting<T extends Typed>(array: T, transfer: boolean, transferList: Transferable[]): T {
  if (isShared(array.buffer)) return array;
  if (array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) {
    const copy = array.slice() as T;
    transferList.push(copy.buffer as ArrayBuffer);
    return copy;
  }
  if (transfer && !transferList.includes(array.buffer as ArrayBuffer)) transferList.push(array.buffer as ArrayBuffer);
  return array;
}

/** Arrays of at least this many bytes that must be copied are copied in slices (forPostingInSlices). */
export const SLICED_COPY_BYTES = 2 << 20;
/** Bytes copied per task by forPostingInSlices. */
const SLICE_BYTES = 1 << 20;

/** Resolves in a later task (a timer), so the calling thread can run its other work in between. */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * As forPosting, but an array of SLICED_COPY_BYTES or more that would be copied (not shared, not
 * moved) is copied here, 1 MiB per task, and the copy moved across: no task of the calling
 * thread copies more than 1 MiB (postMessage would copy it all in one: 16 MB held a page's
 * main thread for 15-90 ms in the Chromium test). The array must not change until the call's
 * promise settles (it is read over several tasks).
 */
export async function forPostingInSlices<T extends Typed>(
  array: T,
  transfer: boolean,
  transferList: Transferable[],
): Promise<T> {
  const ownsBuffer = array.byteOffset === 0 && array.byteLength === array.buffer.byteLength;
  const copied = !isShared(array.buffer) && !(transfer && ownsBuffer);
  if (!copied || array.byteLength < SLICED_COPY_BYTES) return forPosting(array, transfer, transferList);
  const copy = new Uint8Array(array.byteLength);
  const source = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let at = 0; at < copy.length; at += SLICE_BYTES) {
    if (at > 0) await nextTask();
    copy.set(source.subarray(at, at + SLICE_BYTES), at);
  }
  transferList.push(copy.buffer);
  const Typed = array.constructor as new (buffer: ArrayBuffer) => T;
  return new Typed(copy.buffer);
}

/** Data (a Dataset, a literal, or bare inputs) with its typed arrays prepared by forPostingInSlices. */
export async function dataForPosting<T>(data: T, transfer: boolean, transferList: Transferable[]): Promise<T> {
  if (isTyped(data)) return (await forPostingInSlices(data, transfer, transferList)) as T;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const key of ['inputs', 'labels', 'targets']) {
    const value = out[key];
    if (isTyped(value)) out[key] = await forPostingInSlices(value, transfer, transferList);
  }
  return out as T;
}

/** The buffers of the typed arrays in a result (predictions, weights, bytes): the worker gives them away. */
export function resultTransfers(value: unknown): Transferable[] {
  const list: Transferable[] = [];
  const add = (v: unknown) => {
    if (isTyped(v) && !isShared(v.buffer) && !list.includes(v.buffer as ArrayBuffer))
      list.push(v.buffer as ArrayBuffer);
  };
  add(value);
  const layers = (value as { layers?: unknown } | null)?.layers;
  if (Array.isArray(layers))
    for (const layer of layers) {
      add((layer as { weights?: unknown }).weights);
      add((layer as { bias?: unknown }).bias);
    }
  return list;
}
