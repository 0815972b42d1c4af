/**
 * Checks a ModelDescription before an exporter trusts its shapes.
 *
 * Contract: `assertValidDescription` returns normally only if
 *   - inputSize and every layer's units are positive integers,
 *   - every activation is one of ACTIVATIONS,
 *   - layer l's weights hold exactly in_l * units_l floats (in_0 = inputSize,
 *     in_l = units_{l-1}) and its bias exactly units_l floats, as Float32Arrays,
 *   - every weight and bias is finite (a diverged model is not exported or imported),
 *   - alpha, when present, is a finite number; a batchNorm holds gamma, beta, runningMean
 *     and runningVar of units_l floats each (runningVar ≥ 0) and epsilon > 0;
 *   - there is at least one layer;
 * otherwise it throws an Error naming the layer and what is wrong.
 */

import { ACTIVATIONS, type ModelDescription } from '../model/description.js';
import { assertFinite } from '../model/finite.js';

export function assertValidDescription(desc: ModelDescription, context: string): void {
  if (!isPositiveInteger(desc.inputSize)) {
    throw new Error(`${context}: inputSize must be a positive integer, got ${desc.inputSize}`);
  }
  if (!Array.isArray(desc.layers) || desc.layers.length === 0) {
    throw new Error(`${context}: the model has no layers`);
  }
  let inputs = desc.inputSize;
  desc.layers.forEach((layer, index) => {
    const where = `${context}: layer ${index}`;
    if (!isPositiveInteger(layer.units)) {
      throw new Error(`${where}: units must be a positive integer, got ${layer.units}`);
    }
    if (!(ACTIVATIONS as readonly string[]).includes(layer.activation)) {
      throw new Error(`${where}: unknown activation '${layer.activation}' (expected one of ${ACTIVATIONS.join(', ')})`);
    }
    if (!(layer.weights instanceof Float32Array) || layer.weights.length !== inputs * layer.units) {
      throw new Error(
        `${where}: weights must be a Float32Array of ${inputs} x ${layer.units} = ${inputs * layer.units} values, ` +
          `got ${describeArray(layer.weights)}`,
      );
    }
    if (!(layer.bias instanceof Float32Array) || layer.bias.length !== layer.units) {
      throw new Error(
        `${where}: bias must be a Float32Array of ${layer.units} values, got ${describeArray(layer.bias)}`,
      );
    }
    assertFinite(layer.weights, `layer ${index} weights`, context);
    assertFinite(layer.bias, `layer ${index} biases`, context);
    if (layer.alpha !== undefined && !Number.isFinite(layer.alpha))
      throw new Error(`${where}: alpha must be a finite number, got ${layer.alpha}`);
    const bn = layer.batchNorm;
    if (bn) {
      for (const name of ['gamma', 'beta', 'runningMean', 'runningVar'] as const) {
        if (!(bn[name] instanceof Float32Array) || bn[name].length !== layer.units)
          throw new Error(
            `${where}: batchNorm.${name} must be a Float32Array of ${layer.units} values, got ${describeArray(bn[name])}`,
          );
      }
      if (bn.runningVar.some((v) => !(v >= 0))) throw new Error(`${where}: batchNorm.runningVar must hold numbers ≥ 0`);
      if (!(bn.epsilon > 0)) throw new Error(`${where}: batchNorm.epsilon must be > 0, got ${bn.epsilon}`);
    }
    inputs = layer.units;
  });
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function describeArray(value: unknown): string {
  if (value instanceof Float32Array) return `${value.length} values`;
  if (value === null || value === undefined) return String(value);
  return `a ${(value as object).constructor?.name ?? typeof value}`;
}
