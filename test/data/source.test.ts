/**
 * Lazy sources (src/data/csv-source.ts, node-source.ts, source.ts): a CSV file or IDX pair
 * read as a stream gives the rows readCsvDataset / idxToDataset give; a path or Blob is read
 * again every pass, a one-shot stream once; labels need their classes (or a first pass,
 * csvStats, which finds them and the per-feature statistics); errors name the CSV line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

import { readCsvDataset } from '../../src/data/csv.js';
import { encodeIdx } from '../../src/data/idx.js';
import { csvSource, csvStats, idxSource } from '../../src/data/node-source.js';
import { csvSource as universalCsvSource } from '../../src/data/csv-source.js';
import { type DataSource, fromIterable, rowChunks } from '../../src/data/source.js';
import { standardScaler } from '../../src/data/transform.js';
import type { Dataset } from '../../src/data/dataset.js';
import { createModel } from '../../src/index.js';
import { flatWeights } from '../helpers/model-state.js';
import { expectBitEqual } from '../helpers/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'simdnet-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows of x1..x3 (decimals, some negative), an id column, and a label among cat/dog/eel. */
function csvText(rows: number): string {
  const lines = ['id,x1,species,x2,x3'];
  const names = ['cat', 'dog', 'eel'];
  for (let r = 0; r < rows; r++)
    lines.push(`${r},${((r * 37) % 101) / 10 - 5},${names[(r * 7) % 3]},${(r % 13) * 0.25},${-((r * 11) % 17) / 3}`);
  return `${lines.join('\n')}\n`;
}

/** One pass of a source gathered into one dataset (rows in order). */
async function gather(source: DataSource, inputSize: number, outputSize: number, needTargets = true): Promise<Dataset> {
  const inputs: number[] = [];
  const labels: number[] = [];
  const targets: number[] = [];
  let count = 0;
  for await (const chunk of rowChunks(source, { inputSize, outputSize, chunkRows: 7, needTargets, what: 'data' })) {
    count += chunk.count;
    inputs.push(...chunk.inputs);
    if (chunk.labels) labels.push(...chunk.labels);
    if (chunk.targets) targets.push(...chunk.targets);
  }
  const dataset: Dataset = { count, inputSize, inputs: Float32Array.from(inputs) };
  if (labels.length) dataset.labels = Int32Array.from(labels);
  if (targets.length) dataset.targets = Float32Array.from(targets);
  return dataset;
}

describe('csvSource', () => {
  const text = csvText(101);
  const path = join(dir, 'animals.csv');
  writeFileSync(path, text);
  writeFileSync(`${path}.gz`, gzipSync(text));
  const options = { labelColumn: 'species', ignoreColumns: ['id'] } as const;

  it('a file path (plain or .gz): the rows and classes readCsvDataset reads, every pass', async () => {
    const whole = await readCsvDataset([new TextEncoder().encode(text)], {
      labelColumn: 'species',
      task: 'classification',
      featureColumns: ['x1', 'x2', 'x3'],
    });
    const stats = await csvStats(path, options);
    expect(stats.classNames).toEqual(whole.classNames);
    expect(stats.featureNames).toEqual(whole.featureNames);
    expect(stats.count).toBe(101);
    for (const file of [path, `${path}.gz`]) {
      const source = csvSource(file, { ...options, classes: stats.classNames });
      expect(source.reiterable).toBe(true);
      for (let pass = 0; pass < 2; pass++) {
        const read = await gather(source, 3, 3);
        expectBitEqual(read.inputs as Float32Array, whole.dataset.inputs as Float32Array, `${file} inputs`);
        expect(Array.from(read.labels!)).toEqual(Array.from(whole.dataset.labels!));
      }
    }
  });

  it('csvStats: the mean and std standardScaler fits on the same rows', async () => {
    const whole = await readCsvDataset([new TextEncoder().encode(text)], {
      labelColumn: 'species',
      task: 'classification',
      featureColumns: ['x1', 'x2', 'x3'],
    });
    const scaler = standardScaler().fit(whole.dataset);
    const stats = await csvStats(path, options);
    stats.mean.forEach((m, j) => expect(m).toBeCloseTo(scaler.mean![j], 12));
    stats.std.forEach((s, j) => expect(s).toBeCloseTo(scaler.std![j], 12));
  });

  it('regression: targets, and the target statistics', async () => {
    const source = csvSource(path, { labelColumn: 'x3', task: 'regression', ignoreColumns: ['id', 'species'] });
    const read = await gather(source, 2, 1);
    const whole = await readCsvDataset([new TextEncoder().encode(text)], {
      labelColumn: 'x3',
      task: 'regression',
      featureColumns: ['x1', 'x2'],
    });
    expectBitEqual(read.targets!, whole.dataset.targets!);
    const stats = await csvStats(path, { labelColumn: 'x3', task: 'regression', ignoreColumns: ['id', 'species'] });
    const t = whole.dataset.targets!;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    expect(stats.targetMean).toBeCloseTo(mean, 12);
  });

  it('inputs only (no label column), for predict', async () => {
    const read = await gather(csvSource(path, { ignoreColumns: ['id', 'species'] }), 3, 3, false);
    expect(read.count).toBe(101);
    expect(read.labels).toBeUndefined();
  });

  it('a Blob is read again every pass; a ReadableStream once', async () => {
    const blobSource = universalCsvSource(new Blob([text]), { ...options, classes: ['cat', 'dog', 'eel'] });
    expect((await gather(blobSource, 3, 3)).count).toBe(101);
    expect((await gather(blobSource, 3, 3)).count).toBe(101);
    const once = universalCsvSource(new Blob([text]).stream(), { ...options, classes: ['cat', 'dog', 'eel'] });
    expect(once.reiterable).toBe(false);
    expect((await gather(once, 3, 3)).count).toBe(101);
    await expect(gather(once, 3, 3)).rejects.toThrow(/read only once/);
  });

  it('errors name the CSV line: labels without classes, unknown classes, bad numbers, ragged rows', async () => {
    await expect(gather(csvSource(path, options), 3, 3)).rejects.toThrow(
      /CSV line 2: label "cat" in column 'species' is not a class index.*csvStats/,
    );
    await expect(gather(csvSource(path, { ...options, classes: ['cat', 'dog'] }), 3, 3)).rejects.toThrow(
      /CSV line 4: label "eel" in column 'species' is not one of the classes: cat, dog/,
    );
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b,y\n1,2,0\n3,x,1\n');
    await expect(gather(csvSource(bad, { labelColumn: 'y' }), 2, 2)).rejects.toThrow(
      /CSV line 3: column 'b' is not a number: "x"/,
    );
    writeFileSync(bad, 'a,b,y\n1,2,0\n3,1\n');
    await expect(gather(csvSource(bad, { labelColumn: 'y' }), 2, 2)).rejects.toThrow(/CSV line 3: expected 3 fields/);
    writeFileSync(bad, 'a,b,y\n1,2,0\n3,1,5\n');
    await expect(gather(csvSource(bad, { labelColumn: 'y' }), 2, 2)).rejects.toThrow(
      /data row 1 has label 5, not a class index in 0\.\.1/,
    );
    writeFileSync(bad, 'a,a,y\n1,2,0\n');
    await expect(gather(csvSource(bad, { labelColumn: 'y' }), 2, 2)).rejects.toThrow(/names column "a" twice/);
    expect(() => csvSource(path, { label: 'y' } as never)).toThrow(/unknown option "label"/);
  });

  it('trains a model: a CSV stream gives the weights of the same file read whole (no shuffling)', async () => {
    const classes = ['cat', 'dog', 'eel'];
    const whole = await readCsvDataset([new TextEncoder().encode(text)], {
      labelColumn: 'species',
      task: 'classification',
      featureColumns: ['x1', 'x2', 'x3'],
      classes,
    });
    const make = () =>
      createModel({
        inputSize: 3,
        layers: [
          { units: 5, activation: 'relu' },
          { units: 3, activation: 'softmax' },
        ],
        seed: 2,
      });
    const memory = await make();
    await memory.fit(whole.dataset, { epochs: 3, batchSize: 16, shuffle: false });
    const streamed = await make();
    await streamed.fit(csvSource(path, { ...options, classes }), { epochs: 3, batchSize: 16, shuffle: false });
    expectBitEqual(flatWeights(streamed), flatWeights(memory));
  });
});

