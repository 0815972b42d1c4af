/**
 * simdnet's runner for bench/run.ts: the MNIST MLP 784-128-64-10 (ReLU, softmax +
 * cross-entropy, Adam 1e-3, β 0.9/0.999, ε 1e-8) on the MNIST training images.
 *
 * One line per configuration, each measured in its own child process (so each
 * peak RSS is its own): the default core on 1 thread, the threaded mode on 2
 * threads, and the relaxed-SIMD core on 1 and on 2 threads (re-run with Node 20's
 * --experimental-wasm-relaxed-simd when the engine needs it).
 *
 *   training   after --warmup untimed batches, consecutive training steps for
 *              --seconds. A step is the library's own per-batch call (what fit()
 *              does per batch): one WebAssembly call that gathers the batch by index
 *              from the dataset copied into memory once (bytes, widened in the
 *              gather), runs forward, loss, backward and the Adam update. The row
 *              order is a seeded shuffle of all 60,000 images, as in fit().
 *   inference  model.predict() on 1,000 test images (Float32Array in, probabilities
 *              out: the inputs are copied into WebAssembly memory every call).
 *
 *   node build/bench/simdnet.mjs [--batch 64] [--warmup 20] [--seconds 5] [--max-batches 0]
 *        [--infer-batch 1000] [--infer-seconds 2] [--configs baseline,threads,relaxed,relaxed-threads]
 *        [--memory-epochs N]   also train N epochs with fit() and report RSS after each
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createModel, init, type Model } from '../src/index';
import { loadMnist } from '../src/data/node';
import { engineOf } from '../src/model/model';
import {
  emitResult,
  packageVersion,
  parseRunnerArgs,
  peakRssMB,
  round1,
  timeInference,
  timeTraining,
  type RunnerResult,
} from './common';

type Config = 'baseline' | 'threads' | 'relaxed' | 'relaxed-threads';
const CONFIGS: Config[] = ['baseline', 'threads', 'relaxed', 'relaxed-threads'];

const options = parseRunnerArgs();
const only = options.other.config as Config | undefined;
const memoryEpochs = Number(options.other['memory-epochs'] ?? 0);

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith(path.sep) && dir !== path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'simdnet') return dir;
    } catch {
      /* keep looking */
    }
    dir = path.dirname(dir);
  }
  throw new Error('bench/simdnet: cannot find the simdnet repository above this script');
}

