/**
 * ONNX export of a dense network: ModelDescription -> ONNX ModelProto bytes.
 *
 * The graph, for layers l = 1..L (x: [batch, inputSize], 'batch' a symbolic dimension):
 *
 *   dense_l/linear = Gemm(a_{l-1}, dense_l/weights [in_l, units_l], dense_l/bias [units_l])
 *   dense_l/norm   = BatchNormalization(dense_l/linear, gamma, beta, running_mean, running_var;
 *                    epsilon, momentum = 1 - PyTorch momentum)      only with batch norm
 *   a_l            = the activation of z (dense_l/norm, else dense_l/linear):
 *       Relu | Sigmoid | Tanh | Softplus | Softmax(axis=-1) | LeakyRelu(alpha) | Elu(alpha) | Selu
 *       gelu      opset 13: Mul(Mul(z, Add(Erf(Div(z, √2)), 1)), 0.5)   (torch's own opset ≤ 17 form)
 *                 opset 20: Gelu(z)
 *       geluTanh  opset 13: Mul(Mul(z, Add(Tanh(Mul(Add(z, Mul(Mul(Mul(z, z), z), 0.044715)), √(2/π))), 1)), 0.5)
 *                 opset 20: Gelu(z, approximate='tanh')
 *       silu      Mul(z, Sigmoid(z))                                   (as torch exports nn.SiLU)
 *       linear    no node: a_l is z itself
 *   Dropout is an inference no-op and writes no node.
 *
 * a_0 is the graph input, a_L the graph output (both float32, [batch, features]).
 * Gemm computes A·B + C with C broadcast over rows, which is exactly act(a·W + b) with
 * W stored [in, units] row-major as in ModelDescription, so weights are written as they are.
 *
 * Versions: IR version 8, default-domain opset 13 (onnxruntime, onnx.checker and most
 * converters accept this pair). Tensors are stored as little-endian raw_data.
 * Field numbers come from onnx/onnx.proto; the encoder is ./protobuf-writer.ts.
 * Protobuf messages are limited to 2 GiB, far beyond any MLP this library trains.
 */

import type { Activation, ModelDescription } from '../model/description.js';
import { assertValidDescription } from './description-checks.js';
import { ProtobufMessage, float32LittleEndianBytes } from './protobuf-writer.js';

export const ONNX_IR_VERSION = 8;
/** The ONNX operator-set version {@link toOnnx} writes (the default domain, ai.onnx). */
export const ONNX_OPSET_VERSION = 13;
/** The operator-set versions {@link toOnnx} can write: 13 (the default) and 20 (with the Gelu operator). */
export const ONNX_OPSET_VERSIONS = [13, 20] as const;

/** Options of {@link toOnnx}: names written into the ONNX file. */
export interface OnnxExportOptions {
  /** ModelProto.producer_name. Default 'simdnet'. */
  producerName?: string;
  /** ModelProto.producer_version. Omitted unless given. */
  producerVersion?: string;
  /** GraphProto.name. Default 'simdnet'. */
  graphName?: string;
  /** Name of the graph input, float32 [batch, inputSize]. Default 'input'. */
  inputName?: string;
  /** Name of the graph output, float32 [batch, units of the last layer]. Default 'output'. */
  outputName?: string;
  /**
   * The default-domain opset: 13 (default; gelu as Erf/Tanh arithmetic, which every runtime
   * runs) or 20 (gelu and geluTanh as one Gelu node).
   */
  opset?: 13 | 20;
}

// --- field numbers (onnx.proto) ---------------------------------------------------------

const ModelProtoField = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OperatorSetIdField = { domain: 1, version: 2 } as const;
const GraphProtoField = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NodeProtoField = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const AttributeProtoField = { name: 1, f: 2, i: 3, s: 4, type: 20 } as const;
const TensorProtoField = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const ValueInfoProtoField = { name: 1, type: 2 } as const;
const TypeProtoField = { tensorType: 1 } as const;
const TypeProtoTensorField = { elemType: 1, shape: 2 } as const;
const TensorShapeProtoField = { dim: 1 } as const;
const DimensionField = { dimValue: 1, dimParam: 2 } as const;

