/**
 * Batch normalisation (assembly/batchnorm.ts):
 *
 *   - the training forward (y, the saved batch mean and 1/√(σ² + ε)) against float64;
 *   - the backward (∂L/∂x through the batch statistics, ∂L/∂γ, ∂L/∂β) against float64
 *     central differences of φ = Σ g ⊙ y(x, γ, β);
 *   - any split of the units into slices [c0, c1) (what threads would take) gives the
 *     bits of one call, and the scalar reference kernels give the same bits;
 *   - running mean and variance (unbiased), y, the gradients and the inference forward
 *     against torch.nn.BatchNorm1d over three batches (fixtures/torch-batchnorm.json).
 *
 * Tolerances: forward atol 2e-6, rtol 2e-6 (f32 column sums over the rows); backward atol
 * 2e-6, rtol 1e-4 against differences (∂L/∂x is a difference of three terms of similar
 * size); against torch atol 1e-6, rtol 1e-5.
 */
import { readFileSync } from 'node:fs';

import { beforeAll, describe, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectBitEqual, expectClose } from '../helpers/compare.js';
import { Arena } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference.js';
import { kernels } from './kernel-functions.js';
import { batchNorm64, dot } from './reference64.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

interface Inputs {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  upstream: Float32Array;
}

function inputs(rows: number, n: number, seed: number): Inputs {
  const random = seededRandom(seed);
  // Columns with different offsets and spreads, as pre-activations have.
  const x = uniform(random, rows * n, -1, 1).map((v, i) => v * (1 + (i % n) * 0.5) + (i % n) - 2);
  return {
    x,
    gamma: uniform(random, n, 0.5, 2),
    beta: uniform(random, n, -1, 1),
    runningMean: uniform(random, n, -0.5, 0.5),
    runningVar: uniform(random, n, 0.5, 2),
    upstream: uniform(random, rows * n, -1, 1),
  };
}

interface Outputs {
  y: Float32Array;
  xhat: Float32Array;
  mean: Float32Array;
  invStd: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  dx: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
}

/**
 * Training forward then backward of `input`, units split at `cuts` (one call per slice), or
 * by the scalar reference kernels (`reference`). `alias`: x̂ ('xhat') or y ('y') over x, and dx over g.
 */
function runBatchNorm(
  input: Inputs,
  rows: number,
  n: number,
  cuts: number[],
  { momentum = 0.1, epsilon = 1e-5, reference = false, alias = 'none' as 'none' | 'xhat' | 'y', misalign = 0 } = {},
): Outputs {
  const k = kernels(core);
  const arena = new Arena(core, misalign);
  const x = arena.place(input.x);
  const xhat = alias === 'xhat' ? x : arena.place(rows * n);
  const y = alias === 'y' ? x : arena.place(rows * n);
  const gamma = arena.place(input.gamma);
  const beta = arena.place(input.beta);
  const mean = arena.place(n);
  const invStd = arena.place(n);
  const runningMean = arena.place(input.runningMean);
  const runningVar = arena.place(input.runningVar);
  const g = arena.place(input.upstream);
  const dx = alias !== 'none' ? g : arena.place(rows * n);
  const dGamma = arena.place(n);
  const dBeta = arena.place(n);
  if (reference) {
    k.referenceBatchNormForwardTraining(
      x,
      xhat,
      y,
      rows,
      n,
      gamma,
      beta,
      mean,
      invStd,
      runningMean,
      runningVar,
      momentum,
      epsilon,
    );
  } else {
    for (let c = 0; c + 1 < cuts.length; c++)
      k.batchNormForwardTraining(
        x,
        xhat,
        y,
        rows,
        n,
        cuts[c],
        cuts[c + 1],
        gamma,
        beta,
        mean,
        invStd,
        runningMean,
        runningVar,
        momentum,
        epsilon,
      );
  }
  const yValues = arena.read(y, rows * n);
  const xhatValues = arena.read(xhat, rows * n);
  if (reference) {
    k.referenceBatchNormBackward(g, xhat, dx, rows, n, gamma, invStd, dGamma, dBeta);
  } else {
    for (let c = 0; c + 1 < cuts.length; c++)
      k.batchNormBackward(g, xhat, dx, rows, n, cuts[c], cuts[c + 1], gamma, invStd, dGamma, dBeta);
  }
  arena.expectGuardsIntact('batch norm');
  return {
    y: yValues,
    xhat: xhatValues,
    mean: arena.read(mean, n),
    invStd: arena.read(invStd, n),
    runningMean: arena.read(runningMean, n),
    runningVar: arena.read(runningVar, n),
    dx: arena.read(dx, rows * n),
    dGamma: arena.read(dGamma, n),
    dBeta: arena.read(dBeta, n),
  };
}