/** The parent: runs each configuration in a child process and relays its line. */
function runConfigs(): void {
  const wanted = (options.other.configs?.split(',') ?? CONFIGS) as Config[];
  const passThrough = process.argv.slice(2).filter((arg, i, all) => arg !== '--configs' && all[i - 1] !== '--configs');
  for (const config of wanted) {
    const flags = config.startsWith('relaxed') ? ['--experimental-wasm-relaxed-simd'] : [];
    const child = spawnSync(
      process.execPath,
      [...flags, fileURLToPath(import.meta.url), ...passThrough, '--config', config],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = child.stdout.trim().split('\n').pop();
    if (child.status !== 0 || !line) {
      process.stderr.write(`bench/simdnet: configuration ${config} failed (exit ${child.status})\n`);
      continue;
    }
    process.stdout.write(`${line}\n`);
  }
}

async function measure(config: Config): Promise<void> {
  const root = repoRoot();
  if (config.startsWith('relaxed')) {
    const bytes = readFileSync(path.join(root, 'build', 'simdnet-relaxed.wasm'));
    if (!WebAssembly.validate(bytes)) throw new Error('this engine rejects the relaxed-SIMD core');
    // Threaded models then use the relaxed threaded core too (build/simdnet-threads-relaxed.wasm).
    await init({ relaxed: true, relaxedSource: bytes });
  } else {
    await init(readFileSync(path.join(root, 'build', 'simdnet.wasm')));
  }
  const { train, test } = await loadMnist();
  const threads = config.endsWith('threads') ? 2 : 1;
  const model: Model = await createModel({
    inputSize: 784,
    layers: [
      { units: 128, activation: 'relu' },
      { units: 64, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    loss: 'crossEntropy',
    optimizer: { type: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    seed: 1,
    threads,
  });

  const batch = options.batch;
  const engine = engineOf(model);
  engine.ensureCapacity(batch);
  const [loaded] = engine.loadData([train], true);
  engine.shuffle(loaded, 0);
  const batchesPerEpoch = Math.floor(train.count / batch);
  const training = await timeTraining((i) => engine.trainBatch(loaded, (i % batchesPerEpoch) * batch, batch).loss, {
    batch,
    warmup: options.warmup,
    seconds: options.seconds,
    maxBatches: options.maxBatches,
  });

  // As after fit(): the training data let go, so predict sizes its row buffers for the call
  // (while the data is held they stay at the training batch and 1000 rows run in chunks of it).
  engine.releaseData();
  const rows = options.inferBatch;
  const inferInputs = new Float32Array(rows * 784);
  for (let i = 0; i < inferInputs.length; i++) inferInputs[i] = test.inputs[i] / 255;
  const inference = await timeInference(() => model.predict(inferInputs, { batchSize: rows }), {
    rows,
    seconds: options.inferSeconds,
  });

  const threading = { ...model.threading };
  const extra: Record<string, unknown> = {
    cpuPerWall: Math.round(training.cpuPerWall * 100) / 100,
    lossBefore: training.lossBefore,
    lossAfter: training.lossAfter,
    threading,
  };
  model.dispose();
  if (memoryEpochs > 0) extra.memory = await memoryProfile(train, threads);

  const result: RunnerResult = {
    name: 'simdnet',
    backend: config.startsWith('relaxed') ? 'wasm-relaxed-simd' : 'wasm-simd128',
    threads: threading.threads,
    batchSize: batch,
    trainSamplesPerSec: round1(training.samplesPerSec),
    trainSamplesTimed: training.samples,
    inferSamplesPerSec: round1(inference.samplesPerSec),
    peakRssMB: round1(peakRssMB()),
    versions: { simdnet: packageVersion('simdnet'), node: process.versions.node, v8: process.versions.v8 },
    notes:
      `${config}: one WebAssembly call per training step (gather by index from the dataset in memory as bytes, forward, loss, backward, Adam); ` +
      `batches walk a seeded shuffle of all 60,000 images; inference is predict() on ${rows} Float32 rows (copied in per call)` +
      (threads > 1
        ? `; ${threading.threads} threads data-parallel on one shared memory (training; predict gives each thread a slice of the rows)${threading.reason ? ` (${threading.reason})` : ''}`
        : ''),
    extra,
  };
  emitResult(result);
}

/** RSS after each of `epochs` fit() epochs on MNIST: flat after the first, and the peak. */
async function memoryProfile(train: Awaited<ReturnType<typeof loadMnist>>['train'], threads: number) {
  const model = await createModel({
    inputSize: 784,
    layers: [
      { units: 128, activation: 'relu' },
      { units: 64, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    seed: 1,
    threads,
  });
  const rssMB: number[] = [];
  await model.fit(train, {
    epochs: memoryEpochs,
    batchSize: options.batch,
    callbacks: {
      onEpochEnd: () => {
        rssMB.push(round1(process.memoryUsage().rss / 2 ** 20));
      },
    },
  });
  model.dispose();
  const datasetFloat32MB = (train.count * train.inputSize * 4) / 2 ** 20;
  return {
    rssPerEpochMB: rssMB,
    growthAfterFirstEpochMB: round1(Math.max(...rssMB.slice(1)) - rssMB[0]),
    peakRssMB: round1(peakRssMB()),
    datasetFloat32MB: round1(datasetFloat32MB),
  };
}

if (only) {
  measure(only).catch((error) => {
    process.stderr.write(`bench/simdnet (${only}): ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
} else {
  runConfigs();
}
