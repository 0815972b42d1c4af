/**
 * ONNX import of a dense network: ONNX ModelProto bytes -> ModelDescription -> Model.
 *
 * Accepted graphs are a chain from the one graph input x [batch, ...features] to the one
 * graph output, as `torch.onnx.export` writes an nn.Sequential MLP and as simdnet's own
 * `toOnnx` (./onnx.ts) writes one:
 *
 *   [Flatten(axis=1) | Reshape(x, [-1|0, n])]            only before the first layer
 *   Gemm(a, B, C)       a·B + C, or a·Bᵀ + C with transB=1 (PyTorch's weight [out, in]);
 *                       alpha scales B, beta scales C; transA must be 0
 *   MatMul(a, B) [+ Add(·, C)]                           B [in, units], C [units] (either Add order)
 *   BatchNormalization(z, scale, B, mean, var)           after the layer's Gemm/MatMul(+Add), inference
 *                       form only (training_mode 0): batchNorm { gamma = scale, beta = B, runningMean,
 *                       runningVar, epsilon, momentum = 1 - ONNX momentum (PyTorch's convention) }
 *   Relu | Sigmoid | Tanh | Softplus | Softmax(axis 1 or -1) | LeakyRelu(alpha) | Elu(alpha) | Selu
 *   | Gelu (opset 20; approximate 'none' -> gelu, 'tanh' -> geluTanh)   the layer's activation (at most one)
 *   patterns read as one activation (operands of Add and Mul in either order):
 *     silu      Mul(z, Sigmoid(z))                                       torch's nn.SiLU
 *     gelu      Mul(Mul(z, Add(Erf(Div(z, √2)), 1)), 0.5)                torch's nn.GELU at opset ≤ 17
 *     geluTanh  Mul(Mul(z, Add(Tanh(Mul(Add(z, Mul(Mul(Mul(z, z), z), 0.044715)), √(2/π))), 1)), 0.5)
 *   Dropout | Identity                                   pass the tensor through (inference)
 *
 * B and C are initializers or Constant outputs (a Transpose or Identity of a constant is folded). Each
 * Gemm/MatMul starts a simdnet layer (activation 'linear' until an activation node follows).
 * Tensors: FLOAT, DOUBLE, FLOAT16, BFLOAT16 from raw_data (little-endian) or float_data /
 * double_data / int32_data; INT64/INT32 for Reshape shapes. External data is not read.
 * Any other node is an Error naming the node and its op type, with the supported list.
 * Field numbers come from onnx/onnx.proto; the decoder is ./protobuf-reader.ts.
 */

import type { Activation, DenseLayerDescription, ModelDescription } from '../model/description.js';
import { createModel } from '../model/factories.js';
import type { Model } from '../model/model.js';
import type { Loss, ModelSpec, OptimizerConfig, OptimizerType } from '../model/spec.js';
import { assertValidDescription } from './description-checks.js';
import { bfloat16ToFloat, halfToFloat } from './half-float.js';
import { assertKnownOptions } from './options-check.js';
import { decodeMessage, type ProtobufFields } from './protobuf-reader.js';

/** Options of {@link fromOnnx}: how the imported model trains if it is fine-tuned. Unknown keys are an Error. */
export interface OnnxImportOptions {
  /** Training loss. Default: crossEntropy for a softmax output, binaryCrossEntropy for sigmoid, else mse. */
  loss?: Loss;
  /** Optimizer for fine-tuning. Default 'adam'. */
  optimizer?: OptimizerType | OptimizerConfig;
  /** Seed for shuffling during fine-tuning. Default 1. */
  seed?: number;
  /** Training threads, as in ModelSpec.threads. Default 1. */
  threads?: number | 'auto';
}

const CONTEXT = 'simdnet';

// --- field numbers (onnx.proto) ---------------------------------------------------------

