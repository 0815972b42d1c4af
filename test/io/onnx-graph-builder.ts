/**
 * Hand-built ONNX models for the import tests, written with the library's protobuf writer
 * (field numbers from onnx/onnx.proto), so every accepted and rejected graph shape can be made.
 */
import { ProtobufMessage } from '../../src/io/protobuf-writer.js';

export interface TensorSpec {
  name: string;
  dims: number[];
  values: ArrayLike<number>;
  /** TensorProto.DataType. Default 1 (FLOAT). */
  dataType?: number;
  /** How the values are stored. Default 'raw'. */
  storage?: 'raw' | 'float_data' | 'double_data' | 'int64_data' | 'int32_data' | 'external';
}

export interface NodeSpec {
  op: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  /** Ints, floats, int lists, or a tensor (for Constant's 'value'). */
  attributes?: Record<string, number | { f: number } | number[] | TensorSpec>;
  domain?: string;
}

export interface GraphSpec {
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  /** Graph input name and dims (a string is a symbolic dim). Default x ['batch', n] with n from the first weight. */
  input: { name: string; dims: (number | string)[] };
  output: { name: string; dims: (number | string)[] };
  opset?: number;
}

const BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8, 10: 2, 11: 8, 16: 2 };

export function tensor(spec: TensorSpec): ProtobufMessage {
  const message = new ProtobufMessage();
  for (const dim of spec.dims) message.int64(1, dim);
  const dataType = spec.dataType ?? 1;
  message.int64(2, dataType);
  message.string(8, spec.name);
  const storage = spec.storage ?? 'raw';
  if (storage === 'raw' || storage === 'external') {
    const size = BYTES[dataType] ?? 1;
    const bytes = new Uint8Array(spec.values.length * size);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < spec.values.length; i++) {
      const v = spec.values[i];
      if (dataType === 1) view.setFloat32(i * 4, v, true);
      else if (dataType === 11) view.setFloat64(i * 8, v, true);
      else if (dataType === 7) view.setBigInt64(i * 8, BigInt(v), true);
      else if (dataType === 6) view.setInt32(i * 4, v, true);
      else if (size === 2)
        view.setUint16(i * 2, v, true); // FLOAT16 / BFLOAT16: the values are the bits
      else view.setInt8(i, v);
    }
    message.bytes(9, bytes);
    if (storage === 'external') message.int64(14, 1);
  } else if (storage === 'float_data') {
    for (let i = 0; i < spec.values.length; i++) message.float(4, spec.values[i]);
  } else if (storage === 'double_data') {
    const packed = new Uint8Array(spec.values.length * 8);
    for (let i = 0; i < spec.values.length; i++) new DataView(packed.buffer).setFloat64(i * 8, spec.values[i], true);
    message.bytes(10, packed);
  } else {
    for (let i = 0; i < spec.values.length; i++) message.int64(storage === 'int64_data' ? 7 : 5, spec.values[i]);
  }
  return message;
}

function valueInfo(name: string, dims: (number | string)[]): ProtobufMessage {
  const shape = new ProtobufMessage();
  for (const dim of dims) {
    shape.message(
      1,
      typeof dim === 'string' ? new ProtobufMessage().string(2, dim) : new ProtobufMessage().int64(1, dim),
    );
  }
  const tensorType = new ProtobufMessage().int64(1, 1).message(2, shape);
  return new ProtobufMessage().string(1, name).message(2, new ProtobufMessage().message(1, tensorType));
}

function node(spec: NodeSpec): ProtobufMessage {
  const message = new ProtobufMessage();
  for (const input of spec.inputs) message.string(1, input);
  for (const output of spec.outputs) message.string(2, output);
  if (spec.name !== undefined) message.string(3, spec.name);
  message.string(4, spec.op);
  for (const [name, value] of Object.entries(spec.attributes ?? {})) {
    const attribute = new ProtobufMessage().string(1, name);
    if (typeof value === 'number') attribute.int64(3, value).int64(20, 2);
    else if (Array.isArray(value)) {
      for (const v of value) attribute.int64(8, v);
      attribute.int64(20, 7);
    } else if ('f' in value) attribute.float(2, value.f).int64(20, 1);
    else attribute.message(5, tensor(value)).int64(20, 4);
    message.message(5, attribute);
  }
  if (spec.domain !== undefined) message.string(7, spec.domain);
  return message;
}

/** A ModelProto (IR 8) holding `spec` as its graph. */
export function onnxModel(spec: GraphSpec): Uint8Array {
  const graph = new ProtobufMessage();
  for (const n of spec.nodes) graph.message(1, node(n));
  graph.string(2, 'test');
  for (const init of spec.initializers ?? []) graph.message(5, tensor(init));
  graph.message(11, valueInfo(spec.input.name, spec.input.dims));
  graph.message(12, valueInfo(spec.output.name, spec.output.dims));
  return new ProtobufMessage()
    .int64(1, 8)
    .string(2, 'test')
    .message(7, graph)
    .message(8, new ProtobufMessage().string(1, '').int64(2, spec.opset ?? 14))
    .toBytes();
}
