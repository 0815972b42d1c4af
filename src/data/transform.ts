/**
 * Dataset transforms. None of them mutates its input; every Dataset returned owns new arrays.
 *
 *   oneHot(labels, classes)              labels [count] -> Float32Array [count, classes]
 *   minMaxScaler(), standardScaler()     fit(train) learns per-feature statistics (f64);
 *                                        transform(any) -> Float32 inputs, inputScale 1
 *   trainValidationSplit(dataset, ...)   seeded random split into two Datasets
 *   subset(dataset, start, count)        consecutive samples
 *
 * Feature values are read as `inputs[i] * (inputScale ?? 1)`, so Uint8 pixel datasets with
 * inputScale 1/255 are scaled in the units the model would see.
 */

import type { Dataset, LabelArray } from './dataset.js';
import { checkDataset } from './dataset-checks.js';
import { randomPermutation, Xoshiro128StarStar } from './random.js';
import { copyRange, gatherRows, sliceRows } from './rows.js';

// --- one-hot -------------------------------------------------------------------------------

/**
 * One-hot rows: result[i * classes + labels[i]] = 1, all else 0.
 * Every label must be an integer in [0, classes).
 */
export function oneHot(labels: LabelArray | ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(`oneHot: classes must be a positive integer, got ${classes}`);
  }
  const encoded = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`oneHot: label ${label} at index ${i} is not an integer in [0, ${classes})`);
    }
    encoded[i * classes + label] = 1;
  }
  return encoded;
}

// --- scalers -------------------------------------------------------------------------------

/**
 * A per-feature affine map x' = x * multiplier[j] + addend[j], learned by `fit` from the
 * training set and applied by `transform` to any dataset with the same inputSize.
 */
export interface Scaler {
  /** Learns the per-feature statistics of `dataset` (the training set). Returns this scaler. */
  fit(dataset: Dataset): this;
  /** A new dataset: Float32 inputs scaled feature by feature, inputScale 1, labels/targets copied. */
  transform(dataset: Dataset): Dataset;
  /** Features the scaler was fitted on; undefined before fit. */
  readonly inputSize: number | undefined;
}

/** Feature `feature` of sample `row` in the units a model sees: the stored value times inputScale. */
function featureValue(dataset: Dataset, row: number, feature: number): number {
  return dataset.inputs[row * dataset.inputSize + feature] * (dataset.inputScale ?? 1);
}

function checkFitInput(dataset: Dataset, scalerName: string): void {
  checkDataset(dataset, `${scalerName}.fit`);
  if (dataset.count === 0) throw new RangeError(`${scalerName}.fit: the dataset has no samples`);
  for (let i = 0; i < dataset.inputs.length; i++) {
    const value = dataset.inputs[i];
    if (!Number.isFinite(value)) {
      const row = Math.floor(i / dataset.inputSize);
      throw new RangeError(`${scalerName}.fit: feature ${i % dataset.inputSize} of sample ${row} is ${value}`);
    }
  }
}

abstract class AffineScaler implements Scaler {
  protected multiplier: Float64Array | undefined;
  protected addend: Float64Array | undefined;
  protected abstract readonly name: string;

  get inputSize(): number | undefined {
    return this.multiplier?.length;
  }

  abstract fit(dataset: Dataset): this;

  transform(dataset: Dataset): Dataset {
    const { multiplier, addend } = this;
    if (!multiplier || !addend) throw new Error(`${this.name}.transform: call fit(trainingSet) first`);
    checkDataset(dataset, `${this.name}.transform`);
    const { count, inputSize, inputs } = dataset;
    if (inputSize !== multiplier.length) {
      throw new RangeError(
        `${this.name}.transform: the scaler was fitted on ${multiplier.length} features, the dataset has ${inputSize}`,
      );
    }
    const inputScale = dataset.inputScale ?? 1;
    const scaled = new Float32Array(count * inputSize);
    for (let row = 0; row < count; row++) {
      for (let feature = 0; feature < inputSize; feature++) {
        const at = row * inputSize + feature;
        scaled[at] = inputs[at] * inputScale * multiplier[feature] + addend[feature];
      }
    }
    const result: Dataset = { count, inputSize, inputs: scaled };
    if (dataset.labels) result.labels = copyRange(dataset.labels);
    if (dataset.targets) {
      result.targets = copyRange(dataset.targets);
      result.targetSize = dataset.targetSize;
    }
    return result;
  }
}

