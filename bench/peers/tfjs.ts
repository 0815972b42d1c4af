/**
 * Peer runner: TensorFlow.js layers API on the WebAssembly backend (--backend wasm) or the
 * plain-JavaScript CPU backend (--backend cpu), in this process only (one backend per process,
 * so peak RSS is that backend's own).
 *
 * Measures (see bench/common.ts for the command line and the JSON line it prints):
 *   - training: tf.sequential 784-128(relu)-64(relu)-10(softmax) (or --model's widths), on
 *     --data's inputs (bench/common.ts), loss categoricalCrossentropy,
 *     tf.train.adam(1e-3, 0.9, 0.999, 1e-7). Each step is `model.trainOnBatch(x, y)` on batch
 *     tensors made before the clock starts, so neither slicing nor model.fit's per-epoch
 *     bookkeeping (shuffling, callbacks, validation) is timed. trainOnBatch reads the loss back,
 *     so every step has finished when it resolves. Batches are a ring over the first
 *     min(60000, 16384) training images in file order (see RING_SAMPLES).
 *   - inference: from a Float32Array of 1000 test images to probabilities in JS, as simdnet's
 *     predict() does: tf.tensor2d on the array (the copy into the backend), model.predict(x,
 *     { batchSize: 1000 }) (predict's default batchSize of 32 would split it), output read
 *     back with .data(), tensors disposed.
 *
 * Threads: the wasm backend never uses threads under Node in tfjs 4.22 (its
 * WASM_HAS_MULTITHREAD_SUPPORT flag is false when IS_NODE), so it loads
 * tfjs-backend-wasm-simd.wasm; setThreadsCount(1) is also called and getThreadsCount() reported.
 * The cpu backend is single-threaded JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import {
  MNIST_CLASSES,
  MNIST_PIXELS,
  emitResult,
  inputsFor,
  loadMnist,
  oneHot,
  packageVersion,
  parseRunnerArgs,
  peakRssMB,
  round1,
  timeInference,
  timeTraining,
} from '../common';
import { referenceModel, useTfjsBackend } from './tfjs-setup';

/** At most this many distinct training samples are turned into pre-made batch tensors. */
const RING_SAMPLES = 16384;

async function main(): Promise<void> {
  const options = parseRunnerArgs();
  const backend = options.other.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);

  const { threads, wasmBinary } = await useTfjsBackend(backend);

  // --- data: float32 images as --data says and one-hot labels, cut into batch tensors up front
  const train = loadMnist('train');
  const trainImages = inputsFor(options.data, train.pixels); // [60000, 784]
  const trainTargets = oneHot(train.labels); // [60000, 10]
  const ringBatches = Math.max(1, Math.floor(Math.min(train.count, RING_SAMPLES) / options.batch));
  const ring: { x: tf.Tensor2D; y: tf.Tensor2D }[] = [];
  for (let b = 0; b < ringBatches; b++) {
    const rows = b * options.batch;
    ring.push({
      x: tf.tensor2d(trainImages.subarray(rows * MNIST_PIXELS, (rows + options.batch) * MNIST_PIXELS), [
        options.batch,
        MNIST_PIXELS,
      ]),
      y: tf.tensor2d(trainTargets.subarray(rows * MNIST_CLASSES, (rows + options.batch) * MNIST_CLASSES), [
        options.batch,
        MNIST_CLASSES,
      ]),
    });
  }
  const test = loadMnist('t10k');
  const inferRows = Math.min(options.inferBatch, test.count);
  const inferInputs = inputsFor(options.data, test.pixels.subarray(0, inferRows * MNIST_PIXELS));

  // --- model: the reference MLP
  const model = referenceModel(MNIST_PIXELS, MNIST_CLASSES, options.sizes.slice(1, -1));
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'categoricalCrossentropy' });

  // --- training
  const step = async (batchIndex: number): Promise<number> => {
    const { x, y } = ring[batchIndex % ring.length];
    return (await model.trainOnBatch(x, y)) as number;
  };
  const tensorsBefore = tf.memory().numTensors;
  const training = await timeTraining(step, options);
  const tensorCountDelta = tf.memory().numTensors - tensorsBefore;

  // --- inference
  const inference = await timeInference(
    async () => {
      const inferX = tf.tensor2d(inferInputs, [inferRows, MNIST_PIXELS]);
      // predict() would split the rows into chunks of 32 by default: one call over all of them.
      const probabilities = model.predict(inferX, { batchSize: inferRows }) as tf.Tensor;
      await probabilities.data();
      probabilities.dispose();
      inferX.dispose();
    },
    { rows: inferRows, seconds: options.inferSeconds },
  );

  const cap = options.maxBatches > 0 ? `${options.seconds} s or ${options.maxBatches} batches` : `${options.seconds} s`;
  emitResult({
    name: 'tfjs',
    backend,
    threads,
    batchSize: options.batch,
    data: options.data,
    model: options.sizes.join('-'),
    trainSamplesPerSec: round1(training.samplesPerSec),
    trainSamplesTimed: training.samples,
    inferSamplesPerSec: round1(inference.samplesPerSec),
    peakRssMB: round1(peakRssMB()),
    versions: {
      node: process.versions.node,
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-core': packageVersion('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-layers': packageVersion('@tensorflow/tfjs-layers'),
      [`@tensorflow/tfjs-backend-${backend}`]: packageVersion(`@tensorflow/tfjs-backend-${backend}`),
    },
    notes:
      `model.trainOnBatch over ${ring.length} pre-made batch tensors (first ${ring.length * options.batch} images, cycled); ` +
      `${options.warmup} warm-up batches, then timed for ${cap}; Adam eps 1e-7` +
      (backend === 'wasm' ? `; ${wasmBinary} (Node: no wasm threads in tfjs)` : '; pure-JS kernels'),
    extra: {
      timedBatches: training.batches,
      timedSeconds: round1(training.seconds),
      cpuPerWall: Math.round(training.cpuPerWall * 100) / 100,
      lossBefore: training.lossBefore,
      lossAfter: training.lossAfter,
      inferCalls: inference.calls,
      inferRows,
      tensorCountDeltaDuringTraining: tensorCountDelta,
      ...(backend === 'wasm' ? { wasmBinary } : {}),
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
