/**
 * The toolbox's spec: layer options (dropout, batchNorm, l1, l2, initializer, alpha), the
 * new activations, losses and optimizers, their defaults (PyTorch's), and clear errors for
 * unknown names and bad values, before anything is built. describe() and summary() show
 * the options, describe() with what an exporter needs (α, dropout rate, batch norm's
 * vectors and ε).
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { type LayerSpec, normalizeOptimizer, normalizeSpec } from '../../src/model/spec.js';

const withLayer = (layer: Partial<LayerSpec>, output: LayerSpec = { units: 2 }) => ({
  inputSize: 3,
  layers: [{ units: 4, ...layer } as LayerSpec, output],
});

describe('layer options', () => {
  it('defaults: no dropout, batch norm or penalties; α 0.01 for leakyRelu, 1 for elu (PyTorch)', () => {
    const [plain] = normalizeSpec(withLayer({ activation: 'relu' })).layers;
    expect(plain).toEqual({ units: 4, activation: 'relu', alpha: 0, dropout: 0, batchNorm: null, l1: 0, l2: 0 });
    expect(normalizeSpec(withLayer({ activation: 'leakyRelu' })).layers[0].alpha).toBe(0.01);
    expect(normalizeSpec(withLayer({ activation: 'elu' })).layers[0].alpha).toBe(1);
    expect(normalizeSpec(withLayer({ batchNorm: true })).layers[0].batchNorm).toEqual({ momentum: 0.1, epsilon: 1e-5 });
    expect(normalizeSpec(withLayer({ batchNorm: { momentum: 0.01 } })).layers[0].batchNorm).toEqual({
      momentum: 0.01,
      epsilon: 1e-5,
    });
    expect(normalizeSpec(withLayer({ batchNorm: false })).layers[0].batchNorm).toBeNull();
  });

  it.each([
    [{ dropout: 1 }, /layer 0 dropout must be a rate in \[0, 1\), got 1/],
    [{ dropout: -0.1 }, /dropout must be a rate in \[0, 1\)/],
    [{ dropout: Number.NaN }, /dropout must be a rate/],
    [{ activation: 'leakyRelu', alpha: -1 }, /layer 0 alpha must be a number ≥ 0, got -1/],
    [{ activation: 'relu', alpha: 0.1 }, /alpha applies to leakyRelu and elu only, not 'relu'/],
    [{ l1: -1 }, /layer 0 l1 must be a non-negative number/],
    [{ l2: Number.POSITIVE_INFINITY }, /layer 0 l2 must be a non-negative number/],
    [{ initializer: 'xavier' }, /unknown initializer 'xavier'; expected one of heNormal, heUniform/],
    [{ batchNorm: 'yes' }, /batchNorm must be true, false or \{ momentum, epsilon \}/],
    [{ batchNorm: { momentum: 2 } }, /batchNorm.momentum must be in \[0, 1\]/],
    [{ batchNorm: { epsilon: 0 } }, /batchNorm.epsilon must be a positive number/],
    [{ batchNorm: { momentun: 0.1 } }, /momentun.*did you mean.*momentum/],
    [{ dropuot: 0.5 }, /dropuot.*did you mean.*dropout/],
    [{ activation: 'swish' }, /unknown activation 'swish'/],
  ])('%j is rejected clearly', (layer, message) => {
    expect(() => normalizeSpec(withLayer(layer as Partial<LayerSpec>))).toThrow(message);
  });

  it('dropout on the output layer is rejected', () => {
    expect(() => normalizeSpec(withLayer({}, { units: 2, dropout: 0.5 }))).toThrow(
      /layer 1: dropout applies to hidden layers/,
    );
  });

  it('huberDelta: default 1, positive only', () => {
    expect(normalizeSpec({ ...withLayer({}), loss: 'huber' }).huberDelta).toBe(1);
    expect(() => normalizeSpec({ ...withLayer({}), loss: 'huber', huberDelta: 0 })).toThrow(
      /huberDelta must be a positive number/,
    );
    expect(() => normalizeSpec({ ...withLayer({}), loss: 'hinge' as 'mae' })).toThrow(/unknown loss 'hinge'/);
  });
});

describe('optimizers', () => {
  it("rmsprop and adagrad take PyTorch's defaults", () => {
    expect(normalizeOptimizer('rmsprop')).toMatchObject({
      learningRate: 0.01,
      alpha: 0.99,
      epsilon: 1e-8,
      momentum: 0,
      centered: false,
      weightDecay: 0,
    });
    expect(normalizeOptimizer('adagrad')).toMatchObject({
      learningRate: 0.01,
      lrDecay: 0,
      initialAccumulatorValue: 0,
      epsilon: 1e-10,
      weightDecay: 0,
    });
  });

  it.each([
    [{ type: 'rmsprop', alpha: 1 }, /optimizer.alpha must be in \[0, 1\)/],
    [{ type: 'rmsprop', centered: 'yes' }, /optimizer.centered must be true or false/],
    [{ type: 'adagrad', lrDecay: -1 }, /optimizer.lrDecay must be a non-negative number/],
    [{ type: 'adagrad', initialAccumulatorValue: -1 }, /initialAccumulatorValue must be a non-negative number/],
    [{ type: 'adagard' }, /unknown optimizer 'adagard'/],
  ])('%j is rejected clearly', (config, message) => {
    expect(() => normalizeOptimizer(config as never)).toThrow(message);
  });
});

describe('describe() and summary() show the options', () => {
  it('α, dropout, penalties and batch norm (γ, β, running statistics, ε, momentum) in describe(); a line each in summary()', async () => {
    const model = await createModel({
      inputSize: 3,
      layers: [
        { units: 4, activation: 'leakyRelu', alpha: 0.2, dropout: 0.5, l2: 0.01, batchNorm: true },
        { units: 4, activation: 'gelu', l1: 0.001, initializer: 'lecunNormal' },
        { units: 2, activation: 'softmax' },
      ],
    });
    const [first, second] = model.describe().layers;
    expect(first).toMatchObject({ activation: 'leakyRelu', alpha: 0.2, dropout: 0.5, l2: 0.01 });
    expect(first.batchNorm).toEqual({
      gamma: new Float32Array([1, 1, 1, 1]),
      beta: new Float32Array(4),
      runningMean: new Float32Array(4),
      runningVar: new Float32Array([1, 1, 1, 1]),
      epsilon: 1e-5,
      momentum: 0.1,
    });
    expect(second).toMatchObject({ activation: 'gelu', l1: 0.001 });
    expect(second.batchNorm).toBeUndefined();
    const summary = model.summary().split('\n');
    expect(summary[1]).toBe(
      'dense_0 3 -> 4 leakyRelu (alpha 0.2), batchNorm (momentum 0.1, epsilon 0.00001), dropout 0.5, l2 0.01 (32 parameters)',
    );
    expect(summary[2]).toBe('dense_1 4 -> 4 gelu, l1 0.001, initializer lecunNormal (20 parameters)');
    expect(model.parameterCount).toBe(32 + 20 + 10);
    model.dispose();
  });

  it('the initializer is used: zeros gives zero weights, lecunNormal a different draw than the default', async () => {
    const zeros = await createModel({ inputSize: 3, layers: [{ units: 4, initializer: 'zeros' }, { units: 2 }] });
    expect(Array.from(zeros.describe().layers[0].weights).every((w) => w === 0)).toBe(true);
    const plain = await createModel({ inputSize: 3, layers: [{ units: 4 }, { units: 2 }] });
    const lecun = await createModel({ inputSize: 3, layers: [{ units: 4, initializer: 'lecunNormal' }, { units: 2 }] });
    expect(lecun.describe().layers[0].weights).not.toEqual(plain.describe().layers[0].weights);
  });
});

describe('descriptions and the reported loss', () => {
  it('modelFromDescription rebuilds a batch-norm, dropout, leakyRelu model from describe(): the same predictions, bit for bit', async () => {
    const { modelFromDescription } = await import('../../src/index.js');
    const model = await createModel({
      inputSize: 3,
      layers: [
        { units: 5, activation: 'leakyRelu', alpha: 0.3, batchNorm: { momentum: 0.5, epsilon: 1e-3 }, dropout: 0.4 },
        { units: 2, activation: 'softmax' },
      ],
      seed: 3,
    });
    const inputs = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i));
    const labels = Int32Array.from({ length: 10 }, (_, i) => i % 2);
    await model.fit({ inputs, labels, count: 10, inputSize: 3 }, { epochs: 3, batchSize: 5 });
    const rebuilt = await modelFromDescription(model.describe());
    expect(rebuilt.describe()).toEqual(model.describe());
    expect(rebuilt.predict(inputs)).toEqual(model.predict(inputs));
  });

  it('evaluate reports the data loss plus the L1/L2 penalties (as Keras)', async () => {
    const layers = [
      { units: 4, activation: 'tanh' as const },
      { units: 2, activation: 'linear' as const },
    ];
    const plain = await createModel({ inputSize: 3, layers, seed: 2 });
    const penalised = await createModel({
      inputSize: 3,
      layers: [
        { ...layers[0], l1: 0.01, l2: 0.02 },
        { ...layers[1], l2: 0.5 },
      ],
      seed: 2,
    });
    const data = {
      inputs: new Float32Array([1, 2, 3, -1, 0.5, 0]),
      targets: new Float32Array([1, 0, 0, 1]),
      count: 2,
      inputSize: 3,
    };
    const [w0, w1] = penalised.describe().layers.map((layer) => Array.from(layer.weights));
    const f = Math.fround;
    const penalty =
      f(0.01) * w0.reduce((s, w) => s + Math.abs(w), 0) +
      f(0.02) * w0.reduce((s, w) => s + w * w, 0) +
      f(0.5) * w1.reduce((s, w) => s + w * w, 0);
    expect(penalty).toBeGreaterThan(0.01);
    expect(penalised.evaluate(data).loss).toBeCloseTo(plain.evaluate(data).loss + penalty, 6);
  });
});
