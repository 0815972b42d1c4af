import { describe, expect, it } from 'vitest';

import type { Dataset } from '../../src/data/dataset.js';
import { minMaxScaler, oneHot, standardScaler, subset, trainValidationSplit } from '../../src/data/transform.js';

/** A float dataset with rows given literally and labels 0..count-1 mod 3. */
function floatDataset(rows: number[][]): Dataset {
  return {
    count: rows.length,
    inputSize: rows[0].length,
    inputs: new Float32Array(rows.flat()),
    labels: new Uint8Array(rows.map((_, i) => i % 3)),
  };
}

/** A Uint8 dataset whose sample i has every feature equal to i and label i % 10. */
function indexedDataset(count: number, inputSize: number): Dataset {
  const inputs = new Uint8Array(count * inputSize);
  for (let i = 0; i < count; i++) inputs.fill(i % 256, i * inputSize, (i + 1) * inputSize);
  return { count, inputSize, inputs, inputScale: 1 / 255, labels: new Uint16Array(count).map((_, i) => i % 10) };
}

function snapshot(dataset: Dataset) {
  return {
    inputs: Array.from(dataset.inputs),
    labels: dataset.labels && Array.from(dataset.labels),
    targets: dataset.targets && Array.from(dataset.targets),
  };
}

/** Column `feature` of a dataset's inputs as plain numbers. */
function column(dataset: Dataset, feature: number): number[] {
  return Array.from({ length: dataset.count }, (_, row) => dataset.inputs[row * dataset.inputSize + feature]);
}

describe('oneHot', () => {
  it('sets exactly one 1 per row at the label', () => {
    expect(Array.from(oneHot(new Uint8Array([2, 0, 1]), 3))).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(oneHot([], 4).length).toBe(0);
  });

  it('rejects labels out of range and bad class counts', () => {
    expect(() => oneHot(new Uint8Array([0, 3]), 3)).toThrow(/label 3 at index 1 is not an integer in \[0, 3\)/);
    expect(() => oneHot([0.5], 3)).toThrow(/label 0.5/);
    expect(() => oneHot([0], 0)).toThrow(/classes must be a positive integer/);
  });
});

describe('minMaxScaler', () => {
  const train = floatDataset([
    [0, 10, 5],
    [2, 30, 5],
    [4, 20, 5],
  ]);
  const test = floatDataset([
    [1, 40, 5],
    [6, 10, 7],
  ]);

  it('maps the training range of each feature onto [0, 1]', () => {
    const scaler = minMaxScaler().fit(train);
    expect(Array.from(scaler.min!)).toEqual([0, 10, 5]);
    expect(Array.from(scaler.max!)).toEqual([4, 30, 5]);
    const scaled = scaler.transform(train);
    expect(column(scaled, 0)).toEqual([0, 0.5, 1]);
    expect(column(scaled, 1)).toEqual([0, 1, 0.5]);
  });

  it('applies the training statistics to test data (values may leave [0, 1])', () => {
    const scaled = minMaxScaler().fit(train).transform(test);
    expect(column(scaled, 0)).toEqual([0.25, 1.5]);
    expect(column(scaled, 1)).toEqual([1.5, 0]);
  });

  it('maps a constant feature to the low end instead of dividing by zero', () => {
    const scaled = minMaxScaler().fit(train).transform(test);
    expect(column(scaled, 2)).toEqual([0, 0]);
    const ranged = minMaxScaler({ range: [-1, 1] })
      .fit(train)
      .transform(train);
    expect(column(ranged, 0)).toEqual([-1, 0, 1]);
    expect(column(ranged, 2)).toEqual([-1, -1, -1]);
  });

  it('reads Uint8 inputs through inputScale', () => {
    const bytes: Dataset = { count: 2, inputSize: 1, inputs: new Uint8Array([51, 255]), inputScale: 1 / 255 };
    const scaler = minMaxScaler().fit(bytes);
    expect(scaler.min![0]).toBeCloseTo(0.2, 12);
    expect(scaler.max![0]).toBeCloseTo(1, 12);
  });

  it('rejects a bad range', () => {
    expect(() => minMaxScaler({ range: [1, 1] })).toThrow(/low < high/);
  });
});