const ModelProtoField = { graph: 7, opsetImport: 8 } as const;
const OperatorSetIdField = { domain: 1, version: 2 } as const;
const GraphProtoField = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const NodeProtoField = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const AttributeProtoField = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8 } as const;
const TensorProtoField = {
  dims: 1,
  dataType: 2,
  floatData: 4,
  int32Data: 5,
  int64Data: 7,
  name: 8,
  rawData: 9,
  doubleData: 10,
  dataLocation: 14,
} as const;
const ValueInfoProtoField = { name: 1, type: 2 } as const;
const TypeProtoField = { tensorType: 1 } as const;
const TypeProtoTensorField = { shape: 2 } as const;
const TensorShapeProtoField = { dim: 1 } as const;
const DimensionField = { dimValue: 1 } as const;

/** TensorProto.DataType codes read here, with their raw_data element sizes. */
const DataType = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;
const DATA_TYPE_BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8, 10: 2, 11: 8, 16: 2 };
const DATA_LOCATION_EXTERNAL = 1;

// --- the decoded pieces -------------------------------------------------------------------

/** A constant tensor: dims and its values as numbers (floats rounded to f32 later). */
interface Constant {
  name: string;
  dims: number[];
  values: Float64Array;
}

interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, ProtobufFields>;
}

/** The chain being read: the running tensor's name and the layers so far. */
interface Chain {
  opset: number;
  running: string;
  /** Features of the running tensor per sample, when known. */
  features: number | undefined;
  /** Non-batch dims of the graph input, until a layer consumes it. */
  inputDims: (number | undefined)[];
  layers: DenseLayerDescription[];
  /** The last layer has no activation node yet. */
  open: boolean;
  /** The last layer came from a MatMul whose Add has not been seen. */
  biasPending: boolean;
}

/** What a node handler gets: the node, its constant inputs by position, and the chain. */
type NodeHandler = (node: OnnxNode, constants: (Constant | undefined)[], chain: Chain) => void;

function nodeError(node: OnnxNode, problem: string): Error {
  return new Error(`${CONTEXT}: ONNX node "${node.name}" (${node.opType}) ${problem}`);
}

/** The op types the fused patterns get in the chain (not ONNX operators; '#' keeps them apart). */
const FUSED = { silu: '#silu', gelu: '#gelu', geluTanh: '#geluTanh' } as const;

// --- node handlers: the supported operators --------------------------------------------------

function startLayer(node: OnnxNode, chain: Chain, inputs: number, units: number, weights: Float32Array): void {
  if (chain.layers.length === 0) {
    // A 3-D or wider input without Flatten: the layer applies to the last dim, which must be all there is.
    const dims = chain.inputDims;
    if (dims.slice(0, -1).some((d) => d !== 1)) {
      throw nodeError(
        node,
        `reads an input of shape [batch, ${dims.map((d) => d ?? '?').join(', ')}] without Flatten: simdnet reads [batch, features]`,
      );
    }
  }
  if (chain.features !== undefined && chain.features !== inputs) {
    throw nodeError(node, `takes ${inputs} inputs, but the tensor it reads has ${chain.features} features`);
  }
  chain.layers.push({ units, activation: 'linear', weights, bias: new Float32Array(units) });
  chain.features = units;
  chain.open = true;
}

function matrixOf(node: OnnxNode, constant: Constant | undefined, what: string): Constant {
  if (constant === undefined) throw nodeError(node, `needs its ${what} as an initializer or Constant`);
  if (constant.dims.length !== 2) {
    throw nodeError(node, `${what} '${constant.name}' has shape [${constant.dims.join(', ')}]; expected a 2-D matrix`);
  }
  return constant;
}

/** The bias vector [units] from a tensor of shape [units], [1, units], [] or [1] (broadcast). */
function biasOf(node: OnnxNode, constant: Constant, units: number, scale: number): Float32Array {
  const count = constant.values.length;
  const okShape =
    (count === units && constant.dims.filter((d) => d !== 1).length <= 1 && constant.dims.at(-1) === units) ||
    count === 1;
  if (!okShape) {
    throw nodeError(node, `bias '${constant.name}' has shape [${constant.dims.join(', ')}]; expected [${units}]`);
  }
  return Float32Array.from({ length: units }, (_, o) => scale * constant.values[count === 1 ? 0 : o]);
}

