/**
 * The binary side of the TF.js layers format: a weights manifest plus weight files.
 *
 * Layout (as tfjs-core's io writes and reads it): the manifest is a list of groups, each
 * `{ paths: [...], weights: [{ name, shape, dtype, quantization?, group? }, ...] }`. A group's
 * files, concatenated in `paths` order, hold its weights back to back, row-major,
 * little-endian, no padding. `model.save()` hands the same bytes over as one buffer
 * (`weightData`, every group concatenated in order).
 *
 * Element encodings read here (all become float32):
 *   dtype 'float32'                                 4 bytes, IEEE 754
 *   dtype 'int32'                                   4 bytes, converted to float (exact to 2^24)
 *   dtype 'float16' (seen in hand-made manifests)   2 bytes, IEEE 754 half
 *   quantization { dtype: 'float16' }               2 bytes, IEEE 754 half
 *   quantization { dtype: 'uint8' | 'uint16', scale, min }   value = q * scale + min
 * 'bool', 'string' and 'complex64' weights cannot be a Dense kernel or bias: Error.
 * Weights in the 'optimizer' group (saved with includeOptimizer) are skipped over.
 */

/** One tensor in a TF.js weights manifest. */
export interface TfjsWeightsManifestEntry {
  /** The tensor's name, e.g. `'dense_1/kernel'`. */
  name: string;
  /** Its dimensions; the elements are stored row-major. */
  shape: number[];
  /** Element type: `'float32'`, `'int32'` or `'float16'` are read; others are an Error for a Dense weight. */
  dtype: string;
  /** The tensor's group; weights in the `'optimizer'` group are skipped. */
  group?: string;
  /** How the stored elements encode the values, when quantized. */
  quantization?: {
    /** Stored element type: `'float16'`, `'uint8'` or `'uint16'`. */
    dtype: string;
    /** uint8/uint16: value = q · scale + min. */
    scale?: number;
    /** uint8/uint16: value = q · scale + min. */
    min?: number;
  };
}

/** One group of a TF.js weights manifest: files whose concatenation holds the group's tensors back to back. */
export interface TfjsWeightsManifestGroup {
  /** The weight files, relative to model.json, in concatenation order. */
  paths: string[];
  /** The tensors stored in those files, in order. */
  weights: TfjsWeightsManifestEntry[];
}

/** A decoded weight: float32 values, row-major in `shape`. */
export interface DecodedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Weight-file bytes: all files concatenated in manifest order, or one buffer per path. */
export type TfjsWeightData = Uint8Array | ArrayBuffer | ReadonlyArray<Uint8Array | ArrayBuffer>;

// --- reading ----------------------------------------------------------------------------

/**
 * Decodes every model (non-optimizer) weight of `manifest` from `weightData`.
 * Throws if the bytes are not exactly as long as the manifest says, naming the files.
 */
export function decodeWeights(
  manifest: TfjsWeightsManifestGroup[],
  weightData: TfjsWeightData,
  context: string,
): DecodedWeight[] {
  assertManifestShape(manifest, context);
  for (const entry of manifest.flatMap((group) => group.weights)) {
    if (entry.group !== 'optimizer') assertReadableEncoding(entry, context);
  }
  const groupBytes = splitIntoGroups(manifest, weightData, context);
  const decoded: DecodedWeight[] = [];
  manifest.forEach((group, groupIndex) => {
    const bytes = groupBytes[groupIndex];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const entry of group.weights) {
      const count = elementCount(entry, context);
      const byteLength = count * bytesPerElement(entry, context);
      if (entry.group !== 'optimizer') {
        decoded.push({
          name: entry.name,
          shape: entry.shape.slice(),
          values: decodeValues(entry, view, offset, count, context),
        });
      }
      offset += byteLength;
    }
  });
  return decoded;
}

/** Bytes the manifest's weights occupy, per group. */
function expectedGroupByteLengths(manifest: TfjsWeightsManifestGroup[], context: string): number[] {
  return manifest.map((group) =>
    group.weights.reduce((total, entry) => total + elementCount(entry, context) * bytesPerElement(entry, context), 0),
  );
}

/**
 * One Uint8Array per manifest group. With one buffer per path, each group's files are
 * checked against its own weights; otherwise only the grand total can be checked.
 */
function splitIntoGroups(
  manifest: TfjsWeightsManifestGroup[],
  weightData: TfjsWeightData,
  context: string,
): Uint8Array[] {
  const expected = expectedGroupByteLengths(manifest, context);
  const expectedTotal = expected.reduce((a, b) => a + b, 0);
  const paths = manifest.flatMap((group) => group.paths);
  const buffers = (Array.isArray(weightData) ? weightData : [weightData]).map((buffer, index) =>
    toBytes(buffer, `${context}: weight buffer ${index}`),
  );

  if (buffers.length === paths.length && buffers.length > 1) {
    let pathIndex = 0;
    return manifest.map((group, groupIndex) => {
      const groupBuffers = buffers.slice(pathIndex, pathIndex + group.paths.length);
      pathIndex += group.paths.length;
      const bytes = concatenate(groupBuffers);
      if (bytes.byteLength !== expected[groupIndex]) {
        throw new Error(
          `${context}: weight files [${group.paths.join(', ')}] hold ${bytes.byteLength} bytes but their manifest ` +
            `group describes ${expected[groupIndex]} bytes (${describeWeights(group.weights)})`,
        );
      }
      return bytes;
    });
  }

  const all = concatenate(buffers);
  if (all.byteLength !== expectedTotal) {
    throw new Error(
      `${context}: the weight data holds ${all.byteLength} bytes but the weights manifest describes ` +
        `${expectedTotal} bytes (files: ${paths.join(', ') || 'none'})`,
    );
  }
  let offset = 0;
  return expected.map((length) => all.subarray(offset, (offset += length)));
}

