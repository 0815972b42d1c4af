/**
 * The types training shares: the options and logs of fit (used by fit, the
 * schedules and callbacks), and TrainableModel, the one interface fit needs from a
 * model (src/model/engine.ts implements it).
 */
import type { Dataset } from '../data/dataset.js';
import type { DatasetLike } from '../model/dataset-check.js';
import type { AugmentOptions } from './augment.js';
import type { StreamInput } from '../data/source.js';
import type { MetricSpec, PerClassMetrics } from './metrics.js';
import type { ClassWeight } from './weights.js';

/**
 * A metric of the {@link EpochLog} that early stopping and the `'plateau'` schedule can
 * watch: the training `'loss'` / `'accuracy'`, or `'valLoss'` / `'valAccuracy'` on the
 * validation data. Losses improve downwards, accuracies upwards.
 */
export type MetricName = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';

/** What one epoch of {@link Model.fit} measured; {@link History.epochs} holds one per epoch. */
export interface EpochLog {
  /** 1-based, counted over the model's life (resumed training continues the count). */
  epoch: number;
  /** Mean training loss over the epoch's rows, as measured while training (weights changing). */
  loss: number;
  /**
   * Training accuracy in [0, 1], when defined: the fraction of rows whose argmax matches
   * the label (labels, or one-hot targets with a softmax output), or of outputs on the
   * right side of 0.5 (a sigmoid output with binary cross-entropy).
   */
  accuracy?: number;
  /** Mean loss on the validation data after the epoch (with `validationData` or `validationSplit`). */
  valLoss?: number;
  /** Accuracy in [0, 1] on the validation data after the epoch, when defined (as for `accuracy`). */
  valAccuracy?: number;
  /** The learning rate this epoch trained at (after any schedule). */
  learningRate: number;
  /** Mean over the epoch's batches of the gradient's global L2 norm (when tracked). */
  gradNorm?: number;
  /** Wall-clock time of the epoch's training batches, in seconds (validation excluded). */
  seconds: number;
  /** Training rows processed per second of `seconds`. */
  samplesPerSec: number;
  /** Set when training stopped inside this epoch: its numbers cover the batches run. */
  partial?: boolean;
  /**
   * Macro precision on the training rows (over the epoch's batches), when requested in
   * FitOptions.metrics; the `val…` fields are the same metrics on the validation data.
   */
  precision?: number;
  /** Macro recall over the classes, when requested. */
  recall?: number;
  /** Macro F1 over the classes, when requested. */
  f1?: number;
  /** Mean absolute error (regression, in the model's output units), when requested. */
  mae?: number;
  /** Root mean squared error (regression), when requested. */
  rmse?: number;
  /** Coefficient of determination R² (regression), when requested. */
  r2?: number;
  /** The macro precision on the validation data, when requested. */
  valPrecision?: number;
  /** The macro recall on the validation data, when requested. */
  valRecall?: number;
  /** The macro F1 on the validation data, when requested. */
  valF1?: number;
  /** The mean absolute error on the validation data, when requested. */
  valMae?: number;
  /** The root mean squared error on the validation data, when requested. */
  valRmse?: number;
  /** The R² on the validation data, when requested. */
  valR2?: number;
  /** topK metrics: 'top5', 'valTop5', ... */
  [topK: `top${number}` | `valTop${number}`]: number | undefined;
}

/** What one optimizer step measured; passed to {@link Callbacks.onBatchEnd}. */
export interface BatchLog {
  /** The epoch this batch belongs to, 1-based over the model's life (as {@link EpochLog.epoch}). */
  epoch: number;
  /** 0-based within the epoch. */
  batch: number;
  /** Batches in the epoch: ⌈rows / batchSize⌉; 0 while unknown (a stream of unknown length, in its first epoch). */
  batches: number;
  /** Rows in this batch (the last batch of an epoch may be smaller than `batchSize`). */
  size: number;
  /** Mean loss over the batch's rows, before the step's update. */
  loss: number;
  /** The batch's accuracy in [0, 1], when defined (see {@link EpochLog.accuracy}). */
  accuracy?: number;
  /** The gradient's global L2 norm before clipping, when tracked (`trackGradNorm`, `minGradNorm`). */
  gradNorm?: number;
}

/**
 * What a callback returns: `false` or `'stop'` (or a Promise of either) stops training
 * after the current batch or epoch; anything else (`undefined`, `true`) continues.
 */
export type CallbackResult = void | boolean | 'stop' | Promise<void | boolean | 'stop'>;

/**
 * Functions {@link Model.fit} calls as training runs. Each may be async: fit awaits it
 * before going on. The model can be used from a callback (`predict`, `evaluate`), but
 * not trained again.
 *
 * @example
 * ```ts
 * await model.fit(data, {
 *   epochs: 20,
 *   callbacks: {
 *     onEpochEnd: (log) => {
 *       console.log(log.epoch, log.loss.toFixed(4));
 *       if (log.loss < 0.01) return 'stop';
 *     },
 *   },
 * });
 * ```
 */
