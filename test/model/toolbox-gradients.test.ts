/**
 * Finite-difference gradient checks through whole models with the layer options on:
 * dropout (a fixed mask: the model's seed, step 0, each row's place in the batch), batch
 * norm (through the batch's statistics, with γ and β), L1/L2 penalties (in the loss and the
 * gradient), non-default α and Huber's δ. The core's gradients come from one
 * fn.gradientStep (test/helpers/gradients.ts); the reference is a float64 training forward
 * written here from the documented maths, differenced at h = 1e-6 for every weight, bias,
 * γ and β. Tolerance as in test/kernels/gradients.test.ts, per parameter:
 * |analytic - numeric| <= 1e-6·max|numeric| + 1e-4·|numeric| (batch norm: 1e-5 and 1e-3,
 * its backward has more f32 steps: sums over the batch, 1/√(σ² + ε)).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, type Model, type ModelSpec } from '../../src/index.js';
import type { ModelDescription } from '../../src/model/description.js';
import { engineOf } from '../../src/model/model.js';
import { expectClose } from '../helpers/compare.js';
import { coreGradients } from '../helpers/gradients.js';
import {
  activate,
  centralDifferences,
  defaultAlpha,
  dense,
  lossOfLogits,
  oneHot,
  type ReferenceLayer,
} from '../helpers/reference.js';
import { integers, seededRandom, uniform } from '../helpers/random.js';

interface Layer64 extends ReferenceLayer {
  dropout: number;
  l1: number;
  l2: number;
  bn?: { gamma: Float64Array; beta: Float64Array; epsilon: number };
  /** The dropout mask the core draws for this layer [rows, units] (0 or 1/(1-p), f32). */
  mask?: Float32Array;
}

const models: Model[] = [];
afterEach(() => {
  models.splice(0).forEach((m) => m.dispose());
});

/** The mask the core's dropout draws for layer l at step 0, rows 0..rows. */
function coreMask(model: Model, l: number, rows: number, units: number, rate: number): Float32Array {
  const engine = engineOf(model);
  const { core } = engine;
  // Far after the data coreGradients places.
  const at = engine.plan.dataStart + (1 << 20);
  core.ensureBytes(at + rows * units * 4);
  core.view().f32.fill(1, at >> 2, (at >> 2) + rows * units);
  core.fn.dropoutForward(at, 0, rows, units, rate, model.seed, 0, l, 0);
  return core.f32(at, rows * units).slice();
}

/** The batch's training loss in float64: dense, batch norm over the batch, activation, dropout; the loss plus the penalties. */
function trainingLoss(
  layers: Layer64[],
  spec: ModelSpec,
  inputs: Float32Array,
  targets: Float32Array,
  rows: number,
): number {
  let x: ArrayLike<number> = inputs;
  let penalty = 0;
  let lastZ: Float64Array = new Float64Array(0);
  for (const layer of layers) {
    const z = dense(x, rows, layer);
    const n = layer.units;
    if (layer.bn) {
      const { gamma, beta, epsilon } = layer.bn;
      for (let j = 0; j < n; j++) {
        let mean = 0;
        for (let r = 0; r < rows; r++) mean += z[r * n + j] / rows;
        let variance = 0;
        for (let r = 0; r < rows; r++) variance += (z[r * n + j] - mean) ** 2 / rows;
        const s = 1 / Math.sqrt(variance + epsilon);
        for (let r = 0; r < rows; r++) z[r * n + j] = gamma[j] * (z[r * n + j] - mean) * s + beta[j];
      }
    }
    lastZ = z;
    const a = activate(layer.activation, z, rows, n, layer.alpha);
    if (layer.mask) for (let i = 0; i < a.length; i++) a[i] *= layer.mask[i];
    for (const w of layer.weights) penalty += layer.l1 * Math.abs(w) + layer.l2 * w * w;
    x = a;
  }
  const output = layers[layers.length - 1];
  const loss = lossOfLogits(spec.loss!, output.activation, lastZ, targets, rows, output.units, {
    alpha: output.alpha,
    huberDelta: spec.huberDelta ?? 1,
  });
  return loss + penalty;
}

/** The model's parameters in float64, with its options and the core's masks. */
function layers64(model: Model, description: ModelDescription, spec: ModelSpec, rows: number): Layer64[] {
  let inSize = description.inputSize;
  return description.layers.map((layer, l) => {
    const options = spec.layers[l];
    const converted: Layer64 = {
      inSize,
      units: layer.units,
      activation: layer.activation,
      weights: Float64Array.from(layer.weights),
      bias: Float64Array.from(layer.bias),
      alpha: defaultAlpha(layer.activation),
      dropout: options.dropout ?? 0,
      l1: Math.fround(options.l1 ?? 0),
      l2: Math.fround(options.l2 ?? 0),
    };
    if (layer.alpha !== undefined) converted.alpha = Math.fround(layer.alpha);
    if (layer.batchNorm)
      converted.bn = {
        gamma: Float64Array.from(layer.batchNorm.gamma),
        beta: Float64Array.from(layer.batchNorm.beta),
        epsilon: Math.fround(layer.batchNorm.epsilon),
      };
    if (converted.dropout > 0) converted.mask = coreMask(model, l, rows, layer.units, converted.dropout);
    inSize = layer.units;
    return converted;
  });
}

