/**
 * A minimal protocol-buffers encoder: just enough of the wire format to write ONNX models.
 *
 * Contract: a `ProtobufMessage` collects fields in the order they are written and
 * `toBytes()` returns the encoded message. Nested messages are built as their own
 * `ProtobufMessage` and written with `message(field, child)` (length-delimited).
 * Nothing is validated against a schema: field numbers and wire types are the caller's job.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/):
 *   every field starts with a tag = varint(fieldNumber << 3 | wireType)
 *   wire type 0 VARINT   int32 / int64 / enum / bool, base-128 little-endian groups of 7 bits;
 *                        negative int32/int64 values are sign-extended to 64 bits (10 bytes)
 *   wire type 2 LEN      varint(byte length) then the bytes: strings, bytes, sub-messages
 *   wire type 5 I32      4 bytes little-endian: float, fixed32
 *
 * Only web-standard APIs are used (Uint8Array, DataView, TextEncoder).
 */

const WIRE_TYPE_VARINT = 0;
const WIRE_TYPE_LENGTH_DELIMITED = 2;
const WIRE_TYPE_FIXED32 = 5;

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const textEncoder = new TextEncoder();

/** Encodes a non-negative integer (< 2^64) as a base-128 varint. */
export function encodeVarint(value: number | bigint): Uint8Array {
  let remaining = BigInt(value);
  if (remaining < 0n || remaining >= 1n << 64n) {
    throw new RangeError(`varint value out of range [0, 2^64): ${value}`);
  }
  const bytes: number[] = [];
  while (remaining >= 0x80n) {
    bytes.push(Number(remaining & 0x7fn) | 0x80);
    remaining >>= 7n;
  }
  bytes.push(Number(remaining));
  return Uint8Array.from(bytes);
}

/**
 * Encodes a signed 64-bit integer the way protobuf's int32/int64 do: two's complement,
 * so -1 becomes ten bytes (ff ff ff ff ff ff ff ff ff 01).
 */
export function encodeSignedVarint(value: number | bigint): Uint8Array {
  const asBigInt = BigInt(value);
  if (asBigInt < -(1n << 63n) || asBigInt >= 1n << 63n) {
    throw new RangeError(`int64 value out of range: ${value}`);
  }
  return encodeVarint(BigInt.asUintN(64, asBigInt));
}

export class ProtobufMessage {
  private readonly chunks: Uint8Array[] = [];
  private byteLength = 0;

  /** An int32 / int64 / enum field (wire type 0). Negative values are allowed. */
  int64(fieldNumber: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`field ${fieldNumber}: not a safe integer: ${value}`);
    }
    this.tag(fieldNumber, WIRE_TYPE_VARINT);
    return this.push(encodeSignedVarint(value));
  }

  /** A 32-bit float field (wire type 5), little-endian IEEE 754. */
  float(fieldNumber: number, value: number): this {
    this.tag(fieldNumber, WIRE_TYPE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(bytes);
  }

  /** A UTF-8 string field (wire type 2). */
  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, textEncoder.encode(value));
  }

  /** A bytes field (wire type 2): the bytes are copied as they are. */
  bytes(fieldNumber: number, value: Uint8Array): this {
    return this.lengthDelimited(fieldNumber, value.slice());
  }

  /** An embedded message field (wire type 2). */
  message(fieldNumber: number, child: ProtobufMessage): this {
    return this.lengthDelimited(fieldNumber, child.toBytes());
  }

  /** The encoded message: the fields concatenated in the order they were written. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private tag(fieldNumber: number, wireType: number): void {
    if (!Number.isInteger(fieldNumber) || fieldNumber < 1 || fieldNumber > MAX_FIELD_NUMBER) {
      throw new RangeError(`invalid protobuf field number: ${fieldNumber}`);
    }
    this.push(encodeVarint(BigInt(fieldNumber) * 8n + BigInt(wireType)));
  }

  /** Takes ownership of `payload`: the caller must not change it afterwards. */
  private lengthDelimited(fieldNumber: number, payload: Uint8Array): this {
    this.tag(fieldNumber, WIRE_TYPE_LENGTH_DELIMITED);
    this.push(encodeVarint(payload.byteLength));
    return this.push(payload);
  }

  private push(chunk: Uint8Array): this {
    this.chunks.push(chunk);
    this.byteLength += chunk.byteLength;
    return this;
  }
}

/** Float32 values as little-endian IEEE 754 bytes, whatever the platform's byte order. */
export function float32LittleEndianBytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}
