/**
 * safetensors, both ways: a dense network <-> the bytes of a .safetensors file whose tensors
 * are named as PyTorch's `nn.Sequential` state_dict.
 *
 * File layout (huggingface/safetensors, as its reference writer produces it):
 *
 *   offset  size  field
 *   0       8     N = header length in bytes (u64 LE)
 *   8       N     header: UTF-8 JSON
 *                   { "<name>": { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] }, ...,
 *                     "__metadata__": { "<key>": "<string value>", ... } }        (__metadata__ optional)
 *                 padded with spaces so that 8 + N is a multiple of 8
 *   8 + N   ...   data section: each tensor's elements row-major, little-endian, in bytes
 *                 [begin, end) of this section; the tensors tile it exactly (no gap, no overlap)
 *
 * Names and layouts. simdnet's layers are the modules of
 *
 *   nn.Sequential(Linear, [BatchNorm1d], act_0, [Dropout], Linear, [BatchNorm1d], act_1, [Dropout], ...)
 *
 * numbered as nn.Sequential numbers them: each layer takes 2 indices, plus one for batch norm
 * and one for dropout where the layer has them (a plain network: Linear l at index 2l). With
 * k the index of layer l's Linear:
 *
 *   "<k>.weight"                F32 [units_l, in_l]  PyTorch's [out_features, in_features]: the TRANSPOSE
 *                                                    of simdnet's W [in_l, units_l] (ModelDescription.weights)
 *   "<k>.bias"                  F32 [units_l]
 *   "<k+1>.weight"              F32 [units_l]        batch norm γ     (only with batch norm)
 *   "<k+1>.bias"                F32 [units_l]        batch norm β
 *   "<k+1>.running_mean"        F32 [units_l]
 *   "<k+1>.running_var"         F32 [units_l]
 *   "<k+1>.num_batches_tracked" I64 []               written 0 (PyTorch reads it only when momentum=None);
 *                                                    present because load_state_dict(strict=True) expects it
 *
 * act_l is the layer's activation module (linear -> nn.Identity(), relu -> nn.ReLU(),
 * sigmoid -> nn.Sigmoid(), tanh -> nn.Tanh(), softplus -> nn.Softplus(), softmax ->
 * nn.Softmax(dim=-1), leakyRelu -> nn.LeakyReLU(alpha), elu -> nn.ELU(alpha), selu ->
 * nn.SELU(), gelu -> nn.GELU(), geluTanh -> nn.GELU(approximate='tanh'), silu -> nn.SiLU());
 * activations and nn.Dropout have no parameters, so they are not tensors in the file.
 * A softmax output is part of simdnet's last layer: a PyTorch model trained with
 * nn.CrossEntropyLoss usually omits it and returns logits; softmax(logits) equals what simdnet
 * predicts. The architecture (input size, units, activations, loss, optimizer) is written to
 * `__metadata__["simdnet.spec"]` as JSON, so a file simdnet wrote loads alone.
 *
 * Reading accepts any state_dict of Linear layers named `[prefix.]<index>.weight|bias` with one
 * common prefix (e.g. "net.0.weight"), ordered by index (gaps from parameterless modules such as
 * Dropout are fine), each optionally followed by a BatchNorm1d (1-D weight, bias, running_mean,
 * running_var, and num_batches_tracked, which is checked as an integer and not used), in F32,
 * F16, BF16 or F64 (converted to f32, F64 rounded to nearest).
 * The architecture comes from the options (a full spec, or activations with units inferred from
 * the shapes) or else from the file's simdnet metadata. Every inconsistency is an Error that
 * names the tensor and what is wrong, before any model is created.
 */

import type { Activation, DenseLayerDescription, ModelDescription } from '../model/description.js';
import { ACTIVATIONS } from '../model/description.js';
import { createModel } from '../model/factories.js';
import type { Model } from '../model/model.js';
import type { BatchNormConfig, LayerSpec, Loss, ModelSpec, OptimizerConfig, OptimizerType } from '../model/spec.js';
import { assertValidDescription } from './description-checks.js';
import { bfloat16ToFloat, halfToFloat } from './half-float.js';
import { assertKnownOptions } from './options-check.js';

// --- public types -------------------------------------------------------------------------

