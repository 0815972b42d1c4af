import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { encodeIdx, idxToDataset, parseIdx, parseIdxBytes, type IdxData } from '../../src/data/idx.js';

/** Builds IDX bytes by hand (header + already big-endian payload), independent of encodeIdx. */
function idxBytes(dtypeCode: number, shape: number[], payload: number[]): Uint8Array {
  const header = [0, 0, dtypeCode, shape.length];
  for (const size of shape) header.push((size >>> 24) & 0xff, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff);
  return new Uint8Array([...header, ...payload]);
}

const cases: { dtype: string; code: number; data: IdxData; shape: number[] }[] = [
  { dtype: 'u8', code: 0x08, data: new Uint8Array([0, 1, 127, 128, 254, 255]), shape: [2, 3] },
  { dtype: 'i8', code: 0x09, data: new Int8Array([-128, -1, 0, 1, 127, 42]), shape: [3, 2] },
  { dtype: 'i16', code: 0x0b, data: new Int16Array([-32768, -2, 0, 1, 258, 32767]), shape: [6] },
  {
    dtype: 'i32',
    code: 0x0c,
    data: new Int32Array([-2147483648, -1, 0, 16909060, 2147483647, 7, 8, 9]),
    shape: [2, 2, 2],
  },
  { dtype: 'f32', code: 0x0d, data: new Float32Array([-1.5, 0, Math.PI, 1e-38, -Infinity, 65504]), shape: [1, 6] },
  { dtype: 'f64', code: 0x0e, data: new Float64Array([Math.PI, -0, 1e308, 5e-324, Number.NaN, -2.5]), shape: [2, 3] },
];

describe('IDX round trips', () => {
  for (const { dtype, code, data, shape } of cases) {
    it(`${dtype}: encode then parse returns the same values, shape and dtype`, () => {
      const bytes = encodeIdx(data, shape);
      expect([...bytes.subarray(0, 4)]).toEqual([0, 0, code, shape.length]);
      expect(bytes.length).toBe(4 + 4 * shape.length + data.byteLength);
      const parsed = parseIdxBytes(bytes);
      expect(parsed.dtype).toBe(dtype);
      expect(parsed.shape).toEqual(shape);
      expect(parsed.data.constructor).toBe(data.constructor);
      expect(Array.from(parsed.data)).toEqual(Array.from(data)); // toEqual treats NaN as equal to NaN and -0 as -0
      expect(Object.is(parsed.data[1], data[1])).toBe(true);
    });
  }

  it('parses the data as a copy: changing the input bytes afterwards does not change it', () => {
    const bytes = encodeIdx(new Uint8Array([1, 2, 3]), [3]);
    const parsed = parseIdxBytes(bytes);
    bytes[bytes.length - 1] = 99;
    expect(Array.from(parsed.data)).toEqual([1, 2, 3]);
  });

  it('reads a Node Buffer from the shared pool without touching the pool', () => {
    const encoded = encodeIdx(new Int32Array([1, -1, 65536]), [3]);
    const pooled = Buffer.from(encoded); // small Buffers live at an offset in a shared 8 KiB pool
    const before = Buffer.from(pooled);
    const parsed = parseIdxBytes(pooled);
    expect(Array.from(parsed.data)).toEqual([1, -1, 65536]);
    expect(parsed.data.buffer.byteLength).toBe(12);
    expect(pooled.equals(before)).toBe(true);
  });

  it('reads from a Uint8Array view with a byte offset and from an ArrayBuffer', () => {
    const encoded = encodeIdx(new Int16Array([300, -300]), [2]);
    const padded = new Uint8Array(encoded.length + 3);
    padded.set(encoded, 3);
    expect(Array.from(parseIdxBytes(padded.subarray(3)).data)).toEqual([300, -300]);
    expect(Array.from(parseIdxBytes(encoded.slice().buffer).data)).toEqual([300, -300]);
  });
});

