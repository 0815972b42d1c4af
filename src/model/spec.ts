/**
 * What users write to define and train a model, and its validation into one
 * normalised form. Every bad name or number is rejected here, before any memory
 * is touched, with an Error that names the problem.
 */
import { checkOptionKeys, keysOf } from '../options.js';
import { checkClasses } from './classes.js';
import { ACTIVATIONS, type Activation } from './description.js';
import { INITIALIZERS, type Initializer } from './initialize.js';

/**
 * Every loss a model can train on (see {@link Loss}).
 */
export const LOSSES = ['mse', 'l2', 'crossEntropy', 'binaryCrossEntropy', 'huber', 'mae'] as const;
/**
 * The loss minimised by training: a mean over the batch's rows (y the outputs, t the targets,
 * n the outputs per row).
 *
 * - `'mse'`: mean squared error over every element, Σ (y - t)² / n per row (PyTorch's `MSELoss`).
 * - `'l2'`: half the summed squared error, ½ Σ (y - t)² per row.
 * - `'crossEntropy'`: softmax cross-entropy, -Σ t log y per row (computed stably from the
 *   logits); needs a `'softmax'` output layer with at least 2 units, and labels (class
 *   indices) or one-hot / soft target rows.
 * - `'binaryCrossEntropy'`: sigmoid binary cross-entropy, mean over elements (computed
 *   stably from the logits); needs a `'sigmoid'` output layer and targets in [0, 1]
 *   (binary or multi-label).
 * - `'huber'`: PyTorch's `HuberLoss` with δ = `huberDelta` (default 1): ½(y - t)² where
 *   |y - t| ≤ δ, else δ(|y - t| - ½δ); mean over elements.
 * - `'mae'`: mean absolute error |y - t| over elements (PyTorch's `L1Loss`; subgradient 0 at 0).
 */
export type Loss = (typeof LOSSES)[number];

/**
 * Every optimizer a model can train with (see {@link OptimizerType}).
 */
export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;
/**
 * An optimizer's name: `'sgd'` (with optional momentum and Nesterov), `'adam'`, `'adamw'`
 * (Adam with decoupled weight decay), `'rmsprop'` and `'adagrad'` (torch.optim.RMSprop and
 * torch.optim.Adagrad). Give the name alone to use its defaults, or an {@link OptimizerConfig}
 * to set its fields.
 */
export type OptimizerType = (typeof OPTIMIZERS)[number];

/** Batch normalisation's options: PyTorch's convention (running ← (1 - momentum)·running + momentum·batch). */
export interface BatchNormConfig {
  /** PyTorch's momentum (default 0.1; Keras' momentum 0.99 is PyTorch's 0.01). */
  momentum?: number;
  /** Added to the variance (default 1e-5, as PyTorch). */
  epsilon?: number;
}

/** One dense layer of a {@link ModelSpec}: `y = activation(x · W + b)`, W of shape [inputs, units]. */
export interface LayerSpec {
  /** Output width of the layer (neurons). An integer ≥ 1; the last layer's units are the model's outputs. */
  units: number;
  /**
   * Applied element-wise to x · W + b; `'softmax'` (over the row) is allowed on the output
   * layer only. Default `'linear'` (the identity).
   */
  activation?: Activation;
  /** α of 'leakyRelu' (default 0.01) and 'elu' (default 1), as PyTorch; not allowed on other activations. */
  alpha?: number;
  /**
   * Inverted dropout on this layer's outputs at this rate, in [0, 1), while training only:
   * predict and evaluate see every unit. The masks are drawn from the model's seed, the
   * step and the row's place in the batch: the same on any thread count. Hidden layers only.
   */
  dropout?: number;
  /**
   * Batch normalisation of the pre-activations (x·W + b) over the batch, with a learned
   * scale γ and shift β (updated by the optimizer) and running mean/variance for inference
   * (saved with the model). `true`: momentum 0.1, epsilon 1e-5 (PyTorch's BatchNorm1d).
   */
  batchNorm?: boolean | BatchNormConfig;
  /** L1 penalty on this layer's weights (Keras' convention: loss += l1·Σ|w|; biases are not penalised). */
  l1?: number;
  /** L2 penalty on this layer's weights (Keras' convention: loss += l2·Σw², gradient 2·l2·w). */
  l2?: number;
  /** Weight initializer; default heUniform for relu and softplus, glorotUniform otherwise. */
  initializer?: Initializer;
}