const gemm: NodeHandler = (node, constants, chain) => {
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  if (intAttribute(node, 'transA', 0) !== 0) throw nodeError(node, 'has transA=1; only the weights may be transposed');
  const b = matrixOf(node, constants[1], 'weight matrix B');
  const transB = intAttribute(node, 'transB', 0) !== 0;
  const [inputs, units] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  // W [in, units]: B as it is, or Bᵀ when B is PyTorch's [out, in].
  const weights = new Float32Array(inputs * units);
  for (let i = 0; i < inputs; i++)
    for (let o = 0; o < units; o++) weights[i * units + o] = alpha * b.values[transB ? o * inputs + i : i * units + o];
  startLayer(node, chain, inputs, units, weights);
  const c = constants[2];
  if (node.inputs[2] !== undefined && node.inputs[2] !== '' && c === undefined)
    throw nodeError(node, 'needs its bias C as an initializer or Constant');
  if (c !== undefined) chain.layers[chain.layers.length - 1].bias = biasOf(node, c, units, beta);
  chain.biasPending = false;
};

const matMul: NodeHandler = (node, constants, chain) => {
  const b = matrixOf(node, constants[1], 'weight matrix');
  if (constants[0] !== undefined)
    throw nodeError(node, 'multiplies a constant by the layer input; expected input · weights');
  startLayer(node, chain, b.dims[0], b.dims[1], Float32Array.from(b.values));
  chain.biasPending = true;
};

const add: NodeHandler = (node, constants, chain) => {
  if (!chain.biasPending)
    throw nodeError(node, 'adds to a tensor that is not a MatMul output; only a bias after MatMul is supported');
  const bias = constants.find((c) => c !== undefined);
  if (bias === undefined) throw nodeError(node, 'needs the bias as an initializer or Constant');
  const layer = chain.layers[chain.layers.length - 1];
  layer.bias = biasOf(node, bias, layer.units, 1);
  chain.biasPending = false;
};

/** The constant [units] vector at input `index` of a BatchNormalization node. */
function batchNormVector(node: OnnxNode, constant: Constant | undefined, units: number, what: string): Float32Array {
  if (constant === undefined) throw nodeError(node, `needs its ${what} as an initializer or Constant`);
  if (constant.values.length !== units)
    throw nodeError(node, `${what} '${constant.name}' has shape [${constant.dims.join(', ')}]; expected [${units}]`);
  return Float32Array.from(constant.values);
}

const batchNormalization: NodeHandler = (node, constants, chain) => {
  const layer = chain.layers.at(-1);
  if (layer === undefined || !chain.open || layer.batchNorm)
    throw nodeError(node, 'is supported only right after a Gemm/MatMul layer, before its activation');
  if (intAttribute(node, 'training_mode', 0) !== 0 || node.outputs.filter((name) => name !== '').length > 1)
    throw nodeError(node, 'is in training mode; simdnet reads the inference form (training_mode 0, one output)');
  const runningVar = batchNormVector(node, constants[4], layer.units, 'running variance');
  if (runningVar.some((v) => !(v >= 0))) throw nodeError(node, 'has a negative or NaN running variance');
  // ONNX: running = momentum·running + (1 - momentum)·batch; PyTorch's momentum weights the batch.
  layer.batchNorm = {
    gamma: batchNormVector(node, constants[1], layer.units, 'scale'),
    beta: batchNormVector(node, constants[2], layer.units, 'bias B'),
    runningMean: batchNormVector(node, constants[3], layer.units, 'running mean'),
    runningVar,
    epsilon: floatAttribute(node, 'epsilon', 1e-5),
    // 1 - 0.9f is 0.10000002: rounded to float32's 7 digits, PyTorch's 0.1 again.
    momentum: Number((1 - floatAttribute(node, 'momentum', 0.9)).toPrecision(7)),
  };
  chain.biasPending = false;
};

