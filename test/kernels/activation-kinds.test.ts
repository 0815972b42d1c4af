/**
 * The activations added for issue 12 (assembly/activations.ts: LEAKY_RELU, ELU, SELU, GELU,
 * GELU_TANH, SILU), forward and backward:
 *
 *   - forward against the float64 oracle (test/kernels/reference64.ts) on shapes whose
 *     length is not a multiple of 4 (the v128 loop and the scalar tail), in place too;
 *   - forward against the scalar kernel referenceActivationForward (assembly/reference.ts);
 *   - forward and derivative against PyTorch (fixtures/torch-activations.json, made by
 *     fixtures/make-fixtures.py) at 33 points from -30 to 30, saturation included;
 *   - backward against float64 central differences of the float64 forward (h = 1e-5),
 *     z kept 1e-3 away from the kinks of leakyRelu/elu/selu at 0.
 *
 * Tolerances (measured maxima in the comments of each): forward atol 1e-30, rtol 4e-7
 * (a couple of f32 ulps: expm1, exp, Φ computed in float64 then rounded); backward
 * atol 3e-7, rtol 1e-5 as for the older kinds (elu/selu's σ' = a + α from the f32 output).
 */
import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference.js';
import { kernels, kind, type NewKind } from './kernel-functions.js';
import { activation64, erfc, type NewActivation } from './reference64.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

interface Case {
  name: NewActivation;
  kind: NewKind;
  alpha: number;
  /** The backward's modes: with z, and/or from a alone (z = 0). */
  zModes: boolean[];
}

const CASES: Case[] = [
  { name: 'leakyRelu', kind: 'LEAKY_RELU', alpha: 0.01, zModes: [false] },
  { name: 'leakyRelu', kind: 'LEAKY_RELU', alpha: 0.3, zModes: [false] },
  { name: 'elu', kind: 'ELU', alpha: 1, zModes: [true, false] },
  { name: 'elu', kind: 'ELU', alpha: 0.5, zModes: [true, false] },
  { name: 'selu', kind: 'SELU', alpha: 0, zModes: [true, false] },
  { name: 'gelu', kind: 'GELU', alpha: 0, zModes: [true] },
  { name: 'geluTanh', kind: 'GELU_TANH', alpha: 0, zModes: [true] },
  { name: 'silu', kind: 'SILU', alpha: 0, zModes: [true] },
];

const label = (c: Case) => `${c.name}${c.name === 'leakyRelu' || c.name === 'elu' ? `(${c.alpha})` : ''}`;

/** [rows, n]: totals 1, 3, 6, 7, 21, 130 elements. */
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 3],
  [2, 3],
  [1, 7],
  [3, 7],
  [13, 10],
];

/** z in [low, high), kept at least 1e-3 away from 0 (the kinks). */
function preActivations(seed: number, count: number, low = -6, high = 6): Float32Array {
  const z = uniform(seededRandom(seed), count, low, high);
  return z.map((v) => (Math.abs(v) < 1e-3 ? v + Math.sign(v || 1) * 1e-3 : v));
}

const FORWARD: Tolerance = { atol: 1e-30, rtol: 4e-7 };
const BACKWARD: Tolerance = { atol: 3e-7, rtol: 1e-5 };

