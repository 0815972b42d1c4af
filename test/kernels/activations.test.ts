/**
 * Activations (assembly/activations.ts): forward a = σ(z) and backward g ← g ⊙ σ'(z)
 * (or Jᵀg for softmax) against float64, on lengths that are not multiples of 4 so that
 * both the v128 loop and the scalar tail run.
 *
 * The expected derivative is a central difference of the float64 forward (h = 1e-5),
 * never the closed form the core uses (which computes σ' from the f32 output a).
 *
 * Tolerances: forward atol 1e-7, rtol 1e-6 (a few f32 ulps of exp/log1p/tanh);
 * backward atol 3e-7, rtol 1e-5 (σ' = a(1-a) or 1-a² loses relative precision where a
 * is near ±1, by about 2^-24 absolute). Linear and ReLU must be exact.
 *
 * The activations are src/'s list (ACTIVATIONS), each checked on every core build.
 */
import { describe, it } from 'vitest';

import type { Activation } from '../../src/model/description.js';
import type { Tolerance } from '../helpers/compare.js';
import { describeEachCore } from '../helpers/cores.js';
import { ACTIVATIONS, activationKind } from '../helpers/kinds.js';
import { checkOp } from '../helpers/op-test.js';
import { activate, centralDifferences, defaultAlpha } from '../helpers/reference.js';
import { seededRandom, uniform } from '../helpers/random.js';

const EXACT = new Set<Activation>(['linear', 'relu']);

/** [rows, n]: totals 1, 3, 5, 6, 7, 17, 21, 45, 130 elements. */
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 3],
  [1, 5],
  [2, 3],
  [1, 7],
  [1, 17],
  [3, 7],
  [5, 9],
  [13, 10],
];

/** z in [-4, 4), kept at least 1e-3 away from ReLU's kink at 0. */
function preActivations(seed: number, count: number): Float32Array {
  const z = uniform(seededRandom(seed), count, -4, 4);
  return z.map((v) => (Math.abs(v) < 1e-3 ? v + Math.sign(v || 1) * 1e-3 : v));
}

/** Float64 g ⊙ σ'(z) (or Jᵀg for softmax) by central differences of the forward pass. */
function backwardReference(
  activation: Activation,
  z: Float64Array,
  g: Float64Array,
  rows: number,
  n: number,
): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const zRow = z.slice(r * n, (r + 1) * n);
    const gRow = g.subarray(r * n, (r + 1) * n);
    // φ(z) = Σ_j g_j σ(z)_j, whose gradient is exactly the backward product for every activation.
    const phi = () => activate(activation, zRow, 1, n).reduce((sum, a, j) => sum + gRow[j] * a, 0);
    out.set(centralDifferences(phi, zRow, 1e-5), r * n);
  }
  return out;
}

describeEachCore((core) => {
  describe('activationForward: a = σ(z) matches float64', () => {
    for (const activation of ACTIVATIONS) {
      const tolerance: Tolerance = EXACT.has(activation) ? { atol: 0, rtol: 0 } : { atol: 1e-7, rtol: 1e-6 };
      it.each(SHAPES)(`${activation} [%i, %i]`, (rows, n) => {
        checkOp(
          core(),
          {
            buffers: { z: preActivations(rows * 31 + n, rows * n), a: rows * n },
            run: (fn, at, layout) =>
              fn.activationForward(activationKind(layout, activation), at.z, at.a, rows, n, defaultAlpha(activation)),
            reference: ({ z }) => ({ a: activate(activation, z, rows, n), z }),
            tolerance,
          },
          `${activation} forward [${rows}, ${n}]`,
        );
      });

      it(`${activation} runs in place (z and a the same buffer)`, () => {
        const [rows, n] = [3, 7];
        checkOp(
          core(),
          {
            buffers: { za: preActivations(5, rows * n) },
            run: (fn, at, layout) =>
              fn.activationForward(activationKind(layout, activation), at.za, at.za, rows, n, defaultAlpha(activation)),
            reference: ({ za }) => ({ za: activate(activation, za, rows, n) }),
            tolerance,
          },
          `${activation} forward in place`,
        );
      });
    }
  });

  describe("activationBackward: g ← g ⊙ σ'(z) (softmax: Jᵀg) from the outputs a matches float64 differences", () => {
    for (const activation of ACTIVATIONS) {
      const tolerance: Tolerance = { atol: 3e-7, rtol: 1e-5 };
      it.each(SHAPES)(`${activation} [%i, %i]`, (rows, n) => {
        checkOp(
          core(),
          {
            buffers: {
              z: preActivations(rows * 17 + n, rows * n),
              a: rows * n,
              g: uniform(seededRandom(rows + 100 * n), rows * n),
            },
            run(fn, at, layout) {
              const kind = activationKind(layout, activation);
              // α at its default (the oracle's); z given: gelu, geluTanh and silu read it.
              fn.activationForward(kind, at.z, at.a, rows, n, defaultAlpha(activation));
              fn.activationBackward(kind, at.a, at.g, rows, n, defaultAlpha(activation), at.z);
            },
            reference: ({ z, g }) => ({ g: backwardReference(activation, z, g, rows, n) }),
            tolerance,
          },
          `${activation} backward [${rows}, ${n}]`,
        );
      });
    }

    it('relu passes the gradient where a > 0 and zeroes it where a = 0 (the subgradient at 0 is 0)', () => {
      const a = [0, 1, 0, 2.5, 0, 0, 3, 1e-30, 0];
      const g = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      checkOp(core(), {
        buffers: { a, g },
        run: (fn, at, layout) => fn.activationBackward(layout.RELU, at.a, at.g, 1, 9, 0, 0),
        reference: ({ a: placed }) => ({ g: g.map((v, i) => (a[i] > 0 ? v : 0)), a: placed }),
        tolerance: { atol: 0, rtol: 0 },
      });
    });

    it('linear leaves g untouched', () => {
      const g = uniform(seededRandom(3), 11);
      checkOp(core(), {
        buffers: { a: uniform(seededRandom(4), 11), g },
        run: (fn, at, layout) => fn.activationBackward(layout.LINEAR, at.a, at.g, 1, 11, 0, 0),
        reference: ({ g: initial }) => ({ g: initial }),
        tolerance: { atol: 0, rtol: 0 },
      });
    });
  });
});
