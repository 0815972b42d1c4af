/**
 * Data that arrives as a stream instead of one array: a DataSource yields items (batches
 * or single rows) pass after pass, and `rowChunks` turns one pass into checked chunks of
 * a fixed number of rows, optionally through a seeded shuffle buffer. Training, evaluate
 * and predict copy each chunk into the model's memory and run its batches (train/stream.ts).
 *
 *   batch item   { inputs, labels | targets }   inputs Float32Array | Uint8Array [rows, inputSize]
 *                                               (or an array of rows), labels [rows], targets [rows, outputs]
 *   row item     { input, label | target }      input [inputSize]; label a class index;
 *                                               target a number or [outputs]
 *
 * Items are re-batched by rows: the batch sizes of a stream do not matter, fit's batchSize
 * does, so a stream gives the same batches as the same rows in memory (without shuffling).
 * Memory: a chunk of `chunkRows` rows plus, when shuffling, a buffer of `shuffleBuffer` rows,
 * whatever the length of the stream. Web-standard APIs only.
 */
import type { Dataset, InputArray } from './dataset.js';
import { Xoshiro128StarStar } from './random.js';

/** One item of a stream holding several rows (the shape of a Dataset, without `count`). */
export interface StreamBatch {
  /** Row-major inputs [rows, inputSize] (Uint8Array values are multiplied by inputScale), or an array of rows. */
  inputs: InputArray | ArrayLike<number>[];
  /** Multiplies Uint8Array inputs when they are read (e.g. 1/255 for pixels). Default 1. */
  inputScale?: number;
  /** Class indices [rows]. Exclusive with `targets`. */
  labels?: ArrayLike<number>;
  /** Float targets [rows, outputSize] (or an array of rows). Exclusive with `labels`. */
  targets?: Float32Array | ArrayLike<number>[];
}

/** One item of a stream holding a single row. */
export interface StreamRow {
  /** The row's inputs [inputSize]. */
  input: ArrayLike<number>;
  /** Its class index. Exclusive with `target`. */
  label?: number;
  /** Its target: one number (one output) or [outputSize] numbers. Exclusive with `label`. */
  target?: number | ArrayLike<number>;
}

/** What a stream yields: batches, rows, or a mix of both. */
export type StreamItem = StreamBatch | StreamRow;

/** Items of one pass, as any iterable or stream. */
export type ItemStream = AsyncIterable<StreamItem> | Iterable<StreamItem> | ReadableStream<StreamItem>;

/**
 * A source of rows read pass by pass (one pass per epoch). Made by csvSource, idxSource or
 * fromIterable; fit, evaluate and predict also accept the inputs of fromIterable directly.
 */
export interface DataSource {
  /** Marks the object as a DataSource. */
  readonly kind: 'simdnet.DataSource';
  /** Whether pass() may be called more than once (false for a one-shot iterator or stream). */
  readonly reiterable: boolean;
  /** Rows in one pass, when known before reading (undefined otherwise). */
  readonly count?: number;
  /** The items of one pass, from the first row. A one-shot source throws on a second call. */
  pass(): AsyncIterable<StreamItem>;
}

/**
 * Everything fit, evaluate and predict accept as streamed data: a DataSource; a function
 * returning a new iterable per pass (re-iterable); an object whose `[Symbol.asyncIterator]()`
 * or `[Symbol.iterator]()` starts over (re-iterable, e.g. an array of batches); or a one-shot
 * iterator, generator or ReadableStream (one pass only: `epochs: 1`).
 */
export type StreamInput = DataSource | ItemStream | (() => ItemStream | Promise<ItemStream>);

function isReadableStream(value: unknown): value is ReadableStream<StreamItem> {
  return typeof (value as ReadableStream | null)?.getReader === 'function';
}

/**
 * Whether `value` is streamed data rather than data in memory: a dataset (it has `inputs`),
 * a typed array, or an array of rows (arrays of numbers) is in memory; an array of batch or
 * row objects is a (re-iterable) stream.
 */
export function isStreamInput(value: unknown): value is StreamInput {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null || 'inputs' in value || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    return typeof first === 'object' && first !== null && !Array.isArray(first) && !ArrayBuffer.isView(first);
  }
  if ((value as DataSource).kind === 'simdnet.DataSource') return true;
  return Symbol.asyncIterator in value || Symbol.iterator in value || isReadableStream(value);
}

/** The items of a ReadableStream, read through its reader (cancelled if the consumer stops early). */
async function* readerItems<T>(stream: ReadableStream<T>): AsyncGenerator<T, void, undefined> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Any ItemStream as an async iterable. */
async function* itemsOf(stream: ItemStream): AsyncGenerator<StreamItem, void, undefined> {
  if (isReadableStream(stream)) yield* readerItems(stream);
  else if (Symbol.asyncIterator in stream) yield* stream as AsyncIterable<StreamItem>;
  else if (Symbol.iterator in stream) yield* stream as Iterable<StreamItem>;
  else throw new TypeError('simdnet: a stream must be an (async) iterable or a ReadableStream of batches or rows');
}

