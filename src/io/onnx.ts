/**
 * ONNX export of a dense network: ModelDescription -> ONNX ModelProto bytes.
 *
 * The graph, for layers l = 1..L (x: [batch, inputSize], 'batch' a symbolic dimension):
 *
 *   dense_l/linear = Gemm(a_{l-1}, dense_l/weights [in_l, units_l], dense_l/bias [units_l])
 *   a_l            = Relu | Sigmoid | Tanh | Softplus | Softmax(axis=-1) (dense_l/linear)
 *                    (no node for 'linear': a_l is dense_l/linear itself)
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
import { assertExportable, assertValidDescription } from './description-checks.js';
import { ProtobufMessage, float32LittleEndianBytes } from './protobuf-writer.js';

export const ONNX_IR_VERSION = 8;
/** The ONNX operator-set version {@link toOnnx} writes (the default domain, ai.onnx). */
export const ONNX_OPSET_VERSION = 13;

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
}

// --- field numbers (onnx.proto) ---------------------------------------------------------

const ModelProtoField = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OperatorSetIdField = { domain: 1, version: 2 } as const;
const GraphProtoField = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NodeProtoField = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const AttributeProtoField = { name: 1, i: 3, type: 20 } as const;
const TensorProtoField = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const ValueInfoProtoField = { name: 1, type: 2 } as const;
const TypeProtoField = { tensorType: 1 } as const;
const TypeProtoTensorField = { elemType: 1, shape: 2 } as const;
const TensorShapeProtoField = { dim: 1 } as const;
const DimensionField = { dimValue: 1, dimParam: 2 } as const;

/** TensorProto.DataType.FLOAT */
const DATA_TYPE_FLOAT = 1;
/** AttributeProto.AttributeType.INT */
const ATTRIBUTE_TYPE_INT = 2;

const BATCH_DIMENSION_NAME = 'batch';

/** The ONNX operator applied after the Gemm, or null for 'linear'. */
const ACTIVATION_OPERATORS: Partial<Record<Activation, string | null>> = {
  linear: null,
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softplus: 'Softplus',
  softmax: 'Softmax',
};

// --- public entry point -----------------------------------------------------------------

/**
 * Encodes a network as an ONNX model (IR version 8, opset {@link ONNX_OPSET_VERSION}): one
 * Gemm node per layer, followed by its activation node unless linear; float32, input [batch, inputSize].
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
  assertExportable(desc, 'toOnnx');
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  assertUsableTensorNames(inputName, outputName);

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

    const activationOperator = ACTIVATION_OPERATORS[layer.activation] ?? null;
    const linearOutput = isLast && activationOperator === null ? outputName : `${prefix}/linear`;
    graph.message(
      GraphProtoField.node,
      node('Gemm', `${prefix}/Gemm`, [previousOutput, weightsName, biasName], linearOutput),
    );
    previousOutput = linearOutput;

    if (activationOperator !== null) {
      const activationOutput = isLast ? outputName : `${prefix}/${layer.activation}`;
      const activationNode = node(
        activationOperator,
        `${prefix}/${activationOperator}`,
        [linearOutput],
        activationOutput,
      );
      // Softmax over the features of each row; -1 is also opset 13's default, written for clarity.
      if (activationOperator === 'Softmax') activationNode.message(NodeProtoField.attribute, intAttribute('axis', -1));
      graph.message(GraphProtoField.node, activationNode);
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
    new ProtobufMessage().string(OperatorSetIdField.domain, '').int64(OperatorSetIdField.version, ONNX_OPSET_VERSION),
  );
  return model.toBytes();
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