describe('standardScaler', () => {
  const train = floatDataset([
    [1, 100, 3],
    [2, 200, 3],
    [3, 300, 3],
    [6, 400, 3],
  ]);

  it('fits the population mean and standard deviation in f64', () => {
    const scaler = standardScaler().fit(train);
    expect(Array.from(scaler.mean!)).toEqual([3, 250, 3]);
    // feature 0: deviations -2, -1, 0, 3 -> variance 14 / 4
    expect(scaler.std![0]).toBeCloseTo(Math.sqrt(3.5), 14);
    expect(scaler.std![1]).toBeCloseTo(Math.sqrt(12500), 10);
    expect(scaler.std![2]).toBe(0);
  });

  it('transformed training features have mean 0 and standard deviation 1; constant features become 0', () => {
    const scaled = standardScaler().fit(train).transform(train);
    for (const feature of [0, 1]) {
      const values = column(scaled, feature);
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
      expect(mean).toBeCloseTo(0, 6);
      expect(variance).toBeCloseTo(1, 6);
    }
    expect(column(scaled, 2)).toEqual([0, 0, 0, 0]);
  });

  it('uses the training statistics on test data', () => {
    const scaler = standardScaler().fit(train);
    const scaled = scaler.transform(floatDataset([[3 + Math.sqrt(3.5), 250, 9]]));
    expect(scaled.inputs[0]).toBeCloseTo(1, 6);
    expect(scaled.inputs[1]).toBe(0);
    expect(scaled.inputs[2]).toBe(0);
  });

  it('keeps precision for features with a large mean and a small spread', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [1e6 + (i % 2 === 0 ? 0.5 : -0.5)]);
    const scaler = standardScaler().fit({ count: 1000, inputSize: 1, inputs: new Float32Array(rows.flat()) });
    expect(scaler.std![0]).toBeCloseTo(0.5, 9);
  });
});

describe('scalers do not mutate their inputs and return new arrays', () => {
  for (const makeScaler of [() => minMaxScaler(), () => standardScaler()]) {
    it(`${makeScaler().constructor.name}`, () => {
      const train = indexedDataset(20, 3);
      const targetsDataset: Dataset = {
        count: 2,
        inputSize: 3,
        inputs: new Float32Array([1, 2, 3, 4, 5, 6]),
        targets: new Float32Array([0.5, -0.5]),
        targetSize: 1,
      };
      const before = snapshot(train);
      const beforeTargets = snapshot(targetsDataset);
      const scaler = makeScaler().fit(train);
      const scaled = scaler.transform(train);
      const scaledTargets = scaler.transform(targetsDataset);
      expect(snapshot(train)).toEqual(before);
      expect(snapshot(targetsDataset)).toEqual(beforeTargets);
      expect(scaled.inputs).toBeInstanceOf(Float32Array);
      expect(scaled.inputScale ?? 1).toBe(1);
      expect(scaled.labels).not.toBe(train.labels);
      expect(Array.from(scaled.labels!)).toEqual(before.labels);
      expect(scaledTargets.targets).not.toBe(targetsDataset.targets);
      expect(Array.from(scaledTargets.targets!)).toEqual([0.5, -0.5]);
      expect(scaledTargets.targetSize).toBe(1);
    });
  }
});

describe('scaler argument checks', () => {
  it('transform before fit, wrong inputSize, empty or non-finite training data', () => {
    expect(() => standardScaler().transform(indexedDataset(2, 2))).toThrow(/call fit/);
    expect(() => minMaxScaler().fit(indexedDataset(3, 2)).transform(indexedDataset(3, 4))).toThrow(
      /fitted on 2 features, the dataset has 4/,
    );
    expect(() => standardScaler().fit({ count: 0, inputSize: 2, inputs: new Float32Array(0) })).toThrow(/no samples/);
    expect(() => standardScaler().fit(floatDataset([[1, Number.NaN]]))).toThrow(/feature 1 of sample 0 is NaN/);
    expect(() => minMaxScaler().fit({ count: 2, inputSize: 2, inputs: new Float32Array(3) })).toThrow(
      /inputs has length 3, expected count \* inputSize/,
    );
  });
});

