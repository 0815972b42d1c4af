/**
 * Streamed data from files, for Node, Deno and Bun (they import node:fs and node:zlib):
 *
 *   csvSource(path | input, options)   csv-source.ts's csvSource, also taking a file path
 *                                      (re-opened every pass; '.gz' decompressed on the way)
 *   csvStats(path | input, options)    the first pass (row count, classes, mean and std)
 *   idxSource(images, labels)          an MNIST-style pair of plain IDX files, read in
 *                                      batches of rows at their offsets (never whole)
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import {
  type CsvBytes,
  type CsvInput,
  type CsvSourceOptions,
  type CsvStats,
  csvSource as csvSourceOf,
  csvStats as csvStatsOf,
} from './csv-source.js';
import type { DataSource, StreamBatch } from './source.js';

/** The bytes of a CSV file, gunzipped when the name ends in '.gz'. */
function openCsvFile(path: string): AsyncIterable<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith('.gz')) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * A CSV file as a DataSource (see csv-source.ts): a path is opened again for every pass (so
 * fit can run many epochs) and never read whole; other inputs as in the universal csvSource.
 */
export function csvSource(input: string | CsvInput, options: CsvSourceOptions = {}): DataSource {
  return csvSourceOf(typeof input === 'string' ? () => openCsvFile(input) : input, options);
}

/** One pass over a CSV file (a path, or bytes): rows, feature and class names, mean and std (see csv-source.ts). */
export function csvStats(input: string | CsvBytes, options: CsvSourceOptions = {}): Promise<CsvStats> {
  return csvStatsOf(typeof input === 'string' ? openCsvFile(input) : input, options);
}

/** Options of idxSource. */
export interface IdxSourceOptions {
  /** Rows read from the files at a time. Default 4096. */
  batchRows?: number;
}

/** The header of an IDX file of u8 elements: its shape and where the data starts. */
async function readIdxHeader(path: string): Promise<{ shape: number[]; dataStart: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const head = new Uint8Array(4);
    await file.read(head, 0, 4, 0);
    if (head[0] === 0x1f && head[1] === 0x8b)
      throw new Error(
        `${path}: a gzipped IDX file cannot be streamed; gunzip it first (or read it whole with readIdxFile)`,
      );
    if (size < 4 || head[0] !== 0 || head[1] !== 0) throw new Error(`${path}: not an IDX file (bad magic number)`);
    if (head[2] !== 0x08)
      throw new Error(`${path}: idxSource reads u8 IDX files; this one has dtype code 0x${head[2].toString(16)}`);
    const ndims = head[3];
    const dims = new Uint8Array(4 * ndims);
    await file.read(dims, 0, dims.length, 4);
    const view = new DataView(dims.buffer);
    const shape = Array.from({ length: ndims }, (_, i) => view.getUint32(4 * i, false));
    const dataStart = 4 + 4 * ndims;
    const expected = shape.reduce((a, b) => a * b, 1);
    if (ndims === 0 || size - dataStart !== expected)
      throw new Error(
        `${path}: the IDX header says [${shape.join(', ')}] (${expected} bytes of data) but the file holds ${size - dataStart}`,
      );
    return { shape, dataStart };
  } finally {
    await file.close();
  }
}

/**
 * An MNIST-style pair of plain IDX files (u8 images [count, ...], u8 labels [count]) as a
 * DataSource of { inputs: Uint8Array, inputScale: 1/255, labels } batches, read from the
 * files `batchRows` rows at a time, every pass.
 */
export function idxSource(imagesPath: string, labelsPath: string, options: IdxSourceOptions = {}): DataSource {
  const batchRows = options.batchRows ?? 4096;
  if (!(Number.isInteger(batchRows) && batchRows > 0))
    throw new Error(`idxSource: batchRows must be a positive integer, got ${batchRows}`);
  return {
    kind: 'simdnet.DataSource',
    reiterable: true,
    async *pass() {
      const [images, labels] = await Promise.all([readIdxHeader(imagesPath), readIdxHeader(labelsPath)]);
      if (images.shape.length < 2)
        throw new Error(
          `${imagesPath}: IDX images must have shape [count, ...features], got [${images.shape.join(', ')}]`,
        );
      if (labels.shape.length !== 1)
        throw new Error(`${labelsPath}: IDX labels must have shape [count], got [${labels.shape.join(', ')}]`);
      const count = images.shape[0];
      if (labels.shape[0] !== count)
        throw new Error(
          `IDX images and labels disagree on the sample count: ${count} images, ${labels.shape[0]} labels`,
        );
      const rowBytes = images.shape.slice(1).reduce((a, b) => a * b, 1);
      const [imageFile, labelFile] = await Promise.all([open(imagesPath, 'r'), open(labelsPath, 'r')]);
      try {
        for (let row = 0; row < count; row += batchRows) {
          const rows = Math.min(batchRows, count - row);
          const inputs = new Uint8Array(rows * rowBytes);
          const rowLabels = new Uint8Array(rows);
          await Promise.all([
            imageFile.read(inputs, 0, inputs.length, images.dataStart + row * rowBytes),
            labelFile.read(rowLabels, 0, rows, labels.dataStart + row),
          ]);
          const batch: StreamBatch = { inputs, inputScale: 1 / 255, labels: rowLabels };
          yield batch;
        }
      } finally {
        await Promise.all([imageFile.close(), labelFile.close()]);
      }
    },
  };
}