/** What `toSafetensors` accepts: a Model, or anything with its `describe()` (loss and optimizer are optional). */
export interface SafetensorsSource {
  /** The weights and architecture, W as [in, units]. */
  describe(): ModelDescription;
  /** Written to the metadata so that a reload trains with the same loss. */
  readonly loss?: Loss;
  /** Written to the metadata so that a reload fine-tunes with the same optimizer. */
  readonly optimizer?: OptimizerConfig;
}

/** Options of {@link toSafetensors}. Unknown keys are an Error. */
export interface SafetensorsWriteOptions {
  /**
   * Extra `__metadata__` entries (string to string, as the format requires). The keys
   * "format" and "simdnet.spec" are the writer's own and cannot be given. Default: none.
   */
  metadata?: Record<string, string>;
}

/**
 * Options of {@link fromSafetensors}. A {@link ModelSpec} is a valid value (its keys are a subset),
 * so `fromSafetensors(bytes, spec)` loads a file into that architecture. Unknown keys are an Error.
 *
 * Where the architecture comes from, first match wins:
 *   1. `layers` given: exactly that architecture; every tensor shape must match it;
 *   2. `activations` given: units and input size from the tensor shapes, one activation per Linear layer;
 *   3. the file's `__metadata__["simdnet.spec"]` (files simdnet wrote);
 *   otherwise the call fails and says to pass `activations`.
 */
export interface SafetensorsReadOptions {
  /**
   * The activation after each Linear layer, in file order (one per layer, the last one the
   * output's: 'softmax' for a classifier whose PyTorch model returns logits). Units and the input
   * size are read from the weight shapes. Cannot be combined with `layers`. Default: from the
   * file's simdnet metadata.
   */
  activations?: Activation[];
  /**
   * With `activations`: batch norm's epsilon and momentum (PyTorch's convention), which the
   * file does not hold. Default PyTorch's, { epsilon: 1e-5, momentum: 0.1 }.
   */
  batchNorm?: BatchNormConfig;
  /** Features per sample; checked against the first weight's column count. Default: that count. */
  inputSize?: number;
  /** The full layer list (units and activation per Linear layer); the shapes must match. Default: see above. */
  layers?: LayerSpec[];
  /** Training loss of the loaded model. Default: the file's simdnet metadata when the architecture comes from it, else from the output activation (crossEntropy for softmax, binaryCrossEntropy for sigmoid, else mse). */
  loss?: Loss;
  /** Optimizer for fine-tuning. Default: the file's simdnet metadata, else 'adam'. */
  optimizer?: OptimizerType | OptimizerConfig;
  /** Seed for shuffling during fine-tuning. Default 1. */
  seed?: number;
  /** Training threads, as in ModelSpec.threads. Default 1. */
  threads?: number | 'auto';
}

/** The largest header a reader accepts, in bytes (the reference implementation's cap). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** The __metadata__ key holding simdnet's architecture (JSON). */
export const SAFETENSORS_SPEC_KEY = 'simdnet.spec';

// --- dtypes -------------------------------------------------------------------------------

/** Bytes per element of every dtype the format defines (the layout check needs them all). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** The dtypes read as weights, each element decoded from little-endian bytes at `offset`. */
const FLOAT_DECODERS: Record<string, (view: DataView, offset: number) => number> = {
  F32: (view, offset) => view.getFloat32(offset, true),
  F64: (view, offset) => view.getFloat64(offset, true), // rounded to f32 when stored
  F16: (view, offset) => halfToFloat(view.getUint16(offset, true)),
  BF16: (view, offset) => bfloat16ToFloat(view.getUint16(offset, true)),
};

// --- writing ------------------------------------------------------------------------------

/**
 * Encodes a model as a .safetensors file: `<2l>.weight` [units, in] and `<2l>.bias` [units] per
 * layer l, F32, as `torch.nn.Sequential(Linear, act, Linear, act, ...).state_dict()` names them,
 * with the architecture in `__metadata__["simdnet.spec"]` and `__metadata__.format = "pt"`.
 *
 * @param source a Model, or a ModelDescription (then the metadata has no loss or optimizer)
 * @returns the file's bytes; PyTorch reads them with `safetensors.torch.load_file` or any reader of the format
 */
