/**
 * Saturation (tinygrad's test_ops habit): activations and losses at arguments where a
 * naive formula overflows or loses everything — e^300, logits of ±1e4 — must give
 * finite, correct values: the exact limits where f32 reaches them, and the float64
 * reference value (log-sum-exp) otherwise. No NaN, no Infinity. The kernels run on every
 * core build; the last block checks a Model end to end.
 */
import { describe, expect, it } from 'vitest';

import { createModel } from '../../src/index.js';
import type { Core } from '../../src/runtime/core.js';
import { expectClose } from '../helpers/compare.js';
import { describeEachCore } from '../helpers/cores.js';
import { ACTIVATIONS, activationKind, lossKind } from '../helpers/kinds.js';
import { checkOp } from '../helpers/op-test.js';
import { activate, defaultAlpha, lossOfLogits, softplus } from '../helpers/reference.js';

const allFinite = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

/** Runs activationForward (and activationBackward with g = 1) on one row of z. */
function runActivation(core: Core, activation: Parameters<typeof activationKind>[1], z: number[]) {
  return checkOp(core, {
    buffers: { z, a: z.length, g: new Float32Array(z.length).fill(1) },
    run(fn, at, layout) {
      fn.activationForward(activationKind(layout, activation), at.z, at.a, 1, z.length, defaultAlpha(activation));
      fn.activationBackward(
        activationKind(layout, activation),
        at.a,
        at.g,
        1,
        z.length,
        defaultAlpha(activation),
        at.z,
      );
    },
    reference: () => ({}),
    tolerance: { atol: 0, rtol: 0 },
  }).after;
}