/**
 * An optimizer and its settings. Fields that do not apply to the chosen `type` are
 * accepted and ignored (e.g. `beta1` for SGD); an unknown key is an Error.
 *
 * @example
 * ```ts
 * const model = await createModel({
 *   inputSize: 4,
 *   layers: [{ units: 8, activation: 'relu' }, { units: 3, activation: 'softmax' }],
 *   optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
 * });
 * ```
 */
export interface OptimizerConfig {
  /** Which optimizer: `'sgd'`, `'adam'` or `'adamw'`. */
  type: OptimizerType;
  /** Step size. A number > 0. Default 0.01 for `'sgd'`, 0.001 for `'adam'` and `'adamw'`. */
  learningRate?: number;
  /** SGD only: momentum μ, the fraction of the previous update kept. In [0, 1); default 0 (plain SGD). */
  momentum?: number;
  /** SGD only: use Nesterov momentum (has an effect when `momentum` > 0). Default false. */
  nesterov?: boolean;
  /** Adam/AdamW only: decay rate of the first-moment (mean) estimate. In [0, 1); default 0.9. */
  beta1?: number;
  /** Adam/AdamW only: decay rate of the second-moment (uncentred variance) estimate. In [0, 1); default 0.999. */
  beta2?: number;
  /** Adam/AdamW only: added to √v̂ in the update's denominator for stability. A number > 0; default 1e-8. */
  epsilon?: number;
  /**
   * Weight decay. For `'sgd'` and `'adam'`, an L2 penalty: `weightDecay · w` is added to the
   * gradient. For `'adamw'`, decoupled decay: w shrinks by `learningRate · weightDecay · w`
   * each step. A number ≥ 0; default 0 for `'sgd'` and `'adam'`, 0.01 for `'adamw'`.
   */
  weightDecay?: number;
  /**
   * Gradient clipping: when the global L2 norm of all gradients exceeds this, they are
   * scaled down to this norm before the update. A number ≥ 0; default 0 (off).
   */
  clipNorm?: number;
  /** RMSprop's smoothing constant α (default 0.99, PyTorch's). */
  alpha?: number;
  /** RMSprop: divide by the centred second moment (default false). */
  centered?: boolean;
  /** Adagrad's learning-rate decay: lr / (1 + (t - 1)·lrDecay) (default 0). */
  lrDecay?: number;
  /** Adagrad's accumulator start value (default 0). */
  initialAccumulatorValue?: number;
}

/**
 * What {@link createModel} builds: a stack of dense layers, the loss, the optimizer.
 * Every field is checked before any memory is allocated; a bad value or an unknown
 * key is an Error naming it.
 *
 * @example
 * ```ts
 * const spec: ModelSpec = {
 *   inputSize: 784,
 *   layers: [{ units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }],
 *   optimizer: { type: 'adam', learningRate: 1e-3 },
 * };
 * ```
 */
