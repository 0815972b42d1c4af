/**
 * What users write to define and train a model, and its validation into one
 * normalised form. Every bad name or number is rejected here, before any memory
 * is touched, with an Error that names the problem.
 */
import { checkOptionKeys, keysOf } from '../options.js';
import { ACTIVATIONS, type Activation } from './description.js';

/**
 * Every loss a model can train on (see {@link Loss}).
 */
export const LOSSES = ['mse', 'l2', 'crossEntropy', 'binaryCrossEntropy'] as const;
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
 */
export type Loss = (typeof LOSSES)[number];

/**
 * Every optimizer a model can train with (see {@link OptimizerType}).
 */
export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
/**
 * An optimizer's name: `'sgd'` (with optional momentum and Nesterov), `'adam'`, or
 * `'adamw'` (Adam with decoupled weight decay). Give the name alone to use its defaults,
 * or an {@link OptimizerConfig} to set its fields.
 */
export type OptimizerType = (typeof OPTIMIZERS)[number];

/** One dense layer of a {@link ModelSpec}: `y = activation(x · W + b)`, W of shape [inputs, units]. */
export interface LayerSpec {
  /** Output width of the layer (neurons). An integer ≥ 1; the last layer's units are the model's outputs. */
  units: number;
  /**
   * Applied element-wise to x · W + b; `'softmax'` (over the row) is allowed on the output
   * layer only. Default `'linear'` (the identity).
   */
  activation?: Activation;
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
  /** An optimizer name with its defaults, or a full configuration. Default `'adam'` (learning rate 0.001). */
  optimizer?: OptimizerType | OptimizerConfig;
  /** Seed of the initial weights and of the per-epoch shuffles. An integer in [0, 2³²); default 1. */
  seed?: number;
  /**
   * Threads that train data-parallel on one shared memory: an integer from 1 to 64, or
   * `'auto'` for the number of cores (at most 4). Where threads are unavailable (no
   * SharedArrayBuffer, no cross-origin isolation) the model trains on one thread and
   * says why in {@link Model.threading}. Default 1.
   */
  threads?: number | 'auto';
}

/** An {@link OptimizerConfig} with every field filled in (defaults applied), as {@link Model.optimizer} returns it. */
export type NormalizedOptimizer = Required<OptimizerConfig>;

const SPEC_KEYS = keysOf<ModelSpec>({
  inputSize: true,
  layers: true,
  loss: true,
  optimizer: true,
  seed: true,
  threads: true,
});
const LAYER_KEYS = keysOf<LayerSpec>({ units: true, activation: true });
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
});

export interface NormalizedSpec {
  inputSize: number;
  layers: { units: number; activation: Activation }[];
  loss: Loss;
  optimizer: NormalizedOptimizer;
  seed: number;
  threads: number;
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
  const isAdam = config.type !== 'sgd';
  const positive = (n: number) => n > 0;
  const unit = (n: number) => n >= 0 && n < 1;
  const nonNegative = (n: number) => n >= 0;
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
    epsilon: checkNumber(config.epsilon ?? 1e-8, 'optimizer.epsilon', positive, 'a positive number'),
    weightDecay: checkNumber(
      config.weightDecay ?? (config.type === 'adamw' ? 0.01 : 0),
      'optimizer.weightDecay',
      nonNegative,
      'a non-negative number',
    ),
    clipNorm: checkNumber(config.clipNorm ?? 0, 'optimizer.clipNorm', nonNegative, 'a non-negative number (0 = off)'),
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
    return { units: layer.units, activation };
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
  return { inputSize: spec.inputSize, layers, loss, optimizer: normalizeOptimizer(spec.optimizer), seed, threads };
}