function activation(name: Activation, alphaDefault?: number): NodeHandler {
  return (node, _constants, chain) => {
    if (chain.layers.length === 0) throw nodeError(node, 'comes before any Gemm/MatMul layer');
    if (!chain.open) {
      throw nodeError(
        node,
        `follows another activation ('${chain.layers[chain.layers.length - 1].activation}'); a simdnet layer has one`,
      );
    }
    const layer = chain.layers[chain.layers.length - 1];
    layer.activation = name;
    if (alphaDefault !== undefined) layer.alpha = floatAttribute(node, 'alpha', alphaDefault);
    chain.open = false;
    chain.biasPending = false;
  };
}

const softmax: NodeHandler = (node, constants, chain) => {
  // Opset < 13 defaults to axis 1 (on a 2-D view); 13+ to -1. On [batch, features] both mean the features.
  const axis = intAttribute(node, 'axis', chain.opset < 13 ? 1 : -1);
  if (axis !== 1 && axis !== -1)
    throw nodeError(node, `has axis ${axis}; only softmax over the features (1 or -1) is supported`);
  activation('softmax')(node, constants, chain);
};

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

const selu: NodeHandler = (node, constants, chain) => {
  // simdnet's selu has the fixed constants of PyTorch (ONNX's defaults, as float32).
  const alpha = floatAttribute(node, 'alpha', SELU_ALPHA);
  const gamma = floatAttribute(node, 'gamma', SELU_GAMMA);
  if (Math.abs(alpha - SELU_ALPHA) > 1e-6 || Math.abs(gamma - SELU_GAMMA) > 1e-6)
    throw nodeError(
      node,
      `has alpha ${alpha}, gamma ${gamma}; simdnet's selu has the standard ${SELU_ALPHA}, ${SELU_GAMMA}`,
    );
  activation('selu')(node, constants, chain);
};

const gelu: NodeHandler = (node, constants, chain) => {
  const approximate = node.attributes.get('approximate')?.string(AttributeProtoField.s) ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh')
    throw nodeError(node, `has approximate '${approximate}'; expected 'none' or 'tanh'`);
  activation(approximate === 'none' ? 'gelu' : 'geluTanh')(node, constants, chain);
};

const identity: NodeHandler = () => {};

function beforeFirstLayer(node: OnnxNode, chain: Chain): void {
  if (chain.layers.length > 0) throw nodeError(node, 'is supported only at the input, before the first layer');
}

const flatten: NodeHandler = (node, _constants, chain) => {
  beforeFirstLayer(node, chain);
  const axis = intAttribute(node, 'axis', 1);
  if (axis !== 1) throw nodeError(node, `has axis ${axis}; only Flatten(axis=1) to [batch, features] is supported`);
  chain.inputDims = [chain.features];
};

const reshape: NodeHandler = (node, constants, chain) => {
  beforeFirstLayer(node, chain);
  const shape = constants[1];
  if (shape === undefined) throw nodeError(node, 'needs its shape as an initializer or Constant');
  const [batch, features] = Array.from(shape.values);
  if (
    shape.values.length !== 2 ||
    (batch !== -1 && batch !== 0) ||
    !(features === -1 || features === chain.features || chain.features === undefined)
  ) {
    throw nodeError(
      node,
      `reshapes to [${Array.from(shape.values).join(', ')}]; only [-1 or 0, features] is supported`,
    );
  }
  if (features !== -1 && chain.features === undefined) chain.features = features;
  chain.inputDims = [chain.features];
};

/** ONNX operator (or a fused pattern, see PATTERNS) -> how it maps onto simdnet's chain. */
const NODE_HANDLERS: Record<string, NodeHandler> = {
  Gemm: gemm,
  MatMul: matMul,
  Add: add,
  Relu: activation('relu'),
  Sigmoid: activation('sigmoid'),
  Tanh: activation('tanh'),
  Softplus: activation('softplus'),
  Softmax: softmax,
  LeakyRelu: activation('leakyRelu', 0.01),
  Elu: activation('elu', 1),
  Selu: selu,
  Gelu: gelu,
  BatchNormalization: batchNormalization,
  [FUSED.silu]: activation('silu'),
  [FUSED.gelu]: activation('gelu'),
  [FUSED.geluTanh]: activation('geluTanh'),
  Flatten: flatten,
  Reshape: reshape,
  Dropout: identity,
  Identity: identity,
};

