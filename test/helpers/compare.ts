/**
 * Comparisons that say where and by how much two arrays differ.
 *
 *   expectClose   |actual - expected| <= atol + rtol·|expected| element-wise (NaN and ±∞
 *                 in `actual` fail unless `expected` holds the same non-finite value)
 *   expectBitEqual  the same f32 bit patterns (so -0 and +0 differ, and NaN payloads count)
 */
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
  error: number;
  allowed: number;
}

/** Every element outside the tolerance (empty when all are within). */
export function mismatches(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
): Mismatch[] {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} != expected length ${expected.length}`);
  const bad: Mismatch[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e)))
        bad.push({ index: i, actual: a, expected: e, error: Infinity, allowed: 0 });
      continue;
    }
    const error = Math.abs(a - e);
    const allowed = atol + rtol * Math.abs(e);
    if (!(error <= allowed)) bad.push({ index: i, actual: a, expected: e, error, allowed });
  }
  return bad;
}

/** Asserts closeness, reporting the count of bad elements and the worst few. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
  label = 'values',
): void {
  const bad = mismatches(actual, expected, tolerance);
  if (bad.length > 0) {
    const worst = [...bad]
      .sort((x, y) => y.error / (y.allowed || 1e-300) - x.error / (x.allowed || 1e-300))
      .slice(0, 5);
    const lines = worst.map(
      (m) =>
        `  [${m.index}] got ${m.actual}, expected ${m.expected} (error ${m.error.toExponential(2)} > allowed ${m.allowed.toExponential(2)})`,
    );
    expect.fail(
      `${label}: ${bad.length} of ${actual.length} elements outside atol=${tolerance.atol}, rtol=${tolerance.rtol}\n${lines.join('\n')}`,
    );
  }
}

/** Largest |actual - expected|. */
export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

/** Asserts two Float32Arrays hold identical bit patterns. */
export function expectBitEqual(actual: Float32Array, expected: Float32Array, label = 'values'): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i])
      expect.fail(
        `${label}: first difference at [${i}]: ${actual[i]} (0x${a[i].toString(16)}) vs ${expected[i]} (0x${e[i].toString(16)})`,
      );
  }
}

/** True when the arrays differ in at least one bit pattern. */
export function differsInBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return true;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.some((v, i) => v !== y[i]);
}
