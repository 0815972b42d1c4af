/**
 * simdnet's runner for bench/run.ts: an MLP of --model's widths (784-128-64-10 by default;
 * ReLU, softmax + cross-entropy, Adam 1e-3, β 0.9/0.999, ε 1e-8) on the MNIST training images
 * as --data says (bench/common.ts: bytes, read as bytes with inputScale 1/255 so the first
 * layer skips zero pixels; dense, Float32 in [0.01, 0.99]).
 *
 * One line per configuration, each measured in its own child process (so each peak RSS is
 * its own). A configuration is a core and a thread count:
 *
 *   default            init(): the core the library picks on this engine, 1 thread
 *   default-threads    the same, 2 threads
 *   baseline           the simd128 core (build/simdnet.wasm), 1 thread
 *   baseline-threads   the same, 2 threads ('threads' is an alias)
 *   relaxed            the relaxed-SIMD core (build/simdnet-relaxed.wasm), 1 thread
 *   relaxed-threads    the same, 2 threads
 *   revec              init({ revectorize: true }): the default core with V8's 256-bit
 *                      revectorizer where Node has it (what the CLI uses), 1 thread
 *   revec-threads      the same, 2 threads
 *
 * Relaxed configurations run with --experimental-wasm-relaxed-simd only where Node needs it
 * (major < 22): Node 24 exits with code 9 on that flag.
 *
 *   training   after --warmup untimed batches, consecutive training steps for
 *              --seconds. A step is the library's own per-batch call (what fit()
 *              does per batch): one WebAssembly call that gathers the batch by index
 *              from the dataset copied into memory once (bytes widened in the gather,
 *              or floats), runs forward, loss, backward and the Adam update. The row
 *              order is a seeded shuffle of all 60,000 images, as in fit().
 *   inference  model.predict() on 1,000 test images (Float32Array in --data's mapping,
 *              probabilities out: the inputs are copied into WebAssembly memory every call).
 *
 *   node build/bench/simdnet.mjs [--batch 64] [--warmup 20] [--seconds 5] [--max-batches 0]
 *        [--infer-batch 1000] [--infer-seconds 2] [--data bytes|dense] [--model 784-128-64-10]
 *        [--configs baseline,threads,relaxed,relaxed-threads]   (default: these four)
 *        [--memory-epochs N]   also train N epochs with fit() and report RSS after each
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { coreInfo, createModel, type Dataset, init, type Model } from '../src/index';
import { loadMnist } from '../src/data/node';
import { engineOf } from '../src/model/model';
import {
  emitResult,
  inputsFor,
  relaxedSimdFlags,
  packageVersion,
  parseRunnerArgs,
  peakRssMB,
  round1,
  timeInference,
  timeTraining,
  type RunnerResult,
} from './common';

type Config =
  | 'default'
  | 'default-threads'
  | 'baseline'
  | 'baseline-threads'
  | 'threads'
  | 'relaxed'
  | 'relaxed-threads'
  | 'revec'
  | 'revec-threads';
const CONFIGS: Config[] = [
  'default',
  'default-threads',
  'baseline',
  'baseline-threads',
  'threads',
  'relaxed',
  'relaxed-threads',
  'revec',
  'revec-threads',
];
/** The configurations run when --configs is not given. */
const CLASSIC_CONFIGS: Config[] = ['baseline', 'threads', 'relaxed', 'relaxed-threads'];

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
  const wanted = (options.other.configs?.split(',') ?? CLASSIC_CONFIGS) as Config[];
  for (const config of wanted)
    if (!CONFIGS.includes(config))
      throw new Error(`--configs: unknown configuration ${config} (${CONFIGS.join(', ')})`);
  const passThrough = process.argv.slice(2).filter((arg, i, all) => arg !== '--configs' && all[i - 1] !== '--configs');
  for (const config of wanted) {
    const flags = config.startsWith('relaxed') ? relaxedSimdFlags() : [];
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
  } else if (config.startsWith('default')) {
    await init();
  } else if (config.startsWith('revec')) {
    await init({ revectorize: true });
  } else {
    await init({ source: readFileSync(path.join(root, 'build', 'simdnet.wasm')), relaxed: false });
  }
  const mnist = await loadMnist();
  const test = mnist.test;
  const train: Dataset =
    options.data === 'bytes'
      ? mnist.train
      : {
          count: mnist.train.count,
          inputSize: 784,
          inputs: inputsFor('dense', mnist.train.inputs as Uint8Array),
          labels: mnist.train.labels,
        };
  const threads = config.endsWith('threads') ? 2 : 1;
  const model: Model = await createModel({
    inputSize: 784,
    layers: hiddenLayers(options.sizes),
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
  inferInputs.set(inputsFor(options.data, (test.inputs as Uint8Array).subarray(0, rows * 784)));
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

  extra.config = config;
  const result: RunnerResult = {
    name: 'simdnet',
    backend: coreInfo().simd === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd128',
    threads: threading.threads,
    batchSize: batch,
    data: options.data,
    model: options.sizes.join('-'),
    trainSamplesPerSec: round1(training.samplesPerSec),
    trainSamplesTimed: training.samples,
    inferSamplesPerSec: round1(inference.samplesPerSec),
    peakRssMB: round1(peakRssMB()),
    versions: { simdnet: packageVersion('simdnet'), node: process.versions.node, v8: process.versions.v8 },
    notes:
      `${config} (${coreInfo().simd} core${coreInfo().revectorized ? ', revectorized to 256 bits by V8' : config.startsWith('revec') ? `, not revectorized: ${coreInfo().revectorizeReason}` : ''}): one WebAssembly call per training step (gather by index from the dataset in memory as ${options.data === 'bytes' ? 'bytes' : 'float32'}, forward, loss, backward, Adam); ` +
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
    layers: hiddenLayers(options.sizes),
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

/** [784, 128, 64, 10] -> dense ReLU layers of 128 and 64 units, then a softmax layer of 10. */
function hiddenLayers(sizes: number[]): { units: number; activation: 'relu' | 'softmax' }[] {
  return sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? 'softmax' : 'relu' }));
}

if (only) {
  measure(only).catch((error) => {
    process.stderr.write(`bench/simdnet (${only}): ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
} else {
  runConfigs();
}
