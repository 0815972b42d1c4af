/**
 * Peer runner: jax-js (npm @jax-js/jax) on its WebAssembly backend, training the reference MLP
 * in this process only (so peak RSS is its own).
 *
 * Measures (see bench/common.ts for the command line and the JSON line it prints):
 *   - training: the whole step under one `jit`: forward (X·W + b, ReLU; softmax output),
 *     mean softmax cross-entropy from nn.logSoftmax and one-hot targets, its gradient by
 *     `valueAndGrad`, and Adam (lr 1e-3, β 0.9/0.999, ε 1e-8, bias-corrected, PyTorch's
 *     placement of ε: p -= lr · m̂ / (√v̂ + ε)) written with jax-js array ops, since
 *     @jax-js/optax is not on the npm registry. The step takes (params, m, v, t, x, y) and
 *     returns (params', m', v', loss); arguments are consumed (jax-js's reference counting),
 *     so each batch tensor is passed as `x.ref`. Each timed step waits for the new
 *     parameters (`blockUntilReady`: jax-js is lazy) and reads the loss back, as the other
 *     runners do. Batches are a ring of pre-made [batch, 784] arrays over the first
 *     min(60000, 16384) training images in file order, as --data says (bench/common.ts),
 *     identical to the tfjs and PyTorch runners.
 *   - inference: a jitted forward + softmax on 1000 test images, from a Float32Array to
 *     probabilities read back with .data() (the copy in included, as for the others).
 *   - parameters: weights uniform in ±√(6 / fan_in) (He-uniform) from a seeded LCG, biases 0.
 *
 * Threads: 1. jax-js's wasm backend spreads kernels over Web Workers only when the global
 * `Worker` and `SharedArrayBuffer` both exist; Node has no global `Worker`, so every kernel runs
 * on the main thread.
 *
 * extra.testAccuracy: accuracy on the 1000 inference rows after the timed training, beside
 * lossBefore/lossAfter, to show it trains the same model as the others.
 */
import {
  type Array as JaxArray,
  blockUntilReady,
  defaultDevice,
  init,
  jit,
  nn,
  numpy as np,
  tree,
  valueAndGrad,
} from '@jax-js/jax';
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

/** At most this many distinct training samples are turned into pre-made batch arrays. */
const RING_SAMPLES = 16384;

type Layer = { w: JaxArray; b: JaxArray };
type Params = Layer[];

const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Logits of the MLP: [rows, classes]. Consumes `params` and `x`. */
function logits(params: Params, x: JaxArray): JaxArray {
  let h = x;
  params.forEach((layer, l) => {
    h = np.matmul(h, layer.w).add(layer.b);
    if (l < params.length - 1) h = nn.relu(h);
  });
  return h;
}

/** Mean softmax cross-entropy of one-hot `y` [rows, classes]: -Σ y · log softmax(z) / rows. */
function loss(params: Params, x: JaxArray, y: JaxArray): JaxArray {
  const rows = x.shape[0];
  return nn
    .logSoftmax(logits(params, x), -1)
    .mul(y)
    .sum()
    .mul(-1 / rows);
}

const lossAndGrad = valueAndGrad(loss);

/**
 * One Adam step on one batch: returns [params', m', v', loss]. `t` is the 1-based step count
 * as a scalar array: m̂ = m' / (1 - β1^t), v̂ = v' / (1 - β2^t).
 */
const trainStep = jit((params: Params, m: Params, v: Params, t: JaxArray, x: JaxArray, y: JaxArray) => {
  const { learningRate, beta1, beta2, epsilon } = ADAM;
  const [value, grads] = lossAndGrad(tree.ref(params), x, y);
  const correction1 = np.power(beta1, t.ref).mul(-1).add(1);
  const correction2 = np.power(beta2, t).mul(-1).add(1);
  const m2 = tree.map((mi: JaxArray, g: JaxArray) => mi.mul(beta1).add(g.ref.mul(1 - beta1)), m, grads) as Params;
  const v2 = tree.map(
    (vi: JaxArray, g: JaxArray) => vi.mul(beta2).add(g.ref.mul(g).mul(1 - beta2)),
    v,
    grads,
  ) as Params;
  const p2 = tree.map(
    (p: JaxArray, mi: JaxArray, vi: JaxArray) =>
      p.sub(
        mi.ref
          .div(correction1.ref)
          .mul(learningRate)
          .div(np.sqrt(vi.ref.div(correction2.ref)).add(epsilon)),
      ),
    params,
    m2,
    v2,
  ) as Params;
  correction1.dispose();
  correction2.dispose();
  return [p2, m2, v2, value] as [Params, Params, Params, JaxArray];
});

/** Softmax probabilities [rows, classes]. */
const predict = jit((params: Params, x: JaxArray) => nn.softmax(logits(params, x), -1));