/** TensorProto.DataType.FLOAT */
const DATA_TYPE_FLOAT = 1;
/** AttributeProto.AttributeType.FLOAT, INT, STRING */
const ATTRIBUTE_TYPE_FLOAT = 1;
const ATTRIBUTE_TYPE_INT = 2;
const ATTRIBUTE_TYPE_STRING = 3;

const BATCH_DIMENSION_NAME = 'batch';

/** The one-node activations: ONNX operator, applied to z = the layer's (normalised) Gemm output. */
const SINGLE_NODE_OPERATORS: Partial<Record<Activation, string>> = {
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softplus: 'Softplus',
  softmax: 'Softmax',
  leakyRelu: 'LeakyRelu',
  elu: 'Elu',
  selu: 'Selu',
};

/** PyTorch's (and simdnet's) default α of leakyRelu and elu. */
const DEFAULT_ALPHA: Partial<Record<Activation, number>> = { leakyRelu: 0.01, elu: 1 };

// --- public entry point -----------------------------------------------------------------

/**
 * Encodes a network as an ONNX model (IR version 8, opset {@link ONNX_OPSET_VERSION} or 20): one
 * Gemm node per layer, then BatchNormalization when the layer has batch norm, then the
 * activation's node(s) unless linear (dropout writes nothing: the graph is for inference);
 * float32, input [batch, inputSize].
 *
 * @param desc the network, e.g. from {@link Model.describe}
 * @param options names written into the file; see {@link OnnxExportOptions}
 * @returns the bytes of a .onnx file (onnxruntime, `onnx.load` and {@link fromOnnx} read it)
 * @throws Error when the description is malformed, or the input and output names are unusable
 * @example
 *   await writeFile('model.onnx', toOnnx(model.describe()));
 */
export function toOnnx(desc: ModelDescription, options: OnnxExportOptions = {}): Uint8Array {
  assertValidDescription(desc, 'toOnnx');
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  assertUsableTensorNames(inputName, outputName);
  const opset = options.opset ?? ONNX_OPSET_VERSION;
  if (!(ONNX_OPSET_VERSIONS as readonly number[]).includes(opset))
    throw new Error(`toOnnx: opset must be one of ${ONNX_OPSET_VERSIONS.join(', ')}, got ${opset}`);

  const graph = new ProtobufMessage();
  let previousOutput = inputName;
  desc.layers.forEach((layer, index) => {
    const prefix = `dense_${index + 1}`;
    const isLast = index === desc.layers.length - 1;
    const inputs = index === 0 ? desc.inputSize : desc.layers[index - 1].units;
    const weightsName = `${prefix}/weights`;
    const biasName = `${prefix}/bias`;
    graph.message(GraphProtoField.initializer, floatTensor(weightsName, [inputs, layer.units], layer.weights));
    graph.message(GraphProtoField.initializer, floatTensor(biasName, [layer.units], layer.bias));

    const hasActivation = layer.activation !== 'linear';
    const bn = layer.batchNorm;
    const linearOutput = isLast && !hasActivation && !bn ? outputName : `${prefix}/linear`;
    graph.message(
      GraphProtoField.node,
      node('Gemm', `${prefix}/Gemm`, [previousOutput, weightsName, biasName], linearOutput),
    );
    previousOutput = linearOutput;

    if (bn) {
      const names = ['gamma', 'beta', 'running_mean', 'running_var'].map((n) => `${prefix}/batch_norm/${n}`);
      [bn.gamma, bn.beta, bn.runningMean, bn.runningVar].forEach((values, i) =>
        graph.message(GraphProtoField.initializer, floatTensor(names[i], [layer.units], values)),
      );
      const normOutput = isLast && !hasActivation ? outputName : `${prefix}/norm`;
      // Inference form: y = gamma·(z - mean)/√(var + epsilon) + beta. ONNX's momentum weights the old running value.
      const norm = node('BatchNormalization', `${prefix}/BatchNormalization`, [linearOutput, ...names], normOutput)
        .message(NodeProtoField.attribute, floatAttribute('epsilon', bn.epsilon))
        .message(NodeProtoField.attribute, floatAttribute('momentum', 1 - bn.momentum));
      graph.message(GraphProtoField.node, norm);
      previousOutput = normOutput;
    }

    if (hasActivation) {
      const activationOutput = isLast ? outputName : `${prefix}/${layer.activation}`;
      for (const n of activationNodes(layer.activation, layer.alpha, prefix, previousOutput, activationOutput, opset))
        graph.message(n.initializer ? GraphProtoField.initializer : GraphProtoField.node, n.message);
      previousOutput = activationOutput;
    }
  });

  const outputUnits = desc.layers[desc.layers.length - 1].units;
  graph.string(GraphProtoField.name, options.graphName ?? 'simdnet');
  graph.message(GraphProtoField.input, floatBatchValueInfo(inputName, desc.inputSize));
  graph.message(GraphProtoField.output, floatBatchValueInfo(outputName, outputUnits));

  const model = new ProtobufMessage();
  model.int64(ModelProtoField.irVersion, ONNX_IR_VERSION);
  model.string(ModelProtoField.producerName, options.producerName ?? 'simdnet');
  if (options.producerVersion !== undefined) model.string(ModelProtoField.producerVersion, options.producerVersion);
  model.message(ModelProtoField.graph, graph);
  model.message(
    ModelProtoField.opsetImport,
    new ProtobufMessage().string(OperatorSetIdField.domain, '').int64(OperatorSetIdField.version, opset),
  );
  return model.toBytes();
}