export function toSafetensors(
  source: SafetensorsSource | ModelDescription,
  options: SafetensorsWriteOptions = {},
): Uint8Array {
  const context = 'toSafetensors';
  assertKnownOptions(options, ['metadata'], context);
  const isSource = typeof (source as SafetensorsSource).describe === 'function';
  const desc = isSource ? (source as SafetensorsSource).describe() : (source as ModelDescription);
  assertValidDescription(desc, context);

  const spec: ModelSpec = { inputSize: desc.inputSize, layers: desc.layers.map(layerSpecOf) };
  if (isSource && (source as SafetensorsSource).loss !== undefined) spec.loss = (source as SafetensorsSource).loss;
  if (isSource && (source as SafetensorsSource).optimizer !== undefined)
    spec.optimizer = { ...(source as SafetensorsSource).optimizer! };
  const metadata: Record<string, string> = { format: 'pt', [SAFETENSORS_SPEC_KEY]: JSON.stringify(spec) };
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (key in metadata) throw new Error(`${context}: metadata key '${key}' is reserved for the writer`);
    if (typeof value !== 'string')
      throw new Error(`${context}: metadata '${key}' must be a string (safetensors metadata is string to string)`);
    metadata[key] = value;
  }

  // Tensors in module order; f32 and i64 elements keep every offset 4-aligned.
  const tensors: { name: string; shape: number[]; values: Float32Array | BigInt64Array }[] = [];
  let inputs = desc.inputSize;
  let index = 0; // the nn.Sequential index of the next module
  for (const layer of desc.layers) {
    tensors.push({
      name: `${index}.weight`,
      shape: [layer.units, inputs],
      values: transpose(layer.weights, inputs, layer.units),
    });
    tensors.push({ name: `${index}.bias`, shape: [layer.units], values: layer.bias });
    index++;
    const bn = layer.batchNorm;
    if (bn) {
      tensors.push({ name: `${index}.weight`, shape: [layer.units], values: bn.gamma });
      tensors.push({ name: `${index}.bias`, shape: [layer.units], values: bn.beta });
      tensors.push({ name: `${index}.running_mean`, shape: [layer.units], values: bn.runningMean });
      tensors.push({ name: `${index}.running_var`, shape: [layer.units], values: bn.runningVar });
      tensors.push({ name: `${index}.num_batches_tracked`, shape: [], values: BigInt64Array.of(0n) });
      index++;
    }
    index++; // the activation module
    if ((layer.dropout ?? 0) > 0) index++;
    inputs = layer.units;
  }

  const header: Record<string, unknown> = { __metadata__: metadata };
  let dataBytes = 0;
  for (const tensor of tensors) {
    const end = dataBytes + tensor.values.length * (tensor.values instanceof BigInt64Array ? 8 : 4);
    const dtype = tensor.values instanceof BigInt64Array ? 'I64' : 'F32';
    header[tensor.name] = { dtype, shape: tensor.shape, data_offsets: [dataBytes, end] };
    dataBytes = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8; // the reference writer pads with spaces to 8 bytes
  const bytes = new Uint8Array(8 + headerLength + dataBytes);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let offset = 8 + headerLength;
  for (const { values } of tensors) {
    if (values instanceof BigInt64Array) {
      for (let i = 0; i < values.length; i++) view.setBigInt64(offset + i * 8, values[i], true);
      offset += values.length * 8;
    } else {
      for (let i = 0; i < values.length; i++) view.setFloat32(offset + i * 4, values[i], true);
      offset += values.length * 4;
    }
  }
  return bytes;
}

/** A layer's spec as the metadata records it: every option the description carries. */
function layerSpecOf(layer: DenseLayerDescription): LayerSpec {
  const spec: LayerSpec = { units: layer.units, activation: layer.activation };
  if (layer.alpha !== undefined) spec.alpha = layer.alpha;
  if (layer.dropout) spec.dropout = layer.dropout;
  if (layer.l1) spec.l1 = layer.l1;
  if (layer.l2) spec.l2 = layer.l2;
  if (layer.batchNorm) spec.batchNorm = { momentum: layer.batchNorm.momentum, epsilon: layer.batchNorm.epsilon };
  return spec;
}

