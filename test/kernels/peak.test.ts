/**
 * The arithmetic-peak probes of bench/kernels.ts (assembly/bench.ts): they must run the
 * chains they claim, or the bench's "% of peak" and its ceilings divide by a wrong number.
 * Each chain is c ← c·m + a; the expected values come from float64 with each step rounded
 * to f32 (a fused step rounds once, mul + add twice: the difference after a few steps is
 * far below the tolerance, an indexing mistake or a skipped chain is not).
 */
import { describe, expect, it } from 'vitest';

import { describeEachCore } from '../helpers/cores.js';
import { Arena } from '../helpers/op-test.js';

/** c after `steps` steps of c ← c·m + a in f32. */
function chain(c: number, m: number, a: number, steps: number): number {
  let x = Math.fround(c);
  for (let i = 0; i < steps; i++) x = Math.fround(Math.fround(x * m) + a);
  return x;
}

describe('peak probes (assembly/bench.ts)', () => {
  describeEachCore((core) => {
    it('peakMaddChains runs 12 and 8 independent chains and returns their sum over the 4 lanes', () => {
      const seed = 1;
      const m = Math.fround(0.9999 - seed * 1e-6);
      const a = Math.fround(1e-3 + seed * 1e-9);
      for (const chains of [12, 8]) {
        for (const steps of [1, 5]) {
          let expected = 0;
          for (let i = 0; i < chains; i++) expected += 4 * chain(seed + i, m, a, steps);
          expect(core().fn.peakMaddChains(steps, chains, seed)).toBeCloseTo(expected, 3);
        }
      }
    });

    it('peakMaddWide steps each of its 24 accumulators in place, with its own m and a lanes', () => {
      const arena = new Arena(core());
      const bytes = core().layout.PEAK_WIDE_STATE_BYTES;
      expect(bytes).toBe(24 * 16 + 64);
      const state = new Float32Array(bytes / 4);
      for (let i = 0; i < 96; i++) state[i] = 1 + i * 0.25;
      // m and a differ by lane and between the two vectors, so a swapped operand shows.
      for (let i = 0; i < 8; i++) state[96 + i] = 0.5 + i * 0.01;
      for (let i = 0; i < 8; i++) state[104 + i] = 0.001 * (i + 1);
      const at = arena.place(state);
      const steps = 3;
      core().fn.peakMaddWide(steps, at);
      const after = arena.read(at, 96);
      for (let i = 0; i < 96; i++) {
        // Accumulator j = i >> 2 pairs with m/a vector j & 1; lane i & 3.
        const vector = (i >> 2) & 1;
        const lane = i & 3;
        const expected = chain(state[i], state[96 + 4 * vector + lane], state[104 + 4 * vector + lane], steps);
        expect(after[i]).toBeCloseTo(expected, 5);
      }
      arena.expectGuardsIntact('peakMaddWide');
    });
  });
});
