/**
 * Models and data past 2 GiB of WebAssembly memory: trains one small batch, evaluates and
 * predicts, with addresses at and above 2³¹ (the host must treat them as unsigned), and
 * reports the wall time of each step and the peak RSS. Two cases, each in its own child
 * process (so each peak RSS is its own):
 *
 *   model  50000-3200-10 (160 M parameters: W, its gradient, two Adam moments and its packed
 *          copy take ~3.0 GiB), 256 dense float rows: the optimizer state, the packed weights
 *          and the data lie past 2 GiB
 *   data   784-16-10 on 3.5 M rows of bytes (2.6 GiB in memory): rows past 2 GiB are gathered
 *          by fit, evaluate and predict
 *
 *   npm run build
 *   npx esbuild bench/big-model.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/bench/big-model.mjs && node build/bench/big-model.mjs [--case model|data] [--threads N]
 *
 * Needs ~6 GB of free RAM per case (the JavaScript copy of the data plus the model's memory).
 * Measured 2026-12-03 on the 2-core dev machine (shared with other jobs, Node 20.20.2): see
 * docs/architecture.md, "Memory past 2 GiB".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, init } from '../src/index';
import { initThreads } from '../src/runtime/load';
import { engineOf } from '../src/model/model';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function peakRssMB(): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Seconds `run` takes, and its result. */
async function timed<T>(run: () => T | Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await run();
  return [(performance.now() - start) / 1000, result];
}

interface Case {
  inputSize: number;
  hidden: number;
  rows: number;
  bytes: boolean;
}

const CASES: Record<string, Case> = {
  model: { inputSize: 50_000, hidden: 3200, rows: 256, bytes: false },
  data: { inputSize: 784, hidden: 16, rows: 3_500_000, bytes: true },
};

async function runCase(name: string, threads: number): Promise<void> {
  const c = CASES[name];
  await init(readFileSync(path.join(root, 'build', 'simdnet.wasm')));
  if (threads > 1) await initThreads(readFileSync(path.join(root, 'build', 'simdnet-threads.wasm')));
  const [createSeconds, model] = await timed(() =>
    createModel({
      inputSize: c.inputSize,
      layers: [
        { units: c.hidden, activation: 'relu' },
        { units: 10, activation: 'softmax' },
      ],
      threads,
    }),
  );
  // Inputs: a cheap deterministic pattern (bytes, or floats in [0, 1)); labels from it.
  const size = c.rows * c.inputSize;
  const inputs = c.bytes ? new Uint8Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) inputs[i] = c.bytes ? (i * 2654435761) >>> 24 : ((i * 2654435761) >>> 8) / 2 ** 24;
  const labels = new Int32Array(c.rows);
  for (let r = 0; r < c.rows; r++) labels[r] = (r * 7) % 10;
  const data = { inputs, labels, inputScale: c.bytes ? 1 / 255 : 1 };

  let batches = 0;
  const [fitSeconds, history] = await timed(() =>
    model.fit(data, {
      epochs: 1,
      batchSize: 32,
      shuffle: true,
      callbacks: { onBatchEnd: () => ++batches < 1 },
    }),
  );
  const [evaluateSeconds, evaluated] = await timed(() => model.evaluate(data));
  const query = { inputs, count: c.rows, inputSize: c.inputSize, inputScale: data.inputScale };
  const [predictSeconds, outputs] = await timed(() => model.predict(query));
  const memoryBytes = engineOf(model).core.memory.buffer.byteLength;
  const lastRow = outputs.subarray(outputs.length - 10);
  const rowSum = lastRow.reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({
      case: name,
      layers: `${c.inputSize}-${c.hidden}-10`,
      parameters: model.parameterCount,
      rows: c.rows,
      inputs: c.bytes ? 'u8' : 'f32',
      threads: model.threading.threads,
      memoryGiB: +(memoryBytes / 2 ** 30).toFixed(2),
      createSeconds: +createSeconds.toFixed(2),
      fitSeconds: +fitSeconds.toFixed(2),
      fitBatches: batches,
      fitLoss: +history.epochs[0].loss.toFixed(4),
      evaluateSeconds: +evaluateSeconds.toFixed(2),
      evaluateLoss: +evaluated.loss.toFixed(4),
      evaluateAccuracy: evaluated.accuracy,
      predictSeconds: +predictSeconds.toFixed(2),
      lastRowSum: +rowSum.toFixed(4),
      peakRssMB: Math.round(peakRssMB()),
    }),
  );
  if (!(Math.abs(rowSum - 1) < 1e-3 && Number.isFinite(evaluated.loss))) throw new Error('unexpected outputs');
  model.dispose();
}

const which = argument('case');
const threads = Number(argument('threads') ?? 1);
if (which) {
  await runCase(which, threads);
} else {
  for (const name of Object.keys(CASES)) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--case', name, '--threads', String(threads)],
      {
        stdio: 'inherit',
      },
    );
    if (child.status !== 0) process.exitCode = 1;
  }
}