/** He-uniform weights from a seeded LCG, zero biases. */
function initialParams(sizes: number[], seed = 1): Params {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const params: Params = [];
  for (let l = 1; l < sizes.length; l++) {
    const [fanIn, fanOut] = [sizes[l - 1], sizes[l]];
    const limit = Math.sqrt(6 / fanIn);
    const w = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = (2 * random() - 1) * limit;
    params.push({ w: np.array(w).reshape([fanIn, fanOut]), b: np.zeros([fanOut]) });
  }
  return params;
}

async function main(): Promise<void> {
  const options = parseRunnerArgs();
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (have ${devices.join(', ')})`);
  defaultDevice('wasm');

  // --- data: a ring of pre-made batch arrays
  const train = loadMnist('train');
  const ringBatches = Math.max(1, Math.floor(Math.min(train.count, RING_SAMPLES) / options.batch));
  const images = inputsFor(options.data, train.pixels.subarray(0, ringBatches * options.batch * MNIST_PIXELS));
  const targets = oneHot(train.labels.subarray(0, ringBatches * options.batch));
  const ring: { x: JaxArray; y: JaxArray }[] = [];
  for (let b = 0; b < ringBatches; b++) {
    const rows = b * options.batch;
    ring.push({
      x: np
        .array(images.slice(rows * MNIST_PIXELS, (rows + options.batch) * MNIST_PIXELS))
        .reshape([options.batch, MNIST_PIXELS]),
      y: np
        .array(targets.slice(rows * MNIST_CLASSES, (rows + options.batch) * MNIST_CLASSES))
        .reshape([options.batch, MNIST_CLASSES]),
    });
  }
  const test = loadMnist('t10k');
  const inferRows = Math.min(options.inferBatch, test.count);
  const inferInputs = inputsFor(options.data, test.pixels.subarray(0, inferRows * MNIST_PIXELS));

  // --- model and optimizer state
  let params = initialParams(options.sizes);
  let m = tree.map((p: JaxArray) => np.zerosLike(p.ref), params) as Params;
  let v = tree.map((p: JaxArray) => np.zerosLike(p.ref), params) as Params;
  let stepCount = 0;

  // --- training
  const step = async (batchIndex: number): Promise<number> => {
    const { x, y } = ring[batchIndex % ring.length];
    const t = np.array(new Float32Array([++stepCount])).reshape([]);
    const [p2, m2, v2, value] = trainStep(params, m, v, t, x.ref, y.ref);
    params = p2;
    m = m2;
    v = v2;
    await blockUntilReady([params, m, v]);
    return (value.dataSync() as Float32Array)[0];
  };
  const training = await timeTraining(step, options);

  // --- inference, then the accuracy of the trained model on those rows
  let probabilities: Float32Array = new Float32Array(0);
  const inference = await timeInference(
    async () => {
      const x = np.array(inferInputs as Float32Array<ArrayBuffer>).reshape([inferRows, MNIST_PIXELS]);
      probabilities = (await predict(tree.ref(params), x).data()) as Float32Array;
    },
    { rows: inferRows, seconds: options.inferSeconds },
  );
  let correct = 0;
  for (let r = 0; r < inferRows; r++) {
    let best = 0;
    for (let c = 1; c < MNIST_CLASSES; c++)
      if (probabilities[r * MNIST_CLASSES + c] > probabilities[r * MNIST_CLASSES + best]) best = c;
    if (best === test.labels[r]) correct++;
  }

  const cap = options.maxBatches > 0 ? `${options.seconds} s or ${options.maxBatches} batches` : `${options.seconds} s`;
  emitResult({
    name: 'jax-js',
    backend: 'wasm',
    threads: 1,
    batchSize: options.batch,
    data: options.data,
    model: options.sizes.join('-'),
    trainSamplesPerSec: round1(training.samplesPerSec),
    trainSamplesTimed: training.samples,
    inferSamplesPerSec: round1(inference.samplesPerSec),
    peakRssMB: round1(peakRssMB()),
    versions: { node: process.versions.node, '@jax-js/jax': packageVersion('@jax-js/jax') },
    notes:
      `one jit of the whole step (forward, log-softmax cross-entropy, valueAndGrad, Adam in array ops) over ${ring.length} pre-made batch arrays ` +
      `(first ${ring.length * options.batch} images, cycled); ${options.warmup} warm-up batches, then timed for ${cap}; ` +
      'each step waits for the new parameters and reads the loss; Adam eps 1e-8; He-uniform init; wasm backend on the main thread (Node has no global Worker)',
    extra: {
      timedBatches: training.batches,
      timedSeconds: round1(training.seconds),
      cpuPerWall: Math.round(training.cpuPerWall * 100) / 100,
      lossBefore: training.lossBefore,
      lossAfter: training.lossAfter,
      stepsTrained: stepCount,
      testAccuracy: correct / inferRows,
      inferCalls: inference.calls,
      inferRows,
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
