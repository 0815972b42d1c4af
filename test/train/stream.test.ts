/**
 * fit, evaluate and predict over streamed data (src/train/stream.ts, src/data/source.ts):
 * a stream gives the same batches, and so the same weights bit for bit, as the same rows in
 * memory (without shuffling), whatever the stream's own batch sizes; the shuffle buffer is
 * repeatable for a seed; one-shot streams allow one epoch; bad rows are errors naming the
 * row, and leave the model as it was; validation data may stream; evaluate and predict over
 * a stream give the in-memory results.
 */
import { describe, expect, it } from 'vitest';

import { createModel, fromIterable, type Model, type StreamBatch, type StreamRow } from '../../src/index.js';
import { expectBitEqual, differsInBits } from '../helpers/compare.js';
import { blobs, curve } from '../helpers/datasets.js';
import { expectModelUnchanged, flatWeights, modelState } from '../helpers/model-state.js';

const INPUTS = 4;
const data = blobs(300, INPUTS, 3, 7);
const newModel = (seed = 3): Promise<Model> =>
  createModel({
    inputSize: INPUTS,
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
    optimizer: { type: 'adam', learningRate: 0.01 },
    seed,
  });

/** The rows of `data` as batches of `size` rows (the last may be short). */
function batchesOf(size: number, from = data): StreamBatch[] {
  const out: StreamBatch[] = [];
  const count = from.labels.length;
  for (let r = 0; r < count; r += size) {
    const end = Math.min(count, r + size);
    out.push({ inputs: from.inputs.slice(r * INPUTS, end * INPUTS), labels: from.labels.slice(r, end) });
  }
  return out;
}

function rowsOf(from = data): StreamRow[] {
  return Array.from({ length: from.labels.length }, (_, r) => ({
    input: Array.from(from.inputs.subarray(r * INPUTS, (r + 1) * INPUTS)),
    label: from.labels[r],
  }));
}

async function* asyncBatches(size: number): AsyncGenerator<StreamBatch> {
  for (const batch of batchesOf(size)) {
    await Promise.resolve();
    yield batch;
  }
}

async function trainedInMemory(options: { epochs: number; batchSize: number }): Promise<Float32Array> {
  const model = await newModel();
  await model.fit(data, { ...options, shuffle: false });
  return flatWeights(model);
}

describe('a stream gives the batches data in memory gives', () => {
  it('batches of another size, rows, sync and async generators, small chunks: the same weights bit for bit (no shuffling)', async () => {
    const expected = await trainedInMemory({ epochs: 3, batchSize: 32 });
    const inputs = {
      'batches of 50': batchesOf(50),
      'batches of 7': batchesOf(7),
      rows: rowsOf(),
      'a sync generator function': function* () {
        yield* batchesOf(13);
      },
      'an async generator function': () => asyncBatches(64),
    };
    for (const [name, input] of Object.entries(inputs)) {
      const model = await newModel();
      // chunkRows 40 rounds down to 32: a chunk is one batch, so batches cross item and chunk edges.
      await model.fit(input, { epochs: 3, batchSize: 32, shuffle: false, chunkRows: 40 });
      expectBitEqual(flatWeights(model), expected, name);
      expect(model.training.epochs, name).toBe(3);
    }
  });

  it('the same logs: batches per epoch known after the first pass, the loss the size-weighted mean', async () => {
    const memory = await newModel();
    const streamed = await newModel();
    const memoryBatches: number[] = [];
    const streamBatches: number[] = [];
    const a = await memory.fit(data, {
      epochs: 2,
      batchSize: 64,
      shuffle: false,
      callbacks: { onBatchEnd: (log) => void memoryBatches.push(log.batches) },
    });
    const b = await streamed.fit(batchesOf(100), {
      epochs: 2,
      batchSize: 64,
      shuffle: false,
      callbacks: { onBatchEnd: (log) => void streamBatches.push(log.batches) },
    });
    expect(memoryBatches).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    expect(streamBatches).toEqual([0, 0, 0, 0, 0, 5, 5, 5, 5, 5]);
    expect(b.epochs.map((e) => [e.loss, e.accuracy])).toEqual(a.epochs.map((e) => [e.loss, e.accuracy]));
  });

  it('a regression stream of targets (row targets as numbers) trains as the same targets in memory', async () => {
    const points = curve((x) => Math.sin(3 * x), 90, -1, 1);
    const make = () =>
      createModel({ inputSize: 1, layers: [{ units: 6, activation: 'tanh' }, { units: 1 }], loss: 'mse', seed: 5 });
    const memory = await make();
    await memory.fit(points, { epochs: 2, batchSize: 16, shuffle: false });
    const streamed = await make();
    const rows = Array.from(points.inputs, (x, r) => ({ input: [x], target: points.targets[r] }));
    await streamed.fit(rows, { epochs: 2, batchSize: 16, shuffle: false });
    expectBitEqual(flatWeights(streamed), flatWeights(memory));
  });
});

