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
