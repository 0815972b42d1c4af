/**
 * Labels are values (src/model/classes.ts): a classifier keeps the class values it was
 * trained on (sorted distinct labels, or spec.classes), maps them to output units, saves
 * them, and predictClasses returns them.
 */
import { describe, expect, it } from 'vitest';

import { createModel, loadModel, type Model, modelFromDescription } from '../../src/index.js';
import { blobs } from '../helpers/datasets.js';

const data = blobs(120, 4, 3, 7);

const classifier = (units: number, extra: { classes?: readonly number[] | readonly string[] } = {}): Promise<Model> =>
  createModel({
    inputSize: 4,
    layers: [
      { units: 8, activation: 'relu' },
      units === 1 ? { units: 1, activation: 'sigmoid' } : { units, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.05 },
    seed: 2,
    ...extra,
  });

/** The blobs' labels 0..2 turned into other values. */
const relabel = <T>(values: T[]): T[] => Array.from(data.labels, (l) => values[l]);

describe('class values', () => {
  it('labels 1..3 make a 3-class model with no class 0', async () => {
    const model = await classifier(3);
    const labels = relabel([1, 2, 3]);
    await model.fit({ inputs: data.inputs, labels }, { epochs: 20, batchSize: 16 });
    expect(model.classes).toEqual([1, 2, 3]);
    const predicted = Array.from(model.predictClasses(data.inputs));
    expect(new Set(predicted)).toEqual(new Set([1, 2, 3]));
    // The same model trained on labels 0..2 predicts the same units.
    const indices = await classifier(3);
    await indices.fit({ inputs: data.inputs, labels: Array.from(data.labels) }, { epochs: 20, batchSize: 16 });
    expect(predicted).toEqual(Array.from(indices.predictClasses(data.inputs), (c) => (c as number) + 1));
    const accuracy = predicted.filter((c, i) => c === labels[i]).length / labels.length;
    expect(model.evaluate({ inputs: data.inputs, labels }).accuracy).toBeCloseTo(accuracy, 12);
  });

  it('labels {0, 65535} make a 2-class model, and a small file', async () => {
    const twoClass = (l: number) => (l === 0 ? 0 : 65535);
    const labels = Array.from(data.labels, twoClass);
    const model = await classifier(2);
    await model.fit({ inputs: data.inputs, labels }, { epochs: 5, batchSize: 16 });
    expect(model.classes).toEqual([0, 65535]);
    for (const c of model.predictClasses(data.inputs)) expect([0, 65535]).toContain(c);
    const bytes = model.save();
    expect(bytes.length).toBeLessThan(4096);
    const loaded = await loadModel(bytes);
    expect(loaded.classes).toEqual([0, 65535]);
    expect(Array.from(loaded.predictClasses(data.inputs))).toEqual(Array.from(model.predictClasses(data.inputs)));
    // One sigmoid output: two classes too.
    const sigmoid = await classifier(1);
    await sigmoid.fit({ inputs: data.inputs, labels }, { epochs: 5, batchSize: 16 });
    expect(sigmoid.classes).toEqual([0, 65535]);
    for (const c of sigmoid.predictClasses(data.inputs)) expect([0, 65535]).toContain(c);
  });

  it('string labels work in fit, evaluate and predictClasses, sorted', async () => {
    const labels = relabel(['setosa', 'virginica', 'versicolor']);
    const model = await classifier(3);
    await model.fit({ inputs: data.inputs, labels }, { epochs: 20, batchSize: 16 });
    expect(model.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const predicted = model.predictClasses(data.inputs);
    expect(Array.isArray(predicted)).toBe(true);
    const accuracy = Array.from(predicted).filter((c, i) => c === labels[i]).length / labels.length;
    expect(accuracy).toBeGreaterThan(0.8);
    expect(model.evaluate({ inputs: data.inputs, labels }).accuracy).toBeCloseTo(accuracy, 12);
    const loaded = await loadModel(model.save());
    expect(loaded.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(loaded.predictClasses(data.inputs)).toEqual(predicted);
  });

  it('spec.classes fixes the mapping and its order', async () => {
    const model = await classifier(3, { classes: ['c', 'a', 'b'] });
    const labels = relabel(['c', 'a', 'b']);
    await model.fit({ inputs: data.inputs, labels }, { epochs: 20, batchSize: 16 });
    expect(model.classes).toEqual(['c', 'a', 'b']);
    const units = model.predictClassIndices(data.inputs);
    expect(Array.from(model.predictClasses(data.inputs))).toEqual(Array.from(units, (u) => ['c', 'a', 'b'][u]));
    const copy = await modelFromDescription(model.describe(), { classes: ['c', 'a', 'b'] });
    expect(copy.classes).toEqual(['c', 'a', 'b']);
    expect(copy.predictClasses(data.inputs)).toEqual(model.predictClasses(data.inputs));
    await expect(classifier(3, { classes: [1, 2] })).rejects.toThrow(/spec.classes must list the model's 3 classes/);
    await expect(classifier(3, { classes: [1, 1, 2] })).rejects.toThrow(/lists 1 twice/);
  });

  it('an unknown label is an error naming it, at fit and evaluate, and leaves the model as it was', async () => {
    const model = await classifier(3);
    const labels = relabel([1, 2, 3]);
    await model.fit({ inputs: data.inputs, labels }, { epochs: 1 });
    const bad = [...labels];
    bad[7] = 4;
    await expect(model.fit({ inputs: data.inputs, labels: bad })).rejects.toThrow(
      /training data.labels\[7\] = 4 is not one of the model's classes \(1, 2, 3\)/,
    );
    expect(() => model.evaluate({ inputs: data.inputs, labels: bad })).toThrow(/data.labels\[7\] = 4 is not one/);
    const strings = await classifier(3);
    await strings.fit({ inputs: data.inputs, labels: relabel(['x', 'y', 'z']) }, { epochs: 1 });
    const badStrings = relabel(['x', 'y', 'z']);
    badStrings[3] = 'w';
    expect(() => strings.evaluate({ inputs: data.inputs, labels: badStrings })).toThrow(/labels\[3\] = 'w'/);
    // Too many distinct values for the outputs, at the first fit: the model stays unfixed.
    const fresh = await classifier(2);
    await expect(fresh.fit({ inputs: data.inputs, labels })).rejects.toThrow(
      /have 3 distinct values \(1, 2, 3\) but the model has 2 classes/,
    );
    expect(fresh.classes).toBeUndefined();
    expect(fresh.training.steps).toBe(0);
  });

  it('a file without classes (format 1 as written before) loads with classes 0..k-1', async () => {
    const model = await classifier(3);
    await model.fit({ inputs: data.inputs, labels: data.labels }, { epochs: 2 });
    const bytes = model.save();
    // Rewrite the header without "classes", as the previous version wrote it.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const headerLength = view.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
    expect(header.classes).toEqual([0, 1, 2]);
    delete header.classes;
    const { crc32 } = await import('../../src/io/format.js');
    const text = new TextEncoder().encode(JSON.stringify(header));
    const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
    const newStart = Math.ceil((12 + text.length) / 4) * 4;
    const old = new Uint8Array(newStart + bytes.length - dataStart);
    old.set(bytes.subarray(0, 12));
    new DataView(old.buffer).setUint32(8, text.length, true);
    old.set(text, 12);
    old.set(bytes.subarray(dataStart), newStart);
    new DataView(old.buffer).setUint32(old.length - 4, crc32(old.subarray(0, old.length - 4)), true);
    const loaded = await loadModel(old);
    expect(loaded.classes).toEqual([0, 1, 2]);
    expect(Array.from(loaded.predictClasses(data.inputs))).toEqual(Array.from(model.predictClasses(data.inputs)));
  });
});
