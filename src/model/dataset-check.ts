/**
 * Validation of user data against a model, before anything is copied or
 * trained: every problem is an Error naming it (shape, NaN, label range), and
 * neither the model nor the data has been touched when it is thrown.
 */
import type { Dataset, InputArray } from '../data/dataset.js';

/**
 * Data without the bookkeeping of a {@link Dataset}: arrays of rows, or flat typed arrays,
 * whose sizes are taken from the model. Give `labels` or `targets`, not both (neither for
 * {@link Model.predict}).
 *
 * @example
 * ```ts
 * await model.fit({ inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], labels: [0, 1, 1, 0] });
 * ```
 */
export interface DatasetLiteral {
  /** One array of `inputSize` numbers per row, or a flat Float32Array / Uint8Array of count · inputSize values. */
  inputs: ArrayLike<number>[] | InputArray;
  /** Class labels: values among the model's classes (integers or strings; see model/classes.ts). */
  labels?: ArrayLike<number> | readonly string[];
  /** Target rows of `outputSize` numbers, or a flat Float32Array of count · outputSize values. */
  targets?: ArrayLike<number>[] | Float32Array;
  /** Multiplies every input value when it is read (e.g. 1/255 for byte pixels). Default 1. */
  inputScale?: number;
}
/** What {@link Model.fit}, {@link Model.evaluate} and {@link Model.predict} accept: a {@link Dataset} or a {@link DatasetLiteral}. */
export type DatasetLike = Dataset | DatasetLiteral;

function rowsToFloat32(rows: ArrayLike<number>[], what: string): { data: Float32Array; width: number } {
  const width = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    if (row.length !== width)
      throw new Error(`simdnet: ${what} row ${r} has ${row.length} values, but row 0 has ${width}`);
    for (let j = 0; j < width; j++) data[r * width + j] = row[j];
  });
  return { data, width };
}

/** The Dataset form of `data`, with `inputSize` and `outputSize` filled in where they can be inferred. */
export function asDataset(data: DatasetLike, inputSize: number, outputSize: number, what = 'data'): Dataset {
  if (typeof data !== 'object' || data === null || !('inputs' in data))
    throw new Error('simdnet: data must be an object with inputs and labels or targets');
  if ('count' in data && typeof data.count === 'number') return data as Dataset;
  const literal = data as DatasetLiteral;
  let inputs: InputArray;
  let count: number;
  if (Array.isArray(literal.inputs)) {
    const { data: flat, width } = rowsToFloat32(literal.inputs, 'inputs');
    if (literal.inputs.length > 0 && width !== inputSize)
      throw new Error(`simdnet: inputs have ${width} features per sample but the model expects ${inputSize}`);
    inputs = flat;
    count = literal.inputs.length;
  } else if (literal.inputs instanceof Float32Array || literal.inputs instanceof Uint8Array) {
    inputs = literal.inputs;
    if (inputs.length % inputSize !== 0)
      throw new Error(
        `simdnet: inputs have ${inputs.length} values, not a multiple of the model's ${inputSize} inputs per sample`,
      );
    count = inputs.length / inputSize;
  } else {
    throw new Error('simdnet: inputs must be a Float32Array, a Uint8Array or an array of rows');
  }
  const dataset: Dataset = { count, inputSize, inputs, inputScale: literal.inputScale };
  if (literal.labels !== undefined) {
    const labels = literal.labels as ArrayLike<number>;
    // Check before converting: an Int32Array would silently turn 1.5 or NaN into a valid class.
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      if (!isClassIndex(label, outputSize)) throw labelError(what, i, label, outputSize);
    }
    dataset.labels = Int32Array.from(labels);
  }
  if (literal.targets !== undefined) {
    dataset.targets = Array.isArray(literal.targets)
      ? rowsToFloat32(literal.targets, 'targets').data
      : (literal.targets as Float32Array);
    dataset.targetSize = outputSize;
  }
  return dataset;
}

