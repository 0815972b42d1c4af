/**
 * A framework-neutral description of a trained dense network: what save/load,
 * ONNX export and the TF.js layers format all read and write.
 *
 * Layer l maps a[in] -> act(a · W + b), W stored row-major as [in, units]
 * (weights[i * units + o] connects input i to unit o), b as [units].
 */
/** Every activation a layer can have (see {@link Activation}). */
export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'softplus', 'softmax'] as const;
/**
 * A layer's activation, applied element-wise to z = x · W + b:
 *
 * - `'linear'`: z (the identity).
 * - `'sigmoid'`: 1 / (1 + e^-z), in (0, 1).
 * - `'tanh'`: tanh z, in (-1, 1).
 * - `'relu'`: max(z, 0).
 * - `'softplus'`: log(1 + e^z), a smooth relu.
 * - `'softmax'`: e^zⱼ / Σₖ e^zₖ over the row (output layer only; pairs with `'crossEntropy'`).
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
