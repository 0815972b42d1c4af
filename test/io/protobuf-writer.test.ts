/**
 * The protobuf encoder, checked against the worked examples of the protobuf encoding guide
 * (https://protobuf.dev/programming-guides/encoding/) and the int64 sign-extension rule.
 */

import { describe, expect, it } from 'vitest';
import {
  ProtobufMessage,
  encodeSignedVarint,
  encodeVarint,
  float32LittleEndianBytes,
} from '../../src/io/protobuf-writer.js';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('varints', () => {
  it('encode small and multi-byte values', () => {
    expect(hex(encodeVarint(0))).toBe('00');
    expect(hex(encodeVarint(1))).toBe('01');
    expect(hex(encodeVarint(127))).toBe('7f');
    expect(hex(encodeVarint(128))).toBe('80 01');
    expect(hex(encodeVarint(150))).toBe('96 01');
    expect(hex(encodeVarint(300))).toBe('ac 02');
    expect(hex(encodeVarint(2n ** 64n - 1n))).toBe('ff ff ff ff ff ff ff ff ff 01');
  });

  it('sign-extend negative int64 values to ten bytes', () => {
    expect(hex(encodeSignedVarint(-1))).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(hex(encodeSignedVarint(-2))).toBe('fe ff ff ff ff ff ff ff ff 01');
    expect(hex(encodeSignedVarint(5))).toBe('05');
  });

  it('reject values out of range', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(2n ** 64n)).toThrow(RangeError);
    expect(() => encodeSignedVarint(2n ** 63n)).toThrow(RangeError);
    expect(() => new ProtobufMessage().int64(1, 0.5)).toThrow(/not a safe integer/);
  });
});

describe('ProtobufMessage', () => {
  it('writes the guide\'s examples: int32 150 in field 1, "testing" in field 2', () => {
    expect(hex(new ProtobufMessage().int64(1, 150).toBytes())).toBe('08 96 01');
    expect(hex(new ProtobufMessage().string(2, 'testing').toBytes())).toBe('12 07 74 65 73 74 69 6e 67');
  });

  it("nests a message as a length-delimited field (the guide's Test3 example)", () => {
    const inner = new ProtobufMessage().int64(1, 150);
    expect(hex(new ProtobufMessage().message(3, inner).toBytes())).toBe('1a 03 08 96 01');
  });

  it('writes floats as fixed32 little-endian and keeps field order', () => {
    const bytes = new ProtobufMessage().float(2, 1).int64(20, 2).toBytes();
    // tag 2<<3|5 = 0x15; 1.0f = 0x3f800000; tag 20<<3|0 = 160 = a0 01.
    expect(hex(bytes)).toBe('15 00 00 80 3f a0 01 02');
  });

  it('copies bytes fields, so later changes to the source do not leak in', () => {
    const source = Uint8Array.of(1, 2, 3);
    const message = new ProtobufMessage().bytes(1, source);
    source[0] = 9;
    expect(hex(message.toBytes())).toBe('0a 03 01 02 03');
  });

  it('rejects invalid field numbers', () => {
    expect(() => new ProtobufMessage().int64(0, 1)).toThrow(/field number/);
    expect(() => new ProtobufMessage().int64(2 ** 29, 1)).toThrow(/field number/);
  });

  it('float32LittleEndianBytes is little-endian regardless of platform', () => {
    expect(hex(float32LittleEndianBytes([1, -2]))).toBe('00 00 80 3f 00 00 00 c0');
  });
});