describe('the shuffle buffer', () => {
  it('is seeded by the model seed and the epoch: the same seed repeats, another seed differs, and it differs from no shuffling', async () => {
    const run = async (seed: number) => {
      const model = await newModel(seed);
      await model.fit(batchesOf(25), { epochs: 2, batchSize: 16, shuffleBuffer: 64 });
      return flatWeights(model);
    };
    const first = await run(3);
    expectBitEqual(await run(3), first, 'same seed');
    const other = await newModel(3);
    await other.fit(batchesOf(25), { epochs: 2, batchSize: 16, shuffle: false });
    expect(differsInBits(flatWeights(other), first)).toBe(true);
    expect(differsInBits(await run(4), first)).toBe(true);
  });

  it('sees every row once per epoch: a buffer as long as the data is a permutation of it', async () => {
    const seen: number[] = [];
    const model = await newModel();
    // Rows tagged by their index in the first feature, read through the buffer fit uses.
    const tagged = Array.from({ length: 50 }, (_, r) => ({ input: [r, 0, 0, 0], label: r % 3 }));
    const { rowChunks, shuffleSeed } = await import('../../src/data/source.js');
    for await (const chunk of rowChunks(fromIterable(tagged), {
      inputSize: INPUTS,
      outputSize: 3,
      chunkRows: 16,
      needTargets: true,
      what: 'data',
      shuffle: { bufferRows: 64, seed: shuffleSeed(model.seed, 0) },
    }))
      for (let r = 0; r < chunk.count; r++) seen.push(chunk.inputs[r * INPUTS]);
    expect(seen).not.toEqual(tagged.map((_, r) => r));
    expect([...seen].sort((a, b) => a - b)).toEqual(tagged.map((_, r) => r));
  });
});