export interface ModelSpec {
  /** Features per input row. An integer ≥ 1. */
  inputSize: number;
  /** The dense layers, input to output; at least one. The last layer's `units` are the model's outputs. */
  layers: LayerSpec[];
  /**
   * The loss to minimise. Default: `'crossEntropy'` for a `'softmax'` output layer,
   * `'binaryCrossEntropy'` for `'sigmoid'`, `'mse'` otherwise.
   */
  loss?: Loss;
  /** The 'huber' loss's δ: quadratic below it, linear above (default 1, PyTorch's). */
  huberDelta?: number;
  /** An optimizer name with its defaults, or a full configuration. Default `'adam'` (learning rate 0.001). */
  optimizer?: OptimizerType | OptimizerConfig;
  /** Seed of the initial weights and of the per-epoch shuffles. An integer in [0, 2³²); default 1. */
  seed?: number;
  /**
   * Threads that train data-parallel on one shared memory (see runtime/threads.ts); the
   * weights are the one-thread weights bit for bit. 'auto' starts every core (up to 4) and
   * shares out only batches (and predict/evaluate calls) with enough work for a second
   * thread to gain: batch rows × Σ in·out over the layers ≥ 2,000,000 multiply-adds
   * (AUTO_MIN_MACS, src/model/threading.ts); smaller ones run on one thread, e.g. 10-32-2 at
   * batch 32 (12k), while 784-128-64-10 at batch 32 or more (3.5M) takes every core.
   * `model.threading` says what the last call used and why. Where threads are unavailable,
   * or a helper thread stops, the model runs on one thread and says why there. Default 1.
   */
  threads?: number | 'auto';
  /**
   * A classifier's class values, one per output unit (two for one sigmoid output):
   * integers or strings. Labels given to fit and evaluate are these values, and
   * predictClasses returns them. Default: fixed by the first fit, as the sorted
   * distinct label values (see model/classes.ts).
   */
  classes?: readonly number[] | readonly string[];
}

/** An {@link OptimizerConfig} with every field filled in (defaults applied), as {@link Model.optimizer} returns it. */
export type NormalizedOptimizer = Required<OptimizerConfig>;

const SPEC_KEYS = keysOf<ModelSpec>({
  inputSize: true,
  layers: true,
  loss: true,
  huberDelta: true,
  optimizer: true,
  seed: true,
  threads: true,
  classes: true,
});
const LAYER_KEYS = keysOf<LayerSpec>({
  units: true,
  activation: true,
  alpha: true,
  dropout: true,
  batchNorm: true,
  l1: true,
  l2: true,
  initializer: true,
});
const BATCH_NORM_KEYS = keysOf<BatchNormConfig>({ momentum: true, epsilon: true });
const OPTIMIZER_KEYS = keysOf<OptimizerConfig>({
  type: true,
  learningRate: true,
  momentum: true,
  nesterov: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  weightDecay: true,
  clipNorm: true,
  alpha: true,
  centered: true,
  lrDecay: true,
  initialAccumulatorValue: true,
});

/** A layer's options, every one given a value (0 / null: off). */
export interface NormalizedLayer {
  /** Output width of the layer. */
  units: number;
  /** The layer's activation. */
  activation: Activation;
  /** α of leakyRelu and elu (0 for the other activations). */
  alpha: number;
  /** Dropout rate (0: none). */
  dropout: number;
  /** Batch norm's momentum and epsilon, or null: none. */
  batchNorm: Required<BatchNormConfig> | null;
  /** L1 penalty on the weights (0: none). */
  l1: number;
  /** L2 penalty on the weights (0: none). */
  l2: number;
  /** The initializer named in the spec (undefined: the activation's default). */
  initializer?: Initializer;
}

/** A spec after normalizeSpec: every default filled in. */
export interface NormalizedSpec {
  inputSize: number;
  layers: NormalizedLayer[];
  loss: Loss;
  huberDelta: number;
  optimizer: NormalizedOptimizer;
  seed: number;
  threads: number;
  /** The class values, when fixed (spec.classes, or a model file's). */
  classes?: number[] | string[];
}

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

function checkNumber(value: unknown, name: string, ok: (n: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`simdnet: ${name} must be ${rule}, got ${String(value)}`);
  }
  return value;
}

