/**
 * CSV files the commands stream instead of reading whole (`--stream`, or any CSV larger than
 * STREAM_BYTES): train reads the file twice (a first pass for the row count, class names and
 * the standardization statistics, then one pass per epoch), evaluate and predict once. Memory
 * is a chunk of rows and the shuffle buffer, whatever the file's size.
 *
 *   shouldStream          the --stream flag, or the file's size
 *   standardizedSource    a source whose batches are standardized as in training
 *   csvHeader             the header row alone (predict checks its columns before reading on)
 *   RegressionSums        rmse, mae and r2 accumulated chunk by chunk (metrics.ts's formulas)
 *   withErrorContext      a source whose errors name the file
 *   streamedRegressionMetrics  those metrics for a model over a stream of raw rows
 */
import { statSync } from 'node:fs';
import { readCsvRecords } from '../data/csv.js';
import type { Dataset } from '../data/dataset.js';
import { type DataSource, rowChunks, type StreamBatch } from '../data/source.js';
import type { Model } from '../model/model.js';
import type { Flags } from './args.js';
import { CliError } from './errors.js';
import type { CliMetadata, Standardization } from './metadata.js';
import type { RegressionMetrics } from './metrics.js';
import { standardizeInputs, standardizeTargets, unstandardizeOutputs } from './preprocess.js';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** CSV files larger than this are streamed even without --stream (256 MiB). */
export const STREAM_BYTES = 256 * 2 ** 20;

/** Whether the commands stream `path`: --stream, or a file larger than STREAM_BYTES. */
export function shouldStream(flags: Flags, path: string): boolean {
  return Boolean(flags.stream) || statSync(path).size > STREAM_BYTES;
}

/**
 * `source` with each batch's inputs standardized by `inputs` (as standardizeInputs does, so
 * the same bits as the whole file standardized) and its targets by `targets`.
 */
export function standardizedSource(
  source: DataSource,
  inputSize: number,
  inputs: Standardization | undefined,
  targets: Standardization | undefined,
): DataSource {
  if (!inputs && !targets) return source;
  return {
    kind: 'simdnet.DataSource',
    reiterable: source.reiterable,
    count: source.count,
    async *pass() {
      for await (const item of source.pass()) {
        const batch = item as StreamBatch & { inputs: Float32Array; targets?: Float32Array };
        let dataset: Dataset = {
          count: batch.inputs.length / inputSize,
          inputSize,
          inputs: batch.inputs,
          targets: batch.targets,
          targetSize: 1,
        };
        if (inputs) dataset = standardizeInputs(dataset, inputs);
        if (targets && dataset.targets) dataset = standardizeTargets(dataset, targets);
        const out: StreamBatch = { inputs: dataset.inputs };
        if (batch.labels) out.labels = batch.labels;
        if (dataset.targets) out.targets = dataset.targets;
        yield out;
      }
    },
  };
}

/** The header row of a CSV file (trimmed names), reading no further than its first record. */
export async function csvHeader(path: string): Promise<string[]> {
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  const bytes = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  try {
    for await (const record of readCsvRecords(bytes)) return record.fields.map((name) => name.trim());
    return [];
  } finally {
    file.destroy();
  }
}

/** Sums for regression metrics over chunks of predictions and targets (target units). */
export class RegressionSums {
  private count = 0;
  private squared = 0;
  private absolute = 0;
  /** Welford's running mean and sum of squared deviations of the targets (SS_tot). */
  private mean = 0;
  private total = 0;

  /** Adds predictions and targets of the same length. */
  add(predictions: Float32Array, targets: Float32Array): void {
    for (let i = 0; i < targets.length; i++) {
      const error = predictions[i] - targets[i];
      this.squared += error * error;
      this.absolute += Math.abs(error);
      this.count++;
      const delta = targets[i] - this.mean;
      this.mean += delta / this.count;
      this.total += delta * (targets[i] - this.mean);
    }
  }

  /** The metrics of everything added (metrics.ts's regressionMetrics, summed in another order). */
  metrics(): RegressionMetrics {
    const n = this.count;
    return {
      mse: this.squared / n,
      rmse: Math.sqrt(this.squared / n),
      mae: this.absolute / n,
      r2: this.total > 0 ? 1 - this.squared / this.total : Number.NaN,
    };
  }
}

/**
 * `source` whose errors start with `prefix: ` (the file), as withContext does for a whole
 * read: errors of a stream surface inside fit, far from where the file was named.
 */
export function withErrorContext(prefix: string, source: DataSource): DataSource {
  return {
    kind: 'simdnet.DataSource',
    reiterable: source.reiterable,
    count: source.count,
    async *pass() {
      try {
        yield* source.pass();
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).replace(/^simdnet: /, '');
        throw new CliError(message.startsWith(prefix) ? message : `${prefix}: ${message}`, { cause: error });
      }
    },
  };
}

/**
 * rmse, mae and r2 in target units of a regression model over a stream of raw rows (inputs
 * and targets as in the file): inputs standardized and outputs mapped back as `meta` says.
 */
export async function streamedRegressionMetrics(
  model: Model,
  raw: DataSource,
  meta: Pick<CliMetadata, 'standardize' | 'targetStandardize'>,
): Promise<RegressionMetrics> {
  const sums = new RegressionSums();
  const chunks = rowChunks(raw, {
    inputSize: model.inputSize,
    outputSize: model.outputSize,
    chunkRows: 8192,
    needTargets: true,
    what: 'data',
  });
  for await (const chunk of chunks) {
    const inputs = meta.standardize ? standardizeInputs(chunk, meta.standardize) : chunk;
    const predictions = model.predict(inputs, { batchSize: 1000 });
    if (meta.targetStandardize) unstandardizeOutputs(predictions, meta.targetStandardize);
    sums.add(predictions, chunk.targets!);
  }
  return sums.metrics();
}

/**
 * `source` (of batches with typed arrays, as csvSource gives) cut after `limit` rows (all
 * when undefined), counting the rows of the last pass in `counter.rows`.
 */
export function countedSource(
  source: DataSource,
  inputSize: number,
  limit: number | undefined,
  counter: { rows: number },
): DataSource {
  return {
    kind: 'simdnet.DataSource',
    reiterable: source.reiterable,
    async *pass() {
      counter.rows = 0;
      for await (const item of source.pass()) {
        const batch = item as StreamBatch & { inputs: Float32Array; labels?: Int32Array; targets?: Float32Array };
        const rows = batch.inputs.length / inputSize;
        const take = Math.min(rows, (limit ?? Number.POSITIVE_INFINITY) - counter.rows);
        if (take <= 0) break;
        counter.rows += take;
        if (take === rows) {
          yield batch;
          continue;
        }
        const cut: StreamBatch = { inputs: batch.inputs.subarray(0, take * inputSize) };
        if (batch.labels) cut.labels = batch.labels.subarray(0, take);
        if (batch.targets) cut.targets = batch.targets.subarray(0, take);
        yield cut;
      }
    },
  };
}
