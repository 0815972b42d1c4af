/**
 * ONNX import in simdnet alone: simdnet's own toOnnx output comes back to the same bits, and
 * hand-built graphs cover every accepted form (Gemm with transB/alpha/beta, MatMul + Add in both
 * orders, Flatten/Reshape at the input, Dropout/Identity, Constant and Transpose-folded weights,
 * float_data/double_data/FLOAT16 storage) and every rejected one, each error naming the node.
 * (Graphs that torch.onnx.export writes: pytorch-roundtrip.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fromOnnx, toOnnx } from '../../src/index.js';
import { onnxToDescription } from '../../src/io/onnx-import.js';
import { ACTIVATIONS } from '../../src/model/description.js';
import { onnxModel, type GraphSpec, type NodeSpec, type TensorSpec } from './onnx-graph-builder.js';
import { maxAbsDifference, randomDescription, referenceForward } from './reference-model.js';

const X = { name: 'x', dims: ['batch', 3] as (number | string)[] };
const Y = { name: 'y', dims: ['batch', 2] as (number | string)[] };
/** PyTorch layout: weight [out=2, in=3] = [[1, 2, 3], [4, 5, 6]], bias [0.5, -100]. */
const W: TensorSpec = { name: '0.weight', dims: [2, 3], values: [1, 2, 3, 4, 5, 6] };
const B: TensorSpec = { name: '0.bias', dims: [2], values: [0.5, -100] };
const INPUT = Float32Array.from([1, 10, 100]);
/** x · Wᵀ + b = [321.5, 554]; relu keeps both, the point is the layout: a missed transpose gives other values. */
const LINEAR_OUT = [321.5, 654 - 100];

function graph(nodes: NodeSpec[], initializers: TensorSpec[] = [W, B], extra: Partial<GraphSpec> = {}): Uint8Array {
  return onnxModel({ nodes, initializers, input: X, output: Y, ...extra });
}
const gemmNode = (output = 'y', attributes: NodeSpec['attributes'] = { transB: 1 }): NodeSpec => ({
  op: 'Gemm',
  name: '/0/Gemm',
  inputs: ['x', '0.weight', '0.bias'],
  outputs: [output],
  attributes,
});

async function predict(bytes: Uint8Array, input = INPUT): Promise<number[]> {
  return Array.from((await fromOnnx(bytes)).predict(input));
}