export interface Callbacks {
  /** After every optimizer step; return `false` or `'stop'` to stop after this batch (the epoch is then partial). */
  onBatchEnd?(log: BatchLog): CallbackResult;
  /** After every epoch (and its validation); return `false` or `'stop'` to stop training. */
  onEpochEnd?(log: EpochLog): CallbackResult;
  /** Once, when training ends for any reason, with the history fit is about to return. */
  onTrainEnd?(history: History): void | Promise<void>;
}

/**
 * Stop training when a metric stops improving. `earlyStopping: true` in
 * {@link FitOptions} takes every default.
 */
export interface EarlyStoppingOptions {
  /** The metric to watch. Default `'valLoss'` when fit has validation data, else `'loss'`. */
  monitor?: MetricName;
  /** Epochs in a row without improvement before stopping. An integer ≥ 0; default 5. */
  patience?: number;
  /** Smallest change of the metric that counts as an improvement (in the metric's units). ≥ 0; default 0. */
  minDelta?: number;
  /** When early stopping ends training, put back the weights of the best epoch. Default true. */
  restoreBestWeights?: boolean;
}

/**
 * Options of {@link Model.fit}. All are optional; an unknown key is an Error.
 *
 * @example
 * ```ts
 * const history = await model.fit(train, {
 *   epochs: 10,
 *   batchSize: 64,
 *   validationSplit: 0.1,
 *   earlyStopping: { patience: 3 },
 *   schedule: { type: 'step', stepSize: 5, gamma: 0.5 },
 * });
 * ```
 */
export interface FitOptions {
  /** Passes over the training data. An integer ≥ 0 (0 trains nothing); default 1. */
  epochs?: number;
  /** Rows per optimizer step. An integer ≥ 1; default 32. The last batch of an epoch holds the remainder. */
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
   * Rows to evaluate after every epoch (`valLoss`, `valAccuracy`); not trained on. A dataset,
   * or a stream (read once per epoch, so re-iterable when epochs > 1). Default: none.
   */
  validationData?: DatasetLike | StreamInput;
  /**
   * Fraction in (0, 1) of the training rows to hold out as validation data instead:
   * the LAST rows, taken before any shuffling (as Keras does), so shuffle the data
   * first if its order is meaningful. Not together with validationData. Default: none.
   */
  validationSplit?: number;
  /** Functions called after each batch, each epoch and at the end. Default: none. */
  callbacks?: Callbacks;
  /** Stop when a metric stops improving: `true` for the defaults, or options. Default false (off). */
  earlyStopping?: EarlyStoppingOptions | boolean;
  /** How the learning rate changes over epochs. Default: none (the optimizer's rate throughout). */
  schedule?: ScheduleConfig;
  /**
   * Stop when an epoch's mean gradient L2 norm falls below this (a convergence test;
   * turns on gradient-norm tracking). A number ≥ 0; default: off.
   */
  minGradNorm?: number;
  /** Compute the gradient norm every batch (`gradNorm` in the logs) even without `minGradNorm`. Default false. */
  trackGradNorm?: boolean;
  /** Longest stretch of synchronous training between event-loop turns, in milliseconds. Default 16. */
  yieldEveryMs?: number;
  /** Random pixel shifts of image rows before every epoch (see {@link AugmentOptions}). Default: none. */
  augment?: AugmentOptions;
  /**
   * Metrics to compute every epoch, on the training rows and on validation data, into the
   * epoch logs (log.precision, log.valPrecision, log.top5, ...); see train/metrics.ts.
   */
  metrics?: MetricSpec[];
  /** 0: silent (default); 1 or 2: one line per epoch on the console (console.log). */
  verbose?: 0 | 1 | 2;
  /**
   * Loss weight per class, keyed by class value ({ 1: 5, 3: 0.5 }; unlisted classes weigh 1),
   * or 'balanced' (n / (k · n_c) over the training rows, as scikit-learn). Needs labels, and
   * training data in memory (streamed training data rejects it).
   */
  classWeight?: ClassWeight;
  /**
   * Loss weight per row of the data given to fit (before validationSplit), ≥ 0. With
   * classWeight, a row weighs sampleWeight[i] · classWeight[label_i]. The batch loss is the
   * mean over its rows of w_i · loss_i (Keras' normalisation, not divided by Σ w_i);
   * validation loss and metrics are unweighted. Training data in memory only (streamed
   * training data rejects it).
   */
  sampleWeight?: Float32Array | ArrayLike<number>;
}

/**
 * Why {@link Model.fit} returned: `'completed'` (every epoch ran), `'earlyStopping'`,
 * `'callback'` (a callback returned `false` or `'stop'`), `'minGradNorm'` (the gradient
 * norm fell below `minGradNorm`), or `'nonFiniteLoss'` (a batch's loss was NaN or ±Infinity:
 * lower the learning rate, or check the data).
 */
export type StopReason = 'completed' | 'earlyStopping' | 'callback' | 'minGradNorm' | 'nonFiniteLoss';

