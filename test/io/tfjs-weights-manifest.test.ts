/**
 * fromTfjsLayers' reading of weights manifests: weights split across files and groups,
 * wrong byte counts, shapes that disagree with the topology, and the weight encodings
 * (checked against tfjs-core's own tf.io.decodeWeights).
 */

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fromTfjsLayers,
  toTfjsLayers,
  type TfjsLayersModelJson,
  type TfjsWeightsManifestEntry,
} from '../../src/io/tfjs-layers.js';
import { float16ToFloat32 } from '../../src/io/tfjs-weights.js';
import { randomDescription } from './reference-model.js';
import { useCpuBackend } from './tfjs-helpers.js';

beforeAll(useCpuBackend);

const desc = randomDescription(101, 3, [
  { units: 4, activation: 'relu' },
  { units: 2, activation: 'softmax' },
]);
const exported = toTfjsLayers(desc);
/** dense_1/kernel 48 B, dense_1/bias 16 B, dense_2/kernel 32 B, dense_2/bias 8 B: 104 bytes. */
const bin = exported.weightsBin;
const specs = exported.modelJson.weightsManifest[0].weights;

function withManifest(
  weightsManifest: { paths: string[]; weights: TfjsWeightsManifestEntry[] }[],
): TfjsLayersModelJson {
  return { ...structuredClone(exported.modelJson), weightsManifest };
}

function withSpecs(change: (specs: TfjsWeightsManifestEntry[]) => void): TfjsLayersModelJson {
  const copy = structuredClone(specs);
  change(copy);
  return withManifest([{ paths: ['weights.bin'], weights: copy }]);
}

