/**
 * IDX: the array file format of MNIST and Fashion-MNIST.
 *
 *   bytes 0-1   0x00 0x00                        magic
 *   byte  2     dtype code (table below)
 *   byte  3     ndims, 1..255
 *   then        ndims big-endian u32 dimensions
 *   then        prod(dims) elements, big-endian, row-major (last dimension fastest)
 *
 *   code  dtype  elements        code  dtype  elements
 *   0x08  u8     Uint8Array      0x0C  i32    Int32Array
 *   0x09  i8     Int8Array       0x0D  f32    Float32Array
 *   0x0B  i16    Int16Array      0x0E  f64    Float64Array
 *
 * The reader converts the data to native-endian typed arrays (always copies, never aliases
 * the input) and rejects anything that is not exactly one well-formed IDX array: bad magic,
 * unknown dtype, zero dimensions (ndims = 0 or a dimension of size 0), truncated header or
 * data, trailing bytes. Web-standard APIs only; gzip goes through DecompressionStream.
 */

import type { Dataset } from './dataset.js';
import { gunzip, isGzip } from './gzip.js';

// --- dtypes --------------------------------------------------------------------------

/** An IDX element type: unsigned / signed 8-bit, 16- and 32-bit integers, 32- and 64-bit floats. */
export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

/** The typed array that holds each dtype's elements. */
export interface IdxArrayTypes {
  /** Unsigned bytes (code 0x08): MNIST's images and labels. */
  u8: Uint8Array;
  /** Signed bytes (code 0x09). */
  i8: Int8Array;
  /** 16-bit signed integers (code 0x0B). */
  i16: Int16Array;
  /** 32-bit signed integers (code 0x0C). */
  i32: Int32Array;
  /** 32-bit floats (code 0x0D). */
  f32: Float32Array;
  /** 64-bit floats (code 0x0E). */
  f64: Float64Array;
}

/** Any IDX array's elements: one of the typed arrays of {@link IdxArrayTypes}. */
export type IdxData = IdxArrayTypes[IdxDtype];

/** One decoded IDX array; `dtype` tells which typed array `data` is. */
export type IdxArray = {
  [D in IdxDtype]: {
    /** The element type. */
    dtype: D;
    /** The dimensions, outermost first (e.g. [60000, 28, 28] for MNIST's training images). */
    shape: number[];
    /** The elements, row-major (last dimension fastest), native-endian; length = product of `shape`. */
    data: IdxArrayTypes[D];
  };
}[IdxDtype];

interface DtypeInfo {
  dtype: IdxDtype;
  code: number;
  bytesPerElement: number;
  /** The typed array of this dtype over a whole buffer of native-endian elements. */
  viewOf(buffer: ArrayBuffer): IdxData;
}

const DTYPES: readonly DtypeInfo[] = [
  { dtype: 'u8', code: 0x08, bytesPerElement: 1, viewOf: (buffer) => new Uint8Array(buffer) },
  { dtype: 'i8', code: 0x09, bytesPerElement: 1, viewOf: (buffer) => new Int8Array(buffer) },
  { dtype: 'i16', code: 0x0b, bytesPerElement: 2, viewOf: (buffer) => new Int16Array(buffer) },
  { dtype: 'i32', code: 0x0c, bytesPerElement: 4, viewOf: (buffer) => new Int32Array(buffer) },
  { dtype: 'f32', code: 0x0d, bytesPerElement: 4, viewOf: (buffer) => new Float32Array(buffer) },
  { dtype: 'f64', code: 0x0e, bytesPerElement: 8, viewOf: (buffer) => new Float64Array(buffer) },
];

// --- byte order ------------------------------------------------------------------------------

/** Typed arrays use the host's byte order: little-endian on every mainstream platform. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of every `width`-byte element of `bytes`, in place. */
function reverseElementBytes(bytes: Uint8Array, width: number): void {
  for (let element = 0; element < bytes.length; element += width) {
    for (let low = element, high = element + width - 1; low < high; low++, high--) {
      const held = bytes[low];
      bytes[low] = bytes[high];
      bytes[high] = held;
    }
  }
}

/** Converts big-endian element bytes to host order or back (the same swap), in place. */
function swapBigEndianAndHost(bytes: Uint8Array, width: number): void {
  if (HOST_IS_LITTLE_ENDIAN && width > 1) reverseElementBytes(bytes, width);
}

function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}

function knownDtypeList(): string {
  return DTYPES.map((info) => `${hexByte(info.code)} ${info.dtype}`).join(', ');
}

function dtypeOfArray(data: unknown): DtypeInfo {
  // Node Buffers are Uint8Arrays and encode as u8; Uint8ClampedArray is a different class
  // and is rejected rather than guessed.
  const info =
    data instanceof Uint8Array
      ? DTYPES[0]
      : data instanceof Int8Array
        ? DTYPES[1]
        : data instanceof Int16Array
          ? DTYPES[2]
          : data instanceof Int32Array
            ? DTYPES[3]
            : data instanceof Float32Array
              ? DTYPES[4]
              : data instanceof Float64Array
                ? DTYPES[5]
                : undefined;
  if (!info) {
    const name = (data as object | null)?.constructor?.name ?? typeof data;
    throw new TypeError(
      `IDX: cannot encode ${name}; expected Uint8Array, Int8Array, Int16Array, Int32Array, Float32Array or Float64Array`,
    );
  }
  return info;
}

// --- reading ---------------------------------------------------------------------------

