/**
 * Models that travel, checked against PyTorch (Debian python3-torch, /usr/bin/python3):
 *
 *   PyTorch MLP, trained briefly -> safetensors and ONNX -> simdnet predicts the same (1e-5)
 *   -> simdnet fine-tunes it -> safetensors and ONNX -> PyTorch predicts what simdnet predicts (1e-5)
 *   simdnet model -> safetensors and ONNX -> PyTorch predicts the same (1e-5)
 *
 * Every network has a non-square layer and a square one (a missed transpose changes the
 * values, not only the shapes) and several activations (a wrong mapping changes the outputs);
 * one check loads with the wrong activations and expects a large difference, so a
 * comparison that could not fail would show. Skipped with the reason printed when python3 or
 * torch is missing, unless CI is set (then required). The PyTorch side is ./pytorch/torch_mlp.py.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Activation,
  createModel,
  fromOnnx,
  fromSafetensors,
  type Model,
  toOnnx,
  toSafetensors,
} from '../../src/index.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { skipWithoutPython, TorchWorker } from './pytorch/torch.js';

const TOLERANCE = 1e-5;
const skip = skipWithoutPython(['torch', 'onnx'], 'the PyTorch round-trip tests');
const dir = mkdtempSync(join(tmpdir(), 'simdnet-torch-'));
const torch = skip ? undefined : new TorchWorker();
const runTorch = <T>(job: Record<string, unknown>) => torch!.run<T>(job);
afterAll(() => {
  torch?.close();
  rmSync(dir, { recursive: true, force: true });
});

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

interface TorchCase {
  name: string;
  sizes: number[];
  activations: Activation[];
  dtype: 'F32' | 'F16' | 'BF16' | 'F64';
  /** nn.Dropout after each hidden activation: Linear indices 0, 3, 6 (gaps in the names). */
  dropout?: boolean;
  /** nn.Flatten first: Linear indices 1, 3, ... and a Flatten node in the ONNX graph. */
  flatten?: boolean;
  /** A 3-D example input: torch writes MatMul + Add instead of Gemm. */
  matmul?: boolean;
  opset: number;
}

const CASES: TorchCase[] = [
  {
    name: 'relu-tanh-softmax, F32, Gemm',
    sizes: [6, 9, 9, 4],
    activations: ['relu', 'tanh', 'softmax'],
    dtype: 'F32',
    opset: 14,
  },
  {
    name: 'softplus-sigmoid-linear with Dropout, F64, MatMul + Add',
    sizes: [5, 8, 8, 3],
    activations: ['softplus', 'sigmoid', 'linear'],
    dtype: 'F64',
    dropout: true,
    matmul: true,
    opset: 13,
  },
  {
    name: 'tanh-relu-softmax with Flatten, BF16, opset 11',
    sizes: [4, 6, 6, 3],
    activations: ['tanh', 'relu', 'softmax'],
    dtype: 'BF16',
    flatten: true,
    opset: 11,
  },
  {
    name: 'relu-sigmoid-sigmoid, F16, opset 17',
    sizes: [3, 5, 5, 2],
    activations: ['relu', 'sigmoid', 'sigmoid'],
    dtype: 'F16',
    opset: 17,
  },
];

/** The outputs PyTorch computes for `inputs` from a file simdnet wrote. */
async function torchPredicts(
  model: Model,
  inputs: Float32Array,
  tag: string,
): Promise<{ safetensors: number[]; onnx: number[] }> {
  const safetensorsPath = join(dir, `${tag}.safetensors`);
  const onnxPath = join(dir, `${tag}.onnx`);
  writeFileSync(safetensorsPath, toSafetensors(model));
  writeFileSync(onnxPath, toOnnx(model.describe()));
  const activations = model.layers.map((l) => l.activation);
  const fromFile = await runTorch<{ outputs: number[]; metadata: Record<string, string> }>({
    cmd: 'predict',
    safetensors: safetensorsPath,
    activations,
    inputs: Array.from(inputs),
  });
  expect(fromFile.metadata.format).toBe('pt');
  const fromOnnxFile = await runTorch<{ outputs: number[] }>({
    cmd: 'predict_onnx',
    onnx: onnxPath,
    input_size: model.inputSize,
    inputs: Array.from(inputs),
  });
  return { safetensors: fromFile.outputs, onnx: fromOnnxFile.outputs };
}

/** A small fine-tuning set for `model`: 32 rows, labels or targets from a fixed rule. */
function fineTuneData(model: Model, seed: number) {
  const random = seededRandom(seed);
  const rows = 32;
  const inputs = uniform(random, rows * model.inputSize, -2, 2);
  const output = model.layers[model.layers.length - 1];
  if (output.activation === 'softmax') {
    const labels = Int32Array.from({ length: rows }, (_, r) => (inputs[r * model.inputSize] > 0 ? 1 : 0));
    return { inputs, labels };
  }
  const targets = Float32Array.from({ length: rows * output.units }, (_, i) =>
    inputs[i % inputs.length] > 0 ? 0.8 : 0.2,
  );
  return { inputs, targets };
}

