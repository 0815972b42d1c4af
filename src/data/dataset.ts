/**
 * The one shape of data simdnet trains on: row-major samples in a typed array,
 * with either integer class labels or dense float targets.
 *
 *   inputs   [count, inputSize]   Float32Array, or Uint8Array scaled by inputScale
 *   labels   [count]              class indices 0..classes-1 (classification)
 *   targets  [count, targetSize]  float rows (regression, multi-label, soft labels)
 */
/** Row-major inputs: Float32Array, or Uint8Array (e.g. pixels) scaled by the dataset's `inputScale`. */
export type InputArray = Float32Array | Uint8Array;
/** Integer class indices, one per row, in 0..classes-1 (classes = the model's outputs, or 2 for one sigmoid output). */
export type LabelArray = Uint8Array | Uint16Array | Int32Array | Uint32Array;

/**
 * Data in the form simdnet trains on: `count` rows of `inputSize` features, with integer
 * class `labels` or float `targets`. Inputs are read as they are (no copy) until training
 * copies them once into the model's memory.
 *
 * @example
 * ```ts
 * const data: Dataset = {
 *   count: 2,
 *   inputSize: 3,
 *   inputs: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
 *   labels: new Uint8Array([0, 1]),
 * };
 * ```
 */
export interface Dataset {
  /** Number of samples. */
  count: number;
  /** Features per sample. */
  inputSize: number;
  /** Row-major inputs, length count * inputSize. */
  inputs: InputArray;
  /** Multiplies every input value when it is read (e.g. 1/255 for byte pixels). Default 1. */
  inputScale?: number;
  /** Integer class indices, length count. Exclusive with `targets`. */
  labels?: LabelArray;
  /** Dense float targets, length count * targetSize. Exclusive with `labels`. */
  targets?: Float32Array;
  /** Floats per target row; required with `targets`. */
  targetSize?: number;
}