describe('activationForward for the new kinds matches float64', () => {
  for (const c of CASES) {
    it.each(SHAPES)(`${label(c)} [%i, %i]`, (rows, n) => {
      const f = activation64(c.name, c.alpha);
      checkOp(
        core,
        {
          buffers: { z: preActivations(rows * 31 + n, rows * n), a: rows * n },
          run: (fn, at) => fn.activationForward(kind(core, c.kind), at.z, at.a, rows, n, c.alpha),
          reference: ({ z }) => ({ a: z.map(f), z }),
          tolerance: FORWARD,
        },
        `${label(c)} forward`,
      );
    });

    it(`${label(c)} in place, at saturation (|z| up to 40) and against the scalar reference kernel`, () => {
      const rows = 5;
      const n = 9;
      const z = preActivations(7, rows * n, -40, 40);
      const f = activation64(c.name, c.alpha);
      const { after } = checkOp(core, {
        buffers: { za: z, ref: rows * n },
        run(fn, at) {
          kernels(core).referenceActivationForward(kind(core, c.kind), at.za, at.ref, rows * n, c.alpha);
          fn.activationForward(kind(core, c.kind), at.za, at.za, rows, n, c.alpha);
        },
        reference: ({ za }) => ({ za: za.map(f), ref: za.map(f) }),
        tolerance: FORWARD,
      });
      // The same formula in both, so the same bits; silu's reference is z/(1 + e^-z), the kernel z·σ(z).
      const same = c.name === 'silu' ? FORWARD : { atol: 0, rtol: 0 };
      expectClose(after.za, after.ref, same, `${label(c)}: SIMD kernel vs scalar reference`);
    });
  }
});

describe("activationBackward for the new kinds: g ⊙ σ'(z) matches float64 central differences", () => {
  for (const c of CASES) {
    for (const withZ of c.zModes) {
      it.each(SHAPES)(`${label(c)} ${withZ ? 'with z' : 'from a'} [%i, %i]`, (rows, n) => {
        const f = activation64(c.name, c.alpha);
        checkOp(
          core,
          {
            buffers: {
              z: preActivations(rows * 17 + n, rows * n),
              a: rows * n,
              g: uniform(seededRandom(rows + 100 * n), rows * n),
              ref: uniform(seededRandom(rows + 100 * n), rows * n),
            },
            run(fn, at) {
              const code = kind(core, c.kind);
              fn.activationForward(code, at.z, at.a, rows, n, c.alpha);
              // From a: z = 0, so the kernel cannot be reading it.
              fn.activationBackward(code, at.a, at.g, rows, n, c.alpha, withZ ? at.z : 0);
              kernels(core).referenceActivationBackward(code, at.z, at.ref, rows * n, c.alpha);
            },
            reference: ({ z, g }) => {
              const expected = new Float64Array(z.length);
              for (let i = 0; i < z.length; i++) {
                const point = Float64Array.of(z[i]);
                expected[i] = g[i] * centralDifferences(() => f(point[0]), point, 1e-5)[0];
              }
              return { g: expected, ref: expected };
            },
            tolerance: BACKWARD,
          },
          `${label(c)} backward`,
        );
      });
    }
  }
});

describe('gelu over a dense grid: the precision activations.ts states', () => {
  it("40,001 points in [-10, 10]: a within 1.7e-7 relative of the float64 oracle, σ' within 7e-8 absolute", () => {
    const n = 40001;
    const z = Float32Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const gelu = activation64('gelu', 0);
    const point = Float64Array.of(0);
    const { after } = checkOp(core, {
      buffers: { z, a: n, g: new Float32Array(n).fill(1) },
      run(fn, at) {
        fn.activationForward(kind(core, 'GELU'), at.z, at.a, 1, n, 0);
        fn.activationBackward(kind(core, 'GELU'), at.a, at.g, 1, n, 0, at.z);
      },
      reference: ({ z: z64 }) => ({ a: z64.map(gelu) }),
      tolerance: { atol: 1e-37, rtol: 1.7e-7 },
    });
    const slopes = Array.from(z, (v) => centralDifferences(() => gelu(v + point[0]), point, 1e-5)[0]);
    expectClose(after.g, slopes, { atol: 7e-8, rtol: 0 }, "gelu σ'");
  });
});

interface TorchActivation {
  name: string;
  kind: string;
  alpha: number;
  z: number[];
  a32: number[];
  a64: number[];
  slope32: number[];
  slope64: number[];
}
const torchFixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-activations.json', import.meta.url), 'utf8'),
) as { activations: TorchActivation[] };

const KIND_OF: Record<string, NewKind> = {
  leakyRelu: 'LEAKY_RELU',
  elu: 'ELU',
  selu: 'SELU',
  gelu: 'GELU',
  geluTanh: 'GELU_TANH',
  silu: 'SILU',
};

