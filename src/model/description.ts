/**
 * A framework-neutral description of a trained dense network: what save/load,
 * ONNX export and the TF.js layers format all read and write.
 *
 * Layer l maps a[in] -> act(a · W + b), W stored row-major as [in, units]
 * (weights[i * units + o] connects input i to unit o), b as [units].
 */
export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'softplus', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseLayerDescription {
  units: number;
  activation: Activation;
  /** [in, units] row-major. */
  weights: Float32Array;
  /** [units]. */
  bias: Float32Array;
}

export interface ModelDescription {
  inputSize: number;
  layers: DenseLayerDescription[];
}
