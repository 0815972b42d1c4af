/**
 * MNIST and Fashion-MNIST from their four IDX files, in any runtime: the caller fetches or
 * reads the bytes (gzipped or not) and gets two classification Datasets back.
 *
 *   train  60000 samples, test  10000 samples (for the standard files)
 *   inputs Uint8Array [count, 784] (28 x 28 pixels, row by row), inputScale 1/255
 *   labels Uint8Array [count], classes 0..9
 *
 * Node, Deno and Bun users can call loadMnist / loadFashionMnist in node.ts instead.
 */

import type { Dataset } from './dataset.js';
import { idxToDataset, parseIdx, type IdxArray } from './idx.js';

/** The standard file names (without '.gz') of the four MNIST / Fashion-MNIST IDX files. */
export const MNIST_FILE_NAMES = {
  /** Training images, 60000 × 28 × 28 bytes. */
  trainImages: 'train-images-idx3-ubyte',
  /** Training labels, 60000 bytes in 0..9. */
  trainLabels: 'train-labels-idx1-ubyte',
  /** Test images, 10000 × 28 × 28 bytes. */
  testImages: 't10k-images-idx3-ubyte',
  /** Test labels, 10000 bytes in 0..9. */
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Which of the four MNIST files: `'trainImages'`, `'trainLabels'`, `'testImages'` or `'testLabels'`. */
export type MnistFileRole = keyof typeof MNIST_FILE_NAMES;

/** Fashion-MNIST's class names; index = label. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The contents of the four files, each raw IDX or gzipped IDX. */
export type MnistFiles = Record<MnistFileRole, Uint8Array | ArrayBuffer>;

/** A training and a test set, as MNIST and Fashion-MNIST ship them. */
export interface TrainTestDatasets {
  /** The training set (60000 rows for the standard files). */
  train: Dataset;
  /** The test set (10000 rows for the standard files). */
  test: Dataset;
}

/** Parses one of the four files; errors name the file. */
async function parseMnistFile(files: MnistFiles, role: MnistFileRole): Promise<IdxArray> {
  try {
    return await parseIdx(files[role]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${MNIST_FILE_NAMES[role]}: ${reason}`, { cause: error });
  }
}

/** Parses the four IDX files into the training and test Datasets. */
export async function mnistFromFiles(files: MnistFiles): Promise<TrainTestDatasets> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    parseMnistFile(files, 'trainImages'),
    parseMnistFile(files, 'trainLabels'),
    parseMnistFile(files, 'testImages'),
    parseMnistFile(files, 'testLabels'),
  ]);
  return { train: idxToDataset(trainImages, trainLabels), test: idxToDataset(testImages, testLabels) };
}