describe('idxSource', () => {
  const count = 70;
  const pixels = Uint8Array.from({ length: count * 6 }, (_, i) => (i * 29) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 5) % 4);
  const images = join(dir, 'images-idx3-ubyte');
  const labelsPath = join(dir, 'labels-idx1-ubyte');
  writeFileSync(images, encodeIdx(pixels, [count, 2, 3]));
  writeFileSync(labelsPath, encodeIdx(labels, [count]));

  it('reads the rows in batches, Uint8 pixels scaled by 1/255, every pass', async () => {
    const source = idxSource(images, labelsPath, { batchRows: 16 });
    for (let pass = 0; pass < 2; pass++) {
      const chunks: Dataset[] = [];
      for await (const chunk of rowChunks(source, {
        inputSize: 6,
        outputSize: 4,
        chunkRows: 32,
        needTargets: true,
        what: 'data',
      }))
        chunks.push({ ...chunk, inputs: chunk.inputs.slice(), labels: chunk.labels!.slice() });
      expect(chunks.map((c) => c.count)).toEqual([32, 32, 6]);
      expect(chunks[0].inputs).toBeInstanceOf(Uint8Array);
      expect(chunks[0].inputScale).toBe(1 / 255);
      expect(chunks.flatMap((c) => Array.from(c.inputs))).toEqual(Array.from(pixels));
      expect(chunks.flatMap((c) => Array.from(c.labels!))).toEqual(Array.from(labels));
    }
  });

  it('a truncated file, a gzipped one, and a count mismatch are errors naming the file', async () => {
    const truncated = join(dir, 'short-idx3-ubyte');
    writeFileSync(truncated, encodeIdx(pixels, [count, 6]).subarray(0, 100));
    await expect(gather(idxSource(truncated, labelsPath), 6, 4)).rejects.toThrow(
      /short-idx3-ubyte: the IDX header says \[70, 6\]/,
    );
    const gz = join(dir, 'gz-idx3-ubyte.gz');
    writeFileSync(gz, gzipSync(encodeIdx(pixels, [count, 6])));
    await expect(gather(idxSource(gz, labelsPath), 6, 4)).rejects.toThrow(/gzipped IDX file cannot be streamed/);
    const fewer = join(dir, 'fewer-idx1-ubyte');
    writeFileSync(fewer, encodeIdx(labels.subarray(0, 10), [10]));
    await expect(gather(idxSource(images, fewer), 6, 4)).rejects.toThrow(/70 images, 10 labels/);
  });
});

describe('fromIterable', () => {
  it('tells re-iterable inputs (arrays, functions) from one-shot ones (iterators, streams)', () => {
    const batch = { inputs: new Float32Array(2), labels: [0] };
    expect(fromIterable([batch]).reiterable).toBe(true);
    expect(fromIterable(() => [batch]).reiterable).toBe(true);
    expect(fromIterable([batch][Symbol.iterator]()).reiterable).toBe(false);
    expect(fromIterable(new ReadableStream()).reiterable).toBe(false);
    expect(() => fromIterable(new Float32Array(4) as never)).toThrow(/expected a stream/);
  });
});
