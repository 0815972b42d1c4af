/**
 * A framework-neutral description of a trained dense network: what save/load,
 * ONNX export and the TF.js layers format all read and write.
 *
 * Layer l maps a[in] -> act(a · W + b), W stored row-major as [in, units]
 * (weights[i * units + o] connects input i to unit o), b as [units].
 */
/** Every activation a layer can have (see {@link Activation}). */
export const ACTIVATIONS = [
  'linear',
  'sigmoid',
  'tanh',
  'relu',
  'softplus',
  'softmax',
  'leakyRelu',
  'elu',
  'selu',
  'gelu',
  'geluTanh',
  'silu',
] as const;
/**
 * A layer's activation, applied element-wise to z = x · W + b:
 *
 * - `'linear'`: z (the identity).
 * - `'sigmoid'`: 1 / (1 + e^-z), in (0, 1).
 * - `'tanh'`: tanh z, in (-1, 1).
 * - `'relu'`: max(z, 0).
 * - `'softplus'`: log(1 + e^z), a smooth relu.
 * - `'softmax'`: e^zⱼ / Σₖ e^zₖ over the row (output layer only; pairs with `'crossEntropy'`).
 * - `'leakyRelu'`: z > 0 ? z : α·z (α from the layer's `alpha`, default 0.01, as PyTorch).
 * - `'elu'`: z > 0 ? z : α·(e^z - 1) (default α 1, as PyTorch).
 * - `'selu'`: λ·elu(z) with PyTorch's fixed α = 1.6732632423543772, λ = 1.0507009873554805.
 * - `'gelu'`: z·Φ(z), Φ the normal CDF: the exact erf form, PyTorch's `nn.GELU()` default.
 * - `'geluTanh'`: ½z(1 + tanh(√(2/π)(z + 0.044715z³))): `nn.GELU(approximate='tanh')`.
 * - `'silu'`: z·sigmoid(z) (swish).
 */
export type Activation = (typeof ACTIVATIONS)[number];

/** One dense layer with its parameters: `y = activation(x · W + b)`. */
export interface DenseLayerDescription {
  /** Output width of the layer (neurons); an integer ≥ 1. */
  units: number;
  /** The layer's activation. */
  activation: Activation;
  /** W, [in, units] row-major: `weights[i * units + o]` connects input i to unit o. */
  weights: Float32Array;
  /** b, [units]. */
  bias: Float32Array;
  /** α of leakyRelu and elu (absent: the default, 0.01 and 1). */
  alpha?: number;
  /** Dropout rate on the outputs while training (absent: none; inference is the identity). */
  dropout?: number;
  /** L1 penalty on the weights (training only; Keras' convention: loss += l1·Σ|w|). */
  l1?: number;
  /** L2 penalty on the weights (training only; Keras' convention: loss += l2·Σw²). */
  l2?: number;
  /**
   * Batch norm between x·W + b and the activation, at inference:
   * y = gamma·(z - runningMean)/√(runningVar + epsilon) + beta (each [units]).
   */
  batchNorm?: BatchNormDescription;
}

/** A batch-normalised layer's parameters and statistics (PyTorch's BatchNorm1d: weight = gamma, bias = beta). */
export interface BatchNormDescription {
  /** Learned scale γ [units] (PyTorch's `weight`). */
  gamma: Float32Array;
  /** Learned shift β [units] (PyTorch's `bias`). */
  beta: Float32Array;
  /** Running mean [units], used at inference. */
  runningMean: Float32Array;
  /** Running (unbiased) variance [units], used at inference. */
  runningVar: Float32Array;
  /** Added to the variance before the square root (PyTorch's default 1e-5). */
  epsilon: number;
  /** PyTorch's momentum (running ← (1 - momentum)·running + momentum·batch). */
  momentum: number;
}

/**
 * A dense network's architecture and weights, framework-neutral: what
 * {@link Model.describe} returns, {@link Model.setWeights} and {@link modelFromDescription}
 * take, and {@link fromTfjsLayers} produces.
 */
export interface ModelDescription {
  /** Features per input row; the first layer's W has this many rows. */
  inputSize: number;
  /** The layers, input to output; layer l's input width is layer l-1's units. */
  layers: DenseLayerDescription[];
}
