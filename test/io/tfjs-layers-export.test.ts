/**
 * toTfjsLayers details: the model.json layout tfjs itself writes, a bit-exact round trip
 * through fromTfjsLayers, the options, and the descriptions it refuses. The model cases
 * every exporter runs in its runtime (here @tensorflow/tfjs) are in export-conformance.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { fromTfjsLayers, toTfjsLayers } from '../../src/io/tfjs-layers.js';
import { randomDescription } from './reference-model.js';

describe('toTfjsLayers', () => {
  it('writes the model.json layout tfjs writes', () => {
    const desc = randomDescription(71, 3, [
      { units: 4, activation: 'relu' },
      { units: 2, activation: 'softmax' },
    ]);
    const { modelJson, weightsBin } = toTfjsLayers(desc);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.generatedBy).toBe('simdnet');
    expect(modelJson.weightsManifest).toEqual([
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'dense_1/kernel', shape: [3, 4], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [4], dtype: 'float32' },
          { name: 'dense_2/kernel', shape: [4, 2], dtype: 'float32' },
          { name: 'dense_2/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ]);
    const topology = modelJson.modelTopology as {
      class_name: string;
      config: { layers: { config: Record<string, unknown> }[] };
    };
    expect(topology.class_name).toBe('Sequential');
    expect(topology.config.layers[0].config).toMatchObject({
      units: 4,
      activation: 'relu',
      use_bias: true,
      batch_input_shape: [null, 3],
    });
    expect(topology.config.layers[1].config).toMatchObject({ units: 2, activation: 'softmax', name: 'dense_2' });
    expect(weightsBin.byteLength).toBe((3 * 4 + 4 + 4 * 2 + 2) * 4);
    // Little-endian float32, kernel first: the first four bytes are W[0][0].
    expect(new DataView(weightsBin.buffer).getFloat32(0, true)).toBe(desc.layers[0].weights[0]);
  });

  it('round-trips through fromTfjsLayers bit for bit', () => {
    const desc = randomDescription(73, 7, [
      { units: 5, activation: 'softplus' },
      { units: 3, activation: 'sigmoid' },
    ]);
    const { modelJson, weightsBin } = toTfjsLayers(desc);
    expect(fromTfjsLayers(JSON.stringify(modelJson), weightsBin)).toEqual(desc);
  });

  it('honours the options', () => {
    const desc = randomDescription(79, 2, [{ units: 1, activation: 'linear' }]);
    const { modelJson } = toTfjsLayers(desc, { modelName: 'm', weightsPath: 'm.weights.bin', generatedBy: 'me' });
    expect(modelJson.weightsManifest[0].paths).toEqual(['m.weights.bin']);
    expect(modelJson.generatedBy).toBe('me');
    expect((modelJson.modelTopology as { config: { name: string } }).config.name).toBe('m');
  });

  it('rejects an invalid description, naming the layer', () => {
    const bad = randomDescription(83, 3, [{ units: 2, activation: 'relu' }]);
    bad.layers[0].bias = new Float32Array(3);
    expect(() => toTfjsLayers(bad)).toThrow(
      /toTfjsLayers: layer 0: bias must be a Float32Array of 2 values, got 3 values/,
    );
  });
});

describe('toTfjsLayers: batch norm, dropout, alpha and the new activations', () => {
  const desc = randomDescription(73, 4, [
    { units: 6, activation: 'leakyRelu', alpha: 0.2, batchNorm: { epsilon: 1e-3, momentum: 0.25 }, dropout: 0.4 },
    { units: 5, activation: 'gelu', batchNorm: true },
    { units: 5, activation: 'silu', dropout: 0.1 },
    { units: 4, activation: 'elu' },
    { units: 3, activation: 'selu' },
  ]);

  it('writes Dense, BatchNormalization (Keras momentum = 1 - PyTorch momentum), Activation, LeakyReLU and Dropout layers', () => {
    const { modelJson } = toTfjsLayers(desc);
    const layers = (
      modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }
    ).config.layers;
    expect(layers.map((l) => `${l.class_name}:${l.config.name}`)).toEqual([
      'Dense:dense_1',
      'BatchNormalization:batch_normalization_1',
      'LeakyReLU:leaky_re_lu_1',
      'Dropout:dropout_1',
      'Dense:dense_2',
      'BatchNormalization:batch_normalization_2',
      'Activation:activation_2',
      'Dense:dense_3',
      'Dropout:dropout_3',
      'Dense:dense_4',
      'Dense:dense_5',
    ]);
    expect(layers.map((l) => l.config.activation ?? null)).toEqual([
      'linear',
      null,
      null,
      null,
      'linear',
      null,
      'gelu',
      'swish',
      null,
      'elu',
      'selu',
    ]);
    expect(layers[1].config).toMatchObject({ axis: -1, momentum: 0.75, epsilon: 1e-3 });
    expect(layers[2].config.alpha).toBe(0.2);
    expect(layers[3].config.rate).toBe(0.4);
    expect(modelJson.weightsManifest[0].weights.map((w) => w.name).slice(2, 6)).toEqual([
      'batch_normalization_1/gamma',
      'batch_normalization_1/beta',
      'batch_normalization_1/moving_mean',
      'batch_normalization_1/moving_variance',
    ]);
  });

  it('fromTfjsLayers reads it back: the same bits, alpha, dropout, epsilon and momentum', () => {
    const { modelJson, weightsBin } = toTfjsLayers(desc);
    const back = fromTfjsLayers(JSON.parse(JSON.stringify(modelJson)), weightsBin);
    back.layers.forEach((layer, l) => {
      const original = desc.layers[l];
      expect(layer.activation).toBe(original.activation);
      expect(layer.weights).toEqual(original.weights);
      expect(layer.alpha).toBe(original.alpha);
      expect(layer.dropout).toBe(original.dropout);
      if (!original.batchNorm) return expect(layer.batchNorm).toBeUndefined();
      expect({ ...layer.batchNorm, momentum: 0 }).toEqual({ ...original.batchNorm, momentum: 0 });
      expect(layer.batchNorm!.momentum).toBeCloseTo(original.batchNorm.momentum, 12);
    });
  });

  it('refuses what tfjs 4.22 cannot load, saying why: geluTanh, elu with alpha != 1', () => {
    expect(() => toTfjsLayers(randomDescription(1, 2, [{ units: 2, activation: 'geluTanh' }]))).toThrow(
      /layer 0: 'geluTanh' has no loadable TF.js form .*'gelu_new'/,
    );
    expect(() => toTfjsLayers(randomDescription(1, 2, [{ units: 2, activation: 'elu', alpha: 0.5 }]))).toThrow(
      /layer 0: elu with alpha 0.5 has no TF.js form/,
    );
  });
});