async function checkGradients(spec: ModelSpec, rows: number, seed: number): Promise<void> {
  const model = await createModel({ ...spec, seed });
  models.push(model);
  // Non-zero biases, β and γ ≠ 1, so that each is exercised.
  const random = seededRandom(seed + 1);
  const description = model.describe();
  for (const layer of description.layers) {
    layer.bias = uniform(random, layer.units, -0.5, 0.5);
    if (layer.batchNorm) {
      layer.batchNorm.gamma = uniform(random, layer.units, 0.5, 1.5);
      layer.batchNorm.beta = uniform(random, layer.units, -0.5, 0.5);
    }
  }
  model.setWeights(description);
  const inputs = uniform(random, rows * spec.inputSize);
  const n = model.outputSize;
  const targets =
    spec.loss === 'crossEntropy'
      ? Float32Array.from(oneHot(integers(random, rows, n), n))
      : uniform(random, rows * n, -1, 1);

  const layers = layers64(model, model.describe(), spec, rows);
  const analytic = coreGradients(model, inputs, targets, rows);
  const loss = () => trainingLoss(layers, spec, inputs, targets, rows);
  expectClose([analytic.loss], [loss()], { atol: 0, rtol: 2e-6 }, 'loss');

  const engine = engineOf(model);
  const grads = engine.core.f32(engine.plan.grads, engine.plan.paramLength);
  const numeric = layers.map((layer) => ({
    weights: centralDifferences(loss, layer.weights),
    bias: centralDifferences(loss, layer.bias),
    gamma: layer.bn ? centralDifferences(loss, layer.bn.gamma) : undefined,
    beta: layer.bn ? centralDifferences(loss, layer.bn.beta) : undefined,
  }));
  const largest = Math.max(...numeric.flatMap((g) => [...g.weights, ...g.bias].map(Math.abs)));
  expect(largest, 'the gradient is not trivially zero').toBeGreaterThan(1e-3);
  const withBatchNorm = layers.some((layer) => layer.bn);
  const tolerance = withBatchNorm ? { atol: 1e-5 * largest, rtol: 1e-3 } : { atol: 1e-6 * largest, rtol: 1e-4 };
  numeric.forEach((g, l) => {
    expectClose(analytic.layers[l].weights, g.weights, tolerance, `layer ${l} weight gradients`);
    expectClose(analytic.layers[l].bias, g.bias, tolerance, `layer ${l} bias gradients`);
    const slots = engine.plan.layers[l].batchNorm;
    if (slots && g.gamma && g.beta) {
      const units = layers[l].units;
      expectClose(grads.slice(slots.gammaOffset, slots.gammaOffset + units), g.gamma, tolerance, `layer ${l} ∂L/∂γ`);
      expectClose(grads.slice(slots.betaOffset, slots.betaOffset + units), g.beta, tolerance, `layer ${l} ∂L/∂β`);
    }
  });
}

describe('gradients through a model with the layer options match float64 central differences', () => {
  it('dropout: in place (relu), kept apart (tanh: the backward reads a), and with z (elu, α 0.5)', async () => {
    await checkGradients(
      {
        inputSize: 5,
        layers: [
          { units: 7, activation: 'relu', dropout: 0.3 },
          { units: 6, activation: 'tanh', dropout: 0.5 },
          { units: 5, activation: 'elu', alpha: 0.5, dropout: 0.2 },
          { units: 3, activation: 'softmax' },
        ],
        loss: 'crossEntropy',
      },
      9,
      21,
    );
  });

  it('batch norm through the batch statistics (hidden gelu and sigmoid, and a linear output), Huber δ 0.5', async () => {
    await checkGradients(
      {
        inputSize: 4,
        layers: [
          { units: 6, activation: 'gelu', batchNorm: true },
          { units: 5, activation: 'sigmoid', batchNorm: { momentum: 0.3, epsilon: 1e-3 }, dropout: 0.25 },
          { units: 3, activation: 'linear', batchNorm: true },
        ],
        loss: 'huber',
        huberDelta: 0.5,
      },
      8,
      22,
    );
  });

  it('L1 and L2 penalties on some layers, leakyRelu α 0.2, silu and selu, MAE', async () => {
    await checkGradients(
      {
        inputSize: 4,
        layers: [
          { units: 6, activation: 'leakyRelu', alpha: 0.2, l1: 0.01, l2: 0.02 },
          { units: 5, activation: 'silu', l2: 0.05 },
          { units: 4, activation: 'selu' },
          { units: 2, activation: 'linear', l1: 0.03 },
        ],
        loss: 'mae',
      },
      7,
      23,
    );
  });
});
