/**
 * Where a second thread starts to pay: training batches (the engine's trainBatch, Adam) and
 * inference calls (predict) of dense float rows, on 2 threads against 1 thread, over models
 * from 10-32-2 to 784-128-64-10 and batches of 16 to 256 rows. Both models of a pair live in
 * one process and are timed in alternating blocks (the machine is shared: each round's ratio
 * sees the same moment), and the median of the per-round ratios is kept.
 *
 * Work per batch is counted as multiply-adds: rows × Σ in·out over the layers (a training
 * step is ~3× that: forward, deltas, weight gradients; ×2 for FLOPs).
 *
 *   npm run build
 *   npx esbuild bench/threads-crossover.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/bench/threads-crossover.mjs && node build/bench/threads-crossover.mjs [--rounds 8] [--block-ms 100] \
 *     [--models 10-32-2,784-128-64-10] [--batches 16,32,64,128,256]
 *
 * The rule it led to (src/model/threading.ts, AUTO_MIN_MACS) and the measured table are in
 * docs/architecture.md, "Threads only where they pay".
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, init, type Model } from '../src/index';
import { initThreads } from '../src/runtime/load';
import { engineOf } from '../src/model/model';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}
const ROUNDS = Number(argument('rounds', '8'));
const BLOCK_MS = Number(argument('block-ms', '100'));

const MODELS = argument('models', '10-32-2,32-64-8,64-128-10,128-256-10,256-256-10,784-128-64-10')
  .split(',')
  .map((layers) => layers.split('-').map(Number));
const BATCHES = argument('batches', '16,32,64,128,256').split(',').map(Number);
const ROWS = 4096;

const macsPerRow = (sizes: number[]): number => sizes.slice(1).reduce((sum, units, l) => sum + sizes[l] * units, 0);

async function build(sizes: number[], threads: number): Promise<Model> {
  return createModel({
    inputSize: sizes[0],
    layers: sizes.slice(1).map((units, l) => ({ units, activation: l === sizes.length - 2 ? 'softmax' : 'relu' })),
    optimizer: 'adam',
    seed: 3,
    threads,
  });
}

function denseRows(inputSize: number, outputs: number) {
  let state = 7;
  const inputs = new Float32Array(ROWS * inputSize);
  for (let i = 0; i < inputs.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    inputs[i] = state / 2 ** 31 - 1;
  }
  const labels = new Int32Array(ROWS).map((_, r) => r % outputs);
  return { count: ROWS, inputSize, inputs, labels };
}

/** Median over rounds of (rate of `a` / rate of `b`), blocks of about BLOCK_MS alternating. */
function pairedRatio(a: () => void, b: () => void): number {
  const runsFor = (run: () => void): number => {
    for (let runs = 1; ; runs *= 2) {
      const start = performance.now();
      for (let i = 0; i < runs; i++) run();
      const ms = performance.now() - start;
      if (ms >= BLOCK_MS / 4) return Math.max(1, Math.round((runs * BLOCK_MS) / ms));
    }
  };
  const runsA = runsFor(a);
  const runsB = runsFor(b);
  const rate = (run: () => void, runs: number): number => {
    const start = performance.now();
    for (let i = 0; i < runs; i++) run();
    return runs / (performance.now() - start);
  };
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      const ra = rate(a, runsA);
      ratios.push(ra / rate(b, runsB));
    } else {
      const rb = rate(b, runsB);
      ratios.push(rate(a, runsA) / rb);
    }
  }
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

await init(readFileSync(path.join(root, 'build', 'simdnet.wasm')));
await initThreads(readFileSync(path.join(root, 'build', 'simdnet-threads.wasm')));

console.log(`layers\tbatch\tMACs/batch\ttrain 2t/1t\tpredict 2t/1t\t(load ${loadavg()[0].toFixed(1)})`);
for (const sizes of MODELS) {
  const one = await build(sizes, 1);
  const two = await build(sizes, 2);
  const data = denseRows(sizes[0], sizes[sizes.length - 1]);
  const engines = [one, two].map((model) => {
    const engine = engineOf(model);
    const [loaded] = engine.loadData([data], true);
    engine.shuffle(loaded, 0);
    return { engine, loaded, next: 0 };
  });
  for (const batch of BATCHES) {
    const step = (e: (typeof engines)[number]) => () => {
      const batches = ROWS / batch;
      e.engine.trainBatch(e.loaded, (e.next++ % batches) * batch, batch);
    };
    const train = pairedRatio(step(engines[1]), step(engines[0]));
    const rows = { ...data, count: batch, inputs: data.inputs.subarray(0, batch * sizes[0]), labels: undefined };
    const predict = pairedRatio(
      () => void two.predict(rows),
      () => void one.predict(rows),
    );
    const macs = batch * macsPerRow(sizes);
    console.log(`${sizes.join('-')}\t${batch}\t${macs}\t${train.toFixed(2)}\t${predict.toFixed(2)}`);
  }
  for (const e of engines) e.engine.releaseData();
  one.dispose();
  two.dispose();
}
