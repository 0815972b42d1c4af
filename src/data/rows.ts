/**
 * Copying selected samples (rows) of a Dataset into a new Dataset of the same kinds:
 * Uint8Array inputs stay Uint8Array with the same inputScale, labels keep their array type,
 * targets keep targetSize. The result shares no memory with the source.
 */

import type { Dataset, InputArray, LabelArray } from './dataset.js';

function newLike<T extends InputArray | LabelArray | Float32Array>(array: T, length: number): T {
  return new (array.constructor as new (length: number) => T)(length);
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
  const result = metadataOf(source, count, source.inputs.slice(start * source.inputSize, end * source.inputSize));
  if (source.labels) result.labels = source.labels.slice(start, end);
  if (source.targets) {
    const targetSize = source.targetSize!;
    result.targets = source.targets.slice(start * targetSize, end * targetSize);
  }
  return result;
}
