/**
 * A minimal protocol-buffers decoder: just enough of the wire format to read ONNX models
 * (the counterpart of ./protobuf-writer.ts).
 *
 * Contract: `decodeMessage(bytes)` splits one message into its fields, without a schema, and
 * checks only the wire format (every tag, varint and length inside the bytes; no group wire
 * types). The returned `ProtobufFields` reads them by field number with the schema's type
 * in the accessor's name; length-delimited payloads are views into `bytes`, not copies.
 * A truncated or malformed message is an Error naming what is wrong and where.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/):
 *   tag = varint(fieldNumber << 3 | wireType)
 *   wire type 0 VARINT  int32 / int64 / enum / bool (negative values are 10-byte two's complement)
 *   wire type 1 I64     8 bytes little-endian: double, fixed64
 *   wire type 2 LEN     varint(byte length) then the bytes: strings, bytes, messages, packed repeated scalars
 *   wire type 5 I32     4 bytes little-endian: float, fixed32
 * A non-repeated field that occurs twice takes its last value (protobuf's merge rule).
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** One field occurrence: the varint value, or the raw bytes for I64 / LEN / I32. */
interface RawField {
  wireType: number;
  varint: bigint;
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a varint at `offset`; returns its value and the offset after it. */
function readVarint(bytes: Uint8Array, offset: number, context: string): { value: bigint; next: number } {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (offset + i >= bytes.length) throw new Error(`${context}: truncated varint at byte ${offset}`);
    const byte = bytes[offset + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value: BigInt.asUintN(64, value), next: offset + i + 1 };
  }
  throw new Error(`${context}: varint longer than 10 bytes at byte ${offset}`);
}

/** Splits one encoded message into fields by number. */
export function decodeMessage(bytes: Uint8Array, context = 'protobuf'): ProtobufFields {
  const fields = new Map<number, RawField[]>();
  let offset = 0;
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset, context);
    const fieldNumber = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (fieldNumber < 1 || fieldNumber > 2 ** 29 - 1)
      throw new Error(`${context}: invalid field number ${fieldNumber} at byte ${offset}`);
    offset = tag.next;
    let field: RawField;
    if (wireType === WIRE_VARINT) {
      const value = readVarint(bytes, offset, context);
      field = { wireType, varint: value.value, bytes: EMPTY };
      offset = value.next;
    } else if (wireType === WIRE_LEN) {
      const length = readVarint(bytes, offset, context);
      const end = length.next + Number(length.value);
      if (length.value > BigInt(bytes.length) || end > bytes.length) {
        throw new Error(
          `${context}: field ${fieldNumber} declares ${length.value} bytes at byte ${length.next}, past the end (${bytes.length})`,
        );
      }
      field = { wireType, varint: 0n, bytes: bytes.subarray(length.next, end) };
      offset = end;
    } else if (wireType === WIRE_I64 || wireType === WIRE_I32) {
      const size = wireType === WIRE_I64 ? 8 : 4;
      if (offset + size > bytes.length) throw new Error(`${context}: field ${fieldNumber} truncated at byte ${offset}`);
      field = { wireType, varint: 0n, bytes: bytes.subarray(offset, offset + size) };
      offset += size;
    } else {
      throw new Error(`${context}: unsupported wire type ${wireType} (field ${fieldNumber}) at byte ${offset}`);
    }
    const list = fields.get(fieldNumber);
    if (list) list.push(field);
    else fields.set(fieldNumber, [field]);
  }
  return new ProtobufFields(fields, context);
}

/** The fields of one decoded message, read by field number. */
export class ProtobufFields {
  constructor(
    private readonly fields: Map<number, RawField[]>,
    private readonly context: string,
  ) {}

  /** Whether the field occurs at all. */
  has(field: number): boolean {
    return this.fields.has(field);
  }

  /** A singular int32 / int64 / enum field (two's complement), or `fallback` when absent. */
  int(field: number, fallback = 0): number {
    const last = this.all(field, WIRE_VARINT).pop();
    return last === undefined ? fallback : toSafeNumber(BigInt.asIntN(64, last.varint), this.context, field);
  }

