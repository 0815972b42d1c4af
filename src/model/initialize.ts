/**
 * Seeded weight initialisation: a layer's weights W [fanIn, fanOut] from the model's
 * generator. Biases start at zero.
 *
 *   heUniform       U(-√(6/fanIn), +√(6/fanIn))                    (Var = 2/fanIn)
 *   heNormal        N(0, 2/fanIn)                                  (PyTorch kaiming_normal_)
 *   glorotUniform   U(-√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut)))  (Var = 2/(fanIn+fanOut))
 *   glorotNormal    N(0, 2/(fanIn+fanOut))                         (PyTorch xavier_normal_)
 *   lecunNormal     N(0, 1/fanIn)                                  (for selu)
 *   zeros           0
 *
 * The default (no initializer named) is today's: heUniform for relu and softplus,
 * glorotUniform for every other activation. The normal ones are plain (untruncated)
 * normals, as PyTorch draws them; Keras truncates at 2σ and rescales to the same variance.
 *
 * Determinism: the uniform initializers use only exact arithmetic on the generator's
 * output, so one seed gives the same bits in every JavaScript engine. The normal ones use
 * the Box–Muller transform (Math.log, Math.cos, Math.sin): the same bits on one engine
 * every run, but engines may differ in the last bit of those functions.
 */
import type { Xoshiro128StarStar } from '../data/random.js';
import type { Activation } from './description.js';

/**
 * A weight initializer (biases start at 0): `'heNormal'` N(0, 2/fanIn), `'heUniform'` U(±√(6/fanIn)),
 * `'glorotNormal'` N(0, 2/(fanIn + fanOut)), `'glorotUniform'` U(±√(6/(fanIn + fanOut))),
 * `'lecunNormal'` N(0, 1/fanIn), `'zeros'`. Normals are plain (not truncated), as PyTorch draws them.
 */
export type Initializer = 'heNormal' | 'heUniform' | 'glorotNormal' | 'glorotUniform' | 'lecunNormal' | 'zeros';

/** Fills `weights` [fanIn·fanOut] from `random`. */
export type InitializerFunction = (
  weights: Float32Array,
  fanIn: number,
  fanOut: number,
  random: Xoshiro128StarStar,
) => void;

/** Fills weights with U(-limit, +limit). */
function fillUniform(weights: Float32Array, limit: number, random: Xoshiro128StarStar): void {
  for (let i = 0; i < weights.length; i++) weights[i] = (2 * random.nextFloat() - 1) * limit;
}

/** Fills weights with N(0, stddev²) by Box–Muller, two values per pair of uniforms. */
function fillNormal(weights: Float32Array, stddev: number, random: Xoshiro128StarStar): void {
  for (let i = 0; i < weights.length; i += 2) {
    // 1 - u is in (0, 1]: the logarithm is finite.
    const radius = stddev * Math.sqrt(-2 * Math.log(1 - random.nextFloat()));
    const angle = 2 * Math.PI * random.nextFloat();
    weights[i] = radius * Math.cos(angle);
    if (i + 1 < weights.length) weights[i + 1] = radius * Math.sin(angle);
  }
}

/** He (Kaiming) uniform: U(±√(6/fanIn)). */
export const heUniform: InitializerFunction = (weights, fanIn, _fanOut, random) =>
  fillUniform(weights, Math.sqrt(6 / fanIn), random);

/** He (Kaiming) normal: N(0, 2/fanIn). */
export const heNormal: InitializerFunction = (weights, fanIn, _fanOut, random) =>
  fillNormal(weights, Math.sqrt(2 / fanIn), random);

/** Glorot (Xavier) uniform: U(±√(6/(fanIn + fanOut))). */
export const glorotUniform: InitializerFunction = (weights, fanIn, fanOut, random) =>
  fillUniform(weights, Math.sqrt(6 / (fanIn + fanOut)), random);

/** Glorot (Xavier) normal: N(0, 2/(fanIn + fanOut)). */
export const glorotNormal: InitializerFunction = (weights, fanIn, fanOut, random) =>
  fillNormal(weights, Math.sqrt(2 / (fanIn + fanOut)), random);

/** LeCun normal: N(0, 1/fanIn). */
export const lecunNormal: InitializerFunction = (weights, fanIn, _fanOut, random) =>
  fillNormal(weights, Math.sqrt(1 / fanIn), random);

/** All zeros (draws nothing from the generator). */
export const zeros: InitializerFunction = (weights) => {
  weights.fill(0);
};

/** Every initializer by name. */
export const INITIALIZERS: Readonly<Record<Initializer, InitializerFunction>> = {
  heNormal,
  heUniform,
  glorotNormal,
  glorotUniform,
  lecunNormal,
  zeros,
};

/** The initializer used when none is named: heUniform for relu and softplus, else glorotUniform. */
export function defaultInitializer(activation: Activation): Initializer {
  return activation === 'relu' || activation === 'softplus' ? 'heUniform' : 'glorotUniform';
}

/** The bound of the default (uniform) initializer's distribution. */
export function initializationLimit(activation: Activation, fanIn: number, fanOut: number): number {
  return defaultInitializer(activation) === 'heUniform' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
}

/** Fills weights [fanIn, fanOut] from the generator with `initializer`, or the activation's default. */
export function initializeWeights(
  weights: Float32Array,
  activation: Activation,
  fanIn: number,
  fanOut: number,
  random: Xoshiro128StarStar,
  initializer: Initializer = defaultInitializer(activation),
): void {
  if (!Object.hasOwn(INITIALIZERS, initializer))
    throw new Error(
      `simdnet: unknown initializer '${initializer}'; expected one of ${Object.keys(INITIALIZERS).join(', ')}`,
    );
  INITIALIZERS[initializer](weights.subarray(0, fanIn * fanOut), fanIn, fanOut, random);
}
