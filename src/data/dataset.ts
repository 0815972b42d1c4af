/**
 * The one shape of data simdnet trains on: row-major samples in a typed array,
 * with either integer class labels or dense float targets.
 *
 *   inputs   [count, inputSize]   Float32Array, or Uint8Array scaled by inputScale
 *   labels   [count]              class indices 0..classes-1 (classification)
 *   targets  [count, targetSize]  float rows (regression, multi-label, soft labels)
 */
export type InputArray = Float32Array | Uint8Array;
export type LabelArray = Uint8Array | Uint16Array | Int32Array | Uint32Array;

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