describe('one-shot streams', () => {
  it('a generator object (one pass) trains one epoch, and is a clear error for epochs > 1, before training', async () => {
    const model = await newModel();
    await model.fit(asyncBatches(32), { epochs: 1, batchSize: 32 });
    expect(model.training.epochs).toBe(1);
    const before = modelState(model);
    await expect(model.fit(asyncBatches(32), { epochs: 2 })).rejects.toThrow(
      /read only once.*function that returns a new stream/,
    );
    expectModelUnchanged(model, before);
    await expect(model.fit(data, { epochs: 2, validationData: asyncBatches(32) })).rejects.toThrow(/read only once/);
  });

  it('a ReadableStream of batches is one pass', async () => {
    const model = await newModel();
    const items = batchesOf(40);
    const stream = new ReadableStream<StreamBatch>({
      pull(controller) {
        const next = items.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const history = await model.fit(stream, { epochs: 1, batchSize: 32 });
    expect(history.epochs).toHaveLength(1);
    expect(Number.isFinite(history.epochs[0].loss)).toBe(true);
  });
});

describe('bad rows in a stream', () => {
  const cases: [string, () => StreamBatch[], RegExp][] = [
    [
      'NaN',
      () => {
        const batches = batchesOf(50);
        batches[2].inputs = Float32Array.from(batches[2].inputs as Float32Array);
        (batches[2].inputs as Float32Array)[3 * INPUTS + 1] = Number.NaN;
        return batches;
      },
      /training data row 103 has NaN at feature 1/,
    ],
    [
      'a wrong width',
      () => {
        const batches = batchesOf(50);
        batches[4] = { inputs: new Float32Array(5), labels: [0] };
        return batches;
      },
      /training data row 200 starts a batch of 5 input values, not a multiple of the model's 4 inputs/,
    ],
    [
      'an unknown label',
      () => {
        const batches = batchesOf(50);
        batches[5].labels = Int32Array.from(batches[5].labels as Int32Array);
        (batches[5].labels as Int32Array)[7] = 3;
        return batches;
      },
      /training data row 257 has label 3, not a class index in 0\.\.2/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(`${name}: an error naming the row; the model is as it was before the fit`, async () => {
      const model = await newModel();
      await model.fit(data, { epochs: 1, batchSize: 32 });
      const before = modelState(model);
      await expect(model.fit(make(), { epochs: 2, batchSize: 32, shuffle: false, chunkRows: 64 })).rejects.toThrow(
        message,
      );
      expectModelUnchanged(model, before);
      expect(model.isTraining).toBe(false);
    });
  }

  it('a row with the wrong number of values, and rows without labels', async () => {
    const model = await newModel();
    await expect(model.fit([{ input: [1, 2, 3], label: 0 }], {})).rejects.toThrow(
      /row 0 has 3 input values, expected 4/,
    );
    await expect(model.fit([{ inputs: new Float32Array(8) }], {})).rejects.toThrow(/row 0 has no label or target/);
    await expect(model.fit(function* () {}, {})).rejects.toThrow(/training data is empty \(the stream gave 0 rows\)/);
    await expect(model.fit(batchesOf(50), { validationSplit: 0.2 })).rejects.toThrow(
      /validationSplit needs training data in memory/,
    );
    await expect(model.fit(data, { shuffleBuffer: 10 })).rejects.toThrow(/shuffleBuffer applies to streamed data only/);
  });
});

describe('validation data', () => {
  const validation = blobs(120, INPUTS, 3, 99);
  it('streamed: valLoss and valAccuracy as for the same rows in memory (accuracy exactly, loss to f64 rounding)', async () => {
    const memory = await newModel();
    const a = await memory.fit(data, { epochs: 3, batchSize: 32, validationData: validation });
    for (const train of [data, batchesOf(30)]) {
      const streamed = await newModel();
      const b = await streamed.fit(train, {
        epochs: 3,
        batchSize: 32,
        validationData: () => batchesOf(25, validation),
        shuffle: train === data,
      });
      if (train === data) expectBitEqual(flatWeights(streamed), flatWeights(memory));
      b.epochs.forEach((log, e) => {
        if (train === data) {
          expect(log.valAccuracy).toBe(a.epochs[e].valAccuracy);
          expect(log.valLoss).toBeCloseTo(a.epochs[e].valLoss!, 12);
        }
        expect(log.valLoss).toBeGreaterThan(0);
      });
    }
  });

  it('in memory with a streamed training set: the same valLoss as the model evaluating it', async () => {
    const streamed = await newModel();
    const logs: number[] = [];
    await streamed.fit(batchesOf(30), {
      epochs: 2,
      batchSize: 32,
      shuffle: false,
      validationData: validation,
      callbacks: { onEpochEnd: (log) => void logs.push(log.valLoss!) },
    });
    expect(logs[1]).toBe(streamed.evaluate(validation).loss);
  });

  it('early stopping monitors the streamed validation loss', async () => {
    const model = await newModel();
    const history = await model.fit(batchesOf(30), {
      epochs: 40,
      batchSize: 32,
      validationData: () => batchesOf(40, blobs(60, INPUTS, 3, 5)),
      earlyStopping: { patience: 0 },
    });
    expect(history.stopReason === 'earlyStopping' || history.epochs.length === 40).toBe(true);
    expect(history.epochs.every((log) => log.valLoss !== undefined)).toBe(true);
  });
});

describe('evaluate and predict over a stream', () => {
  it('predict: the in-memory outputs bit for bit, chunk edges anywhere; evaluate: the same accuracy and loss', async () => {
    const model = await newModel();
    await model.fit(data, { epochs: 2, batchSize: 32 });
    const outputs = model.predict(data.inputs);
    expectBitEqual(await model.predict(batchesOf(33), { chunkRows: 50 }), outputs);
    expectBitEqual(await model.predict(rowsOf()), outputs);
    const inMemory = model.evaluate(data);
    const streamed = await model.evaluate(() => asyncBatches(70), { chunkRows: 64 });
    expect(streamed.accuracy).toBeCloseTo(inMemory.accuracy!, 14);
    expect(streamed.loss).toBeCloseTo(inMemory.loss, 12);
    await expect(model.evaluate(batchesOf(50).map((b, i) => (i === 1 ? { inputs: b.inputs } : b)))).rejects.toThrow(
      /data row 50 has no label or target/,
    );
    await expect(model.predict([{ inputs: new Float32Array(3) }])).rejects.toThrow(
      /inputs row 0 starts a batch of 3 input values/,
    );
  });

  it('evaluate with metrics over a stream: the in-memory confusion matrix and metric values', async () => {
    const model = await newModel();
    await model.fit(data, { epochs: 2, batchSize: 32 });
    const inMemory = model.evaluate(data, { metrics: ['precision', 'recall', 'f1'] });
    const streamed = await model.evaluate(batchesOf(40), { chunkRows: 64, metrics: ['precision', 'recall', 'f1'] });
    expect(streamed.confusionMatrix).toBeDefined();
    expect(streamed.confusionMatrix).toEqual(inMemory.confusionMatrix);
    expect(streamed.perClass).toEqual(inMemory.perClass);
    expect(streamed.f1).toBe(inMemory.f1);
    expect(streamed.classes).toEqual(inMemory.classes);
  });
});

describe("streams with fit's metrics, rollback and weights", () => {
  it('training metrics over a stream are those in memory; validation metrics come from a streamed validation set', async () => {
    const options = { epochs: 2, batchSize: 20, shuffle: false, metrics: ['precision', 'f1'] as const };
    const inMemory = await newModel();
    const memoryHistory = await inMemory.fit(data, { ...options, metrics: [...options.metrics], validationData: data });
    const streamed = await newModel();
    const streamHistory = await streamed.fit(batchesOf(50), {
      ...options,
      metrics: [...options.metrics],
      validationData: batchesOf(70),
    });
    for (let e = 0; e < 2; e++) {
      const m = memoryHistory.epochs[e];
      const s = streamHistory.epochs[e];
      expect(s.precision).toBeDefined();
      expect(s.precision).toBe(m.precision);
      expect(s.f1).toBe(m.f1);
      expect(s.valPrecision).toBeDefined();
      expect(s.valPrecision!).toBeCloseTo(m.valPrecision!, 6);
      expect(s.valF1!).toBeCloseTo(m.valF1!, 6);
    }
  });

  it('a diverging stream rolls back to the last finite epoch start', async () => {
    const model = await createModel({
      inputSize: INPUTS,
      layers: [
        { units: 16, activation: 'relu' },
        { units: 3, activation: 'softmax' },
      ],
      optimizer: { type: 'sgd', learningRate: 1e3, momentum: 0.9 },
      seed: 3,
    });
    const history = await model.fit(batchesOf(16), { epochs: 5, batchSize: 16 });
    expect(history.stopReason).toBe('nonFiniteLoss');
    expect(history.rolledBackTo).toBeDefined();
    expect(model.training.epochs).toBe(history.rolledBackTo!.epoch);
    for (const v of flatWeights(model)) expect(Number.isFinite(v)).toBe(true);
  });

  it('streamed training data rejects sampleWeight and classWeight by name, leaving the model as it was', async () => {
    const model = await newModel();
    const before = modelState(model);
    await expect(
      model.fit(batchesOf(50), { sampleWeight: new Float32Array(data.labels.length).fill(1) }),
    ).rejects.toThrow(/sampleWeight needs training data in memory/);
    await expect(model.fit(batchesOf(50), { classWeight: { 0: 2 } })).rejects.toThrow(
      /classWeight needs training data in memory/,
    );
    expectModelUnchanged(model, before);
    // Training data in memory with streamed validation data keeps its weights.
    const history = await model.fit(data, { classWeight: 'balanced', validationData: batchesOf(50) });
    expect(history.epochs[0].valLoss).toBeDefined();
  });
});