describe('IDX byte order (hand-written big-endian files)', () => {
  it('reads i16 big-endian', () => {
    const parsed = parseIdxBytes(idxBytes(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
    expect(Array.from(parsed.data)).toEqual([258, -2]);
  });

  it('reads i32 and multi-byte dimensions big-endian', () => {
    const parsed = parseIdxBytes(idxBytes(0x0c, [1], [0x01, 0x02, 0x03, 0x04]));
    expect(Array.from(parsed.data)).toEqual([0x01020304]);
    const wide = parseIdxBytes(idxBytes(0x08, [258], new Array(258).fill(7)));
    expect(wide.shape).toEqual([258]);
  });

  it('reads f32 and f64 big-endian', () => {
    // 1.5f = 0x3FC00000; -2.0 = 0xC000000000000000
    expect(Array.from(parseIdxBytes(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    expect(Array.from(parseIdxBytes(idxBytes(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0])).data)).toEqual([-2]);
  });

  it('writes big-endian', () => {
    expect([...encodeIdx(new Int16Array([1, -2]), [2])]).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x00, 0x01, 0xff, 0xfe]);
    expect([...encodeIdx(new Float32Array([1.5]), [1, 1])]).toEqual([
      0, 0, 0x0d, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0,
    ]);
  });
});

describe('gzipped IDX', () => {
  it('parseIdx detects gzip and decompresses it', async () => {
    const data = new Float32Array([0.25, -8, 1e10, 3]);
    const gz = new Uint8Array(gzipSync(encodeIdx(data, [2, 2])));
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const parsed = await parseIdx(gz);
    expect(parsed.dtype).toBe('f32');
    expect(parsed.shape).toEqual([2, 2]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
  });

  it('parseIdx also reads uncompressed input', async () => {
    const parsed = await parseIdx(encodeIdx(new Int8Array([-5, 5]), [2]));
    expect(Array.from(parsed.data)).toEqual([-5, 5]);
  });

  it('decompresses a large gzip stream that arrives in many output chunks', async () => {
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const parsed = await parseIdx(gzipSync(encodeIdx(data, [300, 1000])));
    expect(parsed.shape).toEqual([300, 1000]);
    expect(parsed.data.length).toBe(data.length);
    // Byte-wise comparison (vitest's deep equality is slow on large typed arrays).
    expect(Buffer.compare(parsed.data as Uint8Array, data)).toBe(0);
  });

  it('parseIdxBytes refuses gzip and points to parseIdx', () => {
    expect(() => parseIdxBytes(gzipSync(encodeIdx(new Uint8Array([1]), [1])))).toThrow(/gzip.*parseIdx/);
  });

  it('corrupt gzip is a clear error', async () => {
    const gz = new Uint8Array(gzipSync(encodeIdx(new Uint8Array(1000).fill(3), [1000])));
    await expect(parseIdx(gz.subarray(0, gz.length - 20))).rejects.toThrow(/gzip/);
  });
});

describe('corrupt IDX input', () => {
  const valid = encodeIdx(new Int16Array([1, 2, 3, 4, 5, 6]), [2, 3]); // 16-byte header + 12 data bytes

  it('bad magic', () => {
    const bytes = valid.slice();
    bytes[0] = 0x12;
    expect(() => parseIdxBytes(bytes)).toThrow(/bad magic.*0x12 0x00/);
  });

  it('unknown dtype code', () => {
    const bytes = valid.slice();
    bytes[2] = 0x0a;
    expect(() => parseIdxBytes(bytes)).toThrow(/unknown dtype code 0x0a/);
  });

  it('zero dimensions (ndims = 0)', () => {
    expect(() => parseIdxBytes(new Uint8Array([0, 0, 0x08, 0, 5]))).toThrow(/zero dimensions/);
  });

  it('a dimension of size 0', () => {
    expect(() => parseIdxBytes(idxBytes(0x08, [3, 0], []))).toThrow(/dimension 1 of shape \[3, 0\] is 0/);
  });

  it('truncated header', () => {
    expect(() => parseIdxBytes(new Uint8Array([0, 0]))).toThrow(/truncated header/);
    expect(() => parseIdxBytes(valid.subarray(0, 10))).toThrow(
      /truncated header: 2 dimensions need 12 header bytes, got 10/,
    );
  });

  it('truncated data names expected and actual byte counts', () => {
    expect(() => parseIdxBytes(valid.subarray(0, valid.length - 1))).toThrow(
      /truncated data: shape \[2, 3\] of i16 needs 12 data bytes, got 11/,
    );
  });

  it('huge declared dimensions are truncated, not an allocation', () => {
    expect(() => parseIdxBytes(idxBytes(0x0e, [0xffffffff, 0xffffffff], [1, 2, 3]))).toThrow(/truncated data/);
  });

  it('trailing garbage', () => {
    const bytes = new Uint8Array(valid.length + 5);
    bytes.set(valid);
    expect(() => parseIdxBytes(bytes)).toThrow(/trailing garbage: 5 bytes after the 12 data bytes/);
  });
});

describe('encodeIdx argument checks', () => {
  it('rejects a shape that does not match the data length', () => {
    expect(() => encodeIdx(new Uint8Array(6), [4, 2])).toThrow(/holds 8 elements but the data has 6/);
  });
  it('rejects zero, fractional and missing dimensions', () => {
    expect(() => encodeIdx(new Uint8Array(0), [0])).toThrow(/dimension/);
    expect(() => encodeIdx(new Uint8Array(3), [1.5, 2])).toThrow(/dimension/);
    expect(() => encodeIdx(new Uint8Array(1), [])).toThrow(/1 to 255 dimensions/);
  });
  it('rejects array types IDX has no dtype for', () => {
    expect(() => encodeIdx(new Uint16Array(2) as unknown as Uint8Array, [2])).toThrow(/cannot encode Uint16Array/);
  });
});

describe('idxToDataset', () => {
  const images = parseIdxBytes(encodeIdx(new Uint8Array([0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]), [3, 2, 2]));
  const labels = parseIdxBytes(encodeIdx(new Uint8Array([7, 0, 9]), [3]));

  it('flattens [count, rows, cols] images into u8 inputs with inputScale 1/255', () => {
    const dataset = idxToDataset(images, labels);
    expect(dataset.count).toBe(3);
    expect(dataset.inputSize).toBe(4);
    expect(dataset.inputs).toBeInstanceOf(Uint8Array);
    expect(dataset.inputScale).toBeCloseTo(1 / 255, 15);
    expect(dataset.inputs[1] * dataset.inputScale!).toBe(1);
    expect(Array.from(dataset.labels!)).toEqual([7, 0, 9]);
  });

  it('accepts [count, features] images', () => {
    const flat = parseIdxBytes(encodeIdx(new Uint8Array(12), [3, 4]));
    expect(idxToDataset(flat, labels).inputSize).toBe(4);
  });

  it('rejects mismatched counts, non-u8 arrays and wrong ranks', () => {
    const twoLabels = parseIdxBytes(encodeIdx(new Uint8Array([1, 2]), [2]));
    expect(() => idxToDataset(images, twoLabels)).toThrow(/3 images, 2 labels/);
    const floatImages = parseIdxBytes(encodeIdx(new Float32Array(12), [3, 4]));
    expect(() => idxToDataset(floatImages, labels)).toThrow(/images must be u8, got f32/);
    expect(() => idxToDataset(labels, labels)).toThrow(/shape \[count, \.\.\.features\]/);
    expect(() => idxToDataset(images, images)).toThrow(/labels must have shape \[count\]/);
  });
});
