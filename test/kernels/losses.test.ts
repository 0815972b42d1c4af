/**
 * Losses (assembly/losses.ts): lossAndDelta's value against the float64 reference, and
 * the output delta δ = ∂L/∂z it writes against central differences of that reference
 * with respect to the logits z — a finite-difference gradient check of every loss with
 * every output activation it supports (softmax with MSE included).
 *
 * Tolerances: loss atol 1e-8, rtol 2e-6 (the core sums in f64 but from f32 outputs;
 * measured errors reach ~1.3e-7 relative); δ atol 5e-8, rtol 2e-5 (f32 arithmetic on
 * values of order 1/(rows·n); measured errors reach ~1.1e-8). The float64 differences
 * (h = 1e-6) are accurate to about 1e-10.
 *
 * The cases come from src/: every loss in LOSSES with every output activation that
 * normalizeSpec accepts for it, on 'soft' targets (non-negative rows summing to 1, valid
 * for any loss) and the target kinds each loss is meant for. All run on every core build.
 */
import { describe, expect, it } from 'vitest';

import type { Activation } from '../../src/model/description.js';
import { type Loss, normalizeSpec } from '../../src/model/spec.js';
import { expectClose } from '../helpers/compare.js';
import { describeEachCore } from '../helpers/cores.js';
import { ACTIVATIONS, activationKind, LOSSES, lossKind } from '../helpers/kinds.js';
import { checkOp } from '../helpers/op-test.js';
import { integers, seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences, defaultAlpha, lossOfLogits, oneHot } from '../helpers/reference.js';

const LOSS_TOLERANCE = { atol: 1e-8, rtol: 2e-6 };
const DELTA_TOLERANCE = { atol: 5e-8, rtol: 2e-5 };

type TargetKind = 'one-hot' | 'soft' | 'unnormalised' | 'binary' | 'real';

interface LossCase {
  loss: Loss;
  activation: Activation;
  targets: TargetKind;
}

