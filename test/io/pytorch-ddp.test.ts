/**
 * examples/pytorch-ddp, run as a user runs it: simdnet trains and exports (train.mjs), two
 * PyTorch processes on 127.0.0.1 train further with DistributedDataParallel over gloo
 * (train_ddp.py, env:// rendezvous on a free port), and the result comes back into simdnet
 * (predict.mjs). Checks: both ranks took part; the weights simdnet loads are bit for bit the
 * f32 values in the file PyTorch wrote (read independently by ./pytorch/safetensors_io.py);
 * simdnet predicts what PyTorch predicts from that file (1e-5); DDP changed the weights.
 * Skipped with the reason printed when python3 or torch is missing, unless CI is set.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fromSafetensors } from '../../src/index.js';
import { PYTHON, skipWithoutPython, TORCH_ENV, TorchWorker } from './pytorch/torch.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(REPO, 'examples', 'pytorch-ddp');
const skip = skipWithoutPython(['torch', 'torch.distributed'], 'the PyTorch DDP example test');
const dir = mkdtempSync(join(tmpdir(), 'simdnet-ddp-'));
const torch = skip ? undefined : new TorchWorker();
afterAll(() => {
  torch?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${status}:\n${stderr}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface TorchFile {
  outputs: number[];
  weights: Record<string, number[]>;
  shapes: Record<string, number[]>;
}

describe.skipIf(skip)('examples/pytorch-ddp', () => {
  it('simdnet -> DistributedDataParallel on 2 processes -> simdnet, bit-exact', async () => {
    if (!existsSync(join(REPO, 'dist', 'index.node.js')))
      throw new Error('dist/ is missing: run `npm run build` first');
    expect(await run(process.execPath, [join(EXAMPLE, 'train.mjs'), dir])).toMatch(/accuracy 0\.\d+/);

    const port = await freePort();
    const ranks = [0, 1].map((rank) =>
      run(
        PYTHON,
        [
          join(EXAMPLE, 'train_ddp.py'),
          ...['--model', join(dir, 'model.safetensors'), '--data', join(dir, 'data.csv')],
          ...['--out', join(dir, 'model-ddp.safetensors'), '--epochs', '3'],
        ],
        {
          ...TORCH_ENV,
          ...{ MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), WORLD_SIZE: '2', RANK: String(rank) },
          // gloo otherwise picks the interface its host name resolves to, which a container may not have.
          GLOO_SOCKET_IFNAME: 'lo',
        },
      ),
    );
    const [rank0, rank1] = await Promise.all(ranks);
    expect(rank0).toMatch(/epoch 3: loss [\d.]+ \(2 ranks\)/);
    expect(rank1).toBe(''); // only rank 0 reports and writes

    const model = await fromSafetensors(readFileSync(join(dir, 'model-ddp.safetensors')));
    expect(model.metadata.trainedWith).toBe('DistributedDataParallel, 2 ranks');
    const inputs = Float32Array.from({ length: 20 * model.inputSize }, (_, i) => Math.sin(i * 0.37));
    const saved = await torch!.run<TorchFile>({
      cmd: 'predict',
      safetensors: join(dir, 'model-ddp.safetensors'),
      activations: model.layers.map((l) => l.activation),
      inputs: Array.from(inputs),
    });
    const initial = await torch!.run<TorchFile>({
      cmd: 'predict',
      safetensors: join(dir, 'model.safetensors'),
      activations: model.layers.map((l) => l.activation),
      inputs: [],
    });

    // simdnet's W [in, units] is the transpose of PyTorch's weight [units, in]: compare every f32's bits.
    const bits = (values: ArrayLike<number>) => new Uint32Array(Float32Array.from(values).buffer);
    model.describe().layers.forEach((layer, l) => {
      const [units, inputsPerUnit] = saved.shapes[`${2 * l}.weight`];
      expect(units).toBe(layer.units);
      const torchWeight = saved.weights[`${2 * l}.weight`];
      const transposed = Float32Array.from({ length: units * inputsPerUnit }, (_, k) => {
        const i = Math.floor(k / units);
        const o = k % units;
        return torchWeight[o * inputsPerUnit + i];
      });
      expect(bits(layer.weights)).toEqual(bits(transposed));
      expect(bits(layer.bias)).toEqual(bits(saved.weights[`${2 * l}.bias`]));
      // DDP trained: the weights are not the ones simdnet exported.
      expect(bits(torchWeight)).not.toEqual(bits(initial.weights[`${2 * l}.weight`]));
    });
    const predicted = model.predict(inputs);
    let largest = 0;
    for (let i = 0; i < predicted.length; i++) largest = Math.max(largest, Math.abs(predicted[i] - saved.outputs[i]));
    expect(largest).toBeLessThanOrEqual(1e-5);

    const back = await run(process.execPath, [join(EXAMPLE, 'predict.mjs'), dir]);
    expect(back).toMatch(/the DDP-trained model, accuracy 0\.\d+/);
    expect(back).toMatch(/after 1 epoch of fine-tuning, accuracy 0\.\d+/);
  });
});
