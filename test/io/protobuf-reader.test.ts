/**
 * The protobuf decoder against the library's encoder: every field kind ONNX import reads comes
 * back as written (negative int64, packed and unpacked repeated scalars, strings, nested
 * messages), the last occurrence of a singular field wins, and malformed bytes are errors.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/io/protobuf-reader.js';
import { ProtobufMessage } from '../../src/io/protobuf-writer.js';

describe('decodeMessage', () => {
  it('reads back what ProtobufMessage writes', () => {
    const child = new ProtobufMessage().string(1, 'inner').int64(2, 7);
    const packedFloats = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const packedDoubles = new Uint8Array(new Float64Array([0.1, 1e300]).buffer);
    const bytes = new ProtobufMessage()
      .int64(1, -1)
      .int64(2, 2 ** 40)
      .int64(3, 5)
      .int64(3, 6)
      .bytes(3, Uint8Array.from([7, 0x80, 0x01])) // packed 7, 128
      .float(4, 0.25)
      .float(4, 3)
      .bytes(4, packedFloats)
      .bytes(5, packedDoubles)
      .string(6, 'héllo')
      .string(6, 'wörld')
      .message(7, child)
      .message(7, new ProtobufMessage().string(1, 'second'))
      .toBytes();
    const fields = decodeMessage(bytes);
    expect(fields.int(1)).toBe(-1);
    expect(fields.int(2)).toBe(2 ** 40);
    expect(fields.ints(3)).toEqual([5, 6, 7, 128]);
    expect(Array.from(fields.floats(4))).toEqual([0.25, 3, 1.5, -2]);
    expect(Array.from(fields.doubles(5))).toEqual([0.1, 1e300]);
    expect(fields.strings(6)).toEqual(['héllo', 'wörld']);
    expect(fields.string(6)).toBe('wörld');
    expect(fields.messages(7).map((m) => m.string(1))).toEqual(['inner', 'second']);
    expect(fields.message(7)?.string(1)).toBe('second');
    expect(fields.int(99, 42)).toBe(42);
    expect(fields.string(99, 'none')).toBe('none');
    expect(fields.message(99)).toBeUndefined();
    expect(fields.has(1) && !fields.has(99)).toBe(true);
  });

  it('rejects truncated and malformed messages', () => {
    const good = new ProtobufMessage().string(1, 'abcdef').toBytes();
    expect(() => decodeMessage(good.subarray(0, 4), 'M')).toThrow(
      /M: field 1 declares 6 bytes at byte 2, past the end \(4\)/,
    );
    expect(() => decodeMessage(Uint8Array.from([0x08, 0x80]), 'M')).toThrow(/M: truncated varint at byte 1/);
    expect(() => decodeMessage(Uint8Array.from([0x08, ...new Array(10).fill(0xff), 1]), 'M')).toThrow(
      /longer than 10 bytes/,
    );
    expect(() => decodeMessage(Uint8Array.from([0x0b]), 'M')).toThrow(/unsupported wire type 3/);
    expect(() => decodeMessage(Uint8Array.from([0x0d, 1, 2]), 'M')).toThrow(/field 1 truncated at byte 1/);
    expect(() => decodeMessage(Uint8Array.from([0x00]), 'M')).toThrow(/invalid field number 0/);
    const wrong = decodeMessage(new ProtobufMessage().int64(1, 3).toBytes(), 'M');
    expect(() => wrong.string(1)).toThrow(/M: field 1 has unexpected wire type 0/);
    const badUtf8 = decodeMessage(new ProtobufMessage().bytes(1, Uint8Array.from([0xff])).toBytes(), 'M');
    expect(() => badUtf8.string(1)).toThrow(/field 1 is not valid UTF-8/);
    const oddPacked = decodeMessage(new ProtobufMessage().bytes(1, Uint8Array.from([1, 2, 3])).toBytes(), 'M');
    expect(() => oddPacked.floats(1)).toThrow(/packed field 1 has 3 bytes, not a multiple of 4/);
  });
});
