/** Everything a model holds that training changes, as copies, for before/after comparisons. */
import type { Model } from '../../src/model/model.js';
import { expectBitEqual } from './compare.js';
import { expect } from 'vitest';
import { engineOf } from '../../src/model/model.js';

export interface ModelState {
  params: Float32Array;
  moment1: Float32Array;
  moment2: Float32Array;
  training: { epochs: number; steps: number; learningRate: number };
}

export function modelState(model: Model): ModelState {
  const { params, moment1, moment2 } = engineOf(model).snapshot(true);
  return { params, moment1: moment1!, moment2: moment2!, training: { ...model.training } };
}

/** The model's weights, optimizer moments and training counters are exactly `before`. */
export function expectModelUnchanged(model: Model, before: ModelState): void {
  const after = modelState(model);
  expectBitEqual(after.params, before.params, 'parameters');
  expectBitEqual(after.moment1, before.moment1, 'optimizer moment 1');
  expectBitEqual(after.moment2, before.moment2, 'optimizer moment 2');
  expect(after.training).toEqual(before.training);
}

/** All weights and biases of a model, flattened in layer order (no padding). */
export function flatWeights(model: Model): Float32Array {
  const parts = model.describe().layers.flatMap((layer) => [layer.weights, layer.bias]);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