describeEachCore((core) => {
  describe('activations at ±300 and beyond', () => {
    const extremes = [-1e30, -300, -104, -88.8, -20, 20, 88.8, 104, 300, 1e30];

    it.each(ACTIVATIONS)('%s (from src/): finite outputs and derivatives, no NaN', (activation) => {
      const { a, g } = runActivation(core(), activation, extremes);
      expect(allFinite(a) && allFinite(g), `${activation}(${extremes.join(', ')}) = ${Array.from(a).join(', ')}`).toBe(
        true,
      );
    });

    it('sigmoid reaches exactly 0 and 1, its derivative exactly 0, never NaN', () => {
      const { a, g } = runActivation(core(), 'sigmoid', extremes);
      expect(allFinite(a) && allFinite(g)).toBe(true);
      extremes.forEach((z, i) => {
        if (Math.abs(z) >= 300) expect(a[i]).toBe(z > 0 ? 1 : 0);
        expect(a[i]).toBeGreaterThanOrEqual(0);
        expect(a[i]).toBeLessThanOrEqual(1);
      });
      // Moderate arguments still match float64 (σ(-20) ≈ 2.06e-9 is representable in f32).
      expectClose([a[4], a[5]], activate('sigmoid', [-20, 20], 1, 2), { atol: 0, rtol: 1e-6 }, 'sigmoid(±20)');
      expect(g[1]).toBe(0);
      expect(g[8]).toBe(0);
    });

    it('tanh reaches exactly ±1, its derivative exactly 0', () => {
      const { a, g } = runActivation(core(), 'tanh', extremes);
      expect(allFinite(a) && allFinite(g)).toBe(true);
      extremes.forEach((z, i) => {
        if (Math.abs(z) >= 20) expect(a[i]).toBe(Math.sign(z));
      });
      expect(Array.from(g).filter((_, i) => Math.abs(extremes[i]) >= 20)).toEqual(new Array(extremes.length).fill(0));
    });

    it('softplus(z) ≈ z for large z and ≈ 0 (never negative) for very negative z', () => {
      const { a, g } = runActivation(core(), 'softplus', extremes);
      expect(allFinite(a) && allFinite(g)).toBe(true);
      expect(a[8]).toBe(300);
      expect(a[9]).toBe(Math.fround(1e30));
      expect(a[1]).toBe(0);
      expect(a[0]).toBe(0);
      expect(Array.from(a).every((v) => v >= 0)).toBe(true);
      // Against float64 where the value is representable: softplus(-20) ≈ 2.06e-9, softplus(20) = 20 + 2e-9.
      expectClose(
        [a[4], a[5], a[6]],
        [softplus(-20), softplus(20), softplus(88.8)].map(Math.fround),
        { atol: 0, rtol: 1e-6 },
        'softplus',
      );
      // σ'(z) = sigmoid(z): 1 at the top, 0 at the bottom.
      expect(g[8]).toBe(1);
      expect(g[1]).toBe(0);
    });

    it('relu and linear pass huge values through unchanged', () => {
      expect(Array.from(runActivation(core(), 'relu', extremes).a)).toEqual(
        extremes.map((z) => Math.max(Math.fround(z), 0)),
      );
      expect(Array.from(runActivation(core(), 'linear', extremes).a)).toEqual(extremes.map(Math.fround));
    });
  });

  describe('softmax of large logits', () => {
    const rows: [string, number[]][] = [
      ['all near +1e4', [10000, 9999, 9997, 10002, 9990]],
      ['all near -1e4', [-10000, -9999, -9997, -10002, -9990]],
      ['+1e4 next to -1e4', [10000, -10000, 0, 5, -3]],
      ['all equal at 1e4', [10000, 10000, 10000, 10000, 10000]],
    ];
    it.each(rows)('%s: no NaN, each row sums to 1, matches float64', (_, z) => {
      const { a } = runActivation(core(), 'softmax', z);
      expect(allFinite(a)).toBe(true);
      expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      expectClose(a, activate('softmax', z, 1, z.length), { atol: 1e-7, rtol: 1e-5 }, 'softmax');
    });
  });

  describe('fused losses at extreme logits', () => {
    function lossAt(loss: 'crossEntropy' | 'binaryCrossEntropy', z: number[], t: number[], rows: number) {
      const n = z.length / rows;
      const activation = loss === 'crossEntropy' ? 'softmax' : 'sigmoid';
      return checkOp(
        core(),
        {
          buffers: { zd: z, a: z.length, t },
          run(fn, at, layout) {
            fn.activationForward(activationKind(layout, activation), at.zd, at.a, rows, n, 0);
            return fn.lossAndDelta(
              lossKind(layout, loss),
              activationKind(layout, activation),
              at.zd,
              at.a,
              at.t,
              rows,
              n,
              1,
              rows,
            );
          },
          reference: ({ zd, t: targets }) => ({ returned: lossOfLogits(loss, activation, zd, targets, rows, n) }),
          tolerance: { atol: 0, rtol: 1e-6 },
        },
        `${loss} at extreme logits`,
      );
    }

    it('cross-entropy with logits ~1e4 is finite and equals the float64 log-sum-exp value', () => {
      // Row 1: the target is 3 below the max; row 2: the target is the max; row 3: logits ~ -1e4.
      const z = [10000, 9997, 10002, 10002, 9990, 10001, -10000, -9998, -10003];
      const t = [0, 1, 0, 1, 0, 0, 0, 0, 1];
      const { returned, after } = lossAt('crossEntropy', z, t, 3);
      expect(Number.isFinite(returned)).toBe(true);
      expect(allFinite(after.zd)).toBe(true);
    });

    it('cross-entropy of a target 2e4 below the max is 2e4, not Infinity (log of softmax would underflow)', () => {
      const { returned, after } = lossAt('crossEntropy', [10000, -10000], [0, 1], 1);
      expect(returned).toBeCloseTo(20000, 3);
      // δ = a - t = [1, -1].
      expect(Array.from(after.zd)).toEqual([1, -1]);
    });

    it('binary cross-entropy at z = ±300: finite, ≈ 300 when wrong and ≈ 0 when right; δ = (a - t)/n', () => {
      const z = [300, 300, -300, -300];
      const t = [0, 1, 1, 0];
      const { returned, after } = lossAt('binaryCrossEntropy', z, t, 1);
      expect(returned).toBeCloseTo((300 + 0 + 300 + 0) / 4, 6);
      expect(Array.from(after.zd)).toEqual([0.25, 0, -0.25, 0]);
    });
  });
});

describe('a model with enormous logits still predicts and evaluates finite values', () => {
  it('1 -> 3 softmax with weights of ±1e4: outputs are one-hot, cross-entropy is finite and exact', async () => {
    const model = await createModel({ inputSize: 1, layers: [{ units: 3, activation: 'softmax' }] });
    model.setWeights({
      inputSize: 1,
      layers: [{ units: 3, activation: 'softmax', weights: Float32Array.of(1e4, -1e4, 0), bias: new Float32Array(3) }],
    });
    const outputs = model.predict([[1], [-1]]);
    expect(Array.from(outputs)).toEqual([1, 0, 0, 0, 1, 0]);
    // Labels that are as wrong as possible: the loss is the logit gap, 2e4 (row 1) and 1e4 (row 2).
    const { loss } = model.evaluate({ inputs: [[1], [-1]], labels: [1, 2] });
    expect(loss).toBeCloseTo((20000 + 10000) / 2, 2);
  });
});
