/**
 * Paired comparisons for bench/run.ts: two contenders measured in ONE process, in short
 * alternating blocks, so that both see the same moments of this shared, noisy machine.
 *
 *   node build/bench/paired.mjs [--rounds 16] [--block-ms 250] [--batches 64,256] [--json]
 *
 * The main table runs every configuration in its own process, one after another; on a VM
 * whose speed swings by tens of percent from one second to the next, a ratio of two such
 * runs carries that swing. Here each round times a block of A, then a block of B (about
 * --block-ms each, whole batches or calls), and the ratio of the two blocks is kept; the
 * result is the median of those per-round ratios (and, for reference, best block over best
 * block). What is compared:
 *
 *   threads    the MNIST MLP 784-128-64-10 (Adam) trained with 2 threads against 1 thread,
 *              both on the default (baseline SIMD) core, the same per-batch call as the
 *              table's (the model engine's trainBatch over a seeded shuffle of the 60,000 images);
 *   inference  simdnet's predict() against TensorFlow.js on its wasm backend (the table's
 *              tfjs runner set-up: tensor2d from the Float32Array, predict with batchSize
 *              1000, output read back with data()), on the same 1,000 test images: both
 *              from a Float32Array to probabilities in JS; then simdnet's predict on 2
 *              threads against 1 thread (same weights and rows; each thread a slice).
 *
 * --json prints one JSON object as the last stdout line (the text goes to stderr).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createModel, init, type Model } from '../src/index';
import { loadMnist } from '../src/data/node';
import { engineOf } from '../src/model/model';
import { referenceModel, useTfjsBackend } from './peers/tfjs-setup';

interface Options {
  rounds: number;
  blockMs: number;
  batches: number[];
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { rounds: 16, blockMs: 250, batches: [64, 256], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--block-ms') options.blockMs = Number(argv[++i]);
    else if (arg === '--batches') options.batches = argv[++i].split(',').filter(Boolean).map(Number);
    else if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.rounds = 6;
    else throw new Error(`unknown argument ${arg} (see the header of bench/paired.ts)`);
  }
  return options;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (dir !== path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'simdnet') return dir;
    } catch {
      /* keep looking */
    }
    dir = path.dirname(dir);
  }
  throw new Error('bench/paired: cannot find the simdnet repository above this script');
}

// ---------------------------------------------------------------------------------------------
// Alternating blocks

/** A contender: one unit of work (a batch or a predict call) and how many items it covers. */
interface Contender {
  name: string;
  run: () => void | Promise<void>;
  itemsPerRun: number;
}

interface PairedResult {
  what: string;
  a: string;
  b: string;
  /** Items per second of each contender: median and best block. */
  aMedian: number;
  bMedian: number;
  aBest: number;
  bBest: number;
  /** Median over rounds of (A's rate / B's rate) in that round. */
  medianRatio: number;
  /** A's best block over B's best block. */
  bestRatio: number;
  rounds: number;
}

async function runsPerBlock(contender: Contender, blockMs: number): Promise<number> {
  let runs = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < runs; i++) await contender.run();
    const ms = performance.now() - start;
    if (ms >= blockMs / 4) return Math.max(1, Math.round((runs * blockMs) / ms));
    runs *= 2;
  }
}

async function timeBlock(contender: Contender, runs: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < runs; i++) await contender.run();
  return (runs * contender.itemsPerRun) / ((performance.now() - start) / 1000);
}

async function paired(what: string, a: Contender, b: Contender, options: Options): Promise<PairedResult> {
  const runsA = await runsPerBlock(a, options.blockMs);
  const runsB = await runsPerBlock(b, options.blockMs);
  const ratesA: number[] = [];
  const ratesB: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    // Alternate which goes first, so neither always follows the other.
    if (round % 2 === 0) {
      ratesA.push(await timeBlock(a, runsA));
      ratesB.push(await timeBlock(b, runsB));
    } else {
      ratesB.push(await timeBlock(b, runsB));
      ratesA.push(await timeBlock(a, runsA));
    }
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  return {
    what,
    a: a.name,
    b: b.name,
    aMedian: median(ratesA),
    bMedian: median(ratesB),
    aBest: Math.max(...ratesA),
    bBest: Math.max(...ratesB),
    medianRatio: median(ratesA.map((rate, i) => rate / ratesB[i])),
    bestRatio: Math.max(...ratesA) / Math.max(...ratesB),
    rounds: options.rounds,
  };
}

// ---------------------------------------------------------------------------------------------
// The contenders

const LAYERS = [
  { units: 128, activation: 'relu' },
  { units: 64, activation: 'relu' },
  { units: 10, activation: 'softmax' },
] as const;