  /** A repeated int32 / int64 field, packed or not. */
  ints(field: number): number[] {
    const values: number[] = [];
    for (const occurrence of this.fields.get(field) ?? []) {
      if (occurrence.wireType === WIRE_VARINT) {
        values.push(toSafeNumber(BigInt.asIntN(64, occurrence.varint), this.context, field));
      } else if (occurrence.wireType === WIRE_LEN) {
        let offset = 0;
        while (offset < occurrence.bytes.length) {
          const value = readVarint(occurrence.bytes, offset, this.context);
          values.push(toSafeNumber(BigInt.asIntN(64, value.value), this.context, field));
          offset = value.next;
        }
      } else throw this.wrongType(field, occurrence.wireType);
    }
    return values;
  }

  /** A singular float field (I32), or `fallback` when absent. */
  float(field: number, fallback = 0): number {
    const last = this.all(field, WIRE_I32).pop();
    return last === undefined ? fallback : littleEndian(last.bytes).getFloat32(0, true);
  }

  /** A repeated float field (packed LEN or one I32 per value). */
  floats(field: number): Float32Array {
    return this.fixedArray(field, WIRE_I32, 4, (view, offset) => view.getFloat32(offset, true), Float32Array);
  }

  /** A repeated double field (packed LEN or one I64 per value). */
  doubles(field: number): Float64Array {
    return this.fixedArray(field, WIRE_I64, 8, (view, offset) => view.getFloat64(offset, true), Float64Array);
  }

  /** A singular bytes field (a view), or undefined when absent. */
  bytes(field: number): Uint8Array | undefined {
    return this.all(field, WIRE_LEN).pop()?.bytes;
  }

  /** A singular string field, or `fallback` when absent. */
  string(field: number, fallback = ''): string {
    const bytes = this.bytes(field);
    return bytes === undefined ? fallback : this.decodeText(bytes, field);
  }

  /** A repeated string field. */
  strings(field: number): string[] {
    return this.all(field, WIRE_LEN).map((occurrence) => this.decodeText(occurrence.bytes, field));
  }

  /** A singular embedded message, or undefined when absent. */
  message(field: number, context = this.context): ProtobufFields | undefined {
    const bytes = this.bytes(field);
    return bytes === undefined ? undefined : decodeMessage(bytes, context);
  }

  /** A repeated embedded message. */
  messages(field: number, context = this.context): ProtobufFields[] {
    return this.all(field, WIRE_LEN).map((occurrence) => decodeMessage(occurrence.bytes, context));
  }

  private all(field: number, wireType: number): RawField[] {
    const occurrences = this.fields.get(field) ?? [];
    for (const occurrence of occurrences)
      if (occurrence.wireType !== wireType) throw this.wrongType(field, occurrence.wireType);
    return [...occurrences];
  }

  private fixedArray<T extends Float32Array | Float64Array>(
    field: number,
    wireType: number,
    size: number,
    read: (view: DataView, offset: number) => number,
    Type: new (length: number) => T,
  ): T {
    const chunks: Uint8Array[] = [];
    for (const occurrence of this.fields.get(field) ?? []) {
      if (occurrence.wireType === wireType) chunks.push(occurrence.bytes);
      else if (occurrence.wireType === WIRE_LEN) {
        if (occurrence.bytes.length % size !== 0) {
          throw new Error(
            `${this.context}: packed field ${field} has ${occurrence.bytes.length} bytes, not a multiple of ${size}`,
          );
        }
        chunks.push(occurrence.bytes);
      } else throw this.wrongType(field, occurrence.wireType);
    }
    const out = new Type(chunks.reduce((n, chunk) => n + chunk.length / size, 0));
    let index = 0;
    for (const chunk of chunks) {
      const view = littleEndian(chunk);
      for (let offset = 0; offset < chunk.length; offset += size) out[index++] = read(view, offset);
    }
    return out;
  }

  private decodeText(bytes: Uint8Array, field: number): string {
    try {
      return textDecoder.decode(bytes);
    } catch {
      throw new Error(`${this.context}: field ${field} is not valid UTF-8`);
    }
  }

  private wrongType(field: number, wireType: number): Error {
    return new Error(`${this.context}: field ${field} has unexpected wire type ${wireType}`);
  }
}

function littleEndian(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toSafeNumber(value: bigint, context: string, field: number): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`${context}: field ${field} holds ${value}, beyond the safe integer range`);
  }
  return Number(value);
}