describe('the new activations against PyTorch (fixtures/torch-activations.json), z from -30 to 30', () => {
  for (const t of torchFixture.activations) {
    it(`${t.name}: a within 2 f32 ulps of torch's float64, and of torch's float32 within its own rounding`, () => {
      const n = t.z.length;
      const code = kind(core, KIND_OF[t.kind]);
      const gelu = activation64('gelu', 0);
      // torch's float64 gelu, ½x(1 + erf(x/√2)), cancels for x < -5 (it gives 0 at -12, and
      // drops Φ from σ' = Φ + xφ): there the float64 oracle (erfc, no cancellation) decides.
      const oracleTail = (i: number) => t.kind === 'gelu' && t.z[i] < -5;
      const point = Float64Array.of(0);
      const slopeOfOracle = (z: number) => centralDifferences(() => gelu(z + point[0]), point, 1e-6)[0];
      const { after } = checkOp(core, {
        buffers: { z: t.z, a: n, g: new Float32Array(n).fill(1) },
        run(fn, at) {
          fn.activationForward(code, at.z, at.a, 1, n, t.alpha);
          fn.activationBackward(code, at.a, at.g, 1, n, t.alpha, at.z);
        },
        reference: () => ({ a: t.a64.map((value, i) => (oracleTail(i) ? gelu(t.z[i]) : value)) }),
        tolerance: { atol: 1e-30, rtol: 2.4e-7 },
      });
      // σ' against torch's float64 autograd. At z = 0 exactly leakyRelu/elu/selu take the
      // left derivative, as torch does (σ' = α at 0 for leakyRelu, α·e⁰ for elu). gelu's
      // σ' = Φ + zφ crosses 0 at z ≈ -0.75, where Φ's relative error (1.2e-7) becomes an
      // absolute one of ~3e-8: hence atol 5e-8.
      const slopes = t.slope64.map((value, i) => (oracleTail(i) ? slopeOfOracle(t.z[i]) : value));
      expectClose(after.g, slopes, { atol: 5e-8, rtol: 2.4e-7 }, `${t.name}: σ' vs torch float64`);
      // torch's float32 gelu is x·½(1 + erf(x/√2)): 1 + erf cancels for x < 0, so its
      // own error there is up to ~|x|·2⁻²⁴ absolute; elsewhere both are within ulps.
      expectClose(after.a, t.a32, { atol: 2e-6, rtol: 3e-7 }, `${t.name}: core vs torch float32`);
      expectClose(after.g, t.slope32, { atol: 2e-6, rtol: 3e-7 }, `${t.name}: σ' vs torch float32`);
    });
  }

  it("the float64 oracle agrees with torch's float64 to 1e-9 where torch does not cancel", () => {
    for (const t of torchFixture.activations) {
      const f = activation64(t.kind as NewActivation, t.alpha);
      const expected = t.z.map((z, i) => (t.kind === 'gelu' && z < -5 ? f(z) : t.a64[i]));
      // (torch's elu is α(e^z - 1), not α·expm1(z): 5e-11 relative at z = -1e-6.)
      expectClose(t.z.map(f), expected, { atol: 1e-300, rtol: 1e-9 }, `${t.name}: oracle vs torch float64`);
    }
  });

  it('the float64 oracle erfc matches known values to 1e-14 relative (so that it can judge the core)', () => {
    // erfc(0.5), erfc(1), erfc(3), erfc(6), erfc(-1): standard tables (Abramowitz & Stegun, Wolfram).
    const known: [number, number][] = [
      [0.5, 0.4795001221869534],
      [1, 0.15729920705028513],
      [3, 2.209049699858544e-5],
      [6, 2.151973671249892e-17],
      [-1, 1.8427007929497148],
    ];
    for (const [x, value] of known) expect(Math.abs(erfc(x) - value) / value).toBeLessThan(1e-14);
  });
});