/** The output activations src/ accepts with `loss` (normalizeSpec's rules). */
function outputActivations(loss: Loss): Activation[] {
  return ACTIVATIONS.filter((activation) => {
    try {
      normalizeSpec({ inputSize: 1, layers: [{ units: 2, activation }], loss });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Targets beyond 'soft' that a loss is meant for. Cross-entropy's 'unnormalised' rows do not
 * sum to 1: δ_j = a_j Σt - t_j, not a - t.
 */
const MORE_TARGETS: Partial<Record<Loss, TargetKind[]>> = {
  mse: ['real', 'one-hot'],
  l2: ['real'],
  crossEntropy: ['one-hot', 'unnormalised'],
  binaryCrossEntropy: ['binary'],
};
const targetKinds = (loss: Loss): TargetKind[] => ['soft', ...(MORE_TARGETS[loss] ?? [])];

const CASES: LossCase[] = LOSSES.flatMap((loss) =>
  outputActivations(loss).flatMap((activation) => targetKinds(loss).map((targets) => ({ loss, activation, targets }))),
);

const SHAPES: [number, number][] = [
  [1, 2],
  [1, 3],
  [4, 5],
  [7, 10],
  [13, 1],
  [3, 17],
];

function makeTargets(kind: TargetKind, rows: number, n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  switch (kind) {
    case 'one-hot':
      return oneHot(integers(random, rows, n), n);
    case 'binary':
      return Float64Array.from(integers(random, rows * n, 2));
    case 'real':
      return Float64Array.from(uniform(random, rows * n, -1, 1));
    case 'unnormalised':
      return Float64Array.from(uniform(random, rows * n, 0, 1));
    case 'soft': {
      // Rows of non-negative values summing to 1 (for BCE: probabilities in [0, 1]).
      const t = Float64Array.from(uniform(random, rows * n, 0, 1));
      for (let r = 0; r < rows; r++) {
        const sum = t.subarray(r * n, (r + 1) * n).reduce((s, v) => s + v, 0);
        for (let j = 0; j < n; j++) t[r * n + j] /= sum;
      }
      return t;
    }
  }
}

/** Logits in [-3, 3), kept 1e-3 away from ReLU's kink. */
function logits(rows: number, n: number, seed: number): Float32Array {
  return uniform(seededRandom(seed), rows * n, -3, 3).map((v) => (Math.abs(v) < 1e-3 ? 1e-3 : v));
}

describeEachCore((core) => {
  describe('lossAndDelta: the loss and δ = ∂L/∂z match float64 and its finite differences', () => {
    for (const { loss, activation, targets } of CASES) {
      const applicable = SHAPES.filter(
        ([, n]) => !(loss === 'crossEntropy' && n < 2) && !(activation === 'softmax' && n < 2),
      );
      it.each(applicable)(`${loss} with ${activation} output, ${targets} targets [%i, %i]`, (rows, n) => {
        checkOp(
          core(),
          {
            buffers: {
              zd: logits(rows, n, rows * 7 + n),
              z: rows * n,
              a: rows * n,
              t: Float32Array.from(makeTargets(targets, rows, n, rows + 13 * n)),
            },
            run(fn, at, layout) {
              fn.activationForward(activationKind(layout, activation), at.zd, at.a, rows, n, defaultAlpha(activation));
              // z kept apart from zd for the activations whose backward reads it (gelu, geluTanh, silu).
              core()
                .view()
                .u8.copyWithin(at.z, at.zd, at.zd + rows * n * 4);
              return fn.lossAndDeltaWithParameters(
                lossKind(layout, loss),
                activationKind(layout, activation),
                at.zd,
                at.a,
                at.t,
                rows,
                n,
                1,
                rows,
                1,
                defaultAlpha(activation),
                at.z,
              );
            },
            reference({ zd: z, t }) {
              const f = () => lossOfLogits(loss, activation, z, t, rows, n);
              return { returned: f(), zd: centralDifferences(f, z) };
            },
            tolerance: DELTA_TOLERANCE,
          },
          `${loss}/${activation} [${rows}, ${n}]`,
        );
        // The value on its own, at its tighter tolerance.
        const z = Float64Array.from(logits(rows, n, rows * 7 + n));
        const t = Float64Array.from(Float32Array.from(makeTargets(targets, rows, n, rows + 13 * n)));
        const expected = lossOfLogits(loss, activation, z, t, rows, n);
        const result = checkOp(
          core(),
          {
            buffers: { zd: z, a: rows * n, t },
            run(fn, at, layout) {
              fn.activationForward(activationKind(layout, activation), at.zd, at.a, rows, n, defaultAlpha(activation));
              return fn.lossAndDeltaWithParameters(
                lossKind(layout, loss),
                activationKind(layout, activation),
                at.zd,
                at.a,
                at.t,
                rows,
                n,
                0,
                rows,
                1,
                defaultAlpha(activation),
                0,
              );
            },
            // writeDelta = 0: z is left as it was.
            reference: ({ zd }) => ({ returned: expected, zd }),
            tolerance: LOSS_TOLERANCE,
          },
          `${loss}/${activation} value`,
        );
        expect(Number.isFinite(result.returned)).toBe(true);
      });
    }

    it.each(LOSSES)(
      "%s: a batch split into parts (batchRows = the whole batch) gives the parts' losses summing to the whole and the same δ rows",
      (loss) => {
        const outputs = outputActivations(loss);
        const activation = outputs.includes('tanh') ? 'tanh' : outputs[0];
        const [rows, n, split] = [7, 5, 3];
        const z = logits(rows, n, 99);
        const t = Float32Array.from(makeTargets(MORE_TARGETS[loss]?.[0] ?? 'soft', rows, n, 98));
        const run = (from: number, to: number) =>
          checkOp(core(), {
            buffers: { zd: z.subarray(from * n, to * n), a: (to - from) * n, t: t.subarray(from * n, to * n) },
            run(fn, at, layout) {
              fn.activationForward(activationKind(layout, activation), at.zd, at.a, to - from, n, 0);
              return fn.lossAndDelta(
                lossKind(layout, loss),
                activationKind(layout, activation),
                at.zd,
                at.a,
                at.t,
                to - from,
                n,
                1,
                rows,
              );
            },
            reference: () => ({}),
            tolerance: LOSS_TOLERANCE,
          });
        const whole = run(0, rows);
        const first = run(0, split);
        const second = run(split, rows);
        expect((first.returned as number) + (second.returned as number)).toBeCloseTo(whole.returned as number, 6);
        expectClose([...first.after.zd, ...second.after.zd], whole.after.zd, { atol: 0, rtol: 0 }, 'δ of the parts');
      },
    );
  });

  describe('countCorrect', () => {
    it("argmax: rows whose largest output is at the target's largest entry (first index on ties)", () => {
      const [rows, n] = [9, 4];
      const a = uniform(seededRandom(5), rows * n, 0, 1);
      a.set([0.5, 0.5, 0.1, 0.1], 0); // a tie: index 0 wins
      const labels = integers(seededRandom(6), rows, n);
      labels[0] = 0;
      const t = oneHot(labels, n);
      let expected = 0;
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let j = 1; j < n; j++) if (a[r * n + j] > a[r * n + best]) best = j;
        if (best === labels[r]) expected++;
      }
      checkOp(core(), {
        buffers: { a, t },
        run: (fn, at, layout) => fn.countCorrect(layout.ACCURACY_ARGMAX, at.a, at.t, rows, n),
        reference: () => ({ returned: expected }),
        tolerance: { atol: 0, rtol: 0 },
      });
      expect(expected).toBeGreaterThan(0);
    });

    it('threshold: elements on the same side of 0.5 as the target (0.5 counts as positive)', () => {
      const a = [0.1, 0.5, 0.49, 0.9, 0.7, 0.2, 0.5000001];
      const t = [0, 1, 1, 1, 0, 0, 1];
      const expected = a.filter((v, i) => v >= 0.5 === t[i] >= 0.5).length;
      checkOp(core(), {
        buffers: { a, t },
        run: (fn, at, layout) => fn.countCorrect(layout.ACCURACY_THRESHOLD, at.a, at.t, 1, a.length),
        reference: () => ({ returned: expected }),
        tolerance: { atol: 0, rtol: 0 },
      });
    });

    it('none counts nothing', () => {
      checkOp(core(), {
        buffers: { a: [1, 0], t: [1, 0] },
        run: (fn, at, layout) => fn.countCorrect(layout.ACCURACY_NONE, at.a, at.t, 1, 2),
        reference: () => ({ returned: 0 }),
        tolerance: { atol: 0, rtol: 0 },
      });
    });
  });
});
