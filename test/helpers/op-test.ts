/**
 * The one parametrised op test (after tinygrad's helper_test_op): place named f32 buffers
 * in a core's linear memory, run one exported kernel on them, and compare what it wrote
 * (and returned) with the float64 reference at an explicit atol/rtol.
 *
 * Every buffer is followed by a guard band, and buffers the op should fill start as NaN,
 * so a kernel that writes out of bounds, or forgets a tail element, fails the test too.
 */
import { expect } from 'vitest';

import type { Core, CoreFunctions, Layout } from '../../src/runtime/core.js';
import { expectClose, type Tolerance } from './compare.js';
import type { Values } from './reference.js';

/** f32 bit patterns: a quiet NaN with a recognisable payload, and the guard word. */
const POISON_BITS = 0x7fc00bad;
const GUARD_BITS = 0x7fa5a5a5;
const GUARD_FLOATS = 8;

/**
 * A bump allocator over a core's memory above heapBase. `misalignFloats` (0-3) shifts
 * every buffer off the 16-byte boundary, to exercise unaligned v128 loads and stores.
 */
export class Arena {
  private cursor: number;
  private readonly guards: number[] = [];

  constructor(
    readonly core: Core,
    readonly misalignFloats = 0,
  ) {
    this.cursor = Math.ceil(core.heapBase / 64) * 64;
  }

  /** A buffer holding `values` (rounded to f32), or `length` poison NaNs; its byte address. */
  place(contents: Values | number): number {
    const length = typeof contents === 'number' ? contents : contents.length;
    const at = Math.ceil(this.cursor / 16) * 16 + 4 * this.misalignFloats;
    const guard = at + 4 * length;
    this.cursor = guard + 4 * GUARD_FLOATS;
    this.core.ensureBytes(this.cursor + 64);
    const { u32, f32 } = this.core.view();
    if (typeof contents === 'number') u32.fill(POISON_BITS, at >> 2, (at >> 2) + length);
    else f32.set(contents, at >> 2);
    u32.fill(GUARD_BITS, guard >> 2, (guard >> 2) + GUARD_FLOATS);
    this.guards.push(guard);
    return at;
  }

  /** Places i32 values (index lists); returns the byte address. */
  placeInt32(values: ArrayLike<number>): number {
    const at = this.place(values.length);
    this.core.view().i32.set(values, at >> 2);
    return at;
  }

  /** A copy of `length` floats at `at`. */
  read(at: number, length: number): Float32Array {
    return this.core.f32(at, length).slice();
  }

  /** Fails if any guard band was overwritten. */
  expectGuardsIntact(label = 'op'): void {
    const { u32 } = this.core.view();
    for (const guard of this.guards) {
      for (let i = 0; i < GUARD_FLOATS; i++) {
        if (u32[(guard >> 2) + i] !== GUARD_BITS)
          expect.fail(`${label}: wrote past the end of a buffer (guard at byte ${guard + 4 * i})`);
      }
    }
  }
}

export interface OpTest {
  /** Named buffers: initial contents, or a length for a buffer the op fills (starts as NaN). */
  buffers: Record<string, Values | number>;
  /** Calls the core with each buffer's byte address; may return a scalar. */
  run(fn: CoreFunctions, at: Record<string, number>, layout: Layout): number | void;
  /**
   * Expected contents after the op, for any subset of the buffers, computed in float64
   * from the buffers' initial contents (as placed, i.e. rounded to f32; fill-buffers are
   * absent). `returned` is the expected return value.
   */
  reference(initial: Record<string, Float64Array>): Record<string, Values | number>;
  tolerance: Tolerance;
  /** Shift every buffer this many floats off 16-byte alignment. Default 0. */
  misalignFloats?: number;
}

export interface OpResult {
  /** Every buffer's contents after the op. */
  after: Record<string, Float32Array>;
  returned: number | void;
}

/** Runs `test` on `core` and asserts every expected buffer (and return value) matches. */
export function checkOp(core: Core, test: OpTest, label = 'op'): OpResult {
  const arena = new Arena(core, test.misalignFloats ?? 0);
  const at: Record<string, number> = {};
  const lengths: Record<string, number> = {};
  const initial: Record<string, Float64Array> = {};
  for (const [name, contents] of Object.entries(test.buffers)) {
    at[name] = arena.place(contents);
    lengths[name] = typeof contents === 'number' ? contents : contents.length;
    if (typeof contents !== 'number') initial[name] = Float64Array.from(Float32Array.from(contents));
  }
  const returned = test.run(core.fn, at, core.layout);
  arena.expectGuardsIntact(label);
  const after: Record<string, Float32Array> = {};
  for (const name of Object.keys(at)) after[name] = arena.read(at[name], lengths[name]);
  const expected = test.reference(initial);
  for (const [name, values] of Object.entries(expected)) {
    if (name === 'returned') {
      expectClose([returned as number], [values as number], test.tolerance, `${label}: returned value`);
    } else {
      if (!(name in after)) throw new Error(`checkOp: reference names an unknown buffer '${name}'`);
      expectClose(after[name], values as Values, test.tolerance, `${label}: ${name}`);
    }
  }
  return { after, returned };
}
