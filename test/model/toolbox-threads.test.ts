/**
 * The layer options (dropout, batch norm, L1/L2, the new activations) and the new
 * optimizers on one thread and on N threads: the same weights bit for bit. Dropout's
 * masks depend on the seed, the step and a row's place in the batch only, so the threaded
 * rounds draw the one-thread masks; batch norm's statistics are the whole batch's (the
 * threads meet at a barrier and split the units), so its γ, β and running statistics too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model, type ModelSpec } from '../../src/index.js';

function blobs(count: number) {
  let state = 11;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const inputs = new Float32Array(count * 8);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let j = 0; j < 8; j++) inputs[i * 8 + j] = (j % 4 === labels[i] ? 1.5 : 0) + next() - 0.5;
  }
  return { count, inputSize: 8, inputs, labels };
}

const models: Model[] = [];
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

async function model(threads: number, spec: Omit<ModelSpec, 'threads' | 'inputSize'>): Promise<Model> {
  const m = await createModel({ inputSize: 8, seed: 9, ...spec, threads });
  models.push(m);
  return m;
}

const DROPOUT_AND_PENALTIES: Omit<ModelSpec, 'threads' | 'inputSize'> = {
  layers: [
    { units: 40, activation: 'relu', dropout: 0.3, l2: 1e-3 },
    { units: 24, activation: 'tanh', dropout: 0.2, l1: 1e-4 },
    { units: 20, activation: 'gelu', dropout: 0.1 },
    { units: 12, activation: 'elu', alpha: 0.5, dropout: 0.25, initializer: 'heNormal' },
    { units: 4, activation: 'softmax', l2: 1e-3 },
  ],
  optimizer: { type: 'rmsprop', learningRate: 0.003, momentum: 0.5 },
};

const BATCH_NORM: Omit<ModelSpec, 'threads' | 'inputSize'> = {
  layers: [
    { units: 32, activation: 'relu', batchNorm: true, dropout: 0.2 },
    { units: 16, activation: 'silu', batchNorm: { momentum: 0.2, epsilon: 1e-3 } },
    { units: 4, activation: 'softmax' },
  ],
  optimizer: { type: 'adagrad', learningRate: 0.05, initialAccumulatorValue: 0.1 },
};

describe('the toolbox on N threads', () => {
  it('dropout, L1/L2, gelu/elu and RMSprop: 1, 2 and 3 threads give the same weights and losses', async () => {
    const data = blobs(600);
    const results = [];
    for (const threads of [1, 2, 3]) {
      const m = await model(threads, DROPOUT_AND_PENALTIES);
      // Threads are available in Node (where this suite runs): the rounds really run threaded.
      expect(m.threading.threads, m.threading.reason).toBe(threads);
      const history = await m.fit(data, { epochs: 2, batchSize: 96 });
      results.push({ m, history });
    }
    const [one, ...more] = results;
    const reference = one.m.describe();
    for (const { m, history } of more) {
      const described = m.describe();
      described.layers.forEach((layer, l) => {
        expect(layer.weights, `layer ${l} weights on ${m.threading.threads} threads`).toEqual(
          reference.layers[l].weights,
        );
        expect(layer.bias).toEqual(reference.layers[l].bias);
      });
      expect(history.epochs.length).toBe(one.history.epochs.length);
      history.epochs.forEach((epoch, e) => expect(epoch.loss).toBeCloseTo(one.history.epochs[e].loss, 5));
    }
    // Training changed the weights, and dropout acted (a model without it ends elsewhere).
    const plain = await model(1, {
      ...DROPOUT_AND_PENALTIES,
      layers: DROPOUT_AND_PENALTIES.layers.map(({ dropout: _, ...layer }) => layer),
    });
    await plain.fit(data, { epochs: 2, batchSize: 96 });
    expect(plain.describe().layers[0].weights).not.toEqual(reference.layers[0].weights);
  });

  it('batch norm: 1, 2 and 3 threads give the same weights, γ, β and running statistics', async () => {
    const data = blobs(500);
    const described = [];
    for (const threads of [1, 2, 3]) {
      const m = await model(threads, BATCH_NORM);
      await m.fit(data, { epochs: 2, batchSize: 100 });
      expect(m.threading.threads, m.threading.reason).toBe(threads);
      described.push(m.describe());
    }
    const [one, ...more] = described;
    const bn = one.layers[0].batchNorm!;
    expect(Array.from(bn.gamma).some((g) => g !== 1)).toBe(true);
    expect(Array.from(bn.runningMean).some((m) => m !== 0)).toBe(true);
    for (const other of more) {
      other.layers.forEach((layer, l) => {
        expect(layer.weights).toEqual(one.layers[l].weights);
        expect(layer.batchNorm).toEqual(one.layers[l].batchNorm);
      });
    }
  });

  it('batch norm on every layer (the output too), clipping (the main thread steps) and uneven shares: 1 and 3 threads agree', async () => {
    const data = blobs(370);
    const spec: Omit<ModelSpec, 'threads' | 'inputSize'> = {
      layers: [
        { units: 13, activation: 'tanh', batchNorm: true, dropout: 0.1 },
        { units: 9, activation: 'selu', batchNorm: true, l2: 1e-3 },
        { units: 4, activation: 'softmax', batchNorm: { momentum: 0.3 } },
      ],
      optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, clipNorm: 0.5 },
    };
    const described = [];
    for (const threads of [1, 3]) {
      const m = await model(threads, spec);
      expect(m.threading.threads, m.threading.reason).toBe(threads);
      // 37 rows on 3 threads: shares of 13, 13 and 11.
      await m.fit(data, { epochs: 1, batchSize: 37 });
      described.push(m.describe());
    }
    expect(described[1]).toEqual(described[0]);
  });

  it('predict and evaluate ignore dropout and use the running statistics: the same outputs every call, on any thread count', async () => {
    const data = blobs(200);
    const outputs = [];
    for (const threads of [1, 2]) {
      const m = await model(threads, {
        ...BATCH_NORM,
        layers: [{ units: 32, activation: 'relu', batchNorm: true, dropout: 0.5 }, ...BATCH_NORM.layers.slice(1)],
      });
      await m.fit(data, { epochs: 1, batchSize: 50 });
      const first = m.predict({ inputs: data.inputs, count: data.count, inputSize: 8 });
      const second = m.predict({ inputs: data.inputs, count: data.count, inputSize: 8 });
      expect(second).toEqual(first);
      const evaluated = [m.evaluate(data).loss, m.evaluate(data).loss];
      expect(evaluated[1]).toBe(evaluated[0]);
      outputs.push(first);
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });
});
