/**
 * Time to accuracy, simdnet's side (PyTorch's is bench/peers/torch_mlp.py --time-to-accuracy):
 * wall seconds of model.fit() on MNIST until the test accuracy after an epoch reaches --target.
 *
 *   node build/bench/time-to-accuracy.mjs [--target 0.98] [--model 784-512-256-10] [--batch 128]
 *        [--epochs 12] [--lr 1e-3] [--lr-decay 0.8] [--data bytes|dense] [--threads 1]
 *        [--config default|baseline|relaxed]
 *
 * The defaults are the CLI's MNIST recipe (`simdnet train`) without its dropout 0.2 (the PyTorch
 * runner it is compared with has none): 784-512-256-10, ReLU, softmax +
 * cross-entropy, Adam(lr 1e-3, β 0.9/0.999, ε 1e-8), batch 128, schedule exponential (lr =
 * lr0 · 0.8^epoch), rows reshuffled every epoch (seeded). fit()'s validationData is the
 * 10,000 test images, so the accuracy is measured after every epoch inside the timed
 * window; fit() stops at the first epoch that reaches the target (onEpochEnd returns 'stop').
 * The clock starts when fit() is called (the model built, the data read; fit() copies the
 * data into WebAssembly memory inside the window) and stops when it returns.
 *
 * Prints one JSON line: secondsToTarget and epochsToTarget (null when --epochs ran out), and
 * every epoch's seconds since the start and test accuracy.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreInfo, createModel, type Dataset, init } from '../src/index';
import { loadMnist } from '../src/data/node';
import { inputsFor, packageVersion, parseModelSpec, relaxedSimdFlags } from './common';

interface Options {
  target: number;
  sizes: number[];
  batch: number;
  epochs: number;
  lr: number;
  lrDecay: number;
  data: 'bytes' | 'dense';
  threads: number;
  config: 'default' | 'baseline' | 'relaxed';
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    target: 0.98,
    sizes: parseModelSpec('784-512-256-10'),
    batch: 128,
    epochs: 12,
    lr: 1e-3,
    lrDecay: 0.8,
    data: 'bytes',
    threads: 1,
    config: 'default',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const number = (min: number): number => {
      const n = Number(value);
      if (!(n >= min)) throw new Error(`${flag} needs a number >= ${min}, got ${value}`);
      return n;
    };
    if (flag === '--target') options.target = number(0);
    else if (flag === '--model') options.sizes = parseModelSpec(value);
    else if (flag === '--batch') options.batch = number(1);
    else if (flag === '--epochs') options.epochs = number(1);
    else if (flag === '--lr') options.lr = number(0);
    else if (flag === '--lr-decay') options.lrDecay = number(0);
    else if (flag === '--threads') options.threads = number(1);
    else if (flag === '--data' && (value === 'bytes' || value === 'dense')) options.data = value;
    else if (flag === '--config' && (value === 'default' || value === 'baseline' || value === 'relaxed'))
      options.config = value;
    else throw new Error(`unknown flag or value ${flag} ${value} (see the header of bench/time-to-accuracy.ts)`);
  }
  return options;
}

/** The repository root: the bundle is build/bench/time-to-accuracy.mjs. */
function findRepoRoot(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (!existsSync(path.join(root, 'build', 'simdnet.wasm')))
    throw new Error(`no build/simdnet.wasm in ${root}: npm run build`);
  return root;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = findRepoRoot();
  if (options.config === 'relaxed') {
    if (relaxedSimdFlags().length && !process.execArgv.includes(relaxedSimdFlags()[0]))
      throw new Error('run the relaxed configuration with --experimental-wasm-relaxed-simd on this Node');
    await init({ relaxed: true, relaxedSource: readFileSync(path.join(root, 'build', 'simdnet-relaxed.wasm')) });
  } else if (options.config === 'baseline') {
    await init({ source: readFileSync(path.join(root, 'build', 'simdnet.wasm')), relaxed: false });
  } else {
    await init();
  }
  const mnist = await loadMnist();
  const asData = (d: Dataset): Dataset =>
    options.data === 'bytes' ? d : { ...d, inputs: inputsFor('dense', d.inputs as Uint8Array), inputScale: 1 };
  const train = asData(mnist.train);
  const test = asData(mnist.test);
  const sizes = options.sizes;
  const model = await createModel({
    inputSize: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? 'softmax' : 'relu' })),
    loss: 'crossEntropy',
    optimizer: { type: 'adam', learningRate: options.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    seed: 1,
    threads: options.threads,
  });

  const epochs: { epoch: number; seconds: number; testAccuracy: number }[] = [];
  let reached: (typeof epochs)[number] | null = null;
  const start = performance.now();
  await model.fit(train, {
    epochs: options.epochs,
    batchSize: options.batch,
    validationData: test,
    schedule: { type: 'exponential', gamma: options.lrDecay },
    callbacks: {
      onEpochEnd: (log) => {
        const entry = {
          epoch: log.epoch,
          seconds: Math.round((performance.now() - start) / 10) / 100,
          testAccuracy: Math.round((log.valAccuracy ?? 0) * 1e4) / 1e4,
        };
        epochs.push(entry);
        if ((log.valAccuracy ?? 0) >= options.target) {
          reached = entry;
          return 'stop';
        }
      },
    },
  });
  const threads = model.threading.threads;
  model.dispose();
  const hit = reached as (typeof epochs)[number] | null;
  process.stdout.write(
    `${JSON.stringify({
      name: 'simdnet',
      backend: coreInfo().simd === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd128',
      threads,
      batchSize: options.batch,
      data: options.data,
      model: sizes.join('-'),
      target: options.target,
      secondsToTarget: hit ? hit.seconds : null,
      epochsToTarget: hit ? hit.epoch : null,
      epochs,
      versions: { simdnet: packageVersion('simdnet'), node: process.versions.node },
      notes:
        `fit(): Adam lr ${options.lr}, schedule exponential gamma ${options.lrDecay}, batch ${options.batch}, rows reshuffled every epoch (seeded; ` +
        "a last partial batch is trained), simdnet's default init, validationData = the 10,000 test images (accuracy after each epoch, timed)",
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/time-to-accuracy: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
