/**
 * What fit's epoch loop runs over: one pass of batches per epoch and a validation pass.
 * Data in memory (fit.ts) and streamed data (stream.ts) each make one; the loop (logs,
 * callbacks, schedules, early stopping) is the same for both.
 */
import type { Dataset } from '../data/dataset.js';
import type { AugmentOptions } from './augment.js';
import type { BatchResult, EvaluateResult, RowsVisitor, TrainableModel } from './types.js';

/**
 * Called after each batch with its result, its rows and the data's accuracy units (0: no
 * accuracy). True stops the epoch; a promise (a callback ran, or the event loop gets a
 * turn) is awaited first; false continues without an await.
 */
export type AfterBatch = (result: BatchResult, size: number, accuracyUnits: number) => boolean | Promise<boolean>;

/**
 * Given the validation data's accuracy units (1: rows scored as classes), the visitor that
 * sees its output and target rows (validation metrics), or undefined.
 */
export type VisitorFor = (accuracyUnits: number) => RowsVisitor | undefined;

/** Evaluates validation data that is not loaded with the training data; `visit` sees its rows. */
export type ValidateWith = (visit: RowsVisitor | undefined) => Promise<EvaluateResult | undefined>;

/** One epoch's batches, and the validation data's loss and accuracy. */
export interface TrainingPasses {
  /** Batches per epoch; 0 while unknown (a stream of unknown length, before its first pass ends). */
  readonly batches: number;
  /** The training data's accuracy units (0: no accuracy; 1: rows scored as classes); undefined until a stream's first chunk. */
  readonly accuracyUnits: number | undefined;
  /** The validation data's accuracy units when it is known before training (validation data loaded with the training data). */
  readonly validationAccuracyUnits: number | undefined;
  /** Runs the batches of (global, 0-based) epoch `epoch` in order until one's afterBatch says stop. */
  run(epoch: number, afterBatch: AfterBatch): Promise<void>;
  /** Loss and accuracy on the validation data, when there is any; `visitorFor` gives the visitor of its rows. */
  validate(visitorFor?: VisitorFor): EvaluateResult | undefined | Promise<EvaluateResult | undefined>;
}

/**
 * Data in memory: copied into the model's memory once (with the validation set, when it is
 * a dataset, and the training rows' loss weights, when given) and reshuffled there every
 * epoch. `validation` may instead be the function that evaluates it (a stream), whose rows
 * are then scored as the training data's are (their accuracy units).
 */
export function memoryPasses(
  model: TrainableModel,
  train: Dataset,
  batchSize: number,
  shuffle: boolean,
  validation: Dataset | ValidateWith | undefined,
  weights?: Float32Array,
  augment?: AugmentOptions,
): TrainingPasses {
  model.ensureCapacity(Math.min(batchSize, train.count));
  const withValidation = validation !== undefined && typeof validation !== 'function';
  const [loadedTrain, loadedValidation] = model.loadData(withValidation ? [train, validation] : [train], true, weights);
  const batches = Math.ceil(train.count / batchSize);
  return {
    batches,
    accuracyUnits: loadedTrain.accuracyUnits,
    validationAccuracyUnits: loadedValidation?.accuracyUnits,
    async run(epoch, afterBatch) {
      if (shuffle) model.shuffle(loadedTrain, epoch);
      // fit's augment: the shifted copy is made inside the epoch, so its time counts in the epoch's seconds.
      if (augment) model.shiftInputs(loadedTrain, augment, epoch);
      for (let b = 0; b < batches; b++) {
        const offset = b * batchSize;
        const size = Math.min(batchSize, train.count - offset);
        const stop = afterBatch(model.trainBatch(loadedTrain, offset, size), size, loadedTrain.accuracyUnits);
        if (stop === true || (stop !== false && (await stop))) return;
      }
    },
    validate: (visitorFor) => {
      if (typeof validation === 'function') return validation(visitorFor?.(loadedTrain.accuracyUnits));
      return loadedValidation
        ? model.evaluateLoaded(loadedValidation, visitorFor?.(loadedValidation.accuracyUnits))
        : undefined;
    },
  };
}
