/**
 * `simdnet export --format onnx|safetensors|tfjs` and `simdnet import` for all three, run as a
 * user runs them: a model trained from CSV goes out and comes back with the same predictions
 * (bit for bit when the standardization travels unfolded in the metadata), a safetensors file
 * without simdnet metadata imports with --activations, and bad input is one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, irisLike, parseCsv, runCli, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

/** A .safetensors file as PyTorch writes one: tensors only, no simdnet metadata. */
function plainSafetensors(tensors: Record<string, { shape: number[]; values: number[] }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.length * 4] };
    offset += values.length * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const bytes = new Uint8Array(8 + json.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  bytes.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const { values } of Object.values(tensors)) {
    for (const v of values) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  return bytes;
}

const predictions = async (model: string) =>
  parseCsv(await runOk(['predict', model, '--csv', 'iris-holdout.csv'], cwd)).rows.map((row) =>
    row.slice(1).map(Number),
  );

function expectClose(actual: number[][], expected: number[][], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => row.forEach((p, j) => expect(Math.abs(p - expected[r][j])).toBeLessThan(tolerance)));
}

describe('export and import: onnx, safetensors, tfjs', () => {
  let original: string;

  beforeAll(async () => {
    scratch.write('iris.csv', toCsv(irisLike(150, 1)));
    scratch.write('iris-holdout.csv', toCsv(irisLike(30, 2)));
    const train = ['train', '--csv', 'iris.csv', '--label', 'species', '--layers', '12,8', '--activation', 'tanh,relu'];
    await runOk([...train, '--epochs', '10', '--batch-size', '16', '--seed', '3', '--save', 'iris.model'], cwd);
    original = await runOk(['predict', 'iris.model', '--csv', 'iris-holdout.csv'], cwd);
  });

  it('safetensors: unfolded comes back bit for bit with class names; folded within 2e-5', async () => {
    expect(
      await runOk(['export', 'iris.model', '--format', 'safetensors', '--no-fold', '--out', 'raw.safetensors'], cwd),
    ).toMatch(/^wrote raw\.safetensors \(safetensors, F32, 0\.weight\/bias, 2\.weight\/bias, 4\.weight\/bias/);
    expect(await runOk(['import', 'raw.safetensors', '--out', 'raw.model'], cwd)).toMatch(
      /^wrote raw\.model: 4-12-8-3 .* loss crossEntropy/,
    );
    expect(await runOk(['predict', 'raw.model', '--csv', 'iris-holdout.csv'], cwd)).toBe(original);

    await runOk(['export', 'iris.model', '--format', 'safetensors', '--out', 'folded.safetensors'], cwd);
    const header = readFileSync(join(cwd, 'folded.safetensors')).subarray(8, 4000).toString('utf8');
    expect(header).toContain('"0.weight":{"dtype":"F32","shape":[12,4]');
    await runOk(['import', 'folded.safetensors', '--out', 'folded.model'], cwd);
    const folded = parseCsv(await runOk(['predict', 'folded.model', '--csv', 'iris-holdout.csv'], cwd));
    expect(folded.header).toEqual(parseCsv(original).header); // class names came back
    expectClose(await predictions('folded.model'), await predictions('iris.model'), 2e-5);
  });

  it('onnx: export, import (.onnx), the same predictions within 2e-5', async () => {
    await runOk(['export', 'iris.model', '--format', 'onnx', '--out', 'iris.onnx'], cwd);
    expect(await runOk(['import', 'iris.onnx', '--out', 'onnx.model'], cwd)).toMatch(/^wrote onnx\.model: 4-12-8-3/);
    // ONNX carries no feature names: the imported model reads the first 4 columns, so give it only those.
    const holdout = irisLike(30, 2);
    scratch.write(
      'iris-features.csv',
      toCsv({ header: holdout.header.slice(0, 4), rows: holdout.rows.map((r) => r.slice(0, 4)) }),
    );
    const fromOnnx = parseCsv(await runOk(['predict', 'onnx.model', '--csv', 'iris-features.csv'], cwd)).rows;
    expectClose(
      fromOnnx.map((row) => row.slice(1).map(Number)),
      await predictions('iris.model'),
      2e-5,
    );
  });

  it('tfjs: export, import (model.json, or --format tfjs), the same predictions', async () => {
    await runOk(['export', 'iris.model', '--format', 'tfjs', '--no-fold', '--out', 'iris-tfjs'], cwd);
    await runOk(['import', join('iris-tfjs', 'model.json'), '--out', 'tfjs.model'], cwd);
    expect(await runOk(['predict', 'tfjs.model', '--csv', 'iris-holdout.csv'], cwd)).toBe(original);
    await runOk(['import', join('iris-tfjs', 'model.json'), '--format', 'tfjs', '--out', 'tfjs2.model'], cwd);
  });

  it('a PyTorch safetensors file imports with --activations (and --loss)', async () => {
    // nn.Sequential(Linear(4, 2), ReLU(), Linear(2, 3)) trained on logits.
    scratch.write(
      'torch.safetensors',
      plainSafetensors({
        '0.weight': { shape: [2, 4], values: [1, 0, 0, 0, 0, 0, 1, 0] },
        '0.bias': { shape: [2], values: [0, 0] },
        '2.weight': { shape: [3, 2], values: [1, 0, 0, 1, 1, 1] },
        '2.bias': { shape: [3], values: [0, 0, 0] },
      }),
    );
    expectOneLineError(await runCli(['import', 'torch.safetensors', '--out', 't.model'], cwd), /pass \{ activations/);
    expect(
      await runOk(
        ['import', 'torch.safetensors', '--activations', 'relu,softmax', '--loss', 'mse', '--out', 't.model'],
        cwd,
      ),
    ).toMatch(/^wrote t\.model: 4-2-3 \(19 parameters\), loss mse/);
    expect(await runOk(['info', 't.model'], cwd)).toMatch(/softmax/);
  });

  it('bad input: one line on stderr', async () => {
    expectOneLineError(
      await runCli(['export', 'iris.model', '--format', 'pt', '--out', 'x'], cwd),
      /onnx, safetensors, tfjs/,
    );
    scratch.write('weights.bin', new Uint8Array(16));
    // Any other extension is read as model.json, as import did before it knew other formats.
    expectOneLineError(
      await runCli(['import', 'weights.bin', '--out', 'x.model'], cwd),
      /weights\.bin: not valid JSON/,
    );
    expectOneLineError(
      await runCli(['import', 'iris.onnx', '--activations', 'relu', '--out', 'x.model'], cwd),
      /--activations is for safetensors files only/,
    );
    expectOneLineError(
      await runCli(['import', 'torch.safetensors', '--activations', 'relu,swish', '--out', 'x.model'], cwd),
      /unknown activation 'swish'/,
    );
    scratch.write('broken.safetensors', new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1]));
    expectOneLineError(
      await runCli(['import', 'broken.safetensors', '--out', 'x.model'], cwd),
      /broken\.safetensors: fromSafetensors: not a valid safetensors file: header length 4294967295 bytes exceeds the 100000000-byte cap/,
    );
    scratch.write('short.safetensors', new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0, 123]));
    expectOneLineError(
      await runCli(['import', 'short.safetensors', '--out', 'x.model'], cwd),
      /header length 16 bytes is larger than the file \(9 bytes\)/,
    );
    expectOneLineError(
      await runCli(['import', 'weights.bin', '--format', 'onnx', '--out', 'x.model'], cwd),
      /weights\.bin: (not a valid ONNX file|.*no graph)/,
    );
    expectOneLineError(await runCli(['import', 'missing.onnx', '--out', 'x.model'], cwd), /missing\.onnx/);
  });
});