export function normalizeOptimizer(optimizer: OptimizerType | OptimizerConfig | undefined): NormalizedOptimizer {
  const config: OptimizerConfig = typeof optimizer === 'string' ? { type: optimizer } : (optimizer ?? { type: 'adam' });
  if (typeof config !== 'object' || !(OPTIMIZERS as readonly string[]).includes(config.type)) {
    const name = typeof config === 'object' ? config.type : config;
    throw new Error(`simdnet: unknown optimizer '${String(name)}'; expected one of ${OPTIMIZERS.join(', ')}`);
  }
  checkOptionKeys(config, OPTIMIZER_KEYS, 'optimizer');
  const isAdam = config.type === 'adam' || config.type === 'adamw';
  const positive = (n: number) => n > 0;
  const unit = (n: number) => n >= 0 && n < 1;
  const nonNegative = (n: number) => n >= 0;
  if (config.centered !== undefined && typeof config.centered !== 'boolean')
    throw new Error(`simdnet: optimizer.centered must be true or false, got ${String(config.centered)}`);
  return {
    type: config.type,
    learningRate: checkNumber(
      config.learningRate ?? (isAdam ? 1e-3 : 1e-2),
      'optimizer.learningRate',
      positive,
      'a positive number',
    ),
    momentum: checkNumber(config.momentum ?? 0, 'optimizer.momentum', unit, 'in [0, 1)'),
    nesterov: Boolean(config.nesterov),
    beta1: checkNumber(config.beta1 ?? 0.9, 'optimizer.beta1', unit, 'in [0, 1)'),
    beta2: checkNumber(config.beta2 ?? 0.999, 'optimizer.beta2', unit, 'in [0, 1)'),
    epsilon: checkNumber(
      config.epsilon ?? (config.type === 'adagrad' ? 1e-10 : 1e-8),
      'optimizer.epsilon',
      positive,
      'a positive number',
    ),
    weightDecay: checkNumber(
      config.weightDecay ?? (config.type === 'adamw' ? 0.01 : 0),
      'optimizer.weightDecay',
      nonNegative,
      'a non-negative number',
    ),
    clipNorm: checkNumber(config.clipNorm ?? 0, 'optimizer.clipNorm', nonNegative, 'a non-negative number (0 = off)'),
    alpha: checkNumber(config.alpha ?? 0.99, 'optimizer.alpha', unit, 'in [0, 1)'),
    centered: Boolean(config.centered),
    lrDecay: checkNumber(config.lrDecay ?? 0, 'optimizer.lrDecay', nonNegative, 'a non-negative number'),
    initialAccumulatorValue: checkNumber(
      config.initialAccumulatorValue ?? 0,
      'optimizer.initialAccumulatorValue',
      nonNegative,
      'a non-negative number',
    ),
  };
}

/** The α defaults: PyTorch's LeakyReLU(0.01) and ELU(1.0). */
const DEFAULT_ALPHA: Partial<Record<Activation, number>> = { leakyRelu: 0.01, elu: 1 };

/** A layer spec's options checked and given their defaults (`i`: its index, `last`: the output layer's). */
function normalizeLayer(layer: LayerSpec, i: number, last: number): NormalizedLayer {
  const where = `layer ${i}`;
  const activation = layer.activation ?? 'linear';
  const defaultAlpha = DEFAULT_ALPHA[activation];
  if (layer.alpha !== undefined && defaultAlpha === undefined)
    throw new Error(`simdnet: ${where}: alpha applies to leakyRelu and elu only, not '${activation}'`);
  const alpha = checkNumber(layer.alpha ?? defaultAlpha ?? 0, `${where} alpha`, (n) => n >= 0, 'a number ≥ 0');
  const dropout = checkNumber(layer.dropout ?? 0, `${where} dropout`, (n) => n >= 0 && n < 1, 'a rate in [0, 1)');
  if (dropout > 0 && i === last)
    throw new Error(`simdnet: ${where}: dropout applies to hidden layers, not the output layer`);
  const penalty = (value: number | undefined, name: string) =>
    checkNumber(value ?? 0, `${where} ${name}`, (n) => n >= 0, 'a non-negative number');
  const l1 = penalty(layer.l1, 'l1');
  const l2 = penalty(layer.l2, 'l2');
  if (layer.initializer !== undefined && !Object.hasOwn(INITIALIZERS, layer.initializer))
    throw new Error(
      `simdnet: ${where} has unknown initializer '${String(layer.initializer)}'; expected one of ${Object.keys(INITIALIZERS).join(', ')}`,
    );
  let batchNorm: Required<BatchNormConfig> | null = null;
  const bn = layer.batchNorm;
  if (bn === true || (typeof bn === 'object' && bn !== null)) {
    const config = bn === true ? {} : bn;
    checkOptionKeys(config, BATCH_NORM_KEYS, `layers[${i}].batchNorm`);
    batchNorm = {
      momentum: checkNumber(
        config.momentum ?? 0.1,
        `${where} batchNorm.momentum`,
        (n) => n >= 0 && n <= 1,
        'in [0, 1]',
      ),
      epsilon: checkNumber(config.epsilon ?? 1e-5, `${where} batchNorm.epsilon`, (n) => n > 0, 'a positive number'),
    };
  } else if (bn !== undefined && bn !== false) {
    throw new Error(
      `simdnet: ${where} batchNorm must be true, false or { momentum, epsilon }, got ${JSON.stringify(bn)}`,
    );
  }
  return {
    units: layer.units,
    activation,
    alpha,
    dropout,
    batchNorm,
    l1,
    l2,
    ...(layer.initializer === undefined ? {} : { initializer: layer.initializer }),
  };
}