/** An iterator (it has next()), a ReadableStream or a Node stream is read once; an array or a factory again and again. */
function isOneShot(stream: object): boolean {
  const candidate = stream as { next?: unknown; pipe?: unknown; read?: unknown };
  return (
    typeof candidate.next === 'function' ||
    isReadableStream(stream) ||
    (typeof candidate.pipe === 'function' && typeof candidate.read === 'function')
  );
}

/**
 * A DataSource over items from `input` (see StreamInput). `count`, when given, is the rows in
 * one pass (it sets fit's batches per epoch before the first pass ends).
 */
export function fromIterable(input: StreamInput, options: { count?: number } = {}): DataSource {
  if (!isStreamInput(input))
    throw new TypeError(
      'simdnet: expected a stream of batches or rows: an (async) iterable, a generator, a ReadableStream, or a function returning one',
    );
  if (typeof input === 'object' && (input as DataSource).kind === 'simdnet.DataSource') return input as DataSource;
  if (typeof input === 'function') {
    return {
      kind: 'simdnet.DataSource',
      reiterable: true,
      count: options.count,
      async *pass() {
        yield* itemsOf(await input());
      },
    };
  }
  const stream = input as ItemStream;
  const oneShot = isOneShot(stream);
  let passes = 0;
  return {
    kind: 'simdnet.DataSource',
    reiterable: !oneShot,
    count: options.count,
    pass() {
      if (oneShot && passes > 0) throw oneShotError();
      passes++;
      return itemsOf(stream);
    },
  };
}

/** The error for reading a one-shot stream twice. */
export function oneShotError(): Error {
  return new Error(
    'simdnet: this stream can be read only once (an iterator, a generator or a ReadableStream); for more than one epoch (or a validation stream) pass a function that returns a new stream, e.g. fit(() => rows(), ...), or an object whose [Symbol.asyncIterator]() starts over',
  );
}

// --- checked chunks of rows -----------------------------------------------------------

/** How rowChunks reads a pass. */
export interface ChunkOptions {
  /** Features per row the model takes. */
  inputSize: number;
  /** Outputs of the model: targets have this many values per row, labels are below max(2, outputSize). */
  outputSize: number;
  /** Rows per chunk (the last may have fewer). */
  chunkRows: number;
  /** Whether every row needs a label or target (fit, evaluate) or none is read (predict). */
  needTargets: boolean;
  /** What the data is, for error messages ('training data', 'validationData', ...). */
  what: string;
  /** Shuffle through a buffer of this many rows, drawing with this seed (none when undefined). */
  shuffle?: { bufferRows: number; seed: number };
  /** Stop after this many rows. */
  limit?: number;
}

/** Staging arrays for `capacity` rows of one kind (inputs u8 or f32; labels or targets). */
class RowBlock {
  readonly inputs: InputArray;
  readonly labels: Int32Array | undefined;
  readonly targets: Float32Array | undefined;
  count = 0;

  constructor(
    readonly capacity: number,
    readonly inputSize: number,
    readonly outputSize: number,
    bytes: boolean,
    targetKind: 'labels' | 'targets' | 'none',
  ) {
    this.inputs = bytes ? new Uint8Array(capacity * inputSize) : new Float32Array(capacity * inputSize);
    this.labels = targetKind === 'labels' ? new Int32Array(capacity) : undefined;
    this.targets = targetKind === 'targets' ? new Float32Array(capacity * outputSize) : undefined;
  }

  /** Copies row `from` of `source` into row `to` of this block. */
  copyRow(source: RowBlock | NormalBatch, from: number, to: number): void {
    const w = this.inputSize;
    const inputs = this.inputs;
    const sourceInputs = source.inputs;
    for (let k = 0, s = from * w, d = to * w; k < w; k++) inputs[d + k] = sourceInputs[s + k];
    if (this.labels) this.labels[to] = source.labels![from];
    if (this.targets) {
      const n = this.outputSize;
      for (let k = 0; k < n; k++) this.targets[to * n + k] = source.targets![from * n + k];
    }
  }

  /** Copies rows [from, from + rows) of a batch to the end of this block. */
  appendRows(batch: NormalBatch, from: number, rows: number): void {
    const w = this.inputSize;
    this.inputs.set(batch.inputs.subarray(from * w, (from + rows) * w), this.count * w);
    if (this.labels) this.labels.set(batch.labels!.subarray(from, from + rows), this.count);
    if (this.targets) {
      const n = this.outputSize;
      this.targets.set(batch.targets!.subarray(from * n, (from + rows) * n), this.count * n);
    }
    this.count += rows;
  }