// --- multi-node activations -------------------------------------------------------------------

/** A pattern: an operator over sub-patterns, the activation's input z, or a constant scalar. */
type Pattern = { op: string; args: Pattern[] } | 'z' | number;

const op = (name: string, ...args: Pattern[]): Pattern => ({ op: name, args });
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Fused op type -> its graph forms (Add and Mul match with operands in either order). */
const PATTERNS: [string, Pattern][] = [
  [FUSED.silu, op('Mul', 'z', op('Sigmoid', 'z'))],
  [FUSED.gelu, op('Mul', op('Mul', 'z', op('Add', op('Erf', op('Div', 'z', Math.SQRT2)), 1)), 0.5)],
  [FUSED.gelu, op('Mul', op('Mul', 'z', op('Add', op('Erf', op('Mul', 'z', Math.SQRT1_2)), 1)), 0.5)],
  [
    FUSED.geluTanh,
    op(
      'Mul',
      op(
        'Mul',
        'z',
        op(
          'Add',
          op(
            'Tanh',
            op('Mul', op('Add', 'z', op('Mul', op('Mul', op('Mul', 'z', 'z'), 'z'), 0.044715)), SQRT_2_OVER_PI),
          ),
          1,
        ),
      ),
      0.5,
    ),
  ],
];

/** Matches `pattern` against the tensor `name`; returns the nodes it covers, or undefined. */
function matchPattern(
  pattern: Pattern,
  name: string,
  producers: Map<string, OnnxNode>,
  constants: Map<string, Constant>,
  binding: { z?: string },
): OnnxNode[] | undefined {
  if (typeof pattern === 'number') {
    const constant = constants.get(name);
    return constant !== undefined &&
      constant.values.length === 1 &&
      Math.abs(constant.values[0] - pattern) <= 1e-6 * Math.abs(pattern)
      ? []
      : undefined;
  }
  if (pattern === 'z') {
    if (constants.has(name) || (binding.z !== undefined && binding.z !== name)) return undefined;
    binding.z = name;
    return [];
  }
  const node = producers.get(name);
  if (node === undefined || node.opType !== pattern.op || node.inputs.length !== pattern.args.length) return undefined;
  const orders = pattern.args.length === 2 && (pattern.op === 'Mul' || pattern.op === 'Add') ? [0, 1] : [0];
  for (const swap of orders) {
    const tryBinding = { ...binding };
    const covered: OnnxNode[] = [node];
    const ok = pattern.args.every((arg, i) => {
      const inner = matchPattern(arg, node.inputs[swap ? 1 - i : i], producers, constants, tryBinding);
      if (inner !== undefined) covered.push(...inner);
      return inner !== undefined;
    });
    if (ok) {
      binding.z = tryBinding.z;
      return covered;
    }
  }
  return undefined;
}

/**
 * Replaces each multi-node activation (PATTERNS) by one node of its fused op type reading z,
 * in the place of the pattern's last node. Intermediate tensors must not be read elsewhere.
 */
function fusePatterns(nodes: OnnxNode[], constants: Map<string, Constant>): OnnxNode[] {
  const producers = new Map<string, OnnxNode>();
  const readers = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.outputs) producers.set(output, node);
    for (const input of node.inputs) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  const removed = new Set<OnnxNode>();
  const replaced = new Map<OnnxNode, OnnxNode>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const root = nodes[i];
    if (removed.has(root)) continue;
    for (const [fused, pattern] of PATTERNS) {
      const binding: { z?: string } = {};
      const covered = matchPattern(pattern, root.outputs[0], producers, constants, binding);
      if (covered === undefined || binding.z === undefined) continue;
      const inner = covered.filter((n) => n !== root);
      // Count the reads inside the pattern: every intermediate must be read only there.
      const innerReads = new Map<string, number>();
      for (const n of covered) for (const input of n.inputs) innerReads.set(input, (innerReads.get(input) ?? 0) + 1);
      if (inner.some((n) => readers.get(n.outputs[0]) !== innerReads.get(n.outputs[0]))) continue;
      for (const n of inner) removed.add(n);
      replaced.set(root, { ...root, opType: fused, inputs: [binding.z], attributes: new Map() });
      break;
    }
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}

