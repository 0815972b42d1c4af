/**
 * Training on streamed data: each epoch reads one pass of the source through rowChunks
 * (checked rows, optionally through the seeded shuffle buffer), copies each chunk of rows
 * into the model's data region (the same loadData as in-memory data), and runs its batches
 * with the same trainBatch call. Peak memory is the model plus one chunk plus the shuffle
 * buffer, whatever the length of the stream.
 *
 *   chunk      chunkRows rows, a multiple of batchSize, so batches never straddle two chunks:
 *              a stream gives the batches the same rows in memory give (without shuffling)
 *   shuffle    a buffer of shuffleBuffer rows, seeded by the model's seed and the epoch
 *   validation in memory (copied after the chunk each epoch) or streamed (evaluated chunk by chunk)
 */
import type { Dataset } from '../data/dataset.js';
import {
  type DataSource,
  fromIterable,
  isStreamInput,
  oneShotError,
  rowChunks,
  shuffleSeed,
  type StreamInput,
} from '../data/source.js';
import { asDataset, checkDataset, type DatasetLike } from '../model/dataset-check.js';
import { evaluateStream } from '../model/stream-inference.js';
import { memoryPasses, type TrainingPasses, type ValidateWith } from './passes.js';
import type { FitOptions, TrainableModel } from './types.js';
import { rowWeights } from './weights.js';

/** Bytes of inputs a chunk holds unless chunkRows says otherwise. */
const DEFAULT_CHUNK_BYTES = 4 << 20;
/** Rows in the shuffle buffer unless shuffleBuffer says otherwise. */
export const DEFAULT_SHUFFLE_BUFFER = 10_000;

/** Rows per chunk: `requested` (or about 4 MiB of f32 inputs) rounded down to a multiple of batchSize, at least one batch. */
export function chunkRowsFor(inputSize: number, batchSize: number, requested?: number): number {
  const rows = requested ?? Math.floor(DEFAULT_CHUNK_BYTES / (inputSize * 4));
  return Math.max(1, Math.floor(rows / batchSize)) * batchSize;
}

function positiveIntegerOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new Error(`simdnet: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Checks the streamed inputs of a fit (the training data, the validation data, or both) and
 * returns the step that, given the batch size, sizes the model's row buffers and makes the
 * passes. Nothing is read from a stream here.
 */
export function prepareStreams(
  model: TrainableModel,
  data: DatasetLike | StreamInput,
  options: FitOptions,
  epochs: number,
): (batchSize: number) => TrainingPasses {
  const shuffleBuffer = positiveIntegerOption(options.shuffleBuffer, 'shuffleBuffer');
  const chunkRows = positiveIntegerOption(options.chunkRows, 'chunkRows');
  const shuffle = options.shuffle ?? true;
  if (shuffleBuffer !== undefined && !shuffle)
    throw new Error('simdnet: shuffleBuffer applies with shuffle: true (shuffle: false reads the stream in order)');
  const trainSource = isStreamInput(data) ? fromIterable(data) : undefined;
  const trainData = trainSource ? undefined : memoryData(model, data as DatasetLike, 'training data');
  if (trainSource && !trainSource.reiterable && epochs > 1) throw oneShotError();
  // Loss weights are copied with training data in memory; a stream's rows have none.
  if (trainSource)
    for (const key of ['sampleWeight', 'classWeight'] as const)
      if (options[key] !== undefined)
        throw new Error(`simdnet: ${key} needs training data in memory; it does not apply to streamed training data`);
  const weights = trainData
    ? rowWeights(trainData, trainData.count, model.classes, options.classWeight, options.sampleWeight)
    : undefined;
  const given = options.validationData;
  const validationSource = given !== undefined && isStreamInput(given) ? fromIterable(given) : undefined;
  const validationData =
    given !== undefined && !validationSource ? memoryData(model, given as DatasetLike, 'validationData') : undefined;
  if (validationSource && !validationSource.reiterable && epochs > 1) throw oneShotError();

  return (batchSize) => {
    model.ensureCapacity(batchSize);
    const rows = chunkRowsFor(model.inputSize, batchSize, chunkRows);
    const validate: ValidateWith = async (visit) => {
      if (validationData) return model.evaluate(validationData, undefined, visit);
      if (validationSource)
        return evaluateStream(model, validationSource, { chunkRows: rows, what: 'validationData' }, () => visit);
      return undefined;
    };
    if (trainData) return memoryPasses(model, trainData, batchSize, shuffle, validate, weights);
    return streamTrainingPasses(model, trainSource!, { batchSize, chunkRows: rows, shuffle, shuffleBuffer }, validate);
  };
}

function memoryData(model: TrainableModel, data: DatasetLike, what: string): Dataset {
  const dataset = asDataset(data, model.inputSize, model.outputSize, what);
  checkDataset(dataset, model.inputSize, model.outputSize, { needTargets: true }, what);
  return dataset;
}

/** Streamed training data: one pass per epoch, chunk by chunk. */
function streamTrainingPasses(
  model: TrainableModel,
  source: DataSource,
  options: { batchSize: number; chunkRows: number; shuffle: boolean; shuffleBuffer: number | undefined },
  validate: ValidateWith,
): TrainingPasses {
  const { batchSize, chunkRows } = options;
  let rowsPerPass = source.count;
  let accuracyUnits: number | undefined;
  return {
    get batches() {
      return rowsPerPass === undefined ? 0 : Math.ceil(rowsPerPass / batchSize);
    },
    get accuracyUnits() {
      return accuracyUnits;
    },
    validationAccuracyUnits: undefined,
    async run(epoch, afterBatch) {
      const chunks = rowChunks(source, {
        inputSize: model.inputSize,
        outputSize: model.outputSize,
        chunkRows,
        needTargets: true,
        what: 'training data',
        shuffle: options.shuffle
          ? { bufferRows: options.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER, seed: shuffleSeed(model.seed, epoch) }
          : undefined,
      });
      let rows = 0;
      for await (const chunk of chunks) {
        const [loaded] = model.loadData([chunk], true);
        accuracyUnits = loaded.accuracyUnits;
        rows += chunk.count;
        for (let offset = 0; offset < chunk.count; offset += batchSize) {
          const size = Math.min(batchSize, chunk.count - offset);
          const stop = afterBatch(model.trainBatch(loaded, offset, size), size, loaded.accuracyUnits);
          // Leaving the loop closes the pass (its reader is cancelled).
          if (stop === true || (stop !== false && (await stop))) return;
        }
      }
      rowsPerPass = rows;
    },
    // Streamed validation rows are scored as the training rows are (their accuracy units).
    validate: (visitorFor) => validate(accuracyUnits === undefined ? undefined : visitorFor?.(accuracyUnits)),
  };
}