describe('weights split across files and groups', () => {
  it('one group, two files split mid-tensor, one buffer per path', () => {
    const json = withManifest([{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs }]);
    expect(fromTfjsLayers(json, [bin.slice(0, 10), bin.slice(10)])).toEqual(desc);
  });

  it('two groups, as ArrayBuffers per path or one concatenated buffer', () => {
    const json = withManifest([
      { paths: ['group1-shard1of1.bin'], weights: specs.slice(0, 2) },
      { paths: ['group2-shard1of2.bin', 'group2-shard2of2.bin'], weights: specs.slice(2) },
    ]);
    const perPath = [bin.slice(0, 64).buffer, bin.slice(64, 70).buffer, bin.slice(70).buffer];
    expect(fromTfjsLayers(json, perPath)).toEqual(desc);
    expect(fromTfjsLayers(json, bin.slice().buffer)).toEqual(desc);
  });

  it('a truncated or overlong weights file is an error stating both sizes', () => {
    expect(() => fromTfjsLayers(exported.modelJson, bin.slice(0, -4))).toThrow(
      /holds 100 bytes but the weights manifest describes 104 bytes \(files: weights\.bin\)/,
    );
    const longer = new Uint8Array(108);
    longer.set(bin);
    expect(() => fromTfjsLayers(exported.modelJson, longer)).toThrow(
      /holds 108 bytes but the weights manifest describes 104/,
    );
  });

  it("a short file among several is an error naming its group's files", () => {
    const json = withManifest([
      { paths: ['a.bin'], weights: specs.slice(0, 2) },
      { paths: ['b.bin'], weights: specs.slice(2) },
    ]);
    expect(() => fromTfjsLayers(json, [bin.slice(0, 64), bin.slice(64, 100)])).toThrow(
      /weight files \[b\.bin\] hold 36 bytes but their manifest group describes 40 bytes \(dense_2\/kernel \[4, 2\] float32; dense_2\/bias \[2\] float32\)/,
    );
  });

  it('weights in the optimizer group are skipped', () => {
    const json = withManifest([
      { paths: ['weights.bin'], weights: [...specs, { name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' }] },
    ]);
    const withOptimizer = new Uint8Array(bin.byteLength + 4);
    withOptimizer.set(bin);
    expect(fromTfjsLayers(json, withOptimizer)).toEqual(desc);
  });
});

describe('manifest and topology must agree', () => {
  it('a kernel shape that disagrees with the topology', () => {
    const json = withSpecs((s) => (s[2].shape = [2, 4]));
    expect(() => fromTfjsLayers(json, bin)).toThrow(
      /Dense layer 'dense_2': kernel 'dense_2\/kernel' has shape \[2, 4\] in the weights manifest, but the topology needs \[4, 2\]/,
    );
  });

  it('a declared input shape that disagrees with the first kernel', () => {
    const json = structuredClone(exported.modelJson);
    (json.modelTopology as any).config.layers[0].config.batch_input_shape = [null, 6];
    expect(() => fromTfjsLayers(json, bin)).toThrow(/'dense_1\/kernel' has shape \[3, 4\] .* needs \[6, 4\]/);
  });

  it('a bias shape that disagrees with units', () => {
    const json = withSpecs((s) => {
      s[1].shape = [2, 2];
    });
    expect(() => fromTfjsLayers(json, bin)).toThrow(/bias 'dense_1\/bias' has shape \[2, 2\] .* needs \[4\]/);
  });

  it('a missing weight, listing what the manifest has', () => {
    const json = withSpecs((s) => (s[3].name = 'other/bias'));
    expect(() => fromTfjsLayers(json, bin)).toThrow(
      /Dense layer 'dense_2': no weight 'dense_2\/bias' in the weights manifest \(it has: .*other\/bias\)/,
    );
  });

  it('a weight no layer uses', () => {
    const json = withManifest([
      { paths: ['weights.bin'], weights: [...specs, { name: 'stray/w', shape: [1], dtype: 'float32' }] },
    ]);
    const longer = new Uint8Array(bin.byteLength + 4);
    longer.set(bin);
    expect(() => fromTfjsLayers(json, longer)).toThrow(
      /weights \[stray\/w\] in the manifest belong to no Dense or BatchNormalization layer/,
    );
  });

  it('not a layers model, or not a model.json at all', () => {
    expect(() => fromTfjsLayers({ ...exported.modelJson, format: 'graph-model' }, bin)).toThrow(
      /format 'graph-model'; only 'layers-model'/,
    );
    expect(() => fromTfjsLayers('{not json', bin)).toThrow(/model.json is not valid JSON/);
    expect(() => fromTfjsLayers({ format: 'layers-model' } as TfjsLayersModelJson, bin)).toThrow(/no modelTopology/);
    const { weightsManifest, ...noManifest } = exported.modelJson;
    expect(weightsManifest).toBeDefined();
    expect(() => fromTfjsLayers(noManifest, bin)).toThrow(/neither weightsManifest nor weightSpecs/);
  });
});

describe('weight encodings', () => {
  /** A 3 -> 2 linear model whose two weights use the given specs and bytes. */
  function tinyModel(kernel: TfjsWeightsManifestEntry, bias: TfjsWeightsManifestEntry, bytes: Uint8Array) {
    const small = toTfjsLayers(randomDescription(103, 3, [{ units: 2, activation: 'linear' }]));
    const json = { ...small.modelJson, weightsManifest: [{ paths: ['w.bin'], weights: [kernel, bias] }] };
    return fromTfjsLayers(json, bytes);
  }

  it('uint8 / float16 / uint16 quantization and int32 decode exactly as tf.io.decodeWeights does', () => {
    // dense_1/kernel: 6 uint8 codes, value = q * scale + min; dense_1/bias: 2 float16 halves.
    const kernelSpec: TfjsWeightsManifestEntry = {
      name: 'dense_1/kernel',
      shape: [3, 2],
      dtype: 'float32',
      quantization: { dtype: 'uint8', scale: 0.01, min: -1.2 },
    };
    const biasSpec: TfjsWeightsManifestEntry = {
      name: 'dense_1/bias',
      shape: [2],
      dtype: 'float32',
      quantization: { dtype: 'float16' },
    };
    const bytes = Uint8Array.of(0, 7, 128, 200, 255, 31, /* 1.5 */ 0x00, 0x3e, /* -0.333 */ 0x55, 0xb5);
    const imported = tinyModel(kernelSpec, biasSpec, bytes);
    const reference = tf.io.decodeWeights(bytes.slice().buffer, [kernelSpec, biasSpec] as tf.io.WeightsManifestEntry[]);
    expect(imported.layers[0].weights).toEqual(reference['dense_1/kernel'].dataSync());
    expect(imported.layers[0].bias).toEqual(reference['dense_1/bias'].dataSync());
    expect(imported.layers[0].bias[0]).toBe(1.5);

    const uint16Kernel: TfjsWeightsManifestEntry = {
      name: 'dense_1/kernel',
      shape: [3, 2],
      dtype: 'float32',
      quantization: { dtype: 'uint16', scale: 1e-4, min: -3 },
    };
    const int32Bias: TfjsWeightsManifestEntry = { name: 'dense_1/bias', shape: [2], dtype: 'int32' };
    const bytes2 = new Uint8Array(6 * 2 + 2 * 4);
    const view = new DataView(bytes2.buffer);
    [0, 1, 30000, 65535, 12345, 2].forEach((q, i) => view.setUint16(2 * i, q, true));
    view.setInt32(12, -7, true);
    view.setInt32(16, 42, true);
    const imported2 = tinyModel(uint16Kernel, int32Bias, bytes2);
    const reference2 = tf.io.decodeWeights(bytes2.slice().buffer, [
      uint16Kernel,
      int32Bias,
    ] as tf.io.WeightsManifestEntry[]);
    expect(imported2.layers[0].weights).toEqual(reference2['dense_1/kernel'].dataSync());
    expect(Array.from(imported2.layers[0].bias)).toEqual([-7, 42]);
  });

  it('a plain float16 dtype is read as half floats', () => {
    const bytes = new Uint8Array(8 * 2);
    const view = new DataView(bytes.buffer);
    [0x3c00, 0xc000, 0x3800, 0, 0x7bff, 0x0001, /* bias */ 0x3400, 0xb400].forEach((h, i) =>
      view.setUint16(2 * i, h, true),
    );
    const imported = tinyModel(
      { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float16' },
      { name: 'dense_1/bias', shape: [2], dtype: 'float16' },
      bytes,
    );
    expect(Array.from(imported.layers[0].weights)).toEqual([1, -2, 0.5, 0, 65504, Math.fround(2 ** -24)]);
    expect(Array.from(imported.layers[0].bias)).toEqual([0.25, -0.25]);
  });

  it('bool, string and complex64 weights are errors naming the weight and dtype', () => {
    const kernel = { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float32' };
    for (const dtype of ['bool', 'string', 'complex64']) {
      expect(() => tinyModel(kernel, { name: 'dense_1/bias', shape: [2], dtype }, new Uint8Array(24 + 16))).toThrow(
        new RegExp(`weight 'dense_1/bias' has dtype '${dtype}'; only float32, int32, float16`),
      );
    }
  });

  it('float16ToFloat32 handles zero, subnormals, normals, infinity and NaN', () => {
    expect(float16ToFloat32(0x0000)).toBe(0);
    expect(Object.is(float16ToFloat32(0x8000), -0)).toBe(true);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
  });
});