/** What {@link Model.fit} returns. */
export interface History {
  /** One log per epoch run, in order (the last one `partial` if training stopped inside it). */
  epochs: EpochLog[];
  /** Why training ended. */
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
  rolledBackTo?: {
    /** The epoch whose start (or end, for the best epoch) the state came from. */
    epoch: number;
    /** The batch within that epoch (0: its start). */
    batch: number;
  };
}

/**
 * A learning-rate schedule for {@link FitOptions.schedule}. With `lr₀` the optimizer's
 * configured learning rate and `e` the 0-based epoch counted over the model's life:
 *
 * - `{ type: 'step', stepSize, gamma }`: lr = lr₀ · gamma^⌊e / stepSize⌋.
 * - `{ type: 'exponential', gamma }`: lr = lr₀ · gamma^e.
 * - `{ type: 'plateau', ... }`: multiply the rate by `factor` when the monitored metric
 *   has not improved for `patience` epochs (Keras' ReduceLROnPlateau).
 * - a function `(epoch, learningRate) => number`: called before each epoch with `e` and
 *   the rate in force; returns the rate for the epoch (a number > 0).
 *
 * @example
 * ```ts
 * await model.fit(data, { epochs: 30, schedule: { type: 'step', stepSize: 10, gamma: 0.1 } });
 * await model.fit(data, { epochs: 30, schedule: (epoch) => 0.01 / (1 + epoch) });
 * ```
 */
export type ScheduleConfig =
  | {
      /** Step decay. */
      type: 'step';
      /** Epochs between decays. An integer ≥ 1. */
      stepSize: number;
      /** Factor applied every `stepSize` epochs. A number > 0; default 0.1. */
      gamma?: number;
    }
  | {
      /** Exponential decay. */
      type: 'exponential';
      /** Factor applied every epoch. A number > 0 (below 1 to decay). */
      gamma: number;
    }
  | {
      /** Reduce on plateau. */
      type: 'plateau';
      /** Factor the rate is multiplied by on a plateau. In (0, 1); default 0.5. */
      factor?: number;
      /** Epochs in a row without improvement before reducing. An integer ≥ 0; default 2. */
      patience?: number;
      /** Smallest change of the metric that counts as an improvement. Default 1e-4. */
      minDelta?: number;
      /** The rate is never reduced below this. Default 0. */
      minLearningRate?: number;
      /** Epochs to wait after a reduction before watching again. Default 0. */
      cooldown?: number;
      /** The metric to watch. Default `'valLoss'` when fit has validation data, else `'loss'`. */
      monitor?: MetricName;
    }
  | ((epoch: number, learningRate: number) => number);

/** Where training stands ({@link Model.training}): saved with the model so training can resume exactly. */
export interface TrainingState {
  /** Epochs completed over the model's life. */
  epochs: number;
  /** Optimizer steps taken (Adam's t). */
  steps: number;
  /** The learning rate in force (schedules change it). */
  learningRate: number;
}

/** What {@link Model.evaluate} returns. */
export interface EvaluateResult {
  /** Mean loss over the rows. */
  loss: number;
  /** Fraction correct, when the data has labels or the loss is binary cross-entropy. */
  accuracy?: number;
  /** Requested metrics (evaluate's `metrics`; see train/metrics.ts). */
  precision?: number;
  /** Macro recall over the classes, when requested. */
  recall?: number;
  /** Macro F1 over the classes, when requested. */
  f1?: number;
  /** Mean absolute error (regression, in the model's output units), when requested. */
  mae?: number;
  /** Root mean squared error (regression), when requested. */
  rmse?: number;
  /** Coefficient of determination R² (regression), when requested. */
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
  /** Centered RMSprop's gradient average (only with that optimizer). */
  moment3?: Float32Array;
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
  /** Points loaded training data at its images shifted for a (global) epoch, seeded (fit's augment option). */
  shiftInputs(data: LoadedData, augment: AugmentOptions, epoch: number): void;
  /** Shuffles the row order of loaded training data for a (global) epoch, seeded. */
  shuffle(data: LoadedData, epoch: number): void;
  /** One optimizer step on rows order[offset .. offset+count). */
  trainBatch(data: LoadedData, offset: number, count: number): BatchResult;
  /** Mean loss and accuracy over loaded data; `visit` sees each slice's output and target rows. */
  evaluateLoaded(data: LoadedData, visit?: RowsVisitor): EvaluateResult;
  /** Mean loss and accuracy of a checked dataset, loaded after the data a fit holds (`visit`: as evaluateLoaded). */
  evaluate(data: Dataset, batchSize?: number, visit?: RowsVisitor): EvaluateResult;
  /** The seed of the shuffles (streams mix it with the epoch for their shuffle buffer). */
  readonly seed: number;
  /** Views of the last batch's output rows and target rows, [rows, outputSize] each. */
  batchRows(rows: number): { outputs: Float32Array; targets: Float32Array };
  snapshot(withMoments: boolean): ParameterSnapshot;
  restore(snapshot: ParameterSnapshot): void;
  /** Sets the optimizer's step counter (Adam's t). */
  setSteps(steps: number): void;
  /** The flat parameter buffer, as a view into the model's memory (read it before any other call). */
  parameters(): Float32Array;
}