/** [rows, cols] row-major -> [cols, rows] row-major. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

// --- reading: the container ----------------------------------------------------------------

/** One tensor of a parsed file: its header entry and its bytes (a view into the file). */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A parsed .safetensors file: tensors in header order, and the `__metadata__` strings. */
export interface SafetensorsFile {
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
}

function corrupt(reason: string): Error {
  return new Error(`fromSafetensors: not a valid safetensors file: ${reason}`);
}

/**
 * Parses and checks the container: header length within the cap and the file, the header valid
 * UTF-8 JSON of tensor entries, every dtype known, every byte length = elements × dtype size, and
 * the tensors tiling the data section exactly. Tensor bytes are views into `bytes`, not copies.
 */
export function readSafetensorsFile(source: Uint8Array | ArrayBuffer): SafetensorsFile {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  if (bytes.length < 8) throw corrupt(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw corrupt(`header length ${declared} bytes exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte cap`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    throw corrupt(`header length ${headerLength} bytes is larger than the file (${bytes.length} bytes)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw corrupt(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw corrupt('header is not a JSON object of tensors');
  }

  const metadata: Record<string, string> = {};
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: (SafetensorsTensor & { begin: number; end: number })[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw corrupt('__metadata__ must be an object of strings');
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') throw corrupt(`__metadata__ '${key}' is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw corrupt(
        `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corrupt(`tensor '${name}' has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw corrupt(
        `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw corrupt(`tensor '${name}' data_offsets [${begin}, ${end}] lie outside the ${dataLength}-byte data section`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw corrupt(
        `tensor '${name}' has ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${elements} × ${DTYPE_BYTES[dtype]} = ${expected}`,
      );
    }
    tensors.push({
      name,
      dtype,
      shape: shape as number[],
      begin,
      end,
      bytes: bytes.subarray(dataStart + begin, dataStart + end),
    });
  }

  // The tensors must tile the data section: sorted by begin, each starts where the previous ended.
  const ordered = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const tensor of ordered) {
    if (tensor.begin < covered) {
      throw corrupt(
        `tensor '${tensor.name}' [${tensor.begin}, ${tensor.end}] overlaps tensor '${previous}' (ends at ${covered})`,
      );
    }
    if (tensor.begin > covered) {
      throw corrupt(`bytes [${covered}, ${tensor.begin}) of the data section belong to no tensor`);
    }
    covered = tensor.end;
    previous = tensor.name;
  }
  if (covered !== dataLength) {
    throw corrupt(`the data section has ${dataLength} bytes but the tensors cover only ${covered}`);
  }
  return { tensors: tensors.map(({ name, dtype, shape, bytes }) => ({ name, dtype, shape, bytes })), metadata };
}

/** A float tensor's elements as f32, whatever its float dtype. */
function tensorToFloat32(tensor: SafetensorsTensor, context: string): Float32Array {
  const decode = FLOAT_DECODERS[tensor.dtype];
  if (decode === undefined) {
    throw new Error(
      `${context}: tensor '${tensor.name}' has dtype ${tensor.dtype}; weights must be one of ${Object.keys(FLOAT_DECODERS).join(', ')}`,
    );
  }
  const size = DTYPE_BYTES[tensor.dtype];
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
  const out = new Float32Array(tensor.bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) out[i] = decode(view, i * size);
  return out;
}

// --- reading: tensors -> layers -------------------------------------------------------------

/** Parameter names of the modules read: Linear (2-D weight) and BatchNorm1d (1-D weight). */
const MODULE_PARAMETERS = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'] as const;
type ModuleParameter = (typeof MODULE_PARAMETERS)[number];
const BATCH_NORM_VECTORS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

/** A module's tensors at one nn.Sequential index. */
type ModuleTensors = { index: number } & Partial<Record<ModuleParameter, SafetensorsTensor>>;

interface LinearTensors {
  index: number;
  weight?: SafetensorsTensor;
  bias?: SafetensorsTensor;
  /** The BatchNorm1d right after this Linear, if any. */
  batchNorm?: ModuleTensors;
}

/**
 * Groups `[prefix.]<index>.<parameter>` tensors into Linear layers ordered by index, each
 * with the BatchNorm1d module that follows it (before the next Linear), if any.
 */
function linearLayers(tensors: SafetensorsTensor[], context: string): LinearTensors[] {
  const byIndex = new Map<number, ModuleTensors>();
  let prefix: string | undefined;
  for (const tensor of tensors) {
    const match = /^((?:[^.]+\.)*?)(\d+)\.([A-Za-z_]+)$/.exec(tensor.name);
    if (match === null) {
      throw new Error(
        `${context}: tensor '${tensor.name}' is not named like an nn.Sequential state_dict entry ('<index>.weight' or '<index>.bias', optionally after one common prefix such as 'net.')`,
      );
    }
    const [, namePrefix, indexText, parameter] = match;
    if (!(MODULE_PARAMETERS as readonly string[]).includes(parameter)) {
      throw new Error(
        `${context}: tensor '${tensor.name}' is not a Linear or BatchNorm1d parameter (${MODULE_PARAMETERS.join(', ')})`,
      );
    }
    if (prefix !== undefined && namePrefix !== prefix) {
      throw new Error(`${context}: tensor '${tensor.name}' does not share the prefix '${prefix}' of the other tensors`);
    }
    prefix = namePrefix;
    const index = Number(indexText);
    const module = byIndex.get(index) ?? { index };
    module[parameter as ModuleParameter] = tensor;
    byIndex.set(index, module);
  }
  const modules = [...byIndex.values()].sort((a, b) => a.index - b.index);
  if (modules.length === 0) throw new Error(`${context}: the file holds no tensors`);
  const layers: LinearTensors[] = [];
  for (const module of modules) {
    const name = `${prefix}${module.index}`;
    const isBatchNorm =
      module.running_mean !== undefined ||
      module.running_var !== undefined ||
      module.num_batches_tracked !== undefined ||
      module.weight?.shape.length === 1;
    if (isBatchNorm) {
      const layer = layers.at(-1);
      if (layer === undefined || layer.batchNorm !== undefined)
        throw new Error(
          `${context}: '${name}' is a BatchNorm1d that does not follow a Linear layer; simdnet reads Linear, [BatchNorm1d], act, ...`,
        );
      const units = layer.weight!.shape[0];
      for (const parameter of BATCH_NORM_VECTORS) {
        const tensor = module[parameter];
        if (tensor === undefined)
          throw new Error(`${context}: tensor '${name}.${parameter}' of the BatchNorm1d at ${name} is missing`);
        if (tensor.shape.length !== 1 || tensor.shape[0] !== units)
          throw new Error(
            `${context}: tensor '${name}.${parameter}' has shape [${tensor.shape.join(', ')}], but the Linear before it gives ${units} features: expected [${units}]`,
          );
      }
      const count = module.num_batches_tracked;
      if (count !== undefined && (!/^[IU](8|16|32|64)$/.test(count.dtype) || count.bytes.length > 8))
        throw new Error(
          `${context}: tensor '${count.name}' has dtype ${count.dtype} and shape [${count.shape.join(', ')}]; expected one integer (I64)`,
        );
      layer.batchNorm = module;
      continue;
    }
    if (module.weight === undefined)
      throw new Error(`${context}: tensor '${name}.weight' is missing (its '${name}.bias' is present)`);
    if (module.weight.shape.length !== 2) {
      throw new Error(
        `${context}: tensor '${name}.weight' has shape [${module.weight.shape.join(', ')}]; a Linear weight is 2-D [out, in]`,
      );
    }
    if (module.bias === undefined) {
      throw new Error(
        `${context}: tensor '${name}.bias' is missing; simdnet layers always have a bias (for nn.Linear(bias=False) save zeros)`,
      );
    }
    const units = module.weight.shape[0];
    if (module.bias.shape.length !== 1 || module.bias.shape[0] !== units) {
      throw new Error(
        `${context}: tensor '${name}.bias' has shape [${module.bias.shape.join(', ')}], but '${name}.weight' [${module.weight.shape.join(', ')}] needs [${units}]`,
      );
    }
    layers.push({ index: module.index, weight: module.weight, bias: module.bias });
  }
  if (layers.length === 0) throw new Error(`${context}: the file holds no Linear layer`);
  for (let l = 1; l < layers.length; l++) {
    const [units] = layers[l - 1].weight!.shape;
    const inputs = layers[l].weight!.shape[1];
    if (inputs !== units) {
      throw new Error(
        `${context}: shapes do not chain: '${layers[l].weight!.name}' [${layers[l].weight!.shape.join(', ')}] takes ${inputs} inputs, but '${layers[l - 1].weight!.name}' gives ${units} outputs`,
      );
    }
  }
  return layers;
}

const READ_OPTION_KEYS = [
  'activations',
  'batchNorm',
  'inputSize',
  'layers',
  'loss',
  'optimizer',
  'seed',
  'threads',
] as const;

/** The architecture the file is read into: options first, then the file's simdnet metadata. */
function resolveSpec(
  layers: LinearTensors[],
  metadata: Record<string, string>,
  options: SafetensorsReadOptions,
  context: string,
): ModelSpec {
  const shapes = layers.map((layer) => ({
    name: layer.weight!.name,
    units: layer.weight!.shape[0],
    inputs: layer.weight!.shape[1],
  }));
  let stored: ModelSpec | undefined;
  if (metadata[SAFETENSORS_SPEC_KEY] !== undefined) {
    try {
      stored = JSON.parse(metadata[SAFETENSORS_SPEC_KEY]) as ModelSpec;
    } catch (error) {
      throw new Error(
        `${context}: __metadata__ '${SAFETENSORS_SPEC_KEY}' is not valid JSON (${(error as Error).message})`,
      );
    }
    if (typeof stored !== 'object' || stored === null || !Array.isArray(stored.layers)) {
      throw new Error(`${context}: __metadata__ '${SAFETENSORS_SPEC_KEY}' has no layers array`);
    }
  }
  if (options.layers !== undefined && options.activations !== undefined) {
    throw new Error(`${context}: give either layers (a full spec) or activations, not both`);
  }

  let specLayers: LayerSpec[];
  let inputSize: number;
  if (options.activations !== undefined) {
    if (!Array.isArray(options.activations) || options.activations.length !== shapes.length) {
      throw new Error(
        `${context}: activations must list one activation per Linear layer: the file has ${shapes.length} (${shapes.map((s) => s.name).join(', ')}), activations has ${Array.isArray(options.activations) ? options.activations.length : 'none'}`,
      );
    }
    options.activations.forEach((activation, l) => {
      if (!(ACTIVATIONS as readonly string[]).includes(activation))
        throw new Error(
          `${context}: activations[${l}] is '${String(activation)}'; expected one of ${ACTIVATIONS.join(', ')}`,
        );
    });
    specLayers = shapes.map((shape, l) => ({
      units: shape.units,
      activation: options.activations![l],
      ...(layers[l].batchNorm ? { batchNorm: options.batchNorm ?? true } : {}),
    }));
    inputSize = options.inputSize ?? shapes[0].inputs;
  } else {
    const source = options.layers !== undefined ? options : stored;
    if (source === undefined) {
      throw new Error(
        `${context}: this file has no simdnet architecture in its __metadata__ (it was not written by simdnet): pass { activations: [...] } with one activation per Linear layer (${shapes.length} here: ${shapes.map((s) => s.name).join(', ')}), or a full spec`,
      );
    }
    const where = options.layers !== undefined ? 'the spec' : `the file's ${SAFETENSORS_SPEC_KEY} metadata`;
    if (!Array.isArray(source.layers)) throw new Error(`${context}: layers must be an array`);
    specLayers = source.layers;
    inputSize = options.inputSize ?? source.inputSize ?? shapes[0].inputs;
    if (specLayers.length !== shapes.length) {
      throw new Error(
        `${context}: ${where} has ${specLayers.length} layers but the file has ${shapes.length} Linear layers (${shapes.map((s) => s.name).join(', ')}): tensors are missing or extra`,
      );
    }
    specLayers.forEach((layer, l) => {
      const expectedInputs = l === 0 ? inputSize : specLayers[l - 1].units;
      if (layer?.units !== shapes[l].units || shapes[l].inputs !== expectedInputs) {
        throw new Error(
          `${context}: tensor '${shapes[l].name}' has shape [${shapes[l].units}, ${shapes[l].inputs}], but ${where} needs [units, in] = [${layer?.units}, ${expectedInputs}] for layer ${l}`,
        );
      }
    });
  }
  if (inputSize !== shapes[0].inputs) {
    throw new Error(
      `${context}: inputSize is ${inputSize}, but tensor '${shapes[0].name}' [${shapes[0].units}, ${shapes[0].inputs}] takes ${shapes[0].inputs} inputs`,
    );
  }
  specLayers.forEach((layer, l) => {
    if (Boolean(layer.batchNorm) !== Boolean(layers[l].batchNorm))
      throw new Error(
        `${context}: layer ${l} ('${shapes[l].name}') ${layers[l].batchNorm ? 'has BatchNorm1d tensors in the file but no batchNorm in' : 'has batchNorm in the spec but no BatchNorm1d tensors after it in'} the spec`,
      );
  });
  const spec: ModelSpec = { inputSize, layers: specLayers.map((layer) => ({ ...layer })) };
  const loss =
    options.loss ?? (options.layers === undefined && options.activations === undefined ? stored?.loss : undefined);
  if (loss !== undefined) spec.loss = loss;
  const optimizer = options.optimizer ?? stored?.optimizer;
  if (optimizer !== undefined) spec.optimizer = optimizer;
  if (options.seed !== undefined) spec.seed = options.seed;
  if (options.threads !== undefined) spec.threads = options.threads;
  return spec;
}

/**
 * The weights of a .safetensors file as a ModelDescription (W transposed to simdnet's
 * [in, units]) with the spec it was resolved against. Throws, naming the tensor, on any
 * inconsistency; creates no model.
 */
export function safetensorsToDescription(
  source: Uint8Array | ArrayBuffer,
  options: SafetensorsReadOptions = {},
): { description: ModelDescription; spec: ModelSpec; metadata: Record<string, string> } {
  const context = 'fromSafetensors';
  assertKnownOptions(options, READ_OPTION_KEYS, context);
  const file = readSafetensorsFile(source);
  const layers = linearLayers(file.tensors, context);
  const spec = resolveSpec(layers, file.metadata, options ?? {}, context);
  const description: ModelDescription = {
    inputSize: spec.inputSize,
    layers: layers.map((layer, l): DenseLayerDescription => {
      const [units, inputs] = layer.weight!.shape;
      const layerSpec = spec.layers[l];
      const described: DenseLayerDescription = {
        units,
        activation: layerSpec.activation ?? 'linear',
        weights: transpose(tensorToFloat32(layer.weight!, context), units, inputs),
        bias: tensorToFloat32(layer.bias!, context),
      };
      if (layerSpec.alpha !== undefined) described.alpha = layerSpec.alpha;
      const bn = layer.batchNorm;
      if (bn) {
        const config = typeof layerSpec.batchNorm === 'object' ? layerSpec.batchNorm : {};
        described.batchNorm = {
          gamma: tensorToFloat32(bn.weight!, context),
          beta: tensorToFloat32(bn.bias!, context),
          runningMean: tensorToFloat32(bn.running_mean!, context),
          runningVar: tensorToFloat32(bn.running_var!, context),
          epsilon: config.epsilon ?? 1e-5,
          momentum: config.momentum ?? 0.1,
        };
      }
      return described;
    }),
  };
  const { format: _format, [SAFETENSORS_SPEC_KEY]: _spec, ...userMetadata } = file.metadata;
  return { description, spec, metadata: userMetadata };
}

/**
 * Loads a .safetensors file (written by simdnet, or a PyTorch `nn.Sequential` state_dict) into a
 * new Model, ready to predict or fine-tune. `__metadata__` entries other than "format" and
 * "simdnet.spec" become `model.metadata`.
 *
 * @param source the file's bytes
 * @param options the architecture (a ModelSpec, or `{ activations }`), loss and optimizer; see
 *   {@link SafetensorsReadOptions}. Needed for files without simdnet metadata.
 * @example
 *   // a PyTorch nn.Sequential(Linear(4, 16), ReLU(), Linear(16, 3)) trained with CrossEntropyLoss:
 *   const model = await fromSafetensors(bytes, { activations: ['relu', 'softmax'] });
 */
export async function fromSafetensors(
  source: Uint8Array | ArrayBuffer,
  options: SafetensorsReadOptions = {},
): Promise<Model> {
  const { description, spec, metadata } = safetensorsToDescription(source, options);
  const model = await createModel(spec);
  model.setWeights(description);
  model.metadata = metadata;
  return model;
}