  /** The block's rows as a Dataset over its arrays (valid until the block is refilled). */
  view(inputScale: number | undefined): Dataset {
    const { count, inputSize } = this;
    const dataset: Dataset = { count, inputSize, inputs: this.inputs.subarray(0, count * inputSize) };
    if (inputScale !== undefined) dataset.inputScale = inputScale;
    if (this.labels) dataset.labels = this.labels.subarray(0, count);
    if (this.targets) {
      dataset.targets = this.targets.subarray(0, count * this.outputSize);
      dataset.targetSize = this.outputSize;
    }
    return dataset;
  }
}

/** An item in typed arrays: inputs [count, inputSize]; labels or targets as the stream's first item had. */
interface NormalBatch {
  count: number;
  inputs: InputArray;
  inputScale: number | undefined;
  labels?: Int32Array;
  targets?: Float32Array;
}

/** The kind of a stream, fixed by its first item: later items must match it. */
interface StreamKind {
  bytes: boolean;
  inputScale: number | undefined;
  targetKind: 'labels' | 'targets' | 'none';
}

const flatFloats = (rows: ArrayLike<number>[], width: number, what: string, row0: number): Float32Array => {
  const flat = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    if (row?.length !== width) throw rowError(what, row0 + r, `has ${row?.length} values, expected ${width}`);
    for (let k = 0; k < width; k++) flat[r * width + k] = row[k];
  });
  return flat;
};

function rowError(what: string, row: number, problem: string): Error {
  return new Error(`simdnet: ${what} row ${row} ${problem}`);
}

/**
 * One item as typed arrays, checked: widths, finite inputs and targets, class indices in
 * range. `row0` is the stream row of its first row (error messages name stream rows, 0-based).
 */
function normalizeItem(item: StreamItem, options: ChunkOptions, row0: number): NormalBatch {
  const { inputSize: w, outputSize: n, what, needTargets } = options;
  if (typeof item !== 'object' || item === null)
    throw rowError(
      what,
      row0,
      `is ${String(item)}, not a batch ({ inputs, labels | targets }) or a row ({ input, label | target })`,
    );
  let batch: NormalBatch;
  let labels: ArrayLike<number> | undefined;
  let targets: Float32Array | undefined;
  if ('input' in item) {
    const row = item as StreamRow;
    if (row.input?.length !== w) throw rowError(what, row0, `has ${row.input?.length} input values, expected ${w}`);
    batch = { count: 1, inputs: Float32Array.from(row.input), inputScale: undefined };
    if (row.label !== undefined) labels = [row.label];
    if (row.target !== undefined)
      targets = typeof row.target === 'number' ? Float32Array.of(row.target) : Float32Array.from(row.target);
  } else if ('inputs' in item) {
    const given = item as StreamBatch;
    let inputs: InputArray;
    if (given.inputs instanceof Float32Array || given.inputs instanceof Uint8Array) inputs = given.inputs;
    else if (Array.isArray(given.inputs)) inputs = flatFloats(given.inputs, w, what, row0);
    else
      throw rowError(
        what,
        row0,
        'starts a batch whose inputs are not a Float32Array, a Uint8Array or an array of rows',
      );
    if (inputs.length % w !== 0)
      throw rowError(
        what,
        row0,
        `starts a batch of ${inputs.length} input values, not a multiple of the model's ${w} inputs per row`,
      );
    batch = { count: inputs.length / w, inputs, inputScale: given.inputScale };
    labels = given.labels;
    if (given.targets !== undefined)
      targets = Array.isArray(given.targets)
        ? flatFloats(given.targets, n, `${what} targets`, row0)
        : (given.targets as Float32Array);
  } else {
    throw rowError(
      what,
      row0,
      'is neither a batch ({ inputs, labels | targets }) nor a row ({ input, label | target })',
    );
  }
  const count = batch.count;
  if (batch.inputs instanceof Float32Array) {
    const inputs = batch.inputs;
    for (let i = 0; i < inputs.length; i++)
      if (!Number.isFinite(inputs[i]))
        throw rowError(what, row0 + Math.floor(i / w), `has ${inputs[i]} at feature ${i % w}`);
  }
  if (!needTargets) return batch;
  if (labels !== undefined && targets !== undefined)
    throw rowError(what, row0, 'has both labels and targets; give one');
  if (labels !== undefined) {
    if (labels.length !== count)
      throw rowError(what, row0, `starts a batch of ${count} rows with ${labels.length} labels`);
    const classes = n === 1 ? 2 : n;
    const checked = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const label = labels[i];
      if (!(Number.isInteger(label) && label >= 0 && label < classes))
        throw rowError(
          what,
          row0 + i,
          `has label ${label}, not a class index in 0..${classes - 1} (the model has ${n} output unit${n === 1 ? '' : 's'})`,
        );
      checked[i] = label;
    }
    batch.labels = checked;
  } else if (targets !== undefined) {
    if (targets.length !== count * n)
      throw rowError(
        what,
        row0,
        `starts a batch of ${count} rows with ${targets.length} target values, expected ${count} × ${n}`,
      );
    for (let i = 0; i < targets.length; i++)
      if (!Number.isFinite(targets[i]))
        throw rowError(what, row0 + Math.floor(i / n), `has target ${targets[i]} at output ${i % n}`);
    batch.targets = targets;
  } else {
    throw rowError(what, row0, 'has no label or target');
  }
  return batch;
}