// --- activations ------------------------------------------------------------------------

/** A graph entry: a node, or a scalar initializer the activation's arithmetic reads. */
interface GraphEntry {
  initializer: boolean;
  message: ProtobufMessage;
}

/**
 * The nodes computing `output = activation(input)` (see the file comment for each form),
 * with the scalar constants they read, named `<prefix>/<activation>/...`.
 */
function activationNodes(
  activation: Activation,
  alpha: number | undefined,
  prefix: string,
  input: string,
  output: string,
  opset: number,
): GraphEntry[] {
  const entries: GraphEntry[] = [];
  const scope = `${prefix}/${activation}`;
  const add = (opType: string, inputs: string[], out: string, ...attributes: ProtobufMessage[]) => {
    const message = node(opType, `${scope}/${opType}_${entries.length}`, inputs, out);
    for (const attribute of attributes) message.message(NodeProtoField.attribute, attribute);
    entries.push({ initializer: false, message });
    return out;
  };
  const scalar = (name: string, value: number) => {
    entries.push({ initializer: true, message: floatTensor(`${scope}/${name}`, [], Float32Array.of(value)) });
    return `${scope}/${name}`;
  };
  const single = SINGLE_NODE_OPERATORS[activation];
  if (single !== undefined) {
    const attributes: ProtobufMessage[] = [];
    // Softmax over the features of each row; -1 is also opset 13's default, written for clarity.
    if (single === 'Softmax') attributes.push(intAttribute('axis', -1));
    if (activation === 'leakyRelu' || activation === 'elu')
      attributes.push(floatAttribute('alpha', alpha ?? (DEFAULT_ALPHA[activation] as number)));
    add(single, [input], output, ...attributes);
    return entries;
  }
  switch (activation) {
    case 'silu':
      add('Mul', [input, add('Sigmoid', [input], `${scope}/sigmoid`)], output);
      return entries;
    case 'gelu':
    case 'geluTanh': {
      if (opset >= 20) {
        const approximate = stringAttribute('approximate', activation === 'gelu' ? 'none' : 'tanh');
        add('Gelu', [input], output, approximate);
        return entries;
      }
      // inner = erf(z/√2), or tanh(√(2/π)·(z + 0.044715·z³)); output = z·(inner + 1)·0.5
      let inner: string;
      if (activation === 'gelu') {
        const scaled = add('Div', [input, scalar('sqrt2', Math.SQRT2)], `${scope}/scaled`);
        inner = add('Erf', [scaled], `${scope}/erf`);
      } else {
        const square = add('Mul', [input, input], `${scope}/square`);
        const cube = add('Mul', [square, input], `${scope}/cube`);
        const cubic = add('Mul', [cube, scalar('c', 0.044715)], `${scope}/cubic`);
        const sum = add('Add', [input, cubic], `${scope}/sum`);
        const scaled = add('Mul', [sum, scalar('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))], `${scope}/scaled`);
        inner = add('Tanh', [scaled], `${scope}/tanh`);
      }
      const onePlus = add('Add', [inner, scalar('one', 1)], `${scope}/one_plus`);
      const product = add('Mul', [input, onePlus], `${scope}/product`);
      add('Mul', [product, scalar('half', 0.5)], output);
      return entries;
    }
    default:
      throw new Error(`toOnnx: no ONNX form for activation '${activation}'`);
  }
}

// --- graph pieces -----------------------------------------------------------------------

/** TensorProto: float32 with the given dims, data as little-endian raw_data. */
function floatTensor(name: string, dims: number[], values: Float32Array): ProtobufMessage {
  const tensor = new ProtobufMessage();
  for (const dim of dims) tensor.int64(TensorProtoField.dims, dim);
  tensor.int64(TensorProtoField.dataType, DATA_TYPE_FLOAT);
  tensor.string(TensorProtoField.name, name);
  tensor.bytes(TensorProtoField.rawData, float32LittleEndianBytes(values));
  return tensor;
}

/** ValueInfoProto for a float32 tensor of shape ['batch', features]. */
function floatBatchValueInfo(name: string, features: number): ProtobufMessage {
  const shape = new ProtobufMessage()
    .message(TensorShapeProtoField.dim, new ProtobufMessage().string(DimensionField.dimParam, BATCH_DIMENSION_NAME))
    .message(TensorShapeProtoField.dim, new ProtobufMessage().int64(DimensionField.dimValue, features));
  const tensorType = new ProtobufMessage()
    .int64(TypeProtoTensorField.elemType, DATA_TYPE_FLOAT)
    .message(TypeProtoTensorField.shape, shape);
  const type = new ProtobufMessage().message(TypeProtoField.tensorType, tensorType);
  return new ProtobufMessage().string(ValueInfoProtoField.name, name).message(ValueInfoProtoField.type, type);
}

/** NodeProto in the default (ai.onnx) domain with one output. Attributes are added by the caller. */
function node(opType: string, name: string, inputs: string[], output: string): ProtobufMessage {
  const message = new ProtobufMessage();
  for (const input of inputs) message.string(NodeProtoField.input, input);
  message.string(NodeProtoField.output, output);
  message.string(NodeProtoField.name, name);
  message.string(NodeProtoField.opType, opType);
  return message;
}

function intAttribute(name: string, value: number): ProtobufMessage {
  return new ProtobufMessage()
    .string(AttributeProtoField.name, name)
    .int64(AttributeProtoField.i, value)
    .int64(AttributeProtoField.type, ATTRIBUTE_TYPE_INT);
}

function floatAttribute(name: string, value: number): ProtobufMessage {
  return new ProtobufMessage()
    .string(AttributeProtoField.name, name)
    .float(AttributeProtoField.f, value)
    .int64(AttributeProtoField.type, ATTRIBUTE_TYPE_FLOAT);
}

function stringAttribute(name: string, value: string): ProtobufMessage {
  return new ProtobufMessage()
    .string(AttributeProtoField.name, name)
    .string(AttributeProtoField.s, value)
    .int64(AttributeProtoField.type, ATTRIBUTE_TYPE_STRING);
}

/**
 * The graph's input and output names must be non-empty, distinct, and must not collide
 * with the names this exporter gives initializers and intermediate tensors ('dense_<l>/...').
 */
function assertUsableTensorNames(inputName: string, outputName: string): void {
  if (typeof inputName !== 'string' || inputName === '')
    throw new Error('toOnnx: inputName must be a non-empty string');
  if (typeof outputName !== 'string' || outputName === '')
    throw new Error('toOnnx: outputName must be a non-empty string');
  if (inputName === outputName) throw new Error(`toOnnx: inputName and outputName are both '${inputName}'`);
  for (const name of [inputName, outputName]) {
    if (/^dense_\d+\//.test(name)) {
      throw new Error(`toOnnx: the name '${name}' is reserved for the exporter's own tensors (dense_<layer>/...)`);
    }
  }
}