function toUint8Array(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Parses an uncompressed IDX file. Throws an Error naming the problem on malformed input,
 * and on gzip input (use the async `parseIdx`, which decompresses it).
 */
export function parseIdxBytes(input: Uint8Array | ArrayBuffer): IdxArray {
  const bytes = toUint8Array(input);
  if (bytes.length < 4) {
    throw new Error(`IDX: truncated header: expected at least 4 bytes, got ${bytes.length}`);
  }
  if (isGzip(bytes)) {
    throw new Error('IDX: input is gzip-compressed; use the async parseIdx(), which decompresses it');
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `IDX: bad magic: the first two bytes must be 0x00 0x00, got ${hexByte(bytes[0])} ${hexByte(bytes[1])}`,
    );
  }
  const info = DTYPES.find((candidate) => candidate.code === bytes[2]);
  if (!info) {
    throw new Error(`IDX: unknown dtype code ${hexByte(bytes[2])} (known: ${knownDtypeList()})`);
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new Error('IDX: zero dimensions: the header declares ndims = 0');

  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new Error(
      `IDX: truncated header: ${ndims} dimensions need ${headerLength} header bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const zeroAxis = shape.indexOf(0);
  if (zeroAxis !== -1) {
    throw new Error(`IDX: zero dimension: dimension ${zeroAxis} of shape ${shapeText(shape)} is 0`);
  }

  // Products beyond 2^53 lose exactness but are then far larger than any real input,
  // so the comparisons below still report them as truncated.
  const elementCount = shape.reduce((product, size) => product * size, 1);
  const expectedDataBytes = elementCount * info.bytesPerElement;
  const actualDataBytes = bytes.length - headerLength;
  if (actualDataBytes < expectedDataBytes) {
    throw new Error(
      `IDX: truncated data: shape ${shapeText(shape)} of ${info.dtype} needs ${expectedDataBytes} data bytes, ` +
        `got ${actualDataBytes}`,
    );
  }
  if (actualDataBytes > expectedDataBytes) {
    throw new Error(
      `IDX: trailing garbage: ${actualDataBytes - expectedDataBytes} bytes after the ${expectedDataBytes} ` +
        `data bytes that shape ${shapeText(shape)} of ${info.dtype} needs`,
    );
  }

  // Copy the data into a fresh (so aligned, and never shared with the input) buffer, put it
  // in host byte order, view it. (Not bytes.slice: on a Node Buffer that returns a view.)
  const elementBytes = new Uint8Array(actualDataBytes);
  elementBytes.set(bytes.subarray(headerLength));
  swapBigEndianAndHost(elementBytes, info.bytesPerElement);
  return { dtype: info.dtype, shape, data: info.viewOf(elementBytes.buffer) } as IdxArray;
}

/**
 * Parses an IDX file, gzipped or not: input starting with the gzip magic 0x1f 0x8b is
 * decompressed first (DecompressionStream), then parsed by `parseIdxBytes`.
 */
export async function parseIdx(input: Uint8Array | ArrayBuffer): Promise<IdxArray> {
  const bytes = toUint8Array(input);
  return parseIdxBytes(isGzip(bytes) ? await gunzip(bytes) : bytes);
}

// --- writing ---------------------------------------------------------------------------

/**
 * Encodes `data` (row-major, `shape`) as an uncompressed IDX file. The dtype follows from
 * the array type; every dimension must be a positive integer below 2^32 and their product
 * must equal `data.length`.
 */
export function encodeIdx(data: IdxData, shape: readonly number[]): Uint8Array {
  const info = dtypeOfArray(data);
  if (shape.length < 1 || shape.length > 255) {
    throw new RangeError(`IDX: shape must have 1 to 255 dimensions, got ${shape.length}`);
  }
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 1 || size > 0xffffffff) {
      throw new RangeError(`IDX: every dimension must be an integer in [1, 2^32), got shape ${shapeText(shape)}`);
    }
  }
  const elementCount = shape.reduce((product, size) => product * size, 1);
  if (elementCount !== data.length) {
    throw new RangeError(
      `IDX: shape ${shapeText(shape)} holds ${elementCount} elements but the data has ${data.length}`,
    );
  }

  const headerLength = 4 + 4 * shape.length;
  const bytes = new Uint8Array(headerLength + data.byteLength);
  const view = new DataView(bytes.buffer);
  bytes[2] = info.code;
  bytes[3] = shape.length;
  shape.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), headerLength);
  swapBigEndianAndHost(bytes.subarray(headerLength), info.bytesPerElement);
  return bytes;
}

// --- datasets --------------------------------------------------------------------------

/**
 * A classification Dataset from an MNIST-style pair of IDX arrays:
 *
 *   images  u8 [count, rows, cols] or [count, features] (any trailing dims are flattened)
 *   labels  u8 [count]
 *
 * -> { count, inputSize: rows * cols, inputs: images.data (Uint8Array), inputScale: 1/255,
 *      labels: labels.data (Uint8Array) }. The arrays are used as they are, not copied.
 */
export function idxToDataset(images: IdxArray, labels: IdxArray): Dataset {
  if (images.dtype !== 'u8') throw new Error(`IDX images must be u8, got ${images.dtype}`);
  if (labels.dtype !== 'u8') throw new Error(`IDX labels must be u8, got ${labels.dtype}`);
  if (images.shape.length < 2) {
    throw new Error(`IDX images must have shape [count, ...features], got ${shapeText(images.shape)}`);
  }
  if (labels.shape.length !== 1) {
    throw new Error(`IDX labels must have shape [count], got ${shapeText(labels.shape)}`);
  }
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    throw new Error(`IDX images and labels disagree on the sample count: ${count} images, ${labels.shape[0]} labels`);
  }
  const inputSize = images.shape.slice(1).reduce((product, size) => product * size, 1);
  return { count, inputSize, inputs: images.data, inputScale: 1 / 255, labels: labels.data };
}
