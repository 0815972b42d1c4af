/**
 * Consistency checks for a Dataset (see dataset.ts), giving errors that say which field
 * is wrong and how. Used by every transform before it reads a dataset.
 *
 *   count, inputSize      non-negative integer, positive integer
 *   inputs                Float32Array or Uint8Array, length count * inputSize
 *   inputScale            finite when present
 *   labels                integer typed array of length count, or absent
 *   targets, targetSize   Float32Array of length count * targetSize, or both absent
 *   labels and targets    not both
 */

import type { Dataset } from './dataset.js';

function fail(name: string, problem: string): never {
  throw new TypeError(`${name}: ${problem}`);
}

/** Throws a TypeError naming `name` and the problem when `dataset` is not consistent. */
export function checkDataset(dataset: Dataset, name = 'dataset'): void {
  if (dataset === null || typeof dataset !== 'object') fail(name, 'expected a Dataset object');
  const { count, inputSize, inputs, inputScale, labels, targets, targetSize } = dataset;
  if (!Number.isInteger(count) || count < 0) fail(name, `count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(inputSize) || inputSize < 1)
    fail(name, `inputSize must be a positive integer, got ${inputSize}`);
  if (!(inputs instanceof Float32Array || inputs instanceof Uint8Array)) {
    fail(name, 'inputs must be a Float32Array or a Uint8Array');
  }
  if (inputs.length !== count * inputSize) {
    fail(name, `inputs has length ${inputs.length}, expected count * inputSize = ${count} * ${inputSize}`);
  }
  if (inputScale !== undefined && !Number.isFinite(inputScale))
    fail(name, `inputScale must be finite, got ${inputScale}`);
  if (labels !== undefined && targets !== undefined) fail(name, 'has both labels and targets; use one');
  if (labels !== undefined) {
    const isLabelArray =
      labels instanceof Uint8Array ||
      labels instanceof Uint16Array ||
      labels instanceof Int32Array ||
      labels instanceof Uint32Array;
    if (!isLabelArray) fail(name, 'labels must be a Uint8Array, Uint16Array, Int32Array or Uint32Array');
    if (labels.length !== count) fail(name, `labels has length ${labels.length}, expected count = ${count}`);
  }
  if (targets !== undefined) {
    if (!(targets instanceof Float32Array)) fail(name, 'targets must be a Float32Array');
    if (!Number.isInteger(targetSize) || targetSize! < 1) {
      fail(name, `targetSize must be a positive integer when targets are given, got ${targetSize}`);
    }
    if (targets.length !== count * targetSize!) {
      fail(name, `targets has length ${targets.length}, expected count * targetSize = ${count} * ${targetSize}`);
    }
  } else if (targetSize !== undefined) {
    fail(name, 'targetSize is set but targets is missing');
  }
}
