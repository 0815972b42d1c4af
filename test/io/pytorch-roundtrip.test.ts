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
  /** nn.BatchNorm1d after these layers' Linear. */
  batchNorm?: boolean[];
  /** α per layer for LeakyReLU / ELU (absent: PyTorch's default). */
  alphas?: (number | null)[];
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
    name: 'BatchNorm1d, LeakyReLU(0.2), GELU, Dropout, softmax, F32, opset 13 (GELU as Erf arithmetic)',
    sizes: [6, 9, 9, 4],
    activations: ['leakyRelu', 'gelu', 'softmax'],
    alphas: [0.2],
    batchNorm: [true, true, false],
    dropout: true,
    dtype: 'F32',
    opset: 13,
  },
  {
    name: 'ELU(0.7), SELU, SiLU with BatchNorm1d, linear output, F32, opset 17',
    sizes: [5, 8, 8, 6, 3],
    activations: ['elu', 'selu', 'silu', 'linear'],
    alphas: [0.7],
    batchNorm: [true, false, true, true],
    dtype: 'F32',
    opset: 17,
  },
  {
    name: 'GELU(tanh), ELU, LeakyReLU with their default alpha and BatchNorm1d, F64, opset 14',
    sizes: [4, 7, 7, 5, 2],
    activations: ['geluTanh', 'elu', 'leakyRelu', 'sigmoid'],
    batchNorm: [false, true, true, false],
    dtype: 'F64',
    opset: 14,
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
  const layers = model.describe().layers;
  const fromFile = await runTorch<{ outputs: number[]; metadata: Record<string, string> }>({
    cmd: 'predict',
    safetensors: safetensorsPath,
    activations: layers.map((l) => l.activation),
    alphas: layers.map((l) => l.alpha ?? null),
    batch_norm: layers.map((l) => l.batchNorm !== undefined),
    epsilons: layers.map((l) => l.batchNorm?.epsilon ?? 1e-5),
    dropout: layers.map((l) => (l.dropout ?? 0) > 0),
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
        batch_norm: testCase.batchNorm ?? null,
        alphas: testCase.alphas ?? null,
        safetensors: safetensorsPath,
        onnx: onnxPath,
        inputs: Array.from(inputs),
      });
      // nn.Sequential's numbering: [Flatten], then per layer Linear, [BatchNorm1d], act, [Dropout].
      const expectedNames: string[] = [];
      let moduleIndex = testCase.flatten ? 1 : 0;
      testCase.activations.forEach((_, l) => {
        expectedNames.push(`${moduleIndex}.weight`, `${moduleIndex}.bias`);
        moduleIndex++;
        if (testCase.batchNorm?.[l]) {
          const bn = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];
          expectedNames.push(...bn.map((p) => `${moduleIndex}.${p}`));
          moduleIndex++;
        }
        moduleIndex += testCase.dropout && l < testCase.activations.length - 1 ? 2 : 1;
      });
      expect(trained.names).toEqual(expectedNames);

      // PyTorch -> simdnet, both formats. A full spec carries alpha and marks the batch-norm layers.
      const layers = testCase.activations.map((activation, l) => ({
        units: testCase.sizes[l + 1],
        activation,
        ...(testCase.alphas?.[l] ? { alpha: testCase.alphas[l] } : {}),
        ...(testCase.batchNorm?.[l] ? { batchNorm: true } : {}),
        ...(testCase.dropout && l < testCase.activations.length - 1 ? { dropout: 0.25 } : {}),
      }));
      const fromTensors = await fromSafetensors(
        readFileSync(safetensorsPath),
        testCase.alphas || testCase.batchNorm ? { layers } : { activations: testCase.activations },
      );
      expect(maxAbsDifference(fromTensors.predict(inputs), trained.outputs)).toBeLessThanOrEqual(TOLERANCE);
      const fromGraph = await fromOnnx(readFileSync(onnxPath));
      expect(fromGraph.layers.map((l) => l.activation)).toEqual(testCase.activations);
      const graphLayers = fromGraph.describe().layers;
      testCase.activations.forEach((activation, l) => {
        if (activation === 'leakyRelu' || activation === 'elu')
          expect(graphLayers[l].alpha).toBeCloseTo(testCase.alphas?.[l] ?? (activation === 'elu' ? 1 : 0.01), 6);
        expect(graphLayers[l].batchNorm !== undefined).toBe(testCase.batchNorm?.[l] ?? false);
        if (graphLayers[l].batchNorm) {
          expect(graphLayers[l].batchNorm!.epsilon).toBeCloseTo(1e-5, 10);
          expect(graphLayers[l].batchNorm!.momentum).toBeCloseTo(0.1, 6);
        }
      });
      expect(maxAbsDifference(fromGraph.predict(inputs), trained.outputs)).toBeLessThanOrEqual(TOLERANCE);
      if (testCase.dtype === 'F32') {
        // The same f32 weights through both formats.
        const a = fromTensors.describe();
        const b = fromGraph.describe();
        a.layers.forEach((layer, l) => {
          expect(new Uint32Array(layer.weights.buffer)).toEqual(new Uint32Array(b.layers[l].weights.buffer));
          expect(layer.batchNorm?.runningMean).toEqual(b.layers[l].batchNorm?.runningMean);
          expect(layer.batchNorm?.runningVar).toEqual(b.layers[l].batchNorm?.runningVar);
        });
      }

      // The comparison can fail: the wrong activations give other outputs.
      const wrong = testCase.activations.map((a, l) =>
        l === testCase.activations.length - 1 ? a : a === 'relu' ? 'tanh' : 'relu',
      );
      const misread = await fromSafetensors(readFileSync(safetensorsPath), { activations: wrong });
      expect(maxAbsDifference(misread.predict(inputs), trained.outputs)).toBeGreaterThan(1e-3);
      if (testCase.batchNorm) {
        // ... and so do running mean and variance swapped.
        const swapped = fromTensors.describe();
        for (const layer of swapped.layers) {
          if (!layer.batchNorm) continue;
          const { runningMean, runningVar } = layer.batchNorm;
          [layer.batchNorm.runningMean, layer.batchNorm.runningVar] = [runningVar, runningMean.map(Math.abs)];
        }
        const misplaced = await fromSafetensors(readFileSync(safetensorsPath), { layers });
        misplaced.setWeights(swapped);
        expect(maxAbsDifference(misplaced.predict(inputs), trained.outputs)).toBeGreaterThan(1e-3);
      }

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

  it('a model with batch norm, dropout, leakyRelu(0.2), elu(0.7), selu, gelu and silu predicts the same in PyTorch', async () => {
    const model = await createModel({
      inputSize: 4,
      layers: [
        { units: 8, activation: 'leakyRelu', alpha: 0.2, batchNorm: { momentum: 0.3, epsilon: 1e-3 }, dropout: 0.2 },
        { units: 8, activation: 'gelu', batchNorm: true },
        { units: 7, activation: 'elu', alpha: 0.7, dropout: 0.1 },
        { units: 6, activation: 'selu', batchNorm: true },
        { units: 6, activation: 'silu' },
        { units: 3, activation: 'softmax' },
      ],
      loss: 'crossEntropy',
      seed: 6,
    });
    await model.fit(fineTuneData(model, 2), { epochs: 5, batchSize: 8 });
    const inputs = uniform(seededRandom(8), 12 * 4, -3, 3);
    const expected = model.predict(inputs);
    const inTorch = await torchPredicts(model, inputs, 'simdnet-toolbox');
    expect(maxAbsDifference(inTorch.safetensors, expected)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDifference(inTorch.onnx, expected)).toBeLessThanOrEqual(TOLERANCE);
    const again = await fromSafetensors(readFileSync(join(dir, 'simdnet-toolbox.safetensors')));
    expect(again.predict(inputs)).toEqual(expected);
  });
});
