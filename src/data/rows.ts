/**
 * Copying selected samples (rows) of a Dataset into a new Dataset of the same kinds:
 * Uint8Array inputs stay Uint8Array with the same inputScale, labels keep their array type,
 * targets keep targetSize. The result shares no memory with the source.
 */

import type { Dataset, InputArray, LabelArray } from './dataset.js';

type SampleArray = InputArray | LabelArray | Float32Array;

/**
 * A new zeroed array of the same element type as `array`. The plain typed-array class is
 * chosen explicitly: a Node Buffer (a Uint8Array subclass) gives a Uint8Array.
 */
function newLike<T extends SampleArray>(array: T, length: number): T {
  if (array instanceof Float32Array) return new Float32Array(length) as T;
  if (array instanceof Uint8Array) return new Uint8Array(length) as T;
  if (array instanceof Uint16Array) return new Uint16Array(length) as T;
  if (array instanceof Int32Array) return new Int32Array(length) as T;
  if (array instanceof Uint32Array) return new Uint32Array(length) as T;
  throw new TypeError(`unsupported sample array ${(array as object).constructor?.name}`);
}

/**
 * A copy of array[start, end) that never shares memory with `array`. (TypedArray.slice
 * would do, except that Node's Buffer.slice returns a view.)
 */
export function copyRange<T extends SampleArray>(array: T, start = 0, end = array.length): T {
  const copy = newLike(array, end - start);
  copy.set(array.subarray(start, end));
  return copy;
}

/** Copies every field of `source` but the per-sample arrays. */
function metadataOf(source: Dataset, count: number, inputs: InputArray): Dataset {
  const result: Dataset = { count, inputSize: source.inputSize, inputs };
  if (source.inputScale !== undefined) result.inputScale = source.inputScale;
  if (source.targetSize !== undefined) result.targetSize = source.targetSize;
  return result;
}

/** The samples `rowIndices[0]`, `rowIndices[1]`, ... of `source`, in that order. */
export function gatherRows(source: Dataset, rowIndices: ArrayLike<number>): Dataset {
  const count = rowIndices.length;
  const { inputSize, labels, targets } = source;
  const inputs = newLike(source.inputs, count * inputSize);
  for (let i = 0; i < count; i++) {
    const row = rowIndices[i];
    inputs.set(source.inputs.subarray(row * inputSize, (row + 1) * inputSize), i * inputSize);
  }
  const result = metadataOf(source, count, inputs);
  if (labels) {
    const gathered = newLike(labels, count);
    for (let i = 0; i < count; i++) gathered[i] = labels[rowIndices[i]];
    result.labels = gathered;
  }
  if (targets) {
    const targetSize = source.targetSize!;
    const gathered = new Float32Array(count * targetSize);
    for (let i = 0; i < count; i++) {
      const row = rowIndices[i];
      gathered.set(targets.subarray(row * targetSize, (row + 1) * targetSize), i * targetSize);
    }
    result.targets = gathered;
  }
  return result;
}

/** The `count` consecutive samples of `source` starting at sample `start`. */
export function sliceRows(source: Dataset, start: number, count: number): Dataset {
  const end = start + count;
  const result = metadataOf(source, count, copyRange(source.inputs, start * source.inputSize, end * source.inputSize));
  if (source.labels) result.labels = copyRange(source.labels, start, end);
  if (source.targets) {
    const targetSize = source.targetSize!;
    result.targets = copyRange(source.targets, start * targetSize, end * targetSize);
  }
  return result;
}
