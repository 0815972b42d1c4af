/**
 * Huber and MAE (assembly/losses.ts, through lossAndDeltaWithParameters): the loss value
 * against the float64 oracle and the output delta δ = ∂L/∂z against float64 central
 * differences of that oracle, with a linear output and with output activations (elu with
 * its α, silu with z in a buffer of its own), on lengths that are not multiples of 4.
 * L is a mean over the whole batch's elements (batchRows·n), like MSE.
 *
 * Tolerances: value rtol 1e-6 (f32 differences summed in f64); δ atol 1e-9, rtol 1e-5.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectClose } from '../helpers/compare.js';
import { checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference.js';
import { kernels, kind } from './kernel-functions.js';
import { activation64, type NewActivation, regressionLoss64 } from './reference64.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

/** Values whose differences stay 1e-3 away from MAE's kink at 0 and Huber's joins at ±β. */
function apart(z: Float32Array, t: Float32Array, kinks: number[]): Float32Array {
  return z.map((v, i) => {
    let value = v;
    for (const k of kinks) if (Math.abs(value - t[i] - k) < 1e-3) value += 2e-3;
    return value;
  });
}

const LOSSES: { loss: 'huber' | 'mae'; beta: number }[] = [
  { loss: 'huber', beta: 1 },
  { loss: 'huber', beta: 0.3 },
  { loss: 'huber', beta: 2.5 },
  { loss: 'mae', beta: 1 },
];

const OUTPUTS: { name: string; activation?: NewActivation; kind?: 'ELU' | 'SILU'; alpha: number }[] = [
  { name: 'linear', alpha: 0 },
  { name: 'elu(0.5)', activation: 'elu', kind: 'ELU', alpha: 0.5 },
  { name: 'silu', activation: 'silu', kind: 'SILU', alpha: 0 },
];

describe('huber and mae: loss value and δ = ∂L/∂z', () => {
  for (const { loss, beta } of LOSSES) {
    for (const output of OUTPUTS) {
      it.each([
        [1, 1],
        [1, 7],
        [3, 5],
        [6, 9],
      ])(`${loss}(${beta}) after ${output.name} [%i, %i]`, (rows, n) => {
        const t = uniform(seededRandom(rows * 7 + n), rows * n, -2, 2);
        const z = apart(
          uniform(seededRandom(rows * 13 + n + 1), rows * n, -3, 3),
          t,
          loss === 'mae' ? [0] : [-beta, beta],
        );
        const f = output.activation ? activation64(output.activation, output.alpha) : (v: number) => v;
        const lossKind = kind(core, loss === 'huber' ? 'HUBER' : 'MAE');
        const activationKind = output.kind ? kind(core, output.kind) : core.layout.LINEAR;
        checkOp(
          core,
          {
            buffers: { zd: z, z, a: rows * n, t },
            run(fn, at) {
              fn.activationForward(activationKind, at.z, at.a, rows, n, output.alpha);
              return kernels(core).lossAndDeltaWithParameters(
                lossKind,
                activationKind,
                at.zd,
                at.a,
                at.t,
                rows,
                n,
                1,
                rows,
                beta,
                output.alpha,
                at.z,
              );
            },
            reference: ({ z: z64, t: t64 }) => {
              const point = Float64Array.from(z64);
              const value = () => regressionLoss64(loss, point.map(f), t64, rows * n, beta);
              return { returned: value(), zd: centralDifferences(value, point, 1e-6) };
            },
            tolerance: { atol: 1e-9, rtol: 1e-5 },
          },
          `${loss} ${output.name}`,
        );
      });
    }
  }

  it('a share of the batch: rows of a batch of 10 give their part of the mean, and the parts add up', () => {
    const [rows, n] = [10, 3];
    const t = uniform(seededRandom(1), rows * n, -2, 2);
    const a = uniform(seededRandom(2), rows * n, -2, 2);
    const huber = kind(core, 'HUBER');
    const whole = checkOp(core, {
      buffers: { zd: a, a, t },
      run: (_fn, at) =>
        kernels(core).lossAndDeltaWithParameters(
          huber,
          core.layout.LINEAR,
          at.zd,
          at.a,
          at.t,
          rows,
          n,
          1,
          rows,
          0.7,
          0,
          0,
        ),
      reference: ({ a: a64, t: t64 }) => ({ returned: regressionLoss64('huber', a64, t64, rows * n, 0.7) }),
      tolerance: { atol: 0, rtol: 1e-6 },
    });
    let sum = 0;
    for (const [first, count] of [
      [0, 4],
      [4, 6],
    ]) {
      const part = checkOp(core, {
        buffers: {
          zd: a.slice(first * n, (first + count) * n),
          a: a.slice(first * n, (first + count) * n),
          t: t.slice(first * n, (first + count) * n),
        },
        run: (_fn, at) =>
          kernels(core).lossAndDeltaWithParameters(
            huber,
            core.layout.LINEAR,
            at.zd,
            at.a,
            at.t,
            count,
            n,
            1,
            rows,
            0.7,
            0,
            0,
          ),
        reference: () => ({}),
        tolerance: { atol: 0, rtol: 0 },
      });
      sum += part.returned as number;
      // The part's δ are the whole batch's δ for those rows, bit for bit.
      expectClose(
        part.after.zd,
        whole.after.zd.slice(first * n, (first + count) * n),
        { atol: 0, rtol: 0 },
        'δ of a share',
      );
    }
    expect(Math.abs(sum - (whole.returned as number))).toBeLessThan(1e-12);
  });

  it('mae takes the subgradient 0 where a = t exactly, ±1/(rows·n) elsewhere', () => {
    const a = [1, 2, 3, -1, 0.5];
    const t = [1, 1, 4, -1, 0.25];
    checkOp(core, {
      buffers: { zd: a, a, t },
      run: (_fn, at) =>
        kernels(core).lossAndDeltaWithParameters(
          kind(core, 'MAE'),
          core.layout.LINEAR,
          at.zd,
          at.a,
          at.t,
          1,
          5,
          1,
          1,
          1,
          0,
          0,
        ),
      reference: () => ({ zd: [0, 0.2, -0.2, 0, 0.2], returned: (0 + 1 + 1 + 0 + 0.25) / 5 }),
      tolerance: { atol: 0, rtol: 1e-7 },
    });
  });

  it('the scalar reference kernel agrees with the fused kernel (value and δ) for huber and mae', () => {
    const [rows, n] = [4, 9];
    const a = uniform(seededRandom(5), rows * n, -3, 3);
    const t = uniform(seededRandom(6), rows * n, -3, 3);
    for (const name of ['HUBER', 'MAE'] as const) {
      const { after, returned } = checkOp(core, {
        buffers: { zd: a, a, t, d: rows * n },
        run(_fn, at) {
          const expected = kernels(core).referenceRegressionLoss(
            kind(core, name),
            at.a,
            at.t,
            at.d,
            rows * n,
            rows * n,
            0.8,
          );
          const actual = kernels(core).lossAndDeltaWithParameters(
            kind(core, name),
            core.layout.LINEAR,
            at.zd,
            at.a,
            at.t,
            rows,
            n,
            1,
            rows,
            0.8,
            0,
            0,
          );
          return actual - expected;
        },
        reference: () => ({}),
        tolerance: { atol: 0, rtol: 0 },
      });
      // The reference takes a - t in float64, the kernel in f32: a few f32 ulps apart.
      expect(Math.abs(returned as number)).toBeLessThan(1e-7);
      expectClose(after.zd, after.d, { atol: 0, rtol: 3e-7 }, `${name}: δ vs reference kernel`);
    }
  });
});