export function normalizeSpec(spec: ModelSpec): NormalizedSpec {
  if (typeof spec !== 'object' || spec === null)
    throw new Error('simdnet: a model needs a spec object { inputSize, layers }');
  checkOptionKeys(spec, SPEC_KEYS, 'model spec');
  if (!isPositiveInteger(spec.inputSize))
    throw new Error(`simdnet: inputSize must be a positive integer, got ${String(spec.inputSize)}`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new Error('simdnet: a model needs at least one layer');
  const layers = spec.layers.map((layer, i) => {
    checkOptionKeys(layer, LAYER_KEYS, `layers[${i}]`);
    if (!isPositiveInteger(layer?.units))
      throw new Error(`simdnet: layer ${i} units must be a positive integer, got ${String(layer?.units)}`);
    const activation = layer.activation ?? 'linear';
    if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new Error(
        `simdnet: layer ${i} has unknown activation '${String(activation)}'; expected one of ${ACTIVATIONS.join(', ')}`,
      );
    }
    if (activation === 'softmax' && i !== spec.layers.length - 1) {
      throw new Error(`simdnet: softmax is supported on the output layer only (layer ${i} is hidden)`);
    }
    return normalizeLayer(layer, i, spec.layers.length - 1);
  });
  const output = layers[layers.length - 1];
  const loss =
    spec.loss ??
    (output.activation === 'softmax' ? 'crossEntropy' : output.activation === 'sigmoid' ? 'binaryCrossEntropy' : 'mse');
  if (!(LOSSES as readonly string[]).includes(loss))
    throw new Error(`simdnet: unknown loss '${String(loss)}'; expected one of ${LOSSES.join(', ')}`);
  if (loss === 'crossEntropy' && output.activation !== 'softmax') {
    throw new Error(
      `simdnet: loss 'crossEntropy' needs a softmax output layer, but the output activation is '${output.activation}'`,
    );
  }
  if (loss === 'crossEntropy' && output.units < 2)
    throw new Error(
      'simdnet: crossEntropy needs at least 2 output units; use a sigmoid output with binaryCrossEntropy',
    );
  if (loss === 'binaryCrossEntropy' && output.activation !== 'sigmoid') {
    throw new Error(
      `simdnet: loss 'binaryCrossEntropy' needs a sigmoid output layer, but the output activation is '${output.activation}'`,
    );
  }
  const seed = spec.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`simdnet: seed must be an integer in [0, 2^32), got ${seed}`);
  const threads = spec.threads === 'auto' ? 1 : (spec.threads ?? 1); // createModel resolves 'auto' to the core count
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new Error(`simdnet: threads must be an integer from 1 to 64 or 'auto', got ${String(spec.threads)}`);
  const huberDelta = checkNumber(spec.huberDelta ?? 1, 'huberDelta', (n) => n > 0, 'a positive number');
  const normalized: NormalizedSpec = {
    inputSize: spec.inputSize,
    layers,
    loss,
    huberDelta,
    optimizer: normalizeOptimizer(spec.optimizer),
    seed,
    threads,
  };
  if (spec.classes !== undefined) normalized.classes = checkClasses(spec.classes, output.units, 'spec.classes');
  return normalized;
}
