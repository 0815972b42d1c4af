/**
 * Typed arrays on their way to a WorkerModel's worker (src/worker/protocol.ts): shared arrays as
 * they are, owned ones moved with `transfer`, views copied to their bytes, and arrays of 2 MiB or
 * more that must be copied are copied here in 1 MiB slices, one task each (so postMessage never
 * copies a large array in one long task of the calling thread), the copy moved across.
 */
import { describe, expect, it } from 'vitest';
import { dataForPosting, forPostingInSlices, SLICED_COPY_BYTES } from '../../src/worker/protocol.js';

const filled = (length: number, offset = 0) => Float32Array.from({ length }, (_, i) => i * 0.5 + offset);

describe('forPostingInSlices', () => {
  it('copies a large owned array over several tasks, to a new buffer listed for transfer, the original untouched', async () => {
    const array = filled((3 * SLICED_COPY_BYTES) / 4 + 5); // 6 MiB and a bit: seven slices
    const list: Transferable[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const copy = await forPostingInSlices(array, false, list);
    clearInterval(timer);
    expect(copy).toBeInstanceOf(Float32Array);
    expect(copy.buffer).not.toBe(array.buffer);
    expect(list).toEqual([copy.buffer]);
    expect(copy).toEqual(array);
    expect(array[array.length - 1]).toBe((array.length - 1) * 0.5);
    // Other work ran between the slices (a timer fired while the copy was under way).
    expect(ticks).toBeGreaterThan(0);
  });

  it('copies only the bytes of a large view', async () => {
    const whole = filled(SLICED_COPY_BYTES);
    const view = whole.subarray(1000, 1000 + SLICED_COPY_BYTES / 2);
    const list: Transferable[] = [];
    const copy = await forPostingInSlices(view, false, list);
    expect(copy.byteLength).toBe(view.byteLength);
    expect(copy).toEqual(view);
    expect(list).toEqual([copy.buffer]);
  });

  it('moves an owned array with transfer, and leaves small and shared arrays to postMessage', async () => {
    const big = filled(SLICED_COPY_BYTES / 2);
    const moved: Transferable[] = [];
    expect(await forPostingInSlices(big, true, moved)).toBe(big);
    expect(moved).toEqual([big.buffer]);
    const small = filled(100);
    const none: Transferable[] = [];
    expect(await forPostingInSlices(small, false, none)).toBe(small);
    expect(none).toEqual([]);
    const shared = new Float32Array(new SharedArrayBuffer(SLICED_COPY_BYTES));
    expect(await forPostingInSlices(shared, false, none)).toBe(shared);
    expect(none).toEqual([]);
  });

  it('dataForPosting prepares inputs, labels and targets of a dataset that way', async () => {
    const inputs = filled(SLICED_COPY_BYTES / 4 + 8, 1);
    const labels = new Int32Array(16).map((_, i) => i % 3);
    const list: Transferable[] = [];
    const posted = await dataForPosting({ inputs, labels, count: 16 }, false, list);
    expect(posted.inputs).toEqual(inputs);
    expect(posted.inputs).not.toBe(inputs);
    expect(posted.labels).toBe(labels);
    expect(posted.count).toBe(16);
    expect(list).toEqual([posted.inputs.buffer]);
  });
});
