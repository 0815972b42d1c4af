/**
 * The types training shares: the options and logs of fit (used by fit, the
 * schedules and callbacks), and TrainableModel, the one interface fit needs from a
 * model (src/model/engine.ts implements it).
 */
import type { Dataset } from '../data/dataset.js';
import type { DatasetLike } from '../model/dataset-check.js';
import type { StreamInput } from '../data/source.js';

export type MetricName = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';

export interface EpochLog {
  /** 1-based, counted over the model's life (resumed training continues the count). */
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  /** Mean over the epoch's batches of the gradient's global L2 norm (when tracked). */
  gradNorm?: number;
  seconds: number;
  samplesPerSec: number;
  /** Set when training stopped inside this epoch: its numbers cover the batches run. */
  partial?: boolean;
}

export interface BatchLog {
  epoch: number;
  /** 0-based within the epoch. */
  batch: number;
  /** Batches per epoch; 0 while unknown (a stream of unknown length, in its first epoch). */
  batches: number;
  size: number;
  loss: number;
  accuracy?: number;
  gradNorm?: number;
}

/** Return false (or 'stop') from a callback to stop training after the current batch/epoch. */
type CallbackResult = void | boolean | 'stop' | Promise<void | boolean | 'stop'>;

export interface Callbacks {
  onBatchEnd?(log: BatchLog): CallbackResult;
  onEpochEnd?(log: EpochLog): CallbackResult;
  onTrainEnd?(history: History): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  /** Default 'valLoss' with validation data, else 'loss'. */
  monitor?: MetricName;
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping. Default true. */
  restoreBestWeights?: boolean;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /**
   * Reshuffle rows every epoch (seeded by the model's seed and the epoch). Default true.
   * Data in memory gets a full permutation; a stream goes through a shuffle buffer
   * (`shuffleBuffer`); false reads a stream in its order.
   */
  shuffle?: boolean;
  /**
   * Streams only: rows held in the shuffle buffer (each row read takes the place of a row
   * drawn from the buffer, seeded by the model's seed and the epoch). Default 10,000. As
   * long as the stream, it gives a uniform permutation; memory grows with it.
   */
  shuffleBuffer?: number;
  /**
   * Streams only: rows copied into the model's memory at a time, rounded down to a multiple
   * of batchSize (at least one batch). Default: about 4 MiB of Float32 inputs.
   */
  chunkRows?: number;
  /**
   * Rows to evaluate after every epoch (valLoss, valAccuracy); not trained on. A dataset, or
   * a stream (read once per epoch, so re-iterable when epochs > 1).
   */
  validationData?: DatasetLike | StreamInput;
  /**
   * Fraction in (0, 1) of the training rows to hold out as validation data instead:
   * the LAST rows, taken before any shuffling (as Keras does), so shuffle the data
   * first if its order is meaningful. Not together with validationData.
   */
  validationSplit?: number;
  callbacks?: Callbacks;
  earlyStopping?: EarlyStoppingOptions | boolean;
  schedule?: ScheduleConfig;
  /** Stop when the epoch's mean gradient norm falls below this. */
  minGradNorm?: number;
  /** Compute the gradient norm every batch even without minGradNorm/clipping. */
  trackGradNorm?: boolean;
  /** Longest stretch of synchronous work between event-loop turns. Default 16 ms. */
  yieldEveryMs?: number;
}

export type StopReason = 'completed' | 'earlyStopping' | 'callback' | 'minGradNorm' | 'nonFiniteLoss';

export interface History {
  epochs: EpochLog[];
  stopReason: StopReason;
  /** With early stopping: the epoch whose weights the model holds (if restored) or the best seen. */
  bestEpoch?: number;
}

export type ScheduleConfig =
  | { type: 'step'; stepSize: number; gamma?: number }
  | { type: 'exponential'; gamma: number }
  | {
      type: 'plateau';
      factor?: number;
      patience?: number;
      minDelta?: number;
      minLearningRate?: number;
      cooldown?: number;
      monitor?: MetricName;
    }
  | ((epoch: number, learningRate: number) => number);

/** Where training stands: saved with the model so training can resume exactly. */
export interface TrainingState {
  /** Epochs completed over the model's life. */
  epochs: number;
  /** Optimizer steps taken (Adam's t). */
  steps: number;
  /** The learning rate in force (schedules change it). */
  learningRate: number;
}

/** What evaluate() returns. */
export interface EvaluateResult {
  /** Mean loss over the rows. */
  loss: number;
  /** Fraction correct, when the data has labels or the loss is binary cross-entropy. */
  accuracy?: number;
}

/** A dataset copied into the model's memory, with its descriptor. */
export interface LoadedData {
  /** Byte address of the core's dataset descriptor. */
  descriptor: number;
  count: number;
  /** Byte address of an Int32 row-order buffer [count] (training data only). */
  order: number;
  /** The core's accuracy kind for this data (ACCURACY_*). */
  accuracyKind: number;
  /** Outputs scored per row: 0 (no accuracy), 1 (argmax: one per row) or outputSize (threshold: each output). */
  accuracyUnits: number;
}

/** One optimizer step's results. */
export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Rows (argmax) or outputs (threshold) scored correct. */
  correct: number;
  /** The gradient's global L2 norm; -1 when the norm was not computed. */
  gradNorm: number;
}

/** Copies of the flat parameter buffer and, when asked for, the optimizer moments. */
export interface ParameterSnapshot {
  params: Float32Array;
  moment1?: Float32Array;
  moment2?: Float32Array;
}

/** What fit needs from a model: its shape, its training state, and the steps over data in its memory. */
export interface TrainableModel {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Mutable: fit counts whole epochs in it. */
  readonly training: TrainingState;
  /** The optimizer's configured learning rate (the schedules' base). */
  readonly optimizer: { readonly learningRate: number };
  setLearningRate(learningRate: number): void;
  /** Grows the row buffers to hold `rows` rows. */
  ensureCapacity(rows: number): void;
  /** Copies checked datasets into memory (the first with a row order when `withOrder`). */
  loadData(datasets: Dataset[], withOrder: boolean): LoadedData[];
  setTrackGradNorm(track: boolean): void;
  /** Shuffles the row order of loaded training data for a (global) epoch, seeded. */
  shuffle(data: LoadedData, epoch: number): void;
  /** One optimizer step on rows order[offset .. offset+count). */
  trainBatch(data: LoadedData, offset: number, count: number): BatchResult;
  /** Mean loss and accuracy over loaded data. */
  evaluateLoaded(data: LoadedData): EvaluateResult;
  /** Mean loss and accuracy of a checked dataset, loaded after the data a fit holds. */
  evaluate(data: Dataset, batchSize?: number): EvaluateResult;
  /** The seed of the shuffles (streams mix it with the epoch for their shuffle buffer). */
  readonly seed: number;
  snapshot(withMoments: boolean): ParameterSnapshot;
  restore(snapshot: ParameterSnapshot): void;
}
