/** The core's numeric codes for activation and loss names, read from its exported layout. */
import type { Activation } from '../../src/model/description.js';
import type { Loss } from '../../src/model/spec.js';
import type { Layout } from '../../src/runtime/core.js';

export const ACTIVATIONS: readonly Activation[] = ['linear', 'sigmoid', 'tanh', 'relu', 'softplus', 'softmax'];
export const LOSSES: readonly Loss[] = ['mse', 'l2', 'crossEntropy', 'binaryCrossEntropy'];

export function activationKind(layout: Layout, activation: Activation): number {
  const kinds: Record<Activation, number> = {
    linear: layout.LINEAR,
    sigmoid: layout.SIGMOID,
    tanh: layout.TANH,
    relu: layout.RELU,
    softplus: layout.SOFTPLUS,
    softmax: layout.SOFTMAX,
  };
  return kinds[activation];
}

export function lossKind(layout: Layout, loss: Loss): number {
  const kinds: Record<Loss, number> = {
    mse: layout.MSE,
    l2: layout.L2,
    crossEntropy: layout.CROSS_ENTROPY,
    binaryCrossEntropy: layout.BINARY_CROSS_ENTROPY,
  };
  return kinds[loss];
}
