/**
 * L1/L2 weight penalties (assembly/regularize.ts, Keras' convention): penalizeWeights adds
 * l1·sign(w) + 2·l2·w to the weight gradient and returns l1·Σ|w| + l2·Σw². The value is
 * checked against float64, the gradient against central differences of that value (w
 * kept 1e-3 away from L1's kink at 0, where the subgradient 0 is checked on its own),
 * on lengths that are not multiples of 4 and across the 1024-weight block boundary.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectBitEqual } from '../helpers/compare.js';
import { Arena, checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference.js';
import { kernels } from './kernel-functions.js';
import { penalty64 } from './reference64.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

function weights(seed: number, count: number): Float32Array {
  return uniform(seededRandom(seed), count, -1, 1).map((v) => (Math.abs(v) < 1e-3 ? v + Math.sign(v || 1) * 2e-3 : v));
}

describe('penalizeWeights: l1·Σ|w| + l2·Σw², and gw += l1·sign(w) + 2·l2·w', () => {
  for (const [l1, l2] of [
    [0.01, 0],
    [0, 0.005],
    [0.003, 0.02],
  ]) {
    it.each([1, 3, 8, 37, 1029, 2051])(
      `l1 ${l1}, l2 ${l2}, %i weights: value vs float64, gradient vs central differences`,
      (count) => {
        const gw = uniform(seededRandom(count + 1), count);
        checkOp(core, {
          buffers: { w: weights(count, count), gw },
          run: (_fn, at) => kernels(core).penalizeWeights(at.w, at.gw, count, l1, l2),
          reference: ({ w, gw: gw64 }) => {
            const point = Float64Array.from(w);
            const l1f = Math.fround(l1);
            const l2f = Math.fround(l2);
            const value = () => penalty64(point, l1f, l2f);
            const slope = centralDifferences(value, point, 1e-6);
            return { returned: value(), gw: gw64.map((g, i) => g + slope[i]), w };
          },
          // The value: f32 lanes over blocks of 1024, added in f64. The gradient: f32 arithmetic.
          tolerance: { atol: 1e-8, rtol: 1e-6 },
        });
      },
    );
  }

  it('takes the subgradient 0 at w = ±0, and gw = 0 computes the value alone', () => {
    const w = [0, -0, 0.5, -0.25, 0];
    checkOp(core, {
      buffers: { w, gw: [1, 1, 1, 1, 1] },
      run: (_fn, at) => kernels(core).penalizeWeights(at.w, at.gw, 5, 0.5, 0.25),
      reference: () => ({ gw: [1, 1, 1 + 0.5 + 0.25, 1 - 0.5 - 0.125, 1], returned: 0.5 * 0.75 + 0.25 * 0.3125 }),
      tolerance: { atol: 0, rtol: 1e-7 },
    });
    const { returned } = checkOp(core, {
      buffers: { w },
      run: (_fn, at) => kernels(core).penalizeWeights(at.w, 0, 5, 0.5, 0.25),
      reference: () => ({ returned: 0.5 * 0.75 + 0.25 * 0.3125 }),
      tolerance: { atol: 0, rtol: 1e-7 },
    });
    expect(returned).toBeGreaterThan(0);
  });

  it('the SIMD kernel adds the scalar reference kernel’s gradient bit for bit; values agree to 1e-7', () => {
    const count = 1503;
    const results: { gw: Float32Array; value: number }[] = [];
    for (const reference of [false, true]) {
      const arena = new Arena(core, 3);
      const w = arena.place(weights(5, count));
      const gw = arena.place(uniform(seededRandom(6), count));
      const k = kernels(core);
      const value = (reference ? k.referencePenalizeWeights : k.penalizeWeights)(w, gw, count, 0.01, 0.03);
      results.push({ gw: arena.read(gw, count), value });
      arena.expectGuardsIntact();
    }
    expectBitEqual(results[0].gw, results[1].gw, 'gradient');
    expect(Math.abs(results[0].value - results[1].value) / results[1].value).toBeLessThan(1e-7);
  });

  it('without L1 (the loop that skips the sign) the gradient is the reference kernel’s, signed zeros included', () => {
    // -1e-45 is the smallest negative f32: 2·l2·w rounds to -0, and -0 + -0 stays -0 only if
    // the sign's term (0·sign(w) = -0 where w < 0) is kept. 23 weights: pairs, one vector, a tail.
    const special = [-1e-45, -0, 0, -0.5, 1e-45, 0.25, Number.NaN];
    for (const gwKind of ['negative zeros', 'random']) {
      const count = 23;
      const w = weights(9, count);
      special.forEach((v, i) => {
        w[i] = v;
        w[count - 1 - i] = v;
      });
      const start = gwKind === 'random' ? uniform(seededRandom(10), count) : new Float32Array(count).fill(-0);
      const results: Float32Array[] = [];
      for (const reference of [false, true]) {
        const arena = new Arena(core);
        const at = { w: arena.place(w), gw: arena.place(start) };
        const k = kernels(core);
        (reference ? k.referencePenalizeWeights : k.penalizeWeights)(at.w, at.gw, count, 0, 0.03);
        results.push(arena.read(at.gw, count));
        arena.expectGuardsIntact();
      }
      expectBitEqual(results[0], results[1], `gradient, gw ${gwKind}`);
      if (gwKind === 'negative zeros') expect(Object.is(results[0][0], -0)).toBe(true);
    }
  });
});