async function mnistModel(threads: number): Promise<Model> {
  return createModel({
    inputSize: 784,
    layers: LAYERS.map((l) => ({ ...l })),
    loss: 'crossEntropy',
    optimizer: { type: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    seed: 1,
    threads,
  });
}

async function threadContender(
  threads: number,
  batch: number,
  train: Awaited<ReturnType<typeof loadMnist>>['train'],
): Promise<{ contender: Contender; model: Model }> {
  const model = await mnistModel(threads);
  if (model.threading.threads !== threads)
    throw new Error(`asked for ${threads} threads, got ${model.threading.threads}: ${model.threading.reason}`);
  const engine = engineOf(model);
  engine.ensureCapacity(batch);
  const [loaded] = engine.loadData([train], true);
  engine.shuffle(loaded, 0);
  const batches = Math.floor(train.count / batch);
  let next = 0;
  const run = (): void => void engine.trainBatch(loaded, (next++ % batches) * batch, batch);
  for (let i = 0; i < 20; i++) run(); // warm-up
  return { contender: { name: `simdnet ${threads}t`, run, itemsPerRun: batch }, model };
}

async function tfjsInference(inputs: Float32Array, rows: number): Promise<Contender> {
  await useTfjsBackend('wasm');
  const model = referenceModel(784, 10);
  const run = async (): Promise<void> => {
    const x = tf.tensor2d(inputs, [rows, 784]);
    const probabilities = model.predict(x, { batchSize: rows }) as tf.Tensor;
    await probabilities.data();
    probabilities.dispose();
    x.dispose();
  };
  for (let i = 0; i < 3; i++) await run();
  return { name: 'tfjs-wasm predict', run, itemsPerRun: rows };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  await init(readFileSync(path.join(root, 'build', 'simdnet.wasm')));
  const { train, test } = await loadMnist();
  const results: PairedResult[] = [];

  // Inference first, in a fresh process: after the training comparisons (their models and
  // memories still on the heap) tfjs-wasm's predict ran at half its speed here.
  const rows = 1000;
  const inputs = new Float32Array(rows * 784);
  for (let i = 0; i < inputs.length; i++) inputs[i] = test.inputs[i] / 255;
  const model = await mnistModel(1);
  const simdnet: Contender = {
    name: 'simdnet predict',
    run: () => void model.predict(inputs, { batchSize: rows }),
    itemsPerRun: rows,
  };
  for (let i = 0; i < 3; i++) simdnet.run();
  results.push(
    await paired(
      `inference, ${rows} rows per call: simdnet / tfjs-wasm`,
      simdnet,
      await tfjsInference(inputs, rows),
      options,
    ),
  );
  const threaded = await mnistModel(2);
  if (threaded.threading.threads !== 2)
    throw new Error(`asked for 2 threads, got ${threaded.threading.threads}: ${threaded.threading.reason}`);
  const simdnet2t: Contender = {
    name: 'simdnet 2t predict',
    run: () => void threaded.predict(inputs, { batchSize: rows }),
    itemsPerRun: rows,
  };
  for (let i = 0; i < 3; i++) simdnet2t.run();
  results.push(
    await paired(
      `inference, ${rows} rows per call: 2 threads / 1 thread`,
      simdnet2t,
      { ...simdnet, name: 'simdnet 1t predict' },
      options,
    ),
  );
  model.dispose();
  threaded.dispose();

  for (const batch of options.batches) {
    const one = await threadContender(1, batch, train);
    const two = await threadContender(2, batch, train);
    results.push(await paired(`training, batch ${batch}: 2 threads / 1 thread`, two.contender, one.contender, options));
    one.model.dispose();
    two.model.dispose();
  }

  const lines = [
    `paired comparisons: ${options.rounds} rounds of alternating blocks of about ${options.blockMs} ms (Node ${process.versions.node})`,
    ...results.map(
      (r) =>
        `${r.what}: ${r.medianRatio.toFixed(2)}x median of per-round ratios (best block over best block ${r.bestRatio.toFixed(2)}x); ` +
        `${r.a} ${Math.round(r.aMedian).toLocaleString('en-US')}/s median, ${Math.round(r.aBest).toLocaleString('en-US')}/s best; ` +
        `${r.b} ${Math.round(r.bMedian).toLocaleString('en-US')}/s median, ${Math.round(r.bBest).toLocaleString('en-US')}/s best`,
    ),
  ];
  const out = options.json
    ? (s: string) => process.stderr.write(`${s}\n`)
    : (s: string) => process.stdout.write(`${s}\n`);
  lines.forEach((line) => out(line));
  if (options.json) process.stdout.write(`${JSON.stringify({ name: 'simdnet-paired', results })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
