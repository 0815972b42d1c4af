/**
 * Seeded weight initialisation. Uniform distributions only, so the same seed
 * gives bit-identical weights in every JavaScript engine (no log/cos involved):
 *   He (ReLU, softplus):   W ~ U(-√(6/fanIn), +√(6/fanIn))
 *   Glorot (the others):   W ~ U(-√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut)))
 * Biases start at zero.
 */
import type { Xoshiro128StarStar } from '../data/random.js';
import type { Activation } from './description.js';

export function initializationLimit(activation: Activation, fanIn: number, fanOut: number): number {
  const heFamily = activation === 'relu' || activation === 'softplus';
  return heFamily ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
}

/** Fills weights [fanIn, fanOut] from the generator. */
export function initializeWeights(
  weights: Float32Array,
  activation: Activation,
  fanIn: number,
  fanOut: number,
  random: Xoshiro128StarStar,
): void {
  const limit = initializationLimit(activation, fanIn, fanOut);
  for (let i = 0; i < fanIn * fanOut; i++) weights[i] = (2 * random.nextFloat() - 1) * limit;
}
