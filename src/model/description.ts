/**
 * A framework-neutral description of a trained dense network: what save/load,
 * ONNX export and the TF.js layers format all read and write.
 *
 * Layer l maps a[in] -> act(a · W + b), W stored row-major as [in, units]
 * (weights[i * units + o] connects input i to unit o), b as [units].
 */
/**
 * The activations. 'leakyRelu' (α, default 0.01) and 'elu' (α, default 1) as PyTorch's;
 * 'selu' with PyTorch's fixed α and λ; 'gelu' the exact erf form z·Φ(z) (PyTorch's
 * nn.GELU() default), 'geluTanh' its tanh approximation (nn.GELU(approximate='tanh'));
 * 'silu' z·sigmoid(z) (swish).
 */
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
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseLayerDescription {
  units: number;
  activation: Activation;
  /** [in, units] row-major. */
  weights: Float32Array;
  /** [units]. */
  bias: Float32Array;
  /** α of leakyRelu and elu (absent: the default, 0.01 and 1). */
  alpha?: number;
  /** Dropout rate on the outputs while training (absent: none; inference is the identity). */
  dropout?: number;
  /** L1 and L2 penalties on the weights (training only). */
  l1?: number;
  l2?: number;
  /**
   * Batch norm between x·W + b and the activation, at inference:
   * y = gamma·(z - runningMean)/√(runningVar + epsilon) + beta (each [units]).
   */
  batchNorm?: BatchNormDescription;
}

/** A batch-normalised layer's parameters and statistics (PyTorch's BatchNorm1d: weight = gamma, bias = beta). */
export interface BatchNormDescription {
  /** Learned scale γ and shift β [units]. */
  gamma: Float32Array;
  beta: Float32Array;
  /** Running mean and (unbiased) variance [units], used at inference. */
  runningMean: Float32Array;
  runningVar: Float32Array;
  epsilon: number;
  /** PyTorch's momentum (running ← (1 - momentum)·running + momentum·batch). */
  momentum: number;
}

export interface ModelDescription {
  inputSize: number;
  layers: DenseLayerDescription[];
}
