/**
 * Random pixel shifts (assembly/augment.ts). Image i's shift (dx, dy) is a pure function of
 * (seed, epoch, i) through the hash the file's header defines, re-implemented here, so that:
 *
 *   - the kernel's output is the definition's, bit for bit, for u8 and f32 pixels;
 *   - a shift of +1 moves every pixel one place, and the pixels shifted in are 0;
 *   - the same seed and epoch give the same bits; another seed or epoch other shifts;
 *   - shift 0 copies the images unchanged;
 *   - the shifts cover [-k, k]² about uniformly, and nothing past the output is written.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

/** lowbias32 (C. Wellons), as dropout.ts's header states it. */
function mix(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The shift of image `index` as the header defines it. */
function definedShift(seed: number, epoch: number, index: number, k: number): [number, number] {
  const key = mix((mix((mix(seed) ^ epoch) >>> 0) ^ 0x53484654) >>> 0);
  const bits = mix((key ^ mix(index)) >>> 0);
  const span = 2 * k + 1;
  return [((bits & 0xffff) % span) - k, ((bits >>> 16) % span) - k];
}

/** dst_i[y, x] = src_i[y - dy, x - dx], 0 outside: the definition, in plain loops. */
function definedImages(
  src: ArrayLike<number>,
  count: number,
  w: number,
  h: number,
  k: number,
  seed: number,
  epoch: number,
) {
  const out = new Float64Array(count * w * h);
  for (let i = 0; i < count; i++) {
    const [dx, dy] = k === 0 ? [0, 0] : definedShift(seed, epoch, i, k);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = x - dx;
        const sy = y - dy;
        out[i * w * h + y * w + x] = sx >= 0 && sx < w && sy >= 0 && sy < h ? src[i * w * h + sy * w + sx] : 0;
      }
  }
  return out;
}

/** Runs shiftImages on `src` (u8 or f32 pixels); returns the output and whether the guard after it held. */
function shift(
  src: Uint8Array | Float32Array,
  count: number,
  w: number,
  h: number,
  k: number,
  seed: number,
  epoch: number,
) {
  const bytes = src.byteLength;
  const from = Math.ceil(core.heapBase / 64) * 64;
  const to = from + Math.ceil(bytes / 64) * 64;
  const guardBytes = 64;
  core.ensureBytes(to + bytes + guardBytes);
  const { u8 } = core.view();
  u8.set(new Uint8Array(src.buffer, src.byteOffset, bytes), from);
  u8.fill(0xa5, to, to + bytes + guardBytes);
  core.fn.shiftImages(from, to, count, w, h, src.BYTES_PER_ELEMENT, k, seed, epoch);
  const view = core.view().u8;
  const out = view.slice(to, to + bytes);
  const guardKept = view.subarray(to + bytes, to + bytes + guardBytes).every((b) => b === 0xa5);
  const srcBytes = new Uint8Array(src.buffer, src.byteOffset, bytes);
  const sourceKept = view.subarray(from, from + bytes).every((b, i) => b === srcBytes[i]);
  const values = src instanceof Uint8Array ? out : new Float32Array(out.buffer);
  return { values, guardKept, sourceKept };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = mix((s + 0x9e3779b9) >>> 0);
    out[i] = 1 + (s % 255); // never 0, so a zero in the output is a filled pixel
  }
  return out;
}

describe('shiftImages', () => {
  it('matches the definition for u8 pixels (7×5 images, shifts up to 3), writing nothing past the output', () => {
    const [w, h, count, k] = [7, 5, 40, 3];
    const src = randomBytes(w * h * count, 11);
    const { values, guardKept, sourceKept } = shift(src, count, w, h, k, 123, 4);
    expect(Array.from(values)).toEqual(Array.from(definedImages(src, count, w, h, k, 123, 4)));
    expect(guardKept).toBe(true);
    expect(sourceKept).toBe(true);
  });

  it('matches the definition for f32 pixels, with +0.0 bits as the fill', () => {
    const [w, h, count, k] = [28, 28, 12, 2];
    const src = new Float32Array(w * h * count).map((_, i) => Math.fround(-1 + ((i * 37) % 101) / 50));
    const { values } = shift(src, count, w, h, k, 5, 0);
    const expected = Float32Array.from(definedImages(src, count, w, h, k, 5, 0));
    expect(new Uint32Array((values as Float32Array).buffer)).toEqual(new Uint32Array(expected.buffer));
  });

  it('a shift of +1 in x moves each pixel one place right and fills the first column with 0', () => {
    const [w, h, k, seed, epoch] = [6, 4, 1, 9, 2];
    // The first image whose defined shift is (dx, dy) = (+1, 0).
    let index = 0;
    while (definedShift(seed, epoch, index, k).join() !== '1,0') index++;
    const count = index + 1;
    const src = randomBytes(w * h * count, 3);
    const { values } = shift(src, count, w, h, k, seed, epoch);
    const image = index * w * h;
    for (let y = 0; y < h; y++) {
      expect(values[image + y * w]).toBe(0);
      for (let x = 1; x < w; x++) expect(values[image + y * w + x]).toBe(src[image + y * w + x - 1]);
    }
  });

  it('gives the same bits for the same seed and epoch, other shifts for another seed or epoch', () => {
    const [w, h, count, k] = [28, 28, 50, 2];
    const src = randomBytes(w * h * count, 1);
    const a = shift(src, count, w, h, k, 1, 0).values;
    const again = shift(src, count, w, h, k, 1, 0).values;
    const otherSeed = shift(src, count, w, h, k, 2, 0).values;
    const otherEpoch = shift(src, count, w, h, k, 1, 1).values;
    expect(again).toEqual(a);
    expect(otherSeed).not.toEqual(a);
    expect(otherEpoch).not.toEqual(a);
  });

  it('copies the images unchanged at shift 0', () => {
    const src = randomBytes(28 * 28 * 3, 8);
    expect(Array.from(shift(src, 3, 28, 28, 0, 1, 0).values)).toEqual(Array.from(src));
  });

  it('draws every shift in [-k, k]² about equally often', () => {
    const k = 2;
    const counts = new Map<string, number>();
    const draws = 25_000;
    for (let i = 0; i < draws; i++) {
      const key = definedShift(7, 3, i, k).join();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(25);
    // 1000 expected per cell; 5 standard deviations of a binomial(25000, 1/25) is about 155.
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(155);
    // And the kernel draws the defined shifts: image by image, the output is the shifted input.
    const src = randomBytes(9 * 9 * 60, 4);
    expect(Array.from(shift(src, 60, 9, 9, k, 7, 3).values)).toEqual(Array.from(definedImages(src, 60, 9, 9, k, 7, 3)));
  });
});