/** Operators evaluated when every input is constant (their output is a constant too). */
const CONSTANT_FOLDS: Record<string, (node: OnnxNode, inputs: Constant[]) => Constant> = {
  Constant: (node) => constantNodeValue(node),
  Identity: (node, [input]) => ({ ...input, name: node.outputs[0] }),
  Transpose: (node, [input]) => {
    const perm = intsAttribute(node, 'perm') ?? [1, 0];
    if (input.dims.length !== 2 || perm.length !== 2) throw nodeError(node, 'transposes a constant that is not 2-D');
    if (perm[0] === 0) return { ...input, name: node.outputs[0] };
    const [rows, cols] = input.dims;
    const values = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[c * rows + r] = input.values[r * cols + c];
    return { name: node.outputs[0], dims: [cols, rows], values };
  },
};

const SUPPORTED = [
  ...new Set([...Object.keys(NODE_HANDLERS).filter((name) => !name.startsWith('#')), ...Object.keys(CONSTANT_FOLDS)]),
].join(', ');

// --- attributes and tensors -----------------------------------------------------------------

function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  return node.attributes.get(name)?.float(AttributeProtoField.f, fallback) ?? fallback;
}
function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  return node.attributes.get(name)?.int(AttributeProtoField.i, fallback) ?? fallback;
}
function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  return node.attributes.get(name)?.ints(AttributeProtoField.ints);
}

/** A Constant node's value: attribute value (a tensor), value_float(s) or value_int(s). */
function constantNodeValue(node: OnnxNode): Constant {
  const name = node.outputs[0];
  const tensor = node.attributes.get('value')?.message(AttributeProtoField.t);
  if (tensor !== undefined) return { ...decodeTensor(tensor), name };
  const single = node.attributes.get('value_float') ?? node.attributes.get('value_int');
  if (single !== undefined) {
    const value = node.attributes.has('value_float')
      ? single.float(AttributeProtoField.f)
      : single.int(AttributeProtoField.i);
    return { name, dims: [], values: Float64Array.of(value) };
  }
  const floats = node.attributes.get('value_floats')?.floats(AttributeProtoField.floats);
  const ints = node.attributes.get('value_ints')?.ints(AttributeProtoField.ints);
  const values = floats ? Float64Array.from(floats) : ints ? Float64Array.from(ints) : undefined;
  if (values === undefined) throw nodeError(node, 'has no value attribute this reader understands');
  return { name, dims: [values.length], values };
}