describe('trainValidationSplit', () => {
  const dataset = indexedDataset(100, 4);

  it('puts every sample in exactly one part, with the requested validation size', () => {
    const { train, validation } = trainValidationSplit(dataset, { validationFraction: 0.2, seed: 1 });
    expect(validation.count).toBe(20);
    expect(train.count).toBe(80);
    const ids = [...column(train, 0), ...column(validation, 0)];
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps rows whole: inputs, labels and metadata travel together', () => {
    const { train, validation } = trainValidationSplit(dataset, { validationFraction: 0.3, seed: 5 });
    for (const part of [train, validation]) {
      expect(part.inputs).toBeInstanceOf(Uint8Array);
      expect(part.labels).toBeInstanceOf(Uint16Array);
      expect(part.inputScale).toBe(dataset.inputScale);
      expect(part.inputSize).toBe(4);
      for (let row = 0; row < part.count; row++) {
        const id = part.inputs[row * 4];
        expect(Array.from(part.inputs.subarray(row * 4, row * 4 + 4))).toEqual([id, id, id, id]);
        expect(part.labels![row]).toBe(id % 10);
      }
    }
  });

  it('is deterministic by seed, and different seeds give different splits', () => {
    const validationIds = (seed: number) =>
      column(trainValidationSplit(dataset, { validationFraction: 0.25, seed }).validation, 0);
    expect(validationIds(11)).toEqual(validationIds(11));
    expect(validationIds(11)).not.toEqual(validationIds(12));
    // A random split, not the first or last quarter.
    const ids = validationIds(11);
    expect(ids.some((id) => id < 25) && ids.some((id) => id >= 75)).toBe(true);
  });

  it('returns copies and leaves the input unchanged', () => {
    const before = snapshot(dataset);
    const { train } = trainValidationSplit(dataset, { validationFraction: 0.5, seed: 3 });
    train.inputs[0] = 255;
    expect(snapshot(dataset)).toEqual(before);
  });

  it('splits regression targets row by row', () => {
    const regression: Dataset = {
      count: 10,
      inputSize: 1,
      inputs: new Float32Array(Array.from({ length: 10 }, (_, i) => i)),
      targets: new Float32Array(Array.from({ length: 20 }, (_, k) => Math.floor(k / 2) * 10 + (k % 2))),
      targetSize: 2,
    };
    const { train, validation } = trainValidationSplit(regression, { validationFraction: 0.4, seed: 8 });
    for (const part of [train, validation]) {
      expect(part.targetSize).toBe(2);
      for (let row = 0; row < part.count; row++) {
        const id = part.inputs[row];
        expect([part.targets![row * 2], part.targets![row * 2 + 1]]).toEqual([id * 10, id * 10 + 1]);
      }
    }
  });

  it('rejects fractions that leave a part empty and bad seeds', () => {
    expect(() => trainValidationSplit(dataset, { validationFraction: 0 })).toThrow(/in \(0, 1\)/);
    expect(() => trainValidationSplit(dataset, { validationFraction: 1 })).toThrow(/in \(0, 1\)/);
    expect(() => trainValidationSplit(dataset, { validationFraction: 0.001 })).toThrow(/both parts need at least one/);
    expect(() => trainValidationSplit(dataset, { validationFraction: 0.2, seed: -3 })).toThrow(/seed/);
    expect(() => trainValidationSplit({ ...dataset, labels: new Uint8Array(3) }, { validationFraction: 0.2 })).toThrow(
      /labels has length 3, expected count = 100/,
    );
  });
});

describe('subset', () => {
  const dataset = indexedDataset(10, 2);

  it('copies consecutive samples', () => {
    const part = subset(dataset, 3, 4);
    expect(part.count).toBe(4);
    expect(column(part, 0)).toEqual([3, 4, 5, 6]);
    expect(Array.from(part.labels!)).toEqual([3, 4, 5, 6]);
    expect(part.inputScale).toBe(dataset.inputScale);
    part.inputs[0] = 99;
    expect(dataset.inputs[6]).toBe(3);
  });

  it('allows an empty subset and the whole dataset', () => {
    expect(subset(dataset, 10, 0).count).toBe(0);
    expect(subset(dataset, 0, 10).inputs.length).toBe(20);
  });

  it('rejects ranges outside the dataset and non-integers', () => {
    expect(() => subset(dataset, 8, 3)).toThrow(/samples \[8, 11\) exceed the dataset's 10 samples/);
    expect(() => subset(dataset, -1, 2)).toThrow(/start/);
    expect(() => subset(dataset, 0, 2.5)).toThrow(/count/);
  });
});

describe('datasets backed by Node Buffers (a Uint8Array subclass whose slice is a view)', () => {
  it('subset, split and scalers copy instead of aliasing the Buffer', () => {
    const inputs = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const labels = Buffer.from([0, 1, 0, 1]);
    const dataset: Dataset = { count: 4, inputSize: 2, inputs, labels };
    const part = subset(dataset, 1, 2);
    part.inputs[0] = 200;
    part.labels![0] = 9;
    expect(inputs[2]).toBe(3);
    expect(labels[1]).toBe(1);
    expect(Buffer.isBuffer(part.inputs)).toBe(false);
    const scaled = minMaxScaler().fit(dataset).transform(dataset);
    scaled.labels![0] = 7;
    expect(labels[0]).toBe(0);
    const { train } = trainValidationSplit(dataset, { validationFraction: 0.5, seed: 1 });
    train.inputs[0] = 99;
    expect(Array.from(inputs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
