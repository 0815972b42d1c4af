/**
 * Peer runner: brain.js 1.6.1 `NeuralNetwork` with hiddenLayers [128, 64], its closest
 * configuration to the reference model. Plain JavaScript, one thread, one sample at a time.
 *
 * What differs from the reference model (read from node_modules/brain.js/dist/neural-network.js):
 *   - activation: one `activation` option for every layer, so the 10 outputs are ReLU too;
 *     there is no softmax.
 *   - loss: the output delta is (target - output) (masked by ReLU'), i.e. the gradient of
 *     squared error, not cross-entropy; the error it reports is mean squared error.
 *   - optimizer: `praxis: 'adam'` exists in 1.6.1 (--praxis adam, the default here: lr 1e-3,
 *     beta 0.9/0.999, eps 1e-8), but it updates after EVERY sample (batch size 1: there is no
 *     mini-batch option), computes two Math.pow bias corrections per weight per update (so it
 *     is ~10x slower than brain.js's default optimizer), and its bias update uses the previous
 *     step's moments (an upstream quirk). --praxis sgd selects brain.js's default optimizer
 *     instead: per-sample SGD with momentum (lr 1e-3, momentum 0.9 here). --batch is ignored.
 *   - weights are initialised uniform in [-0.2, 0.2]; data are float32 [0,1] pixels and
 *     one-hot targets given as plain arrays (brain.js turns them into Float32Arrays once).
 *
 * Measures: `net.train(first N training samples, { iterations: 1 + passes })` with a callback
 * after every pass; pass 1 is the warm-up (JIT, initialisation), the remaining passes are timed,
 * so brain.js's one-off data formatting is not timed. `--samples N` (default 2000) and
 * `--passes P` (default 2) set the fixed sample count: P * N samples are timed.
 * Inference: `net.run(x)` on 1000 test images one by one (brain.js has no batched run), the
 * result being the Float32Array that run() returns.
 */
import brain from 'brain.js';
import {
  MNIST_CLASSES,
  MNIST_PIXELS,
  emitResult,
  loadMnist,
  packageVersion,
  parseRunnerArgs,
  peakRssMB,
  round1,
  scaleToUnit,
  timeInference,
} from '../common';

interface BrainNetwork {
  train(
    data: { input: number[]; output: number[] }[],
    options: Record<string, unknown>,
  ): { error: number; iterations: number };
  run(input: ArrayLike<number>): Float32Array;
}

async function main(): Promise<void> {
  const options = parseRunnerArgs();
  const samples = Number(options.other.samples ?? 2000);
  const passes = Number(options.other.passes ?? 2);
  if (!(samples > 0 && passes > 0)) throw new Error('--samples and --passes must be positive');

  // --- data: the first `samples` training images as plain arrays (what brain.js expects)
  const train = loadMnist('train');
  const count = Math.min(samples, train.count);
  const images = scaleToUnit(train.pixels.subarray(0, count * MNIST_PIXELS));
  const data: { input: number[]; output: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    const output = new Array<number>(MNIST_CLASSES).fill(0);
    output[train.labels[i]] = 1;
    data.push({ input: Array.from(images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS)), output });
  }
  const test = loadMnist('t10k');
  const inferRows = Math.min(options.inferBatch, test.count);
  const testImages = scaleToUnit(test.pixels.subarray(0, inferRows * MNIST_PIXELS));

  // --- model and training options
  const praxis = options.other.praxis ?? 'adam';
  if (praxis !== 'adam' && praxis !== 'sgd') throw new Error(`--praxis must be adam or sgd, got ${praxis}`);
  const trainOptions = {
    ...(praxis === 'adam'
      ? { praxis: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
      : { praxis: null, learningRate: 1e-3, momentum: 0.9 }),
    errorThresh: 1e-9, // must be in (0, 1): effectively "never stop early"
    log: false,
  };
  const net = new (brain as unknown as { NeuralNetwork: new (o: object) => BrainNetwork }).NeuralNetwork({
    hiddenLayers: [128, 64],
    activation: 'relu',
    ...trainOptions,
  });

  // --- training: one warm-up pass, then `passes` timed passes, timestamps from the callback
  const passEnds: number[] = [];
  const passCpu: NodeJS.CpuUsage[] = [];
  const passErrors: number[] = [];
  const status = net.train(data, {
    ...trainOptions,
    iterations: 1 + passes,
    callbackPeriod: 1,
    callback: (progress: { iterations: number; error: number }) => {
      passEnds.push(performance.now());
      passCpu.push(process.cpuUsage());
      passErrors.push(progress.error);
    },
  });
  if (passEnds.length !== 1 + passes)
    throw new Error(`expected ${1 + passes} passes, brain.js ran ${status.iterations}`);
  const trainSeconds = (passEnds[passes] - passEnds[0]) / 1000;
  const trainSamplesTimed = passes * count;
  const trainCpuSeconds = (passCpu[passes].user + passCpu[passes].system - passCpu[0].user - passCpu[0].system) / 1e6;

  // --- inference: 1000 single-sample run() calls per timed call
  const inference = await timeInference(
    () => {
      let sink = 0;
      for (let i = 0; i < inferRows; i++)
        sink += net.run(testImages.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS))[0];
      return sink;
    },
    { rows: inferRows, seconds: options.inferSeconds },
  );

  emitResult({
    name: 'brain.js',
    backend: praxis === 'adam' ? 'js, Adam' : 'js, SGD+momentum',
    threads: 1,
    batchSize: 1,
    trainSamplesPerSec: round1(trainSamplesTimed / trainSeconds),
    trainSamplesTimed,
    inferSamplesPerSec: round1(inference.samplesPerSec),
    peakRssMB: round1(peakRssMB()),
    versions: { node: process.versions.node, 'brain.js': packageVersion('brain.js') },
    notes:
      `NOT the same model: ReLU output and squared-error delta (no softmax/CE); ` +
      (praxis === 'adam'
        ? `Adam per sample (batch 1, --batch ignored; 2 Math.pow per weight per update); `
        : `brain.js default optimizer, SGD lr 1e-3 momentum 0.9, per sample (batch 1, --batch ignored); `) +
      `train() on the first ${count} images, 1 warm-up pass + ${passes} timed passes (${trainSamplesTimed} samples); ` +
      `inference = ${inferRows} single-sample run() calls`,
    extra: {
      timedSeconds: round1(trainSeconds),
      cpuPerWall: Math.round((trainCpuSeconds / trainSeconds) * 100) / 100,
      praxis,
      msePerPass: passErrors,
      inferCalls: inference.calls,
      inferRows,
      trainingSubset: count,
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
