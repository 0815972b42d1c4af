/**
 * The types training shares: the options and logs of fit (used by fit, the
 * schedules and callbacks), and TrainableModel, the one interface fit needs from a
 * model (src/model/engine.ts implements it).
 */
import type { Dataset } from '../data/dataset.js';
import type { DatasetLike } from '../model/dataset-check.js';
import type { MetricSpec, PerClassMetrics } from './metrics.js';
import type { ClassWeight } from './weights.js';

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
  /** FitOptions.metrics on the training rows (over the epoch's batches) and on validation data. */
  precision?: number;
  recall?: number;
  f1?: number;
  mae?: number;
  rmse?: number;
  r2?: number;
  valPrecision?: number;
  valRecall?: number;
  valF1?: number;
  valMae?: number;
  valRmse?: number;
  valR2?: number;
  /** topK metrics: 'top5', 'valTop5', ... */
  [topK: `top${number}` | `valTop${number}`]: number | undefined;
}

export interface BatchLog {
  epoch: number;
  /** 0-based within the epoch. */
  batch: number;
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
  /** Reshuffle rows every epoch (seeded by the model's seed and the epoch). Default true. */
  shuffle?: boolean;
  /** Rows to evaluate after every epoch (valLoss, valAccuracy); not trained on. */
  validationData?: DatasetLike;
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
  /**
   * Metrics to compute every epoch, on the training rows and on validation data, into the
   * epoch logs (log.precision, log.valPrecision, log.top5, ...); see train/metrics.ts.
   */
  metrics?: MetricSpec[];
  /** 0: silent (default); 1 or 2: one line per epoch on the console (console.log). */
  verbose?: 0 | 1 | 2;
  /**
   * Loss weight per class, keyed by class value ({ 1: 5, 3: 0.5 }; unlisted classes weigh 1),
   * or 'balanced' (n / (k · n_c) over the training rows, as scikit-learn). Needs labels.
   */
  classWeight?: ClassWeight;
  /**
   * Loss weight per row of the data given to fit (before validationSplit), ≥ 0. With
   * classWeight, a row weighs sampleWeight[i] · classWeight[label_i]. The batch loss is the
   * mean over its rows of w_i · loss_i (Keras' normalisation, not divided by Σ w_i);
   * validation loss and metrics are unweighted.
   */
  sampleWeight?: Float32Array | ArrayLike<number>;
}

export type StopReason = 'completed' | 'earlyStopping' | 'callback' | 'minGradNorm' | 'nonFiniteLoss';

export interface History {
  epochs: EpochLog[];
  stopReason: StopReason;
  /** With early stopping: the epoch whose weights the model holds (if restored) or the best seen. */
  bestEpoch?: number;
  /**
   * Set when training diverged (stopReason 'nonFiniteLoss'): the model's weights, optimizer
   * state, step counter and learning rate were put back to those it had after `epoch` whole
   * epochs (global count; 0 = before any training) and `batch` more batches (always 0: the
   * copies are taken at epoch starts). With early stopping's restoreBestWeights this is the
   * best epoch's state.
   */
  rolledBackTo?: { epoch: number; batch: number };
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
  /** Requested metrics (evaluate's `metrics`; see train/metrics.ts). */
  precision?: number;
  recall?: number;
  f1?: number;
  mae?: number;
  rmse?: number;
  r2?: number;
  [topK: `top${number}`]: number | undefined;
  /**
   * Classification with `metrics`: confusionMatrix[t][p] counts rows of true class t
   * predicted as p, in class order (the model's classes, output-unit order).
   */
  confusionMatrix?: number[][];
  /** Classification with `metrics`: precision, recall, f1 and support of each class, in class order. */
  perClass?: PerClassMetrics;
  /** The class values the matrix's rows and columns stand for. */
  classes?: readonly number[] | readonly string[];
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

/** Sees `rows` rows of outputs and targets ([rows, outputSize] views, valid during the call). */
export type RowsVisitor = (outputs: Float32Array, targets: Float32Array, rows: number) => void;

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
  /** Copies checked datasets into memory (the first with a row order when `withOrder`, and row weights when given). */
  loadData(datasets: Dataset[], withOrder: boolean, weights?: Float32Array): LoadedData[];
  /** The class values output units stand for, once fixed (classWeight is keyed by them). */
  readonly classes?: readonly number[] | readonly string[];
  setTrackGradNorm(track: boolean): void;
  /** Shuffles the row order of loaded training data for a (global) epoch, seeded. */
  shuffle(data: LoadedData, epoch: number): void;
  /** One optimizer step on rows order[offset .. offset+count). */
  trainBatch(data: LoadedData, offset: number, count: number): BatchResult;
  /** Mean loss and accuracy over loaded data; `visit` sees each slice's output and target rows. */
  evaluateLoaded(data: LoadedData, visit?: RowsVisitor): EvaluateResult;
  /** Views of the last batch's output rows and target rows, [rows, outputSize] each. */
  batchRows(rows: number): { outputs: Float32Array; targets: Float32Array };
  snapshot(withMoments: boolean): ParameterSnapshot;
  restore(snapshot: ParameterSnapshot): void;
  /** Sets the optimizer's step counter (Adam's t). */
  setSteps(steps: number): void;
  /** The flat parameter buffer, as a view into the model's memory (read it before any other call). */
  parameters(): Float32Array;
}
