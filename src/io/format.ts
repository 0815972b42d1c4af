/**
 * simdnet's own model file: architecture, bit-exact weights, and (optionally)
 * the optimizer state, so that training resumes exactly where it stopped.
 *
 *   offset  size  field
 *   0       4     magic "SDNT"
 *   4       4     format version (u32 LE) = 2 (version 1 files load too)
 *   8       4     header length H (u32 LE)
 *   12      H     header: UTF-8 JSON (architecture, loss, optimizer, training state, metadata,
 *                 classes: the class values, null when not fixed; absent (older files): 0..k-1)
 *   ...     pad   zero bytes to a multiple of 4
 *   ...     4·P   parameters (f32 LE, the model's flat padded layout)
 *   ...     4·P   optimizer moment 1, then 4·P moment 2 (when header.optimizerState), then
 *                 4·P moment 3 (centered RMSprop's gradient average, when header.moment3)
 *   end-4   4     CRC-32 of every preceding byte (u32 LE)
 *
 * Loading checks each of these and names what is wrong with a file.
 *
 * Version 2 adds, in the header, each layer's options (alpha, dropout, batchNorm
 * { momentum, epsilon }, l1, l2, initializer; only those set), the model's huberDelta,
 * RMSprop's and Adagrad's settings in the optimizer, and the moment3 flag. Batch norm's
 * γ, β and running statistics are in the parameters (the model's flat layout, src/model/plan.ts).
 * A version 1 file has none of these: every layer is plain, and it loads as it did.
 */
import {
  type LayerSpec,
  type Loss,
  type NormalizedLayer,
  type NormalizedSpec,
  normalizeSpec,
  type OptimizerConfig,
} from '../model/spec.js';
import { classCount, indexClasses } from '../model/classes.js';
import { assertFinite } from '../model/finite.js';
import { checkOptionKeys } from '../options.js';
import type { ParameterSnapshot, TrainingState } from '../train/types.js';

const MAGIC = [0x53, 0x44, 0x4e, 0x54]; // "SDNT"
export const FORMAT_VERSION = 2;
/** The versions this reader loads. */
const READABLE_VERSIONS = [1, 2];