/** Options of {@link minMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Output range [low, high]: two finite numbers with low < high. Default [0, 1]. */
  range?: [number, number];
}

/**
 * Maps each feature's training [min, max] onto `range`:
 *   x' = low + (x - min) * (high - low) / (max - min)
 * A constant feature (max = min) maps to `low`.
 */
export class MinMaxScaler extends AffineScaler {
  protected readonly name = 'minMaxScaler';
  private readonly low: number;
  private readonly high: number;
  /** Per-feature training minimum (in the units the model sees); undefined before fit. */
  min: Float64Array | undefined;
  /** Per-feature training maximum (in the units the model sees); undefined before fit. */
  max: Float64Array | undefined;

  constructor(options: MinMaxScalerOptions = {}) {
    super();
    const [low, high] = options.range ?? [0, 1];
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
      throw new RangeError(
        `minMaxScaler: range must be two finite numbers [low, high] with low < high, got [${low}, ${high}]`,
      );
    }
    this.low = low;
    this.high = high;
  }

  /**
   * Learns each feature's minimum and maximum from `dataset` (the training set).
   *
   * @returns This scaler, ready to `transform`.
   * @throws RangeError on an empty dataset or a non-finite input value.
   */
  fit(dataset: Dataset): this {
    checkFitInput(dataset, this.name);
    const { count, inputSize } = dataset;
    const min = new Float64Array(inputSize).fill(Infinity);
    const max = new Float64Array(inputSize).fill(-Infinity);
    for (let row = 0; row < count; row++) {
      for (let feature = 0; feature < inputSize; feature++) {
        const value = featureValue(dataset, row, feature);
        if (value < min[feature]) min[feature] = value;
        if (value > max[feature]) max[feature] = value;
      }
    }
    const multiplier = new Float64Array(inputSize);
    const addend = new Float64Array(inputSize);
    for (let feature = 0; feature < inputSize; feature++) {
      const spread = max[feature] - min[feature];
      multiplier[feature] = spread > 0 ? (this.high - this.low) / spread : 0;
      addend[feature] = this.low - min[feature] * multiplier[feature];
    }
    this.min = min;
    this.max = max;
    this.multiplier = multiplier;
    this.addend = addend;
    return this;
  }
}

/**
 * Centres each feature on its training mean and divides by its training standard
 * deviation (population, i.e. divided by count):  x' = (x - mean) / std.
 * A constant feature (std = 0) maps to 0.
 */
export class StandardScaler extends AffineScaler {
  protected readonly name = 'standardScaler';
  /** Per-feature training mean (in the units the model sees); undefined before fit. */
  mean: Float64Array | undefined;
  /** Per-feature training standard deviation (population, divided by count); undefined before fit. */
  std: Float64Array | undefined;

  /**
   * Learns each feature's mean and standard deviation from `dataset` (the training set).
   *
   * @returns This scaler, ready to `transform`.
   * @throws RangeError on an empty dataset or a non-finite input value.
   */
  fit(dataset: Dataset): this {
    checkFitInput(dataset, this.name);
    const { count, inputSize } = dataset;
    const mean = new Float64Array(inputSize);
    for (let row = 0; row < count; row++) {
      for (let feature = 0; feature < inputSize; feature++) mean[feature] += featureValue(dataset, row, feature);
    }
    for (let feature = 0; feature < inputSize; feature++) mean[feature] /= count;

    // Second pass over deviations: no catastrophic cancellation for large-mean features.
    const variance = new Float64Array(inputSize);
    for (let row = 0; row < count; row++) {
      for (let feature = 0; feature < inputSize; feature++) {
        const deviation = featureValue(dataset, row, feature) - mean[feature];
        variance[feature] += deviation * deviation;
      }
    }
    const std = new Float64Array(inputSize);
    const multiplier = new Float64Array(inputSize);
    const addend = new Float64Array(inputSize);
    for (let feature = 0; feature < inputSize; feature++) {
      std[feature] = Math.sqrt(variance[feature] / count);
      multiplier[feature] = std[feature] > 0 ? 1 / std[feature] : 0;
      addend[feature] = -mean[feature] * multiplier[feature];
    }
    this.mean = mean;
    this.std = std;
    this.multiplier = multiplier;
    this.addend = addend;
    return this;
  }
}

