/**
 * Inverted dropout (assembly/dropout.ts). The mask of element (sample s, unit j) is a pure
 * function of (seed, step, layer, s, j) through the counter-based hash the file's header
 * defines, re-implemented here from that definition, so that:
 *
 *   - the kernel's mask is the definition's, bit for bit (and the scalar reference kernel's);
 *   - the fraction dropped is the rate (within 5 standard deviations over 51,400 draws);
 *   - kept values are a/(1 - p), dropped ones 0, and the mean is preserved;
 *   - a row's mask is the same however the batch's rows are split into calls;
 *   - rate 0 is the identity and rate 1 drops everything;
 *   - the backward multiplies by the same mask, which is the derivative of the forward at
 *     a fixed mask (checked by central differences of the float64 forward).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectBitEqual, expectClose } from '../helpers/compare.js';
import { Arena, checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference.js';
import { kernels } from './kernel-functions.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

/** lowbias32 (C. Wellons), as the header of dropout.ts states it. */
function mix(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The mask the definition gives: 1/(1 - p) or 0 per element, as f32. */
function definedMask(
  rate: number,
  seed: number,
  step: number,
  layer: number,
  firstSample: number,
  rows: number,
  n: number,
) {
  const threshold = rate >= 1 ? 2 ** 24 : rate > 0 ? Math.round(rate * 2 ** 24) : 0;
  const scale = Math.fround(threshold >= 2 ** 24 ? 0 : threshold === 0 ? 1 : 1 / (1 - Math.fround(rate)));
  const key = mix((mix((mix(seed) ^ step) >>> 0) ^ layer) >>> 0);
  const mask = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const rowKey = mix((key ^ mix((firstSample + r) >>> 0)) >>> 0);
    for (let j = 0; j < n; j++) {
      const bits = mix((rowKey + Math.imul(j, 0x9e3779b9)) >>> 0) >>> 8;
      mask[r * n + j] = bits >= threshold ? scale : 0;
    }
  }
  return mask;
}

interface Run {
  a: Float32Array;
  mask: Float32Array;
}

/** dropoutForward over rows [first, first + rows) of `a` (n wide), in one call. */
function forward(
  a: Float32Array,
  n: number,
  first: number,
  rows: number,
  rate: number,
  seed = 7,
  step = 3,
  layer = 1,
  misalign = 0,
): Run {
  const arena = new Arena(core, misalign);
  const at = arena.place(a.subarray(first * n, (first + rows) * n));
  const mask = arena.place(rows * n);
  kernels(core).dropoutForward(at, mask, rows, n, rate, seed, step, layer, first);
  arena.expectGuardsIntact('dropoutForward');
  return { a: arena.read(at, rows * n), mask: arena.read(mask, rows * n) };
}

