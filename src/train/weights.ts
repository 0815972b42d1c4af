/**
 * Per-row loss weights for fit: sampleWeight (one per row) times classWeight (one per
 * class, keyed by class value, or 'balanced'). The core scales each row's loss and δ by
 * its weight, and the batch loss is Keras' mean over the batch's rows of w_i · loss_i
 * (not divided by Σ w_i): with integer weights a batch's gradient is the gradient of the
 * batch with rows repeated w_i times, times (rows repeated) / (rows).
 *
 *   classWeight 'balanced'   w_c = n / (k · n_c) over the training rows (scikit-learn's
 *                            compute_class_weight: k = classes present, n_c their counts)
 *   classWeight { value: w } classes not listed weigh 1 (as Keras)
 */
import type { Dataset } from '../data/dataset.js';

/** FitOptions.classWeight: a weight per class value, or 'balanced'. */
export type ClassWeight = 'balanced' | Readonly<Record<string | number, number>>;

function checkWeight(value: unknown, what: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0))
    throw new Error(`simdnet: ${what} must be a finite number ≥ 0, got ${String(value)}`);
  return value;
}

/** The weight of each output unit's class, from `classWeight` (units in class order). */
export function unitWeights(
  classWeight: ClassWeight,
  labels: ArrayLike<number>,
  classes: readonly (number | string)[],
): Float64Array {
  const k = classes.length;
  const weights = new Float64Array(k).fill(1);
  if (classWeight === 'balanced') {
    const counts = new Float64Array(k);
    for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
    const present = counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
    for (let c = 0; c < k; c++) if (counts[c] > 0) weights[c] = labels.length / (present * counts[c]);
    return weights;
  }
  if (typeof classWeight !== 'object' || classWeight === null || Array.isArray(classWeight))
    throw new Error(
      `simdnet: classWeight must be 'balanced' or an object { classValue: weight }, got ${String(classWeight)}`,
    );
  for (const [key, value] of Object.entries(classWeight)) {
    const unit = classes.findIndex((c) => String(c) === key);
    if (unit < 0)
      throw new Error(
        `simdnet: classWeight names class ${JSON.stringify(key)}, which is not one of the model's classes (${classes.join(', ')})`,
      );
    weights[unit] = checkWeight(value, `classWeight[${JSON.stringify(key)}]`);
  }
  return weights;
}

/**
 * The per-row weights of the training rows (`train`, labels as unit indices), or undefined
 * when neither option is given. `sampleWeight` has one value per row of the data given to
 * fit (`givenCount`); the training rows are its first train.count (validationSplit holds
 * out the last rows).
 */
export function rowWeights(
  train: Dataset,
  givenCount: number,
  classes: readonly (number | string)[] | undefined,
  classWeight: ClassWeight | undefined,
  sampleWeight: ArrayLike<number> | undefined,
): Float32Array | undefined {
  if (classWeight === undefined && sampleWeight === undefined) return undefined;
  const weights = new Float32Array(train.count).fill(1);
  if (sampleWeight !== undefined) {
    if (typeof sampleWeight !== 'object' || sampleWeight === null || typeof sampleWeight.length !== 'number')
      throw new Error('simdnet: sampleWeight must be an array of numbers, one per row');
    if (sampleWeight.length !== givenCount)
      throw new Error(`simdnet: sampleWeight has ${sampleWeight.length} values for ${givenCount} rows`);
    for (let i = 0; i < train.count; i++) weights[i] = checkWeight(sampleWeight[i], `sampleWeight[${i}]`);
  }
  if (classWeight !== undefined) {
    if (!train.labels || !classes) throw new Error('simdnet: classWeight needs class labels (the data has targets)');
    const byUnit = unitWeights(classWeight, train.labels, classes);
    for (let i = 0; i < train.count; i++) weights[i] *= byUnit[train.labels[i]];
  }
  return weights;
}
