/**
 * The training loop: epochs of shuffled mini-batches, one WebAssembly call per
 * batch, with validation, metrics, callbacks, learning-rate schedules, early
 * stopping and a gradient-norm stopping rule. Async: it yields to the event
 * loop every `yieldEveryMs` so pages stay responsive and callbacks can stop it.
 */
import type { Dataset } from '../data/dataset.js';
import { asDataset, checkDataset, type DatasetLike } from '../model/dataset-check.js';
import { sliceRows } from '../data/rows.js';
import { checkOptionKeys, keysOf } from '../options.js';
import { checkAugment } from './augment.js';
import {
  captureTraining,
  DivergenceGuard,
  parametersFinite,
  restoreTraining,
  type TrainingSnapshot,
} from './rollback.js';
import { type Metric, MetricAccumulator, parseMetrics, validationKey } from './metrics.js';
import { ImprovementTracker, makeScheduler } from './schedules.js';
import type {
  BatchLog,
  Callbacks,
  EarlyStoppingOptions,
  EpochLog,
  FitOptions,
  History,
  MetricName,
  ParameterSnapshot,
  TrainableModel,
} from './types.js';
import { rowWeights } from './weights.js';
import { makeYielder } from './yield.js';
import { isStreamInput, type StreamInput } from '../data/source.js';
import { prepareStreams } from './stream.js';
import { type AfterBatch, memoryPasses, type TrainingPasses } from './passes.js';

export type {
  BatchLog,
  Callbacks,
  EarlyStoppingOptions,
  EpochLog,
  FitOptions,
  History,
  MetricName,
  StopReason,
} from './types.js';