interface Header {
  inputSize: number;
  layers: LayerSpec[];
  loss: Loss;
  /** Version 2, with the 'huber' loss. */
  huberDelta?: number;
  /** Version 2: the file holds a third optimizer buffer. */
  moment3?: boolean;
  optimizer: OptimizerConfig;
  seed: number;
  training: TrainingState;
  paramLength: number;
  optimizerState: boolean;
  metadata: Record<string, unknown>;
  /** The class values (null: not fixed yet). Absent in files written before classes existed: 0..k-1. */
  classes?: number[] | string[] | null;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** What the file holds of a model: its architecture, training state, metadata and flat buffers. */
export interface ModelState {
  readonly inputSize: number;
  readonly layers: readonly NormalizedLayer[];
  readonly loss: Loss;
  /** The 'huber' loss's δ. */
  readonly huberDelta: number;
  readonly optimizer: OptimizerConfig;
  readonly seed: number;
  readonly training: TrainingState;
  readonly metadata: Record<string, unknown>;
  /** The class values output units stand for, when fixed. */
  readonly classes?: readonly number[] | readonly string[];
  /** Copies of the parameters (and the optimizer moments, with `withMoments`), in the model's flat layout. */
  snapshot(withMoments: boolean): ParameterSnapshot;
}

/** A model file read back: the spec to build the model from, then what to restore into it. */
export interface DecodedModel {
  spec: NormalizedSpec;
  training: TrainingState;
  metadata: Record<string, unknown>;
  /** Whether the file holds the optimizer's moments (training resumes exactly). */
  optimizerState: boolean;
  /** The flat buffers, checked against `paramLength`: the length the architecture needs. */
  buffers(paramLength: number): ParameterSnapshot;
}

/** Options of saveModel() and Model.save(). */
export interface SaveOptions {
  /** Include Adam/momentum state so training resumes exactly. Default true. */
  optimizerState?: boolean;
}

/** A model file's bytes for a model's state (see the header for the layout). */
export function encodeModel(model: ModelState, options: SaveOptions = {}): Uint8Array {
  checkOptionKeys(options, ['optimizerState'], 'save');
  const { optimizerState = true } = options;
  if (!littleEndian) throw new Error('simdnet: saving needs a little-endian platform');
  const state = model.snapshot(optimizerState);
  assertFinite(state.params, 'the parameters', 'save');
  if (state.moment1) assertFinite(state.moment1, 'the optimizer moments (1)', 'save');
  if (state.moment2) assertFinite(state.moment2, 'the optimizer moments (2)', 'save');
  const header: Header = {
    inputSize: model.inputSize,
    layers: model.layers.map(layerHeader),
    loss: model.loss,
    ...(model.loss === 'huber' ? { huberDelta: model.huberDelta } : {}),
    ...(state.moment3 ? { moment3: true } : {}),
    optimizer: model.optimizer,
    seed: model.seed,
    training: { ...model.training },
    paramLength: state.params.length,
    optimizerState,
    metadata: model.metadata,
    classes: model.classes ? ([...model.classes] as number[] | string[]) : null,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 12 + headerBytes.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const buffers = optimizerState ? [state.params, state.moment1!, state.moment2!] : [state.params];
  if (optimizerState && state.moment3) buffers.push(state.moment3);
  const total = dataStart + buffers.length * state.params.byteLength + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, 12);
  buffers.forEach((buffer, i) =>
    bytes.set(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), dataStart + i * buffer.byteLength),
  );
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

/** A layer's header entry: units, activation and the options that are set. */
function layerHeader(layer: NormalizedLayer): LayerSpec {
  const { units, activation, alpha, dropout, batchNorm, l1, l2, initializer } = layer;
  return {
    units,
    activation,
    ...(activation === 'leakyRelu' || activation === 'elu' ? { alpha } : {}),
    ...(dropout > 0 ? { dropout } : {}),
    ...(batchNorm ? { batchNorm: { ...batchNorm } } : {}),
    ...(l1 > 0 ? { l1 } : {}),
    ...(l2 > 0 ? { l2 } : {}),
    ...(initializer === undefined ? {} : { initializer }),
  };
}

function corrupt(reason: string): Error {
  return new Error(`simdnet: not a valid simdnet model file: ${reason}`);
}

/** Reads a model file's header and checks its framing (magic, version, length, checksum); the buffers on demand. */
export function decodeModel(source: Uint8Array | ArrayBuffer): DecodedModel {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  if (bytes.length < 16) throw corrupt(`only ${bytes.length} bytes`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw corrupt('wrong magic bytes (expected "SDNT")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (!READABLE_VERSIONS.includes(version))
    throw corrupt(`format version ${version}; this simdnet reads version ${FORMAT_VERSION} and earlier`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength + 4 > bytes.length)
    throw corrupt(`truncated: header of ${headerLength} bytes, file of ${bytes.length}`);
  const storedCrc = view.getUint32(bytes.length - 4, true);
  const actualCrc = crc32(bytes.subarray(0, bytes.length - 4));
  if (storedCrc !== actualCrc)
    throw corrupt(
      `checksum mismatch (stored ${storedCrc.toString(16)}, computed ${actualCrc.toString(16)}): the file is truncated or damaged`,
    );
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)));
  } catch (cause) {
    throw corrupt(`unreadable header (${(cause as Error).message})`);
  }
  const spec = normalizeSpec({
    inputSize: header.inputSize,
    layers: header.layers,
    loss: header.loss,
    ...(header.huberDelta === undefined ? {} : { huberDelta: header.huberDelta }),
    optimizer: header.optimizer,
    seed: header.seed,
    classes:
      header.classes === null
        ? undefined
        : (header.classes ?? indexClasses(classCount(header.layers?.[header.layers.length - 1]?.units ?? 1))),
  });
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const optimizerState = Boolean(header.optimizerState);
  const withMoment3 = optimizerState && Boolean(header.moment3);
  return {
    spec,
    training: header.training,
    metadata: header.metadata ?? {},
    optimizerState,
    buffers(paramLength: number): ParameterSnapshot {
      const count = optimizerState ? (withMoment3 ? 4 : 3) : 1;
      const paramBytes = paramLength * 4;
      if (header.paramLength !== paramLength)
        throw corrupt(`header says ${header.paramLength} parameters, the architecture needs ${paramLength}`);
      if (dataStart + count * paramBytes + 4 !== bytes.length) {
        throw corrupt(
          `expected ${dataStart + count * paramBytes + 4} bytes for this architecture, got ${bytes.length}`,
        );
      }
      // Copies (not bytes.slice: on a Node Buffer that returns a view, whose .buffer is the whole
      // file, or Node's shared pool for a small one).
      const floats = (i: number) => {
        const copy = new Uint8Array(paramBytes);
        copy.set(bytes.subarray(dataStart + i * paramBytes, dataStart + (i + 1) * paramBytes));
        return new Float32Array(copy.buffer);
      };
      const buffers: { params: Float32Array; moment1?: Float32Array; moment2?: Float32Array; moment3?: Float32Array } =
        optimizerState ? { params: floats(0), moment1: floats(1), moment2: floats(2) } : { params: floats(0) };
      if (optimizerState && withMoment3) buffers.moment3 = floats(3);
      assertFinite(buffers.params, 'the parameters', 'load');
      if (buffers.moment1) assertFinite(buffers.moment1, 'the optimizer moments (1)', 'load');
      if (buffers.moment2) assertFinite(buffers.moment2, 'the optimizer moments (2)', 'load');
      if (buffers.moment3) assertFinite(buffers.moment3, 'the optimizer moments (3)', 'load');
      return buffers;
    },
  };
}
