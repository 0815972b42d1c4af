/**
 * safetensors in simdnet alone: the layout written (names, [out, in] weights, 8-byte aligned
 * header, metadata), the round trip to the same bits, the dtypes read with conversion, and one
 * test per kind of bad file, each expecting an Error that names the problem.
 * (PyTorch reading and writing the same files: pytorch-roundtrip.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createModel, fromSafetensors, toSafetensors } from '../../src/index.js';
import { readSafetensorsFile, SAFETENSORS_MAX_HEADER_BYTES } from '../../src/io/safetensors.js';
import { randomDescription } from './reference-model.js';

interface Entry {
  dtype: string;
  shape: number[];
  /** Default: the next bytes after the previous entry. */
  offsets?: [number, number];
  bytes: Uint8Array;
}

/** A hand-made .safetensors file; `tamper` edits the header object before it is encoded. */
function encode(
  entries: Record<string, Entry>,
  metadata?: Record<string, string>,
  tamper: (header: Record<string, unknown>) => void = () => {},
): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, entry] of Object.entries(entries)) {
    const offsets = entry.offsets ?? [offset, offset + entry.bytes.length];
    header[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: offsets };
    offset += entry.bytes.length;
  }
  tamper(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const data = Object.values(entries).map((e) => e.bytes);
  const out = new Uint8Array(8 + json.length + data.reduce((n, d) => n + d.length, 0));
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const d of data) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
/** A valid 3-2 file ('0.weight' [2, 3], '0.bias' [2]) and its entries, to break one thing at a time. */
const linear = (): Record<string, Entry> => ({
  '0.weight': { dtype: 'F32', shape: [2, 3], bytes: f32([1, 2, 3, 4, 5, 6]) },
  '0.bias': { dtype: 'F32', shape: [2], bytes: f32([0.5, -0.5]) },
});

async function expectError(bytes: Uint8Array, pattern: RegExp, options: object = { activations: ['linear'] }) {
  await expect(fromSafetensors(bytes, options)).rejects.toThrow(pattern);
}