const stops = (result: void | boolean | 'stop'): boolean => result === false || result === 'stop';
const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new Error(`simdnet: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

const FIT_KEYS = keysOf<FitOptions>({
  epochs: true,
  batchSize: true,
  shuffle: true,
  validationData: true,
  validationSplit: true,
  callbacks: true,
  earlyStopping: true,
  schedule: true,
  minGradNorm: true,
  trackGradNorm: true,
  yieldEveryMs: true,
  augment: true,
  metrics: true,
  verbose: true,
  classWeight: true,
  sampleWeight: true,
  shuffleBuffer: true,
  chunkRows: true,
});
const EARLY_STOPPING_KEYS = keysOf<EarlyStoppingOptions>({
  monitor: true,
  patience: true,
  minDelta: true,
  restoreBestWeights: true,
});
const CALLBACK_KEYS = keysOf<Callbacks>({ onBatchEnd: true, onEpochEnd: true, onTrainEnd: true });

/**
 * Keras's validation_split: training keeps rows [0, ⌊count · (1 - split)⌋) and validation
 * the rest, in their given order.
 */
function splitLastRows(data: Dataset, split: number): [Dataset, Dataset] {
  if (!(typeof split === 'number' && split > 0 && split < 1))
    throw new Error(`simdnet: validationSplit must be a number in (0, 1), got ${String(split)}`);
  const trainRows = Math.floor(data.count * (1 - split));
  if (trainRows < 1 || trainRows >= data.count)
    throw new Error(
      `simdnet: validationSplit ${split} of ${data.count} rows leaves no ${trainRows < 1 ? 'training' : 'validation'} rows`,
    );
  return [sliceRows(data, 0, trainRows), sliceRows(data, trainRows, data.count - trainRows)];
}

/** Trains `model` on `data` (see FitOptions); the caller releases the data afterwards. */
export async function fit(
  model: TrainableModel,
  data: DatasetLike | StreamInput,
  options: FitOptions,
): Promise<History> {
  // --- validate everything before touching the model --------------------------
  checkOptionKeys(options, FIT_KEYS, 'fit');
  if (typeof options.earlyStopping === 'object')
    checkOptionKeys(options.earlyStopping, EARLY_STOPPING_KEYS, 'earlyStopping');
  checkOptionKeys(options.callbacks, CALLBACK_KEYS, 'callbacks');
  const epochs =
    options.epochs === undefined ? 1 : options.epochs === 0 ? 0 : positiveInteger(options.epochs, 'epochs');
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize');
  const streaming = isStreamInput(data) || isStreamInput(options.validationData);
  let train: Dataset | undefined;
  let validation: Dataset | undefined;
  let prepared: ((batchSize: number) => TrainingPasses) | undefined;
  let weights: Float32Array | undefined;
  if (streaming) {
    if (options.validationSplit !== undefined)
      throw new Error(
        'simdnet: validationSplit needs training data in memory; give validationData (which may be a stream) instead',
      );
    prepared = prepareStreams(model, data, options, epochs);
  } else {
    for (const key of ['shuffleBuffer', 'chunkRows'] as const)
      if (options[key] !== undefined) throw new Error(`simdnet: ${key} applies to streamed data only`);
    const given: Dataset = asDataset(data as DatasetLike, model.inputSize, model.outputSize, 'training data');
    checkDataset(given, model.inputSize, model.outputSize, { needTargets: true }, 'training data');
    train = given;
    validation =
      options.validationData === undefined
        ? undefined
        : asDataset(options.validationData as DatasetLike, model.inputSize, model.outputSize, 'validationData');
    if (validation)
      checkDataset(validation, model.inputSize, model.outputSize, { needTargets: true }, 'validationData');
    if (options.validationSplit !== undefined) {
      if (validation) throw new Error('simdnet: give validationData or validationSplit, not both');
      [train, validation] = splitLastRows(given, options.validationSplit);
    }
    weights = rowWeights(train, given.count, model.classes, options.classWeight, options.sampleWeight);
  }
  const hasValidation = options.validationData !== undefined || validation !== undefined;
  const defaultMonitor: MetricName = hasValidation ? 'valLoss' : 'loss';
  const scheduler = makeScheduler(options.schedule, model.optimizer.learningRate, defaultMonitor);
  const early = options.earlyStopping
    ? {
        monitor: defaultMonitor,
        patience: 5,
        minDelta: 0,
        restoreBestWeights: true,
        ...(options.earlyStopping === true ? {} : options.earlyStopping),
      }
    : undefined;
  if (early && !(Number.isInteger(early.patience) && early.patience >= 0))
    throw new Error(`simdnet: earlyStopping.patience must be a non-negative integer, got ${early.patience}`);
  const minGradNorm = options.minGradNorm;
  if (minGradNorm !== undefined && !(Number.isFinite(minGradNorm) && minGradNorm >= 0))
    throw new Error(`simdnet: minGradNorm must be a non-negative number, got ${minGradNorm}`);
  const yieldEveryMs = options.yieldEveryMs ?? 16;
  const callbacks = options.callbacks ?? {};
  const trackNorm = minGradNorm !== undefined || Boolean(options.trackGradNorm);
  const augment = checkAugment(options.augment, model.inputSize);
  if (augment && prepared) throw new Error('simdnet: augment needs training data in memory, not a stream');
  const metrics = parseMetrics(options.metrics);
  const verbose = options.verbose ?? 0;
  if (!(verbose === 0 || verbose === 1 || verbose === 2))
    throw new Error(`simdnet: verbose must be 0, 1 or 2, got ${String(verbose)}`);

  // --- the data: in memory (copied once) or streamed (chunk by chunk) ---------------
  const passes = prepared
    ? prepared(batchSize)
    : memoryPasses(model, train as Dataset, batchSize, options.shuffle ?? true, validation, weights, augment);
  model.setTrackGradNorm(trackNorm);
  const tracker = early ? new ImprovementTracker(early.monitor, early.minDelta) : undefined;
  let best: ParameterSnapshot | undefined;
  /** The best epoch's whole training state, for a rollback with restoreBestWeights. */
  let bestTraining: TrainingSnapshot | undefined;
  const guard = new DivergenceGuard();
  /** Puts back the last finite state after a non-finite loss at `batch` (-1: weights at an epoch's end). */
  const rollBack = (batch: number) => {
    const target = early?.restoreBestWeights && bestTraining ? bestTraining : guard.target(batch);
    restoreTraining(model, target);
    history.stopReason = 'nonFiniteLoss';
    history.rolledBackTo = { epoch: target.epochs, batch: 0 };
  };
  const yieldToEventLoop = makeYielder();
  const history: History = { epochs: [], stopReason: 'completed' };
  // Rows are scored as classes when the core scores one unit per row (labels, softmax, one sigmoid).
  const accumulator = (units: number, what: string) =>
    metrics.length ? new MetricAccumulator(metrics, model.outputSize, units === 1, what) : undefined;
  // A metric that does not apply is an error before any training (a stream's: at its first chunk).
  if (passes.accuracyUnits !== undefined) accumulator(passes.accuracyUnits, 'the training data');
  if (passes.validationAccuracyUnits !== undefined) accumulator(passes.validationAccuracyUnits, 'the validation data');

  for (let e = 0; e < epochs; e++) {
    const epochIndex = model.training.epochs; // global, 0-based
    const learningRate = scheduler.before(epochIndex, model.training.learningRate);
    if (learningRate !== model.training.learningRate) model.setLearningRate(learningRate);
    guard.epochStart(model);

    const started = now();
    let lastYield = started;
    let lossSum = 0;
    let correct = 0;
    let normSum = 0;
    let stopRequested = false;
    let batchesRun = 0;
    /** The batch whose loss was non-finite, or -1. */
    let diverged = -1;
    let rolledBack = false;
    let trainMetrics: MetricAccumulator | undefined;
    let processed = 0;
    let accuracyDenominator = 0;
    const yieldIfDue = async (): Promise<boolean> => {
      if (now() - lastYield > yieldEveryMs) {
        await yieldToEventLoop();
        lastYield = now();
      }
      return false;
    };
    // After each batch: true stops the epoch; a promise only when a callback or a yield is due.
    const afterBatch: AfterBatch = (result, size, accuracyUnits) => {
      // The step left the batch's outputs and targets in memory: metrics read them there.
      if (metrics.length) {
        trainMetrics ??= accumulator(accuracyUnits, 'the training data');
        const rows = model.batchRows(size);
        trainMetrics!.add(rows.outputs, rows.targets, size);
      }
      lossSum += result.loss * size;
      correct += result.correct;
      normSum += result.gradNorm;
      batchesRun++;
      processed += size;
      accuracyDenominator = accuracyUnits;
      if (!Number.isFinite(result.loss)) {
        diverged = batchesRun - 1;
        stopRequested = true;
        return true;
      }
      if (callbacks.onBatchEnd) {
        const log: BatchLog = {
          epoch: epochIndex + 1,
          batch: batchesRun - 1,
          batches: passes.batches,
          size,
          loss: result.loss,
        };
        if (accuracyUnits > 0) log.accuracy = result.correct / (size * accuracyUnits);
        if (trackNorm) log.gradNorm = result.gradNorm;
        const onBatchEnd = callbacks.onBatchEnd;
        return (async () => {
          if (stops(await onBatchEnd(log))) {
            history.stopReason = 'callback';
            stopRequested = true;
            return true;
          }
          return yieldIfDue();
        })();
      }
      return now() - lastYield > yieldEveryMs ? yieldIfDue() : false;
    };
    await passes.run(epochIndex, afterBatch);
    if (processed === 0) throw new Error('simdnet: training data is empty (the stream gave 0 rows)');
    const seconds = (now() - started) / 1000;
    // Weights can turn non-finite in an epoch's last update, with every loss finite.
    if (diverged < 0 && !stopRequested && !parametersFinite(model)) {
      stopRequested = true;
      rolledBack = true;
      rollBack(-1);
    } else if (diverged >= 0) {
      rolledBack = true;
      rollBack(diverged);
    }
    // Only a whole epoch counts toward the model's epochs (and the next epoch's shuffle).
    if (!stopRequested) model.training.epochs++;
    const log: EpochLog = {
      epoch: epochIndex + 1,
      loss: lossSum / processed,
      learningRate: model.training.learningRate,
      seconds,
      samplesPerSec: processed / seconds,
    };
    if (stopRequested) log.partial = true;
    if (accuracyDenominator > 0) log.accuracy = correct / (processed * accuracyDenominator);
    if (trackNorm) log.gradNorm = normSum / batchesRun;
    if (trainMetrics && !rolledBack) Object.assign(log, trainMetrics.values());
    let validationMetrics: MetricAccumulator | undefined;
    const result = rolledBack
      ? undefined
      : await passes.validate((units) => {
          validationMetrics = accumulator(units, 'the validation data');
          const visiting = validationMetrics;
          return visiting && ((outputs, targets, rows) => visiting.add(outputs, targets, rows));
        });
    if (result) {
      log.valLoss = result.loss;
      if (result.accuracy !== undefined) log.valAccuracy = result.accuracy;
      if (validationMetrics)
        for (const [key, value] of Object.entries(validationMetrics.values()))
          (log as unknown as Record<string, number>)[validationKey(key)] = value;
    }
    if (verbose) console.log(epochLine(log, metrics));
    history.epochs.push(log);
    if (stopRequested) break;

    if (callbacks.onEpochEnd && stops(await callbacks.onEpochEnd(log))) {
      history.stopReason = 'callback';
      break;
    }
    if (minGradNorm !== undefined && log.gradNorm! < minGradNorm) {
      history.stopReason = 'minGradNorm';
      break;
    }
    if (tracker && early) {
      if (tracker.observe(log)) {
        history.bestEpoch = log.epoch;
        if (early.restoreBestWeights) {
          bestTraining = captureTraining(model);
          best = { params: bestTraining.buffers.params };
        }
      } else if (tracker.wait >= early.patience) {
        history.stopReason = 'earlyStopping';
        break;
      }
    }
    const next = scheduler.after(log, model.training.learningRate);
    if (next !== model.training.learningRate) model.setLearningRate(next);
    await yieldToEventLoop();
  }
  if (history.stopReason === 'earlyStopping' && best) model.restore(best);
  await callbacks.onTrainEnd?.(history);
  return history;
}

/** One epoch as a console line: 'epoch 3 - 1.2s - loss 0.1234 - accuracy 0.9500 - valLoss ...'. */
export function epochLine(log: EpochLog, metrics: readonly Metric[]): string {
  const parts = [`epoch ${log.epoch}${log.partial ? ' (partial)' : ''}`, `${log.seconds.toFixed(1)}s`];
  const values = log as unknown as Record<string, number | undefined>;
  const keys = ['loss', 'accuracy', ...metrics.map((m) => m.key)];
  const shown = new Set<string>();
  for (const key of [...keys, ...keys.map(validationKey)]) {
    const v = values[key];
    if (v === undefined || shown.has(key)) continue;
    shown.add(key);
    parts.push(`${key} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`);
  }
  return parts.join(' - ');
}
