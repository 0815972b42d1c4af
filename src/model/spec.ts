/**
 * What users write to define and train a model, and its validation into one
 * normalised form. Every bad name or number is rejected here, before any memory
 * is touched, with an Error that names the problem.
 */
import { checkOptionKeys, keysOf } from '../options.js';
import { checkClasses } from './classes.js';
import { ACTIVATIONS, type Activation } from './description.js';

export const LOSSES = ['mse', 'l2', 'crossEntropy', 'binaryCrossEntropy'] as const;
export type Loss = (typeof LOSSES)[number];

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerType = (typeof OPTIMIZERS)[number];

export interface LayerSpec {
  units: number;
  /** Default 'linear'. */
  activation?: Activation;
}

export interface OptimizerConfig {
  type: OptimizerType;
  /** Default 0.01 for SGD, 0.001 for Adam/AdamW. */
  learningRate?: number;
  /** SGD momentum μ (0 = plain SGD). */
  momentum?: number;
  /** SGD: Nesterov momentum. */
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty added to the gradient (SGD, Adam); decoupled decay for AdamW (default 0.01 there). */
  weightDecay?: number;
  /** Clip gradients by global L2 norm to at most this (0 or undefined = off). */
  clipNorm?: number;
}

export interface ModelSpec {
  inputSize: number;
  layers: LayerSpec[];
  /** Default: crossEntropy for a softmax output, binaryCrossEntropy for sigmoid, mse otherwise. */
  loss?: Loss;
  /** An optimizer name with its defaults, or a full configuration. Default 'adam'. */
  optimizer?: OptimizerType | OptimizerConfig;
  /** Seed for weight initialisation and shuffling. Default 1. */
  seed?: number;
  /**
   * Threads that train data-parallel on one shared memory (see runtime/threads.ts);
   * 'auto' uses every core (up to 4). Where threads are unavailable the model trains
   * on one thread and says why in `model.threading`. Default 1.
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

export type NormalizedOptimizer = Required<OptimizerConfig>;

const SPEC_KEYS = keysOf<ModelSpec>({
  inputSize: true,
  layers: true,
  loss: true,
  optimizer: true,
  seed: true,
  threads: true,
  classes: true,
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
  const normalized: NormalizedSpec = {
    inputSize: spec.inputSize,
    layers,
    loss,
    optimizer: normalizeOptimizer(spec.optimizer),
    seed,
    threads,
  };
  if (spec.classes !== undefined) normalized.classes = checkClasses(spec.classes, output.units, 'spec.classes');
  return normalized;
}