/**
 * A scaler that maps each feature's training [min, max] onto `options.range` (default
 * [0, 1]). Fit it on the training set only, then transform every set with it.
 *
 * @example
 * ```ts
 * const scaler = minMaxScaler().fit(train);
 * const [trainScaled, testScaled] = [scaler.transform(train), scaler.transform(test)];
 * ```
 */
export function minMaxScaler(options?: MinMaxScalerOptions): MinMaxScaler {
  return new MinMaxScaler(options);
}

/**
 * A scaler that standardises each feature to zero mean and unit variance over the training
 * set: x' = (x - mean) / std. Fit it on the training set only, then transform every set with it.
 *
 * @example
 * ```ts
 * const scaler = standardScaler().fit(train);
 * const trainScaled = scaler.transform(train);
 * ```
 */
export function standardScaler(): StandardScaler {
  return new StandardScaler();
}

// --- splitting -------------------------------------------------------------------------------

/** Options of {@link trainValidationSplit}. */
export interface SplitOptions {
  /** Share of samples for validation, in (0, 1); the count is rounded to the nearest integer. */
  validationFraction: number;
  /** Integer in [0, 2^32); the same seed gives the same split in every engine. Default 0. */
  seed?: number;
}

/** The two disjoint parts {@link trainValidationSplit} returns, both copies. */
export interface TrainValidationSplit {
  /** The samples not chosen for validation, in their original relative order. */
  train: Dataset;
  /** ⌊count · validationFraction⌉ samples, in their original relative order. */
  validation: Dataset;
}

/**
 * Splits `dataset` at random into disjoint training and validation sets that together hold
 * every sample once. A seeded permutation (xoshiro128**) picks the validation samples; each
 * part keeps the samples in their original relative order. Both parts are copies.
 */
export function trainValidationSplit(dataset: Dataset, options: SplitOptions): TrainValidationSplit {
  checkDataset(dataset, 'trainValidationSplit');
  const { validationFraction, seed = 0 } = options ?? ({} as SplitOptions);
  if (typeof validationFraction !== 'number' || !(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError(`trainValidationSplit: validationFraction must be in (0, 1), got ${validationFraction}`);
  }
  const validationCount = Math.round(dataset.count * validationFraction);
  if (validationCount < 1 || validationCount > dataset.count - 1) {
    throw new RangeError(
      `trainValidationSplit: validationFraction ${validationFraction} of ${dataset.count} samples gives ` +
        `${validationCount} validation samples; both parts need at least one`,
    );
  }
  const order = randomPermutation(dataset.count, Xoshiro128StarStar.fromSeed(seed));
  const validationRows = order.slice(0, validationCount).sort();
  const trainRows = order.slice(validationCount).sort();
  return { train: gatherRows(dataset, trainRows), validation: gatherRows(dataset, validationRows) };
}

/** A copy of the `count` samples starting at sample `start`. */
export function subset(dataset: Dataset, start: number, count: number): Dataset {
  checkDataset(dataset, 'subset');
  if (!Number.isInteger(start) || start < 0)
    throw new RangeError(`subset: start must be a non-negative integer, got ${start}`);
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`subset: count must be a non-negative integer, got ${count}`);
  if (start + count > dataset.count) {
    throw new RangeError(`subset: samples [${start}, ${start + count}) exceed the dataset's ${dataset.count} samples`);
  }
  return sliceRows(dataset, start, count);
}