const SHAPES: [number, number][] = [
  [2, 3],
  [5, 7],
  [16, 13],
  [64, 9],
  [3, 32],
];

describe('batch norm, training: forward and backward against float64', () => {
  it.each(SHAPES)('[%i, %i]: y, mean, 1/√(σ² + ε) and the running statistics', (rows, n) => {
    const input = inputs(rows, n, rows * 100 + n);
    const out = runBatchNorm(input, rows, n, [0, n], { misalign: 1 });
    const epsilon = Math.fround(1e-5);
    const momentum = Math.fround(0.1);
    const { y, mean, variance } = batchNorm64(input.x, rows, n, input.gamma, input.beta, epsilon);
    const tolerance = { atol: 2e-6, rtol: 2e-6 };
    expectClose(out.y, y, tolerance, 'y');
    expectClose(out.mean, mean, tolerance, 'mean');
    expectClose(
      out.invStd,
      variance.map((v) => 1 / Math.sqrt(v + epsilon)),
      tolerance,
      '1/√(σ² + ε)',
    );
    expectClose(
      out.runningMean,
      mean.map((m, j) => (1 - momentum) * input.runningMean[j] + momentum * m),
      tolerance,
      'running mean',
    );
    expectClose(
      out.runningVar,
      variance.map((v, j) => (1 - momentum) * input.runningVar[j] + (momentum * v * rows) / (rows - 1)),
      tolerance,
      'running variance (unbiased)',
    );
  });

  it.each(SHAPES)('[%i, %i]: ∂L/∂x through the batch statistics, ∂L/∂γ, ∂L/∂β match central differences', (rows, n) => {
    const input = inputs(rows, n, rows * 7 + n);
    const out = runBatchNorm(input, rows, n, [0, n]);
    const epsilon = Math.fround(1e-5);
    const x = Float64Array.from(input.x);
    const gamma = Float64Array.from(input.gamma);
    const beta = Float64Array.from(input.beta);
    const phi = () => dot(input.upstream, batchNorm64(x, rows, n, gamma, beta, epsilon).y);
    const tolerance = { atol: 2e-6, rtol: 1e-4 };
    expectClose(out.dx, centralDifferences(phi, x, 1e-4), tolerance, '∂L/∂x');
    expectClose(out.dGamma, centralDifferences(phi, gamma, 1e-4), tolerance, '∂L/∂γ');
    expectClose(out.dBeta, centralDifferences(phi, beta, 1e-4), tolerance, '∂L/∂β');
  });

  it('x̂ or y may overwrite x, and ∂L/∂x may overwrite g: the same bits', () => {
    const [rows, n] = [11, 10];
    const input = inputs(rows, n, 3);
    const apart = runBatchNorm(input, rows, n, [0, n]);
    for (const alias of ['xhat', 'y'] as const) {
      const aliased = runBatchNorm(input, rows, n, [0, n], { alias });
      expectBitEqual(aliased.y, apart.y, `${alias} over x: y`);
      expectBitEqual(aliased.dx, apart.dx, `${alias} over x: ∂L/∂x`);
      expectBitEqual(aliased.dGamma, apart.dGamma, `${alias} over x: ∂L/∂γ`);
    }
  });

  it('any split of the units into slices, and the scalar reference kernels, give the same bits', () => {
    const [rows, n] = [33, 19];
    const input = inputs(rows, n, 5);
    const whole = runBatchNorm(input, rows, n, [0, n]);
    const splits = [
      [0, 4, 8, 12, 16, 19],
      [0, 1, 2, 19],
      [0, 3, 10, 11, 18, 19],
    ];
    const others = [
      ...splits.map((cuts) => ({ label: `slices ${cuts}`, out: runBatchNorm(input, rows, n, cuts) })),
      { label: 'reference kernels', out: runBatchNorm(input, rows, n, [0, n], { reference: true }) },
    ];
    for (const { label, out } of others) {
      for (const key of Object.keys(whole) as (keyof Outputs)[])
        expectBitEqual(out[key], whole[key], `${label}: ${key}`);
    }
  });
});