describe('toSafetensors', () => {
  it('writes nn.Sequential names, [out, in] weights, an 8-byte aligned header and the spec', async () => {
    const desc = randomDescription(3, 5, [
      { units: 7, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]);
    const bytes = toSafetensors(desc, { metadata: { note: 'hello' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const file = readSafetensorsFile(bytes);
    expect(file.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape}]`)).toEqual([
      '0.weight F32 [7,5]',
      '0.bias F32 [7]',
      '2.weight F32 [3,7]',
      '2.bias F32 [3]',
    ]);
    // PyTorch's weight[o][i] is simdnet's W[i][o].
    const weight = new Float32Array(file.tensors[2].bytes.slice().buffer);
    for (let o = 0; o < 3; o++)
      for (let i = 0; i < 7; i++) expect(weight[o * 7 + i]).toBe(desc.layers[1].weights[i * 3 + o]);
    expect(file.metadata.format).toBe('pt');
    expect(file.metadata.note).toBe('hello');
    expect(JSON.parse(file.metadata['simdnet.spec'])).toEqual({
      inputSize: 5,
      layers: [
        { units: 7, activation: 'relu' },
        { units: 3, activation: 'softmax' },
      ],
    });
  });

  it('a model round-trips to the same bits, architecture, loss and optimizer', async () => {
    const model = await createModel({
      inputSize: 4,
      layers: [
        { units: 6, activation: 'tanh' },
        { units: 5, activation: 'softplus' },
        { units: 1, activation: 'sigmoid' },
      ],
      optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9 },
      seed: 9,
    });
    const loaded = await fromSafetensors(toSafetensors(model, { metadata: { run: '7' } }));
    expect(loaded.layers).toEqual(model.layers);
    expect(loaded.loss).toBe('binaryCrossEntropy');
    expect(loaded.optimizer).toEqual(model.optimizer);
    expect(loaded.metadata).toEqual({ run: '7' });
    const before = model.describe();
    const after = loaded.describe();
    before.layers.forEach((layer, l) => {
      expect(new Uint32Array(after.layers[l].weights.buffer)).toEqual(new Uint32Array(layer.weights.buffer));
      expect(new Uint32Array(after.layers[l].bias.buffer)).toEqual(new Uint32Array(layer.bias.buffer));
    });
    const inputs = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    expect(loaded.predict(inputs)).toEqual(model.predict(inputs));
  });

  it('rejects unknown options and reserved metadata keys', () => {
    const desc = randomDescription(1, 2, [{ units: 2, activation: 'relu' }]);
    expect(() => toSafetensors(desc, { dtype: 'F16' } as never)).toThrow(/unknown option 'dtype'/);
    expect(() => toSafetensors(desc, { metadata: { format: 'np' } })).toThrow(/'format' is reserved/);
    expect(() => toSafetensors(desc, { metadata: { n: 3 as never } })).toThrow(/must be a string/);
  });
});

describe('fromSafetensors: architecture', () => {
  it('infers units from the shapes, activations given; a common prefix and index gaps are fine', async () => {
    const bytes = encode({
      'net.0.weight': { dtype: 'F32', shape: [2, 3], bytes: f32([1, 0, 0, 0, 1, 0]) },
      'net.0.bias': { dtype: 'F32', shape: [2], bytes: f32([0, -10]) },
      'net.3.weight': { dtype: 'F32', shape: [1, 2], bytes: f32([2, 3]) },
      'net.3.bias': { dtype: 'F32', shape: [1], bytes: f32([1]) },
    });
    const model = await fromSafetensors(bytes, { activations: ['relu', 'linear'] });
    expect(model.inputSize).toBe(3);
    expect(model.layers.map((l) => `${l.units} ${l.activation}`)).toEqual(['2 relu', '1 linear']);
    // [x0, x1 - 10] -> relu -> 2 relu0 + 3 relu1 + 1: relu must be applied (x1 - 10 < 0).
    expect(Array.from(model.predict(Float32Array.from([1, 2, 3])))).toEqual([2 * 1 + 0 + 1]);
    expect(model.metadata).toEqual({});
  });

  it('loads into a given spec, and a spec that does not match the shapes is an error', async () => {
    const spec = { inputSize: 3, layers: [{ units: 2, activation: 'sigmoid' as const }], loss: 'mse' as const };
    const model = await fromSafetensors(encode(linear()), spec);
    expect(model.loss).toBe('mse');
    expect(model.layers[0].activation).toBe('sigmoid');
    await expectError(encode(linear()), /'0.weight' has shape \[2, 3\], but the spec needs \[units, in\] = \[4, 3\]/, {
      inputSize: 3,
      layers: [{ units: 4 }],
    });
    await expectError(encode(linear()), /'0.weight' has shape \[2, 3\], but the spec needs \[units, in\] = \[2, 5\]/, {
      inputSize: 5,
      layers: [{ units: 2 }],
    });
    await expectError(encode(linear()), /the spec has 2 layers but the file has 1 Linear layers/, {
      inputSize: 3,
      layers: [{ units: 2 }, { units: 1 }],
    });
  });

  it('the weights are transposed on the way in: y = x · Wᵀ + b with PyTorch weight [out, in]', async () => {
    const model = await fromSafetensors(encode(linear()), { activations: ['linear'] });
    // weight [[1, 2, 3], [4, 5, 6]], x = [1, 10, 100]: y = [321 + 0.5, 654 - 0.5]
    expect(Array.from(model.predict(Float32Array.from([1, 10, 100])))).toEqual([321.5, 653.5]);
  });

  it('reads F16, BF16 and F64 with conversion to f32', async () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x8000]).buffer); // 1 -2 0.5 2^-24 65504 -0
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1 -3
    const f64 = new Uint8Array(Float64Array.from([0.1, 1e-3]).buffer);
    const model = await fromSafetensors(
      encode({
        '0.weight': { dtype: 'F16', shape: [2, 3], bytes: half },
        '0.bias': { dtype: 'BF16', shape: [2], bytes: bf16 },
        '2.weight': { dtype: 'F64', shape: [1, 2], bytes: f64 },
        '2.bias': { dtype: 'F16', shape: [1], bytes: new Uint8Array(new Uint16Array([0x3c00]).buffer) },
      }),
      { activations: ['linear', 'linear'] },
    );
    const desc = model.describe();
    // torch weight [[1, -2, 0.5], [2^-24, 65504, -0]] is W [3, 2] = its transpose
    expect(Array.from(desc.layers[0].weights)).toEqual([1, 2 ** -24, -2, 65504, 0.5, -0]);
    expect(Array.from(desc.layers[0].bias)).toEqual([1, -3]);
    expect(Array.from(desc.layers[1].weights)).toEqual([Math.fround(0.1), Math.fround(1e-3)]);
  });

  it('a file without simdnet metadata needs activations; options are strict', async () => {
    await expectError(encode(linear()), /no simdnet architecture in its __metadata__.*pass \{ activations/, {});
    await expectError(
      encode(linear()),
      /one activation per Linear layer: the file has 1 \(0.weight\), activations has 2/,
      {
        activations: ['relu', 'relu'],
      },
    );
    await expectError(encode(linear()), /activations\[0\] is 'mish'/, { activations: ['mish'] });
    await expectError(encode(linear()), /unknown option 'activation'/, { activation: ['relu'] });
    await expectError(encode(linear()), /either layers .* or activations, not both/, {
      activations: ['relu'],
      layers: [{ units: 2 }],
    });
    await expectError(encode(linear()), /inputSize is 4, but tensor '0.weight' \[2, 3\] takes 3 inputs/, {
      activations: ['relu'],
      inputSize: 4,
    });
  });
});

describe('fromSafetensors: bad files', () => {
  const withLength = (bytes: Uint8Array, length: bigint) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setBigUint64(0, length, true);
    return copy;
  };

  it('too short for the header length', async () => {
    await expectError(new Uint8Array(5), /5 bytes is too short/);
  });

  it('header length above the cap, or larger than the file', async () => {
    const good = encode(linear());
    await expectError(withLength(good, BigInt(SAFETENSORS_MAX_HEADER_BYTES) + 1n), /exceeds the 100000000-byte cap/);
    await expectError(withLength(good, 2n ** 63n), /exceeds the 100000000-byte cap/);
    await expectError(withLength(good, BigInt(good.length)), /larger than the file/);
  });

  it('header not JSON, or not an object', async () => {
    const good = encode(linear());
    const broken = good.slice();
    broken[8] = 0x5b; // '[' : the JSON no longer parses
    await expectError(broken, /header is not valid JSON/);
    const array = new TextEncoder().encode('[1,2]   ');
    const file = new Uint8Array(8 + array.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(array.length), true);
    file.set(array, 8);
    await expectError(file, /not a JSON object of tensors/);
    const invalidUtf8 = good.slice();
    invalidUtf8[9] = 0xff;
    await expectError(invalidUtf8, /header is not valid JSON/);
  });

  it('unknown dtype, and a known dtype that is not a float', async () => {
    const entries = linear();
    entries['0.bias'].dtype = 'F24';
    await expectError(encode(entries), /tensor '0.bias' has unknown dtype "F24"/);
    const ints = linear();
    ints['0.bias'] = { dtype: 'I32', shape: [2], bytes: new Uint8Array(8) };
    await expectError(encode(ints), /tensor '0.bias' has dtype I32; weights must be one of F32, F64, F16, BF16/);
  });

  it('byte length that is not shape × dtype size', async () => {
    const entries = linear();
    entries['0.weight'].shape = [2, 2];
    await expectError(encode(entries), /'0.weight' has 24 bytes, but shape \[2, 2\] of F32 needs 4 × 4 = 16/);
    const f16 = linear();
    f16['0.bias'].dtype = 'F16';
    await expectError(encode(f16), /'0.bias' has 8 bytes, but shape \[2\] of F16 needs 2 × 2 = 4/);
  });

  it('bad shape or offsets entries', async () => {
    await expectError(
      encode(linear(), undefined, (h) => {
        (h['0.bias'] as { shape: unknown }).shape = [-2];
      }),
      /'0.bias' has shape \[-2\]/,
    );
    await expectError(
      encode(linear(), undefined, (h) => {
        (h['0.bias'] as { data_offsets: unknown }).data_offsets = [28, 24];
      }),
      /'0.bias' has data_offsets \[28,24\]/,
    );
  });

  it('offsets outside the data section', async () => {
    const entries = linear();
    entries['0.bias'].offsets = [28, 36];
    await expectError(encode(entries), /'0.bias' data_offsets \[28, 36\] lie outside the 32-byte data section/);
  });

  it('overlapping tensors', async () => {
    const entries = linear();
    entries['0.bias'].offsets = [16, 24];
    await expectError(encode(entries), /tensor '0.bias' \[16, 24\] overlaps tensor '0.weight' \(ends at 24\)/);
  });

  it('a gap in the data, or data the tensors do not cover', async () => {
    // 4 unclaimed bytes between the weight [0, 24) and the bias [28, 36)
    const gap = encode({
      '0.weight': { dtype: 'F32', shape: [2, 3], offsets: [0, 24], bytes: f32([1, 2, 3, 4, 5, 6, 0]) },
      '0.bias': { dtype: 'F32', shape: [2], offsets: [28, 36], bytes: f32([0, 0]) },
    });
    await expectError(gap, /bytes \[24, 28\) of the data section belong to no tensor/);
    const good = encode(linear());
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    await expectError(longer, /the data section has 36 bytes but the tensors cover only 32/);
  });

  it('shapes that do not chain, a missing weight or bias, a 1-D weight', async () => {
    await expectError(
      encode({
        ...linear(),
        '2.weight': { dtype: 'F32', shape: [1, 3], bytes: f32([1, 1, 1]) },
        '2.bias': { dtype: 'F32', shape: [1], bytes: f32([0]) },
      }),
      /shapes do not chain: '2.weight' \[1, 3\] takes 3 inputs, but '0.weight' gives 2 outputs/,
      { activations: ['relu', 'linear'] },
    );
    const noBias = linear();
    delete (noBias as Record<string, Entry>)['0.bias'];
    await expectError(encode(noBias), /tensor '0.bias' is missing/);
    const noWeight = linear();
    delete (noWeight as Record<string, Entry>)['0.weight'];
    await expectError(encode(noWeight), /tensor '0.weight' is missing/);
    await expectError(
      encode({
        '0.weight': { dtype: 'F32', shape: [2], bytes: f32([1, 1]) },
        '0.bias': { dtype: 'F32', shape: [2], bytes: f32([0, 0]) },
      }),
      /'0' is a BatchNorm1d that does not follow a Linear layer/,
    );
    await expectError(
      encode({
        '0.weight': { dtype: 'F32', shape: [2, 3, 1], bytes: f32([1, 1, 1, 1, 1, 1]) },
        '0.bias': linear()['0.bias'],
      }),
      /'0.weight' has shape \[2, 3, 1\]; a Linear weight is 2-D/,
    );
    const badBias = linear();
    badBias['0.bias'] = { dtype: 'F32', shape: [3], bytes: f32([0, 0, 0]) };
    await expectError(encode(badBias), /'0.bias' has shape \[3\], but '0.weight' \[2, 3\] needs \[2\]/);
  });

  it('tensors that are not Linear parameters: an incomplete batch norm, other names, mixed prefixes', async () => {
    await expectError(
      encode({ ...linear(), '1.running_mean': { dtype: 'F32', shape: [2], bytes: f32([0, 0]) } }),
      /tensor '1.weight' of the BatchNorm1d at 1 is missing/,
    );
    await expectError(
      encode({ ...linear(), '0.momentum': { dtype: 'F32', shape: [2], bytes: f32([0, 0]) } }),
      /'0.momentum' is not a Linear or BatchNorm1d parameter/,
    );
    await expectError(
      encode({ ...linear(), 'fc1.weight': { dtype: 'F32', shape: [2], bytes: f32([0, 0]) } }),
      /'fc1.weight' is not named like an nn.Sequential state_dict entry/,
    );
    await expectError(
      encode({ '0.weight': linear()['0.weight'], 'net.0.bias': linear()['0.bias'] }),
      /'net.0.bias' does not share the prefix ''/,
    );
    await expectError(encode({}), /the file holds no tensors/);
  });

  it('a bad simdnet.spec in the metadata', async () => {
    await expectError(encode(linear(), { 'simdnet.spec': '{oops' }), /'simdnet.spec' is not valid JSON/, {});
    await expectError(
      encode(linear(), { 'simdnet.spec': '{"inputSize":3}' }),
      /'simdnet.spec' has no layers array/,
      {},
    );
    await expectError(
      encode(linear(), { 'simdnet.spec': '{"inputSize":3,"layers":[{"units":5,"activation":"relu"}]}' }),
      /'0.weight' has shape \[2, 3\], but the file's simdnet.spec metadata needs \[units, in\] = \[5, 3\]/,
      {},
    );
    await expectError(encode(linear(), { n: 3 as never }), /__metadata__ 'n' is not a string/);
  });

  it('non-finite weights are rejected', async () => {
    const entries = linear();
    entries['0.bias'].bytes = f32([Number.NaN, 0]);
    await expectError(encode(entries), /weights contain NaN/);
  });
});

describe('batch norm, dropout and alpha: nn.Sequential(Linear, BatchNorm1d, act, Dropout, ...) numbering', () => {
  const desc = randomDescription(91, 4, [
    { units: 5, activation: 'leakyRelu', alpha: 0.2, batchNorm: { epsilon: 1e-3, momentum: 0.3 }, dropout: 0.25 },
    { units: 6, activation: 'gelu' },
    { units: 3, activation: 'softmax', batchNorm: true },
  ]);

  it('names every tensor at its nn.Sequential index; num_batches_tracked is an I64 scalar', () => {
    const file = readSafetensorsFile(toSafetensors(desc));
    const bn = (k: number) =>
      ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((p) => `${k}.${p}`);
    // 0 Linear, 1 BatchNorm1d, 2 LeakyReLU, 3 Dropout, 4 Linear, 5 GELU, 6 Linear, 7 BatchNorm1d, 8 Softmax
    expect(file.tensors.map((t) => t.name)).toEqual([
      '0.weight',
      '0.bias',
      ...bn(1),
      '4.weight',
      '4.bias',
      '6.weight',
      '6.bias',
      ...bn(7),
    ]);
    const count = file.tensors.find((t) => t.name === '1.num_batches_tracked')!;
    expect([count.dtype, count.shape, count.bytes.length]).toEqual(['I64', [], 8]);
    const byName = new Map(file.tensors.map((t) => [t.name, new Float32Array(t.bytes.slice().buffer)]));
    expect(byName.get('1.weight')).toEqual(desc.layers[0].batchNorm!.gamma);
    expect(byName.get('1.bias')).toEqual(desc.layers[0].batchNorm!.beta);
    expect(byName.get('1.running_mean')).toEqual(desc.layers[0].batchNorm!.runningMean);
    expect(byName.get('1.running_var')).toEqual(desc.layers[0].batchNorm!.runningVar);
  });

  it('a file simdnet wrote loads alone: the same bits, alpha, dropout, epsilon and momentum', async () => {
    const back = (await fromSafetensors(toSafetensors(desc))).describe();
    back.layers.forEach((layer, l) => {
      const original = desc.layers[l];
      expect(layer.activation).toBe(original.activation);
      expect(layer.weights).toEqual(original.weights);
      expect(layer.alpha ?? 'default').toBe(original.alpha ?? (original.activation === 'leakyRelu' ? 0.01 : 'default'));
      expect(layer.dropout ?? 0).toBe(original.dropout ?? 0);
      if (!original.batchNorm) return expect(layer.batchNorm).toBeUndefined();
      expect(layer.batchNorm).toEqual(original.batchNorm);
    });
  });

  it('with activations only, batch norm comes from the tensors, epsilon and momentum from the batchNorm option', async () => {
    const bytes = toSafetensors(desc);
    const { tensors } = readSafetensorsFile(bytes);
    const entries = Object.fromEntries(
      tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, bytes: t.bytes.slice() }]),
    );
    const plain = encode(entries); // no simdnet metadata: as PyTorch writes it
    const model = await fromSafetensors(plain, {
      activations: ['leakyRelu', 'gelu', 'softmax'],
      batchNorm: { epsilon: 1e-3, momentum: 0.3 },
    });
    const layers = model.describe().layers;
    expect(layers[0].batchNorm).toEqual(desc.layers[0].batchNorm);
    expect(layers[2].batchNorm?.epsilon).toBe(1e-3);
    const defaults = (await fromSafetensors(plain, { activations: ['leakyRelu', 'gelu', 'softmax'] })).describe();
    expect([defaults.layers[2].batchNorm?.epsilon, defaults.layers[2].batchNorm?.momentum]).toEqual([1e-5, 0.1]);
    expect(defaults.layers[2].batchNorm?.runningVar).toEqual(desc.layers[2].batchNorm!.runningVar);
  });

  it('bad batch norm tensors are named errors', async () => {
    const base = linear();
    const v = (n: number) => ({ dtype: 'F32', shape: [n], bytes: f32(Array(n).fill(1)) });
    const full = { ...base, '1.weight': v(2), '1.bias': v(2), '1.running_mean': v(2), '1.running_var': v(2) };
    await expect(fromSafetensors(encode(full), { activations: ['relu'] })).resolves.toBeDefined();
    await expectError(
      encode({ ...full, '1.running_var': v(3) }),
      /'1.running_var' has shape \[3\], but the Linear before it gives 2 features/,
    );
    await expectError(
      encode({ ...full, '1.num_batches_tracked': { dtype: 'F32', shape: [], bytes: f32([0]) } }),
      /'1.num_batches_tracked' has dtype F32 and shape \[\]; expected one integer \(I64\)/,
    );
    await expectError(
      encode(full, { 'simdnet.spec': JSON.stringify({ inputSize: 3, layers: [{ units: 2, activation: 'relu' }] }) }),
      /layer 0 \('0.weight'\) has BatchNorm1d tensors in the file but no batchNorm in the spec/,
      {},
    );
  });
});