/** Classes a model with `outputSize` units predicts: one sigmoid unit means two (0 and 1). */
const classCount = (outputSize: number): number => (outputSize === 1 ? 2 : outputSize);

function isClassIndex(label: number, outputSize: number): boolean {
  return Number.isInteger(label) && label >= 0 && label < classCount(outputSize);
}

function labelError(what: string, index: number, label: number, outputSize: number): Error {
  return new Error(
    `simdnet: ${what}.labels[${index}] = ${label} is not a class index in 0..${classCount(outputSize) - 1} (the model has ${outputSize} output unit${outputSize === 1 ? '' : 's'})`,
  );
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

export interface CheckOptions {
  /** Whether labels/targets are required (fit, evaluate) or ignored (predict). */
  needTargets: boolean;
  /**
   * Whether to scan Float32 inputs for NaN/Infinity here (default true). False when the
   * caller scans them after copying them into the core (Model.predict, evaluate: far faster).
   */
  scanInputs?: boolean;
}

/** The error for a non-finite input value at flat index `index`. */
export function nonFiniteInputError(data: Dataset, index: number, what: string): Error {
  return new Error(
    `simdnet: ${what}.inputs contains ${data.inputs[index]} at sample ${Math.floor(index / data.inputSize)}, feature ${index % data.inputSize}`,
  );
}

/** Throws if `data` does not fit a model with these sizes. */
export function checkDataset(
  data: Dataset,
  inputSize: number,
  outputSize: number,
  { needTargets, scanInputs = true }: CheckOptions,
  what = 'data',
): void {
  const { count } = data;
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`simdnet: ${what}.count must be a non-negative integer, got ${count}`);
  if (count === 0) throw new Error(`simdnet: ${what} is empty (0 samples)`);
  if (data.inputSize !== inputSize)
    throw new Error(`simdnet: ${what} has ${data.inputSize} features per sample but the model expects ${inputSize}`);
  if (!(data.inputs instanceof Float32Array || data.inputs instanceof Uint8Array))
    throw new Error(`simdnet: ${what}.inputs must be a Float32Array or Uint8Array`);
  if (data.inputs.length !== count * inputSize) {
    throw new Error(
      `simdnet: ${what}.inputs has ${data.inputs.length} values, expected count × inputSize = ${count} × ${inputSize} = ${count * inputSize}`,
    );
  }
  const scale = data.inputScale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`simdnet: ${what}.inputScale must be a finite number, got ${scale}`);
  if (scanInputs && data.inputs instanceof Float32Array) {
    const bad = firstNonFinite(data.inputs);
    if (bad >= 0) throw nonFiniteInputError(data, bad, what);
  }
  if (!needTargets) return;
  if (data.labels && data.targets) throw new Error(`simdnet: ${what} has both labels and targets; give one`);
  if (data.labels) {
    if (data.labels.length !== count)
      throw new Error(`simdnet: ${what}.labels has ${data.labels.length} entries for ${count} samples`);
    for (let i = 0; i < count; i++) {
      if (!isClassIndex(data.labels[i], outputSize)) throw labelError(what, i, data.labels[i], outputSize);
    }
  } else if (data.targets) {
    if (data.targetSize !== undefined && data.targetSize !== outputSize) {
      throw new Error(`simdnet: ${what}.targetSize is ${data.targetSize} but the model has ${outputSize} outputs`);
    }
    if (data.targets.length !== count * outputSize) {
      throw new Error(
        `simdnet: ${what}.targets has ${data.targets.length} values, expected count × outputs = ${count} × ${outputSize} = ${count * outputSize}`,
      );
    }
    const bad = firstNonFinite(data.targets);
    if (bad >= 0)
      throw new Error(
        `simdnet: ${what}.targets contains ${data.targets[bad]} at sample ${Math.floor(bad / outputSize)}, output ${bad % outputSize}`,
      );
  } else {
    throw new Error(`simdnet: ${what} needs labels (class indices) or targets (float rows)`);
  }
}