describe('fromOnnx: simdnet’s own export', () => {
  it('every activation, non-square layers: the same bits and predictions', async () => {
    for (const [i, activation] of ACTIVATIONS.filter((a) => a !== 'softmax').entries()) {
      const desc = randomDescription(10 + i, 5, [
        { units: 7, activation },
        { units: 4, activation: 'tanh' },
        { units: 3, activation: i % 2 ? 'softmax' : activation },
      ]);
      const model = await fromOnnx(toOnnx(desc));
      const back = model.describe();
      expect(back.inputSize).toBe(5);
      back.layers.forEach((layer, l) => {
        expect(layer.activation).toBe(desc.layers[l].activation);
        expect(new Uint32Array(layer.weights.buffer)).toEqual(new Uint32Array(desc.layers[l].weights.buffer));
        expect(new Uint32Array(layer.bias.buffer)).toEqual(new Uint32Array(desc.layers[l].bias.buffer));
      });
    }
  });

  it.each([13, 20] as const)(
    'batch norm, alpha, gelu, geluTanh, silu and dropout at opset %i: the same bits, alpha, epsilon and momentum',
    async (opset) => {
      const desc = randomDescription(77, 5, [
        { units: 7, activation: 'leakyRelu', alpha: 0.2, batchNorm: { epsilon: 1e-3, momentum: 0.25 }, dropout: 0.5 },
        { units: 6, activation: 'gelu', batchNorm: true },
        { units: 6, activation: 'geluTanh' },
        { units: 5, activation: 'silu', batchNorm: { epsilon: 0.01 } },
        { units: 4, activation: 'elu', alpha: 0.7 },
        { units: 3, activation: 'selu' },
      ]);
      const back = onnxToDescription(toOnnx(desc, { opset }));
      back.layers.forEach((layer, l) => {
        const original = desc.layers[l];
        expect(layer.activation).toBe(original.activation);
        expect(layer.alpha).toBe(original.alpha === undefined ? undefined : Math.fround(original.alpha));
        expect(new Uint32Array(layer.weights.buffer)).toEqual(new Uint32Array(original.weights.buffer));
        if (!original.batchNorm) return expect(layer.batchNorm).toBeUndefined();
        const bn = layer.batchNorm!;
        expect(bn.epsilon).toBe(Math.fround(original.batchNorm.epsilon));
        expect(bn.momentum).toBeCloseTo(original.batchNorm.momentum, 6);
        for (const key of ['gamma', 'beta', 'runningMean', 'runningVar'] as const)
          expect(bn[key], key).toEqual(original.batchNorm[key]);
      });
      const model = await fromOnnx(toOnnx(desc, { opset }));
      const input = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i) * 2);
      expect(maxAbsDifference(model.predict(input), referenceForward(desc, input, 3))).toBeLessThan(1e-5);
    },
  );

  it('a BatchNormalization in training mode, or before any layer, is an error naming the node', () => {
    const desc = randomDescription(78, 3, [{ units: 2, activation: 'relu', batchNorm: true }]);
    const graphBytes = toOnnx(desc);
    expect(() => onnxToDescription(graphBytes)).not.toThrow();
    const early = graph([
      { op: 'BatchNormalization', name: '/bn', inputs: ['x', '0.bias', '0.bias', '0.bias', '0.bias'], outputs: ['y'] },
    ]);
    expect(() => onnxToDescription(early)).toThrow(/BatchNormalization\) is supported only right after a Gemm/);
    const bn = (attributes: NodeSpec['attributes']): NodeSpec => ({
      op: 'BatchNormalization',
      name: '/1/bn',
      inputs: ['g', '0.bias', '0.bias', '0.bias', '0.bias'],
      outputs: ['y'],
      attributes,
    });
    // '0.bias' has a negative entry: fine as a mean, not as a variance.
    expect(() => onnxToDescription(graph([gemmNode('g'), bn({ training_mode: 0 })]))).toThrow(
      /"\/1\/bn" \(BatchNormalization\) has a negative or NaN running variance/,
    );
    expect(() => onnxToDescription(graph([gemmNode('g'), bn({ training_mode: 1 })]))).toThrow(
      /"\/1\/bn" \(BatchNormalization\) is in training mode/,
    );
  });

  it('options set the loss and optimizer; unknown options are errors', async () => {
    const desc = randomDescription(1, 3, [{ units: 2, activation: 'sigmoid' }]);
    const model = await fromOnnx(toOnnx(desc), { loss: 'mse', optimizer: 'sgd' });
    expect(model.loss).toBe('mse');
    expect(model.optimizer.type).toBe('sgd');
    await expect(fromOnnx(toOnnx(desc), { lr: 1 } as never)).rejects.toThrow(/unknown option 'lr'/);
  });
});

