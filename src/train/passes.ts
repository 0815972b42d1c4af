/**
 * What fit's epoch loop runs over: one pass of batches per epoch and a validation pass.
 * Data in memory (fit.ts) and streamed data (stream.ts) each make one; the loop (logs,
 * callbacks, schedules, early stopping) is the same for both.
 */
import type { Dataset } from '../data/dataset.js';
import type { BatchResult, EvaluateResult, TrainableModel } from './types.js';

/**
 * Called after each batch with its result, its rows and the data's accuracy units (0: no
 * accuracy). True stops the epoch; a promise (a callback ran, or the event loop gets a
 * turn) is awaited first; false continues without an await.
 */
export type AfterBatch = (result: BatchResult, size: number, accuracyUnits: number) => boolean | Promise<boolean>;

/** One epoch's batches, and the validation data's loss and accuracy. */
export interface TrainingPasses {
  /** Batches per epoch; 0 while unknown (a stream of unknown length, before its first pass ends). */
  readonly batches: number;
  /** Runs the batches of (global, 0-based) epoch `epoch` in order until one's afterBatch says stop. */
  run(epoch: number, afterBatch: AfterBatch): Promise<void>;
  /** Loss and accuracy on the validation data, when there is any. */
  validate(): EvaluateResult | undefined | Promise<EvaluateResult | undefined>;
}

/**
 * Data in memory: copied into the model's memory once (with the validation set, when it is
 * a dataset) and reshuffled there every epoch. `validation` may instead be the function that
 * evaluates it (a stream).
 */
export function memoryPasses(
  model: TrainableModel,
  train: Dataset,
  batchSize: number,
  shuffle: boolean,
  validation: Dataset | TrainingPasses['validate'] | undefined,
): TrainingPasses {
  model.ensureCapacity(Math.min(batchSize, train.count));
  const withValidation = validation !== undefined && typeof validation !== 'function';
  const [loadedTrain, loadedValidation] = model.loadData(withValidation ? [train, validation] : [train], true);
  const batches = Math.ceil(train.count / batchSize);
  return {
    batches,
    async run(epoch, afterBatch) {
      if (shuffle) model.shuffle(loadedTrain, epoch);
      for (let b = 0; b < batches; b++) {
        const offset = b * batchSize;
        const size = Math.min(batchSize, train.count - offset);
        const stop = afterBatch(model.trainBatch(loadedTrain, offset, size), size, loadedTrain.accuracyUnits);
        if (stop === true || (stop !== false && (await stop))) return;
      }
    },
    validate:
      typeof validation === 'function'
        ? validation
        : () => (loadedValidation ? model.evaluateLoaded(loadedValidation) : undefined),
  };
}