describe('batch norm, inference: running statistics', () => {
  it.each([
    [1, 5],
    [7, 13],
  ])('[%i, %i]: y = γ(x - μ̄)/√(σ̄² + ε) + β against float64, and row by row the same bits', (rows, n) => {
    const input = inputs(rows, n, 77 + rows);
    const epsilon = Math.fround(1e-3);
    const arena = new Arena(core, 2);
    const x = arena.place(input.x);
    const y = arena.place(rows * n);
    const [gamma, beta, rm, rv] = [input.gamma, input.beta, input.runningMean, input.runningVar].map((v) =>
      arena.place(v),
    );
    kernels(core).batchNormForwardInference(x, y, rows, n, gamma, beta, rm, rv, epsilon);
    const all = arena.read(y, rows * n);
    const expected = Array.from(input.x, (v, i) => {
      const j = i % n;
      return (input.gamma[j] * (v - input.runningMean[j])) / Math.sqrt(input.runningVar[j] + epsilon) + input.beta[j];
    });
    expectClose(all, expected, { atol: 1e-6, rtol: 1e-6 }, 'inference y');
    const last = (rows - 1) * n;
    kernels(core).batchNormForwardInference(x + 4 * last, y + 4 * last, 1, n, gamma, beta, rm, rv, epsilon);
    expectBitEqual(arena.read(y + 4 * last, n), all.subarray(last), 'the last row alone');
    arena.expectGuardsIntact();
  });
});

interface TorchBatchNorm {
  rows: number;
  units: number;
  batches: number[][];
  upstream: number[];
  gamma: number[];
  beta: number[];
  cases: {
    momentum: number;
    epsilon: number;
    steps: {
      y: number[];
      dx: number[];
      dGamma: number[];
      dBeta: number[];
      runningMean: number[];
      runningVar: number[];
    }[];
    inference: number[];
  }[];
}
const torchFixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-batchnorm.json', import.meta.url), 'utf8'),
) as TorchBatchNorm;

describe('batch norm against torch.nn.BatchNorm1d (fixtures/torch-batchnorm.json)', () => {
  for (const c of torchFixture.cases) {
    it(`momentum ${c.momentum}, eps ${c.epsilon}: three training batches (y, gradients, running stats), then inference`, () => {
      const { rows, units: n } = torchFixture;
      const k = kernels(core);
      const arena = new Arena(core);
      const tolerance = { atol: 1e-6, rtol: 1e-5 };
      const gamma = arena.place(torchFixture.gamma);
      const beta = arena.place(torchFixture.beta);
      const mean = arena.place(n);
      const invStd = arena.place(n);
      // torch starts from running mean 0 and variance 1.
      const runningMean = arena.place(new Float32Array(n));
      const runningVar = arena.place(new Float32Array(n).fill(1));
      const [dGamma, dBeta] = [arena.place(n), arena.place(n)];
      c.steps.forEach((expected, b) => {
        const x = arena.place(torchFixture.batches[b]);
        const xhat = arena.place(rows * n);
        const y = arena.place(rows * n);
        const g = arena.place(torchFixture.upstream);
        k.batchNormForwardTraining(
          x,
          xhat,
          y,
          rows,
          n,
          0,
          n,
          gamma,
          beta,
          mean,
          invStd,
          runningMean,
          runningVar,
          c.momentum,
          c.epsilon,
        );
        k.batchNormBackward(g, xhat, g, rows, n, 0, n, gamma, invStd, dGamma, dBeta);
        expectClose(arena.read(y, rows * n), expected.y, tolerance, `batch ${b}: y`);
        expectClose(arena.read(g, rows * n), expected.dx, tolerance, `batch ${b}: ∂L/∂x`);
        expectClose(arena.read(dGamma, n), expected.dGamma, tolerance, `batch ${b}: ∂L/∂γ`);
        expectClose(arena.read(dBeta, n), expected.dBeta, tolerance, `batch ${b}: ∂L/∂β`);
        expectClose(arena.read(runningMean, n), expected.runningMean, tolerance, `batch ${b}: running mean`);
        expectClose(arena.read(runningVar, n), expected.runningVar, tolerance, `batch ${b}: running variance`);
      });
      const x = arena.place(torchFixture.batches[0]);
      const y = arena.place(rows * n);
      k.batchNormForwardInference(x, y, rows, n, gamma, beta, runningMean, runningVar, c.epsilon);
      expectClose(arena.read(y, rows * n), c.inference, tolerance, 'inference');
      arena.expectGuardsIntact();
    });
  }
});