function kindOf(batch: NormalBatch): StreamKind {
  return {
    bytes: batch.inputs instanceof Uint8Array,
    inputScale: batch.inputScale,
    targetKind: batch.labels ? 'labels' : batch.targets ? 'targets' : 'none',
  };
}

function checkSameKind(kind: StreamKind, batch: NormalBatch, what: string, row: number): void {
  const other = kindOf(batch);
  if (other.bytes !== kind.bytes)
    throw rowError(
      what,
      row,
      `has ${other.bytes ? 'Uint8Array' : 'Float32'} inputs, but the stream started with ${kind.bytes ? 'Uint8Array' : 'Float32'} inputs`,
    );
  if (other.inputScale !== kind.inputScale)
    throw rowError(what, row, `has inputScale ${other.inputScale}, but the stream started with ${kind.inputScale}`);
  if (other.targetKind !== kind.targetKind)
    throw rowError(what, row, `has ${other.targetKind}, but the stream started with ${kind.targetKind}`);
}

/** The generator of a shuffle buffer's draws for a seed (the model's seed mixed with the epoch). */
export function shuffleSeed(modelSeed: number, epoch: number): number {
  return (Math.imul(modelSeed ^ 0x27d4eb2f, 0x85ebca6b) + epoch) >>> 0;
}

/**
 * One pass of `source` as checked chunks of `chunkRows` rows (the last may be short), each a
 * Dataset over staging arrays that the next chunk overwrites: copy it before asking for more.
 *
 * With `shuffle`, rows go through a buffer of `bufferRows` rows: once it is full, each new row
 * takes the place of a row drawn uniformly from it, which goes out; at the end, the rows left
 * go out in a random order. The same seed gives the same order; a buffer as long as the stream
 * gives a uniform permutation.
 */
export async function* rowChunks(source: DataSource, options: ChunkOptions): AsyncGenerator<Dataset, void, undefined> {
  const { inputSize, outputSize, chunkRows, what } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let kind: StreamKind | undefined;
  let out: RowBlock | undefined;
  let buffer: RowBlock | undefined;
  const random = options.shuffle ? Xoshiro128StarStar.fromSeed(options.shuffle.seed) : undefined;
  let rows = 0;
  for await (const item of source.pass()) {
    if (rows >= limit) break;
    const batch = normalizeItem(item, options, rows);
    if (!kind) {
      kind = kindOf(batch);
      out = new RowBlock(chunkRows, inputSize, outputSize, kind.bytes, kind.targetKind);
      if (options.shuffle)
        buffer = new RowBlock(options.shuffle.bufferRows, inputSize, outputSize, kind.bytes, kind.targetKind);
    } else {
      checkSameKind(kind, batch, what, rows);
    }
    const take = Math.min(batch.count, limit - rows);
    rows += take;
    if (!buffer) {
      for (let from = 0; from < take; ) {
        const n = Math.min(take - from, out!.capacity - out!.count);
        out!.appendRows(batch, from, n);
        from += n;
        if (out!.count === out!.capacity) {
          yield out!.view(kind.inputScale);
          out!.count = 0;
        }
      }
      continue;
    }
    for (let r = 0; r < take; r++) {
      if (buffer.count < buffer.capacity) {
        buffer.copyRow(batch, r, buffer.count++);
        continue;
      }
      const drawn = random!.nextInt(buffer.capacity);
      out!.copyRow(buffer, drawn, out!.count++);
      buffer.copyRow(batch, r, drawn);
      if (out!.count === out!.capacity) {
        yield out!.view(kind.inputScale);
        out!.count = 0;
      }
    }
  }
  if (!out) return;
  if (buffer) {
    // Fisher–Yates over what is left: draw one of the first i + 1 rows, move row i into its place.
    for (let i = buffer.count - 1; i >= 0; i--) {
      const drawn = random!.nextInt(i + 1);
      out.copyRow(buffer, drawn, out.count++);
      if (drawn !== i) buffer.copyRow(buffer, i, drawn);
      if (out.count === out.capacity) {
        yield out.view(kind!.inputScale);
        out.count = 0;
      }
    }
  }
  if (out.count > 0) yield out.view(kind!.inputScale);
}