function decodeTensor(tensor: ProtobufFields): Constant {
  const name = tensor.string(TensorProtoField.name);
  const dims = tensor.ints(TensorProtoField.dims);
  const dataType = tensor.int(TensorProtoField.dataType);
  const what = `${CONTEXT}: ONNX tensor '${name}'`;
  if (tensor.int(TensorProtoField.dataLocation) === DATA_LOCATION_EXTERNAL) {
    throw new Error(`${what} keeps its data in an external file; save the model with the weights inside it`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.bytes(TensorProtoField.rawData);
  let values: Float64Array;
  if (raw !== undefined) {
    const size = DATA_TYPE_BYTES[dataType];
    if (size === undefined)
      throw new Error(`${what} has data type ${dataType}; readable: FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT32, INT64`);
    if (raw.length !== count * size) {
      throw new Error(
        `${what} has ${raw.length} bytes of raw_data, but shape [${dims.join(', ')}] needs ${count} × ${size}`,
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<number, (offset: number) => number> = {
      [DataType.FLOAT]: (o) => view.getFloat32(o, true),
      [DataType.DOUBLE]: (o) => view.getFloat64(o, true),
      [DataType.INT32]: (o) => view.getInt32(o, true),
      [DataType.INT64]: (o) => Number(view.getBigInt64(o, true)),
      [DataType.FLOAT16]: (o) => halfToFloat(view.getUint16(o, true)),
      [DataType.BFLOAT16]: (o) => bfloat16ToFloat(view.getUint16(o, true)),
    };
    values = Float64Array.from({ length: count }, (_, i) => read[dataType](i * size));
  } else if (dataType === DataType.FLOAT) values = Float64Array.from(tensor.floats(TensorProtoField.floatData));
  else if (dataType === DataType.DOUBLE) values = tensor.doubles(TensorProtoField.doubleData);
  else if (dataType === DataType.INT64) values = Float64Array.from(tensor.ints(TensorProtoField.int64Data));
  else if (dataType === DataType.INT32) values = Float64Array.from(tensor.ints(TensorProtoField.int32Data));
  else if (dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16) {
    const decode = dataType === DataType.FLOAT16 ? halfToFloat : bfloat16ToFloat;
    values = Float64Array.from(tensor.ints(TensorProtoField.int32Data), (bits) => decode(bits & 0xffff));
  } else throw new Error(`${what} has data type ${dataType}; readable: FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT32, INT64`);
  if (values.length !== count) {
    throw new Error(`${what} has ${values.length} values, but shape [${dims.join(', ')}] needs ${count}`);
  }
  return { name, dims, values };
}

function decodeNode(fields: ProtobufFields, index: number): OnnxNode {
  const opType = fields.string(NodeProtoField.opType);
  const attributes = new Map<string, ProtobufFields>();
  for (const attribute of fields.messages(NodeProtoField.attribute)) {
    attributes.set(attribute.string(AttributeProtoField.name), attribute);
  }
  return {
    name: fields.string(NodeProtoField.name) || `#${index} ${opType}`,
    opType,
    domain: fields.string(NodeProtoField.domain),
    inputs: fields.strings(NodeProtoField.input),
    outputs: fields.strings(NodeProtoField.output),
    attributes,
  };
}

/** Name and non-batch dims (undefined where symbolic) of a ValueInfoProto. */
function valueInfo(fields: ProtobufFields): { name: string; dims: (number | undefined)[] | undefined } {
  const shape = fields
    .message(ValueInfoProtoField.type)
    ?.message(TypeProtoField.tensorType)
    ?.message(TypeProtoTensorField.shape);
  const dims = shape
    ?.messages(TensorShapeProtoField.dim)
    .map((dim) => (dim.has(DimensionField.dimValue) ? dim.int(DimensionField.dimValue) : undefined));
  return { name: fields.string(ValueInfoProtoField.name), dims: dims?.slice(1) };
}

// --- public entry points ----------------------------------------------------------------

/**
 * Reads an ONNX MLP (see the file comment for the accepted graphs) as a ModelDescription,
 * W as [in, units]. Throws, naming the node or tensor, on anything else.
 */
export function onnxToDescription(source: Uint8Array | ArrayBuffer): ModelDescription {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  let model: ProtobufFields;
  let graph: ProtobufFields | undefined;
  try {
    model = decodeMessage(bytes, 'ModelProto');
    graph = model.message(ModelProtoField.graph, 'GraphProto');
  } catch (error) {
    throw new Error(`${CONTEXT}: not a valid ONNX file: ${(error as Error).message}`);
  }
  if (graph === undefined) throw new Error(`${CONTEXT}: not a valid ONNX file: no graph (field 7 of ModelProto)`);
  let opset = 0;
  for (const entry of model.messages(ModelProtoField.opsetImport)) {
    const domain = entry.string(OperatorSetIdField.domain);
    if (domain === '' || domain === 'ai.onnx') opset = entry.int(OperatorSetIdField.version);
  }

  const constants = new Map<string, Constant>();
  for (const tensor of graph.messages(GraphProtoField.initializer, 'TensorProto')) {
    const constant = decodeTensor(tensor);
    constants.set(constant.name, constant);
  }
  const inputs = graph
    .messages(GraphProtoField.input)
    .map(valueInfo)
    .filter((input) => !constants.has(input.name));
  const outputs = graph.messages(GraphProtoField.output).map(valueInfo);
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new Error(
      `${CONTEXT}: the ONNX graph has ${inputs.length} inputs and ${outputs.length} outputs; simdnet reads one input and one output`,
    );
  }
  const inputDims = inputs[0].dims ?? [undefined];
  const chain: Chain = {
    opset,
    running: inputs[0].name,
    features: inputDims.every((d) => d !== undefined) ? inputDims.reduce((a, b) => a! * b!, 1) : undefined,
    inputDims,
    layers: [],
    open: false,
    biasPending: false,
  };

  // Pass 1: fold constant subgraphs (Constant, and Transpose/Identity of constants).
  const nodes: OnnxNode[] = [];
  graph.messages(GraphProtoField.node, 'NodeProto').forEach((fields, index) => {
    const node = decodeNode(fields, index);
    if (node.domain !== '' && node.domain !== 'ai.onnx')
      throw nodeError(node, `is not supported; supported: ${SUPPORTED}`);
    const present = node.inputs.filter((name) => name !== '');
    const fold = CONSTANT_FOLDS[node.opType];
    if (fold !== undefined && present.every((name) => constants.has(name))) {
      const folded = fold(
        node,
        present.map((name) => constants.get(name)!),
      );
      constants.set(folded.name, folded);
      return;
    }
    nodes.push(node);
  });

  // Pass 2: multi-node activations become one node; pass 3: the chain of layers.
  for (const node of fusePatterns(nodes, constants)) {
    const handler = NODE_HANDLERS[node.opType];
    if (handler === undefined) throw nodeError(node, `is not supported; supported: ${SUPPORTED}`);
    const args = node.inputs.map((name) => (name === '' ? undefined : constants.get(name)));
    node.inputs.forEach((name, i) => {
      if (name !== '' && args[i] === undefined && name !== chain.running) {
        throw nodeError(
          node,
          `reads '${name}', which is neither the previous layer's output ('${chain.running}') nor a constant: simdnet reads a chain of layers`,
        );
      }
    });
    if (!node.inputs.includes(chain.running))
      throw nodeError(node, `does not read the previous layer's output '${chain.running}'`);
    handler(node, args, chain);
    chain.running = node.outputs[0];
  }

  if (chain.running !== outputs[0].name) {
    throw new Error(
      `${CONTEXT}: the ONNX graph output '${outputs[0].name}' is not the end of the layer chain ('${chain.running}')`,
    );
  }
  if (chain.layers.length === 0) throw new Error(`${CONTEXT}: the ONNX graph has no Gemm or MatMul layer`);
  const inputSize = chain.layers[0].weights.length / chain.layers[0].units;
  const description: ModelDescription = { inputSize, layers: chain.layers };
  assertValidDescription(description, `${CONTEXT}: ONNX import`);
  return description;
}

/**
 * Loads an ONNX MLP, as `torch.onnx.export` or simdnet's `toOnnx` writes it, into a new Model
 * ready to predict or fine-tune. Batch norm (running statistics, epsilon, momentum) and the
 * activations' alpha come with the graph; Dropout nodes are the identity (the loaded model
 * has no dropout: set it in a spec of your own to train with one).
 *
 * @param source the .onnx file's bytes
 * @param options loss, optimizer, seed and threads for fine-tuning; see {@link OnnxImportOptions}
 * @example
 *   // python: torch.onnx.export(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(dim=1)), x, 'mlp.onnx')
 *   const model = await fromOnnx(await readFile('mlp.onnx'));
 */
export async function fromOnnx(source: Uint8Array | ArrayBuffer, options: OnnxImportOptions = {}): Promise<Model> {
  assertKnownOptions(options, ['loss', 'optimizer', 'seed', 'threads'], 'fromOnnx');
  const description = onnxToDescription(source);
  const spec: ModelSpec = {
    inputSize: description.inputSize,
    layers: description.layers.map(({ units, activation, alpha, batchNorm }) => ({
      units,
      activation,
      ...(alpha === undefined ? {} : { alpha }),
      ...(batchNorm ? { batchNorm: { momentum: batchNorm.momentum, epsilon: batchNorm.epsilon } } : {}),
    })),
    ...options,
  };
  const model = await createModel(spec);
  model.setWeights(description);
  return model;
}