function decodeValues(
  entry: TfjsWeightsManifestEntry,
  view: DataView,
  offset: number,
  count: number,
  context: string,
): Float32Array {
  const values = new Float32Array(count);
  const quantization = entry.quantization;
  if (quantization !== undefined) {
    if (quantization.dtype === 'float16') {
      for (let i = 0; i < count; i++) values[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
      return values;
    }
    const { scale, min } = quantization;
    if (typeof scale !== 'number' || typeof min !== 'number') {
      throw new Error(
        `${context}: weight '${entry.name}' is ${quantization.dtype}-quantized but has no numeric scale and min`,
      );
    }
    if (quantization.dtype === 'uint8') {
      for (let i = 0; i < count; i++) values[i] = view.getUint8(offset + i) * scale + min;
    } else {
      for (let i = 0; i < count; i++) values[i] = view.getUint16(offset + 2 * i, true) * scale + min;
    }
    return values;
  }
  switch (entry.dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
      return values;
    case 'int32':
      for (let i = 0; i < count; i++) values[i] = view.getInt32(offset + 4 * i, true);
      return values;
    case 'float16':
      for (let i = 0; i < count; i++) values[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
      return values;
    default:
      throw new Error(unsupportedDtypeMessage(entry, context));
  }
}

/** Model weights must be float32, int32, float16 or quantized: said before any size check. */
function assertReadableEncoding(entry: TfjsWeightsManifestEntry, context: string): void {
  if (entry.quantization !== undefined) return; // bytesPerElement names an unknown quantization dtype
  if (!['float32', 'int32', 'float16'].includes(entry.dtype)) throw new Error(unsupportedDtypeMessage(entry, context));
}

function bytesPerElement(entry: TfjsWeightsManifestEntry, context: string): number {
  if (entry.quantization !== undefined) {
    switch (entry.quantization.dtype) {
      case 'uint8':
        return 1;
      case 'uint16':
      case 'float16':
        return 2;
      default:
        throw new Error(
          `${context}: weight '${entry.name}' has unknown quantization dtype '${entry.quantization.dtype}'`,
        );
    }
  }
  switch (entry.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
      return 2;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default: // 'string' weights are variable-length and cannot be skipped over reliably.
      throw new Error(unsupportedDtypeMessage(entry, context));
  }
}

function unsupportedDtypeMessage(entry: TfjsWeightsManifestEntry, context: string): string {
  return (
    `${context}: weight '${entry.name}' has dtype '${entry.dtype}'; only float32, int32, float16 and ` +
    `uint8/uint16/float16-quantized weights can be read`
  );
}

function elementCount(entry: TfjsWeightsManifestEntry, context: string): number {
  if (!Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${context}: weight '${entry.name}' has an invalid shape ${JSON.stringify(entry.shape)}`);
  }
  return entry.shape.reduce((product, dim) => product * dim, 1);
}

function assertManifestShape(manifest: unknown, context: string): asserts manifest is TfjsWeightsManifestGroup[] {
  if (!Array.isArray(manifest)) throw new Error(`${context}: weightsManifest must be an array of groups`);
  manifest.forEach((group, index) => {
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`${context}: weightsManifest[${index}] must have 'paths' and 'weights' arrays`);
    }
    for (const entry of group.weights) {
      if (typeof entry?.name !== 'string')
        throw new Error(`${context}: weightsManifest[${index}] has a weight without a name`);
    }
  });
}

function describeWeights(weights: TfjsWeightsManifestEntry[]): string {
  return weights.map((w) => `${w.name} [${w.shape.join(', ')}] ${w.quantization?.dtype ?? w.dtype}`).join('; ');
}

// --- writing ----------------------------------------------------------------------------

/** Float32 tensors concatenated as little-endian bytes, in the order given. */
export function encodeFloat32Weights(tensors: Float32Array[]): Uint8Array {
  const total = tensors.reduce((sum, t) => sum + t.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const tensor of tensors) {
    for (let i = 0; i < tensor.length; i++, offset += 4) view.setFloat32(offset, tensor[i], true);
  }
  return bytes;
}

// --- bytes ------------------------------------------------------------------------------

function toBytes(buffer: unknown, what: string): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new Error(`${what} is not an ArrayBuffer or Uint8Array`);
}

function concatenate(buffers: Uint8Array[]): Uint8Array {
  if (buffers.length === 1) return buffers[0];
  const out = new Uint8Array(buffers.reduce((sum, b) => sum + b.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    out.set(buffer, offset);
    offset += buffer.byteLength;
  }
  return out;
}

/** IEEE 754 half (1 sign, 5 exponent, 10 mantissa bits) to a JS number. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