describe.skipIf(skip)('PyTorch -> simdnet -> fine-tune -> PyTorch', () => {
  for (const [index, testCase] of CASES.entries()) {
    it(testCase.name, async () => {
      const tag = `case${index}`;
      const inputs = uniform(seededRandom(100 + index), 10 * testCase.sizes[0], -2, 2);
      const safetensorsPath = join(dir, `${tag}-torch.safetensors`);
      const onnxPath = join(dir, `${tag}-torch.onnx`);
      const trained = await runTorch<{ outputs: number[]; names: string[] }>({
        cmd: 'train',
        seed: index + 1,
        sizes: testCase.sizes,
        activations: testCase.activations,
        dtype: testCase.dtype,
        dropout: testCase.dropout ?? false,
        flatten: testCase.flatten ?? false,
        matmul: testCase.matmul ?? false,
        opset: testCase.opset,
        safetensors: safetensorsPath,
        onnx: onnxPath,
        inputs: Array.from(inputs),
      });
      const stride = testCase.dropout ? 3 : 2;
      const first = testCase.flatten ? 1 : 0;
      expect(trained.names).toEqual(
        testCase.activations.flatMap((_, l) => [`${first + stride * l}.weight`, `${first + stride * l}.bias`]),
      );

      // PyTorch -> simdnet, both formats.
      const fromTensors = await fromSafetensors(readFileSync(safetensorsPath), { activations: testCase.activations });
      expect(maxAbsDifference(fromTensors.predict(inputs), trained.outputs)).toBeLessThanOrEqual(TOLERANCE);
      const fromGraph = await fromOnnx(readFileSync(onnxPath));
      expect(fromGraph.layers.map((l) => l.activation)).toEqual(testCase.activations);
      expect(maxAbsDifference(fromGraph.predict(inputs), trained.outputs)).toBeLessThanOrEqual(TOLERANCE);
      if (testCase.dtype === 'F32') {
        // The same f32 weights through both formats.
        const a = fromTensors.describe();
        const b = fromGraph.describe();
        a.layers.forEach((layer, l) =>
          expect(new Uint32Array(layer.weights.buffer)).toEqual(new Uint32Array(b.layers[l].weights.buffer)),
        );
      }

      // The comparison can fail: the wrong activations give other outputs.
      const wrong = testCase.activations.map((a, l) =>
        l === testCase.activations.length - 1 ? a : a === 'relu' ? 'tanh' : 'relu',
      );
      const misread = await fromSafetensors(readFileSync(safetensorsPath), { activations: wrong });
      expect(maxAbsDifference(misread.predict(inputs), trained.outputs)).toBeGreaterThan(1e-3);

      // Fine-tune in simdnet; the weights move; PyTorch then predicts what simdnet predicts.
      const before = fromTensors.describe();
      await fromTensors.fit(fineTuneData(fromTensors, index), { epochs: 3, batchSize: 8 });
      expect(maxAbsDifference(fromTensors.describe().layers[0].weights, before.layers[0].weights)).toBeGreaterThan(
        1e-4,
      );
      const tuned = fromTensors.predict(inputs);
      const back = await torchPredicts(fromTensors, inputs, `${tag}-tuned`);
      expect(maxAbsDifference(back.safetensors, tuned)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDifference(back.onnx, tuned)).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe.skipIf(skip)('simdnet -> PyTorch', () => {
  it('a model trained in simdnet predicts the same in PyTorch, from safetensors and from ONNX', async () => {
    const model = await createModel({
      inputSize: 3,
      layers: [
        { units: 7, activation: 'sigmoid' },
        { units: 7, activation: 'softplus' },
        { units: 2, activation: 'sigmoid' },
      ],
      seed: 5,
    });
    await model.fit(fineTuneData(model, 1), { epochs: 5, batchSize: 8 });
    const inputs = uniform(seededRandom(7), 12 * 3, -3, 3);
    const expected = model.predict(inputs);
    const inTorch = await torchPredicts(model, inputs, 'simdnet');
    expect(maxAbsDifference(inTorch.safetensors, expected)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDifference(inTorch.onnx, expected)).toBeLessThanOrEqual(TOLERANCE);
    // And back: the file PyTorch read loads alone (architecture from its metadata), to the same bits.
    const again = await fromSafetensors(readFileSync(join(dir, 'simdnet.safetensors')));
    expect(again.predict(inputs)).toEqual(expected);
  });
});
