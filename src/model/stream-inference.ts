/**
 * evaluate and predict over streamed data: one pass of the source through rowChunks
 * (checked rows, in order), each chunk copied into the model's memory and run by the same
 * evaluate / predict calls as data in memory. Memory: one chunk, whatever the stream's length.
 *
 *   evaluate   loss = Σ chunk loss · rows / Σ rows, accuracy likewise: the in-memory result
 *              up to the rounding of the sum (f64)
 *   predict    outputs [rows, outputSize] chunk by chunk (predictChunks), or all together
 */
import type { Dataset } from '../data/dataset.js';
import { type DataSource, rowChunks } from '../data/source.js';
import type { EvaluateResult, RowsVisitor } from '../train/types.js';

/** Rows per chunk for evaluate and predict over a stream unless a chunk size is given. */
export const DEFAULT_INFERENCE_CHUNK_ROWS = 8192;

/** What streamed inference needs from a model (ModelEngine has it). */
export interface InferenceModel {
  /** Features per input row. */
  readonly inputSize: number;
  /** Outputs per row. */
  readonly outputSize: number;
  /** Mean loss and accuracy of a checked dataset (`visit` sees its output and target rows). */
  evaluate(data: Dataset, batchSize?: number, visit?: RowsVisitor): EvaluateResult;
  /** Outputs [count, outputSize] of a checked dataset. */
  predict(data: Dataset, batchSize?: number): Float32Array;
}

/** Options of evaluate and predict over a stream. */
export interface StreamInferenceOptions {
  /** Rows per call into the core (as for data in memory). */
  batchSize?: number;
  /** Rows read from the stream and copied into memory at a time. Default 8192. */
  chunkRows?: number;
  /** What the data is, for error messages. Default 'data'. */
  what?: string;
}

function chunkRowsOf(options: StreamInferenceOptions): number {
  const rows = options.chunkRows ?? DEFAULT_INFERENCE_CHUNK_ROWS;
  if (!(Number.isInteger(rows) && rows > 0))
    throw new Error(`simdnet: chunkRows must be a positive integer, got ${rows}`);
  return rows;
}

/**
 * Mean loss (and accuracy where defined) over one pass of a labelled stream; the visitor
 * `visitorFor` gives for a chunk sees its output and target rows.
 */
export async function evaluateStream(
  model: Omit<InferenceModel, 'predict'>,
  source: DataSource,
  options: StreamInferenceOptions = {},
  visitorFor?: (chunk: Dataset) => RowsVisitor | undefined,
): Promise<EvaluateResult> {
  const what = options.what ?? 'data';
  let rows = 0;
  let lossSum = 0;
  let accuracySum = 0;
  let hasAccuracy = false;
  const chunks = rowChunks(source, {
    inputSize: model.inputSize,
    outputSize: model.outputSize,
    chunkRows: chunkRowsOf(options),
    needTargets: true,
    what,
  });
  for await (const chunk of chunks) {
    const result = model.evaluate(chunk, options.batchSize, visitorFor?.(chunk));
    rows += chunk.count;
    lossSum += result.loss * chunk.count;
    if (result.accuracy !== undefined) {
      hasAccuracy = true;
      accuracySum += result.accuracy * chunk.count;
    }
  }
  if (rows === 0) throw new Error(`simdnet: ${what} is empty (the stream gave 0 rows)`);
  const result: EvaluateResult = { loss: lossSum / rows };
  if (hasAccuracy) result.accuracy = accuracySum / rows;
  return result;
}

/**
 * The outputs of one pass of a stream, chunk by chunk: each yield is a new Float32Array
 * [rows, outputSize] for the next rows, in order.
 */
export async function* predictChunks(
  model: InferenceModel,
  source: DataSource,
  options: StreamInferenceOptions = {},
): AsyncGenerator<Float32Array, void, undefined> {
  const chunks = rowChunks(source, {
    inputSize: model.inputSize,
    outputSize: model.outputSize,
    chunkRows: chunkRowsOf(options),
    needTargets: false,
    what: options.what ?? 'inputs',
  });
  for await (const chunk of chunks) yield model.predict(chunk, options.batchSize);
}

/** The outputs [rows, outputSize] of one pass of a stream, in one array. */
export async function predictStream(
  model: InferenceModel,
  source: DataSource,
  options: StreamInferenceOptions = {},
): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let length = 0;
  for await (const part of predictChunks(model, source, options)) {
    parts.push(part);
    length += part.length;
  }
  if (length === 0) throw new Error(`simdnet: ${options.what ?? 'inputs'} is empty (the stream gave 0 rows)`);
  const outputs = new Float32Array(length);
  let at = 0;
  for (const part of parts) {
    outputs.set(part, at);
    at += part.length;
  }
  return outputs;
}