describe('fromOnnx: accepted graphs', () => {
  it('Gemm with transB=1 (PyTorch weight [out, in]) is transposed; without transB it is not', async () => {
    expect(await predict(graph([gemmNode()]))).toEqual(LINEAR_OUT);
    const plain: TensorSpec = { name: '0.weight', dims: [3, 2], values: [1, 4, 2, 5, 3, 6] };
    expect(await predict(graph([gemmNode('y', {})], [plain, B]))).toEqual(LINEAR_OUT);
  });

  it('Gemm alpha scales the weights and beta the bias; C may be absent', async () => {
    expect(await predict(graph([gemmNode('y', { transB: 1, alpha: { f: 2 }, beta: { f: 0.5 } })]))).toEqual([
      642.25,
      1308 - 50,
    ]);
    const noBias = { ...gemmNode(), inputs: ['x', '0.weight'] };
    expect(await predict(graph([noBias], [W]))).toEqual([321, 654]);
  });

  it('MatMul + Add, bias first or second; [1, units] and scalar biases broadcast', async () => {
    const wt: TensorSpec = { name: 'w', dims: [3, 2], values: [1, 4, 2, 5, 3, 6] };
    for (const addInputs of [
      ['mm', '0.bias'],
      ['0.bias', 'mm'],
    ]) {
      const bytes = graph(
        [
          { op: 'MatMul', name: '/0/MatMul', inputs: ['x', 'w'], outputs: ['mm'] },
          { op: 'Add', name: '/0/Add', inputs: addInputs, outputs: ['y'] },
        ],
        [wt, B],
      );
      expect(await predict(bytes)).toEqual(LINEAR_OUT);
    }
    const row: TensorSpec = { name: 'b', dims: [1, 2], values: [0.5, -100] };
    const nodes: NodeSpec[] = [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'b'], outputs: ['y'] },
    ];
    expect(await predict(graph(nodes, [wt, row]))).toEqual(LINEAR_OUT);
    expect(await predict(graph(nodes, [wt, { name: 'b', dims: [], values: [1] }]))).toEqual([322, 655]);
    expect(
      await predict(
        graph(
          [
            nodes[0],
            { ...nodes[1], inputs: ['mm', '0.bias'], outputs: ['z'] },
            { op: 'Relu', inputs: ['z'], outputs: ['y'] },
          ],
          [wt, B],
        ),
      ),
    ).toEqual(LINEAR_OUT);
  });

  it('Flatten or Reshape at the input, Dropout and Identity pass through, activations apply', async () => {
    const nchw = { name: 'x', dims: ['batch', 1, 3] as (number | string)[] };
    const flatten = onnxModel({
      nodes: [
        { op: 'Flatten', name: '/0/Flatten', inputs: ['x'], outputs: ['f'], attributes: { axis: 1 } },
        { ...gemmNode('g'), inputs: ['f', '0.weight', '0.bias'] },
        { op: 'Dropout', name: '/2/Dropout', inputs: ['g'], outputs: ['d'] },
        { op: 'Identity', inputs: ['d'], outputs: ['i'] },
        { op: 'Sigmoid', inputs: ['i'], outputs: ['y'] },
      ],
      initializers: [W, { ...B, values: [0.5, -656] }],
      input: nchw,
      output: Y,
    });
    const out = await predict(flatten);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
    const reshape = onnxModel({
      nodes: [
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
        { ...gemmNode('g'), inputs: ['r', '0.weight', '0.bias'] },
        { op: 'Tanh', inputs: ['g'], outputs: ['y'] },
      ],
      initializers: [W, { ...B, values: [-321, -654.5] }, { name: 'shape', dims: [2], values: [-1, 3], dataType: 7 }],
      input: nchw,
      output: Y,
    });
    const tanh = await predict(reshape);
    expect(tanh[0]).toBeCloseTo(Math.tanh(0), 6);
    expect(tanh[1]).toBeCloseTo(Math.tanh(-0.5), 6);
  });

  it('weights from Constant nodes, a folded Transpose, and non-raw storage', async () => {
    const bytes = graph(
      [
        {
          op: 'Constant',
          name: '/c',
          inputs: [],
          outputs: ['wc'],
          attributes: { value: { ...W, name: '', storage: 'float_data' } },
        },
        { op: 'Transpose', inputs: ['wc'], outputs: ['wt'], attributes: { perm: [1, 0] } },
        { op: 'Gemm', inputs: ['x', 'wt', 'bd'], outputs: ['y'] },
      ],
      [{ name: 'bd', dims: [2], values: [0.5, -100], dataType: 11, storage: 'double_data' }],
    );
    expect(await predict(bytes)).toEqual(LINEAR_OUT);
  });

  it('FLOAT16 and DOUBLE raw data are converted to f32', async () => {
    // half bits: 1, 2, 3, 4, 5, 6 ; bias 0.5, -100 as DOUBLE
    const half: TensorSpec = { ...W, dataType: 10, values: [0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600] };
    const double: TensorSpec = { ...B, dataType: 11 };
    expect(await predict(graph([gemmNode()], [half, double]))).toEqual(LINEAR_OUT);
  });

  it('Softmax over axis 1 or -1 is the output activation', async () => {
    const nodes = (axis: number): NodeSpec[] => [
      gemmNode('g'),
      { op: 'Softmax', name: '/s', inputs: ['g'], outputs: ['y'], attributes: { axis } },
    ];
    const model = await fromOnnx(graph(nodes(1), [W, { ...B, values: [0, -321] }]));
    expect(model.layers[0].activation).toBe('softmax');
    const p = model.predict(Float32Array.from([1, 0, 0])); // logits [1, 4 - 321]
    expect(p[0]).toBeCloseTo(1, 6);
    await expect(fromOnnx(graph(nodes(0)))).rejects.toThrow(/ONNX node "\/s" \(Softmax\) has axis 0/);
  });
});