describe('dropoutForward: the counter-based mask', () => {
  it.each([
    [1, 1, 0.5],
    [3, 7, 0.2],
    [5, 13, 0.5],
    [17, 64, 0.8],
  ])('[%i, %i] at rate %f: the mask is the definition, bit for bit, misaligned too', (rows, n, rate) => {
    const a = uniform(seededRandom(rows + n), rows * n, -2, 2);
    for (const misalign of [0, 1, 3]) {
      const { a: out, mask } = forward(a, n, 0, rows, rate, 11, 5, 2, misalign);
      const expected = definedMask(rate, 11, 5, 2, 0, rows, n);
      expectBitEqual(mask, expected, `mask, misaligned by ${misalign}`);
      expectBitEqual(
        out,
        a.map((v, i) => Math.fround(v * expected[i])),
        'a ⊙ mask',
      );
    }
  });

  it('the scalar reference kernel gives the same mask and outputs', () => {
    const [rows, n] = [9, 23];
    const a = uniform(seededRandom(4), rows * n, -2, 2);
    const simd = forward(a, n, 5, rows - 5, 0.35, 99, 12, 3);
    const arena = new Arena(core);
    const at = arena.place(a.subarray(5 * n));
    const mask = arena.place((rows - 5) * n);
    kernels(core).referenceDropoutForward(at, mask, rows - 5, n, 0.35, 99, 12, 3, 5);
    expectBitEqual(arena.read(mask, (rows - 5) * n), simd.mask, 'mask');
    expectBitEqual(arena.read(at, (rows - 5) * n), simd.a, 'outputs');
  });

  it.each([0.1, 0.3, 0.5, 0.9])(
    'rate %f: the fraction dropped is the rate, kept values are a/(1 - p), the mean is kept',
    (rate) => {
      const [rows, n] = [200, 257];
      const a = new Float32Array(rows * n).fill(1);
      const { a: out, mask } = forward(a, n, 0, rows, rate);
      const dropped = mask.filter((m) => m === 0).length / mask.length;
      const sigma = Math.sqrt((rate * (1 - rate)) / mask.length);
      expect(Math.abs(dropped - rate)).toBeLessThan(5 * sigma);
      const scale = Math.fround(1 / (1 - Math.fround(rate)));
      expect(out.every((v) => v === 0 || v === scale)).toBe(true);
      const mean = out.reduce((s, v) => s + v, 0) / out.length;
      expect(Math.abs(mean - 1)).toBeLessThan((5 * sigma) / (1 - rate));
      // Every unit and every row is dropped somewhere and kept somewhere: no stuck lanes or rows.
      for (let j = 0; j < n; j++) {
        const column = Array.from({ length: rows }, (_, r) => mask[r * n + j]);
        expect(column.some((m) => m === 0) && column.some((m) => m !== 0)).toBe(true);
      }
      for (let r = 0; r < rows; r++) {
        const row = mask.subarray(r * n, (r + 1) * n);
        expect(row.some((m) => m === 0) && row.some((m) => m !== 0)).toBe(true);
      }
    },
  );

  it("a row's mask does not depend on how the batch's rows are split into calls (threads)", () => {
    const [rows, n] = [64, 37];
    const a = uniform(seededRandom(9), rows * n, -2, 2);
    const whole = forward(a, n, 0, rows, 0.4);
    for (const cuts of [
      [0, 1, 64],
      [0, 16, 32, 48, 64],
      [0, 5, 23, 24, 61, 64],
    ]) {
      const pieces: Run[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) pieces.push(forward(a, n, cuts[k], cuts[k + 1] - cuts[k], 0.4));
      const joined = (key: 'a' | 'mask') => {
        const out = new Float32Array(rows * n);
        pieces.forEach((p, k) => {
          out.set(p[key], cuts[k] * n);
        });
        return out;
      };
      expectBitEqual(joined('mask'), whole.mask, `mask, cuts ${cuts}`);
      expectBitEqual(joined('a'), whole.a, `outputs, cuts ${cuts}`);
    }
  });

  it('different seeds, steps, layers and samples give different masks', () => {
    const [rows, n] = [4, 64];
    const a = new Float32Array(rows * n).fill(1);
    const base = forward(a, n, 0, rows, 0.5, 1, 1, 1).mask;
    for (const [seed, step, layer] of [
      [2, 1, 1],
      [1, 2, 1],
      [1, 1, 2],
    ]) {
      const other = forward(a, n, 0, rows, 0.5, seed, step, layer).mask;
      const same = other.filter((m, i) => m === base[i]).length / other.length;
      expect(same).toBeLessThan(0.7);
    }
    for (let r = 1; r < rows; r++) {
      const same = base.subarray(r * n, (r + 1) * n).filter((m, j) => m === base[j]).length / n;
      expect(same).toBeLessThan(0.75);
    }
  });

  it('rate 0 is the identity (every bit, -0 and NaN included); rate 1 drops everything', () => {
    const a = Float32Array.of(1, -2.5, 0, -0, 3e-38, Number.NaN, 1e30, -7);
    const identity = forward(a, 8, 0, 1, 0);
    expectBitEqual(identity.a, a, 'rate 0');
    expect(Array.from(identity.mask)).toEqual(new Array(8).fill(1));
    const all = forward(Float32Array.of(1, -2, 3, 4, 5), 5, 0, 1, 1);
    expect(Array.from(all.mask)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(all.a).map(Math.abs)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('dropoutBackward', () => {
  it.each([
    [1, 3],
    [4, 9],
    [7, 16],
  ])('[%i, %i]: g ⊙ mask, the derivative of the forward at its mask (central differences)', (rows, n) => {
    const a = uniform(seededRandom(rows * n), rows * n, -2, 2);
    const { mask } = forward(a, n, 0, rows, 0.3);
    const g = uniform(seededRandom(rows * n + 1), rows * n);
    checkOp(core, {
      buffers: { g, mask },
      run: (_fn, at) => kernels(core).dropoutBackward(at.g, at.mask, rows, n),
      reference: ({ g: g64, mask: m64 }) => {
        const x = Float64Array.from(a);
        // φ(a) = Σ g ⊙ (m ⊙ a): its gradient is the backward product.
        const phi = () => x.reduce((s, v, i) => s + g64[i] * m64[i] * v, 0);
        return { g: centralDifferences(phi, x, 1e-3), mask: m64 };
      },
      // g·m rounded to f32: half an ulp.
      tolerance: { atol: 1e-12, rtol: 6e-8 },
    });
  });

  it('dropoutForward on g with no mask buffer (mask = 0) is the backward, bit for bit', () => {
    const [rows, n] = [6, 21];
    const a = uniform(seededRandom(31), rows * n, -2, 2);
    const { mask } = forward(a, n, 2, rows - 2, 0.45, 5, 6, 7);
    const g = uniform(seededRandom(32), (rows - 2) * n);
    const arena = new Arena(core, 1);
    const viaMask = arena.place(g);
    const viaHash = arena.place(g);
    const m = arena.place(mask);
    kernels(core).dropoutBackward(viaMask, m, rows - 2, n);
    kernels(core).dropoutForward(viaHash, 0, rows - 2, n, 0.45, 5, 6, 7, 2);
    expectBitEqual(arena.read(viaHash, (rows - 2) * n), arena.read(viaMask, (rows - 2) * n), 'g ⊙ m');
    expectBitEqual(arena.read(m, (rows - 2) * n), mask, 'the mask buffer untouched');
    arena.expectGuardsIntact();
  });

  it('zeroes exactly the dropped elements and scales the kept ones by 1/(1 - p)', () => {
    const [rows, n] = [3, 11];
    const { mask } = forward(new Float32Array(rows * n).fill(1), n, 0, rows, 0.5);
    const g = new Float32Array(rows * n).fill(3);
    const { after } = checkOp(core, {
      buffers: { g, mask },
      run: (_fn, at) => kernels(core).dropoutBackward(at.g, at.mask, rows, n),
      reference: () => ({}),
      tolerance: { atol: 0, rtol: 0 },
    });
    expectClose(
      after.g,
      Array.from(mask, (m) => 3 * m),
      { atol: 0, rtol: 0 },
      'g ⊙ mask',
    );
  });
});