describe('fromOnnx: rejected graphs and files', () => {
  it('an unsupported operator names the node and op type, and lists what is supported', async () => {
    const bytes = graph([gemmNode('g'), { op: 'PRelu', name: '/3/PRelu', inputs: ['g'], outputs: ['y'] }]);
    await expect(fromOnnx(bytes)).rejects.toThrow(
      'simdnet: ONNX node "/3/PRelu" (PRelu) is not supported; supported: Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softplus, Softmax, LeakyRelu, Elu, Selu, Gelu, BatchNormalization, Flatten, Reshape, Dropout, Identity, Constant, Transpose',
    );
    for (const op of ['Erf', 'Mish', 'HardSigmoid', 'LogSoftmax', 'Conv']) {
      const other = graph([gemmNode('g'), { op, name: `/n/${op}`, inputs: ['g'], outputs: ['y'] }]);
      expect(() => onnxToDescription(other)).toThrow(`ONNX node "/n/${op}" (${op}) is not supported`);
    }
    const domain = graph([
      gemmNode('g'),
      { op: 'Relu', name: '/r', inputs: ['g'], outputs: ['y'], domain: 'com.example' },
    ]);
    expect(() => onnxToDescription(domain)).toThrow('ONNX node "/r" (Relu) is not supported');
  });

  it('not an ONNX file: garbage, truncated, no graph', () => {
    expect(() => onnxToDescription(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(
      /simdnet: not a valid ONNX file/,
    );
    const good = graph([gemmNode()]);
    expect(() => onnxToDescription(good.subarray(0, good.length - 7))).toThrow(
      /not a valid ONNX file: .*past the end|truncated/,
    );
    expect(() => onnxToDescription(new Uint8Array([0x08, 0x08]))).toThrow(/no graph/);
  });

  it('two activations on one layer, an activation first, Add without MatMul', () => {
    const two = graph([
      gemmNode('g'),
      { op: 'Relu', name: '/r', inputs: ['g'], outputs: ['r'] },
      { op: 'Tanh', name: '/t', inputs: ['r'], outputs: ['y'] },
    ]);
    expect(() => onnxToDescription(two)).toThrow(`ONNX node "/t" (Tanh) follows another activation ('relu')`);
    const first = graph([
      { op: 'Relu', name: '/r', inputs: ['x'], outputs: ['r'] },
      { ...gemmNode(), inputs: ['r', '0.weight', '0.bias'] },
    ]);
    expect(() => onnxToDescription(first)).toThrow(`ONNX node "/r" (Relu) comes before any Gemm/MatMul layer`);
    const add = graph([gemmNode('g'), { op: 'Add', name: '/a', inputs: ['g', '0.bias'], outputs: ['y'] }]);
    expect(() => onnxToDescription(add)).toThrow(`ONNX node "/a" (Add) adds to a tensor that is not a MatMul output`);
  });

  it('a branch (a tensor that is not the chain), an output that is not its end, a missing weight', () => {
    const branch = graph([gemmNode('g'), { op: 'Relu', name: '/r', inputs: ['x'], outputs: ['y'] }]);
    expect(() => onnxToDescription(branch)).toThrow(
      /"\/r" \(Relu\) reads 'x', which is neither the previous layer's output \('g'\)/,
    );
    const end = graph([gemmNode('g'), { op: 'Relu', name: '/r', inputs: ['g'], outputs: ['z'] }]);
    expect(() => onnxToDescription(end)).toThrow(/graph output 'y' is not the end of the layer chain \('z'\)/);
    expect(() => onnxToDescription(graph([gemmNode()], [B]))).toThrow(
      /"\/0\/Gemm" \(Gemm\) reads '0.weight', which is neither/,
    );
  });

  it('shapes that do not chain, a bias of the wrong size, a weight that is not 2-D, transA', () => {
    const second: TensorSpec = { name: '2.weight', dims: [1, 3], values: [1, 1, 1] };
    const chainBreak = graph(
      [
        gemmNode('g'),
        { op: 'Gemm', name: '/2/Gemm', inputs: ['g', '2.weight'], outputs: ['y'], attributes: { transB: 1 } },
      ],
      [W, B, second],
    );
    expect(() => onnxToDescription(chainBreak)).toThrow(
      `ONNX node "/2/Gemm" (Gemm) takes 3 inputs, but the tensor it reads has 2 features`,
    );
    expect(() => onnxToDescription(graph([gemmNode()], [W, { ...B, dims: [3], values: [1, 2, 3] }]))).toThrow(
      /bias '0.bias' has shape \[3\]; expected \[2\]/,
    );
    expect(() => onnxToDescription(graph([gemmNode()], [{ ...W, dims: [6] }, B]))).toThrow(
      /weight matrix B '0.weight' has shape \[6\]/,
    );
    expect(() => onnxToDescription(graph([gemmNode('y', { transA: 1 })]))).toThrow(/has transA=1/);
    const wide = onnxModel({
      nodes: [gemmNode()],
      initializers: [W, B],
      input: { name: 'x', dims: ['batch', 2, 3] },
      output: Y,
    });
    expect(() => onnxToDescription(wide)).toThrow(/reads an input of shape \[batch, 2, 3\] without Flatten/);
  });

  it('Flatten after the first layer, a Reshape that is not to [batch, features]', () => {
    const late = graph([gemmNode('g'), { op: 'Flatten', name: '/f', inputs: ['g'], outputs: ['y'] }]);
    expect(() => onnxToDescription(late)).toThrow(`ONNX node "/f" (Flatten) is supported only at the input`);
    const reshape = graph(
      [
        { op: 'Reshape', name: '/rs', inputs: ['x', 's'], outputs: ['r'] },
        { ...gemmNode(), inputs: ['r', '0.weight', '0.bias'] },
      ],
      [W, B, { name: 's', dims: [3], values: [-1, 1, 3], dataType: 7 }],
    );
    expect(() => onnxToDescription(reshape)).toThrow(`ONNX node "/rs" (Reshape) reshapes to [-1, 1, 3]`);
  });

  it('tensors: external data, raw_data of the wrong size, an unreadable data type', () => {
    expect(() => onnxToDescription(graph([gemmNode()], [{ ...W, storage: 'external' }, B]))).toThrow(
      /tensor '0.weight' keeps its data in an external file/,
    );
    expect(() => onnxToDescription(graph([gemmNode()], [{ ...W, dims: [2, 4] }, B]))).toThrow(
      /tensor '0.weight' has 24 bytes of raw_data, but shape \[2, 4\] needs 8 × 4/,
    );
    expect(() => onnxToDescription(graph([gemmNode()], [{ ...W, dataType: 3 }, B]))).toThrow(
      /tensor '0.weight' has data type 3/,
    );
  });
});
