/**
 * Weight initializers (src/model/initialize.ts): on a 500 x 300 layer (150,000 weights)
 * each one's sample mean and variance are within 5 standard errors of the distribution's
 * (mean 0; variance 2/fanIn, 2/(fanIn + fanOut) or 1/fanIn), the uniform ones stay inside
 * their bounds and reach near them, the normal ones put 68.27% within one σ; the default
 * is today's (heUniform for relu and softplus, glorotUniform otherwise, the same bits as
 * before the named initializers); one seed gives the same weights twice.
 */
import { describe, expect, it } from 'vitest';

import { Xoshiro128StarStar } from '../../src/data/random.js';
import {
  defaultInitializer,
  INITIALIZERS,
  type Initializer,
  initializationLimit,
  initializeWeights,
} from '../../src/model/initialize.js';

const [FAN_IN, FAN_OUT] = [500, 300];
const COUNT = FAN_IN * FAN_OUT;

function draw(initializer: Initializer, seed = 42): Float32Array {
  const weights = new Float32Array(COUNT);
  initializeWeights(weights, 'relu', FAN_IN, FAN_OUT, Xoshiro128StarStar.fromSeed(seed), initializer);
  return weights;
}

function moments(w: Float32Array): { mean: number; variance: number } {
  let sum = 0;
  for (const v of w) sum += v;
  const mean = sum / w.length;
  let squares = 0;
  for (const v of w) squares += (v - mean) ** 2;
  return { mean, variance: squares / w.length };
}

/** Whether two arrays hold the same f32 bit patterns. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const EXPECTED: Record<Exclude<Initializer, 'zeros'>, { variance: number; normal: boolean }> = {
  heUniform: { variance: 2 / FAN_IN, normal: false },
  heNormal: { variance: 2 / FAN_IN, normal: true },
  glorotUniform: { variance: 2 / (FAN_IN + FAN_OUT), normal: false },
  glorotNormal: { variance: 2 / (FAN_IN + FAN_OUT), normal: true },
  lecunNormal: { variance: 1 / FAN_IN, normal: true },
};

describe('weight initializers: statistics on a 500 x 300 layer', () => {
  for (const [name, { variance, normal }] of Object.entries(EXPECTED) as [
    Initializer,
    { variance: number; normal: boolean },
  ][]) {
    it(`${name}: mean 0 and variance ${variance.toPrecision(3)} within 5 standard errors`, () => {
      const w = draw(name);
      const m = moments(w);
      const sd = Math.sqrt(variance);
      expect(Math.abs(m.mean)).toBeLessThan((5 * sd) / Math.sqrt(COUNT));
      // Var(sample variance) = (μ4 - σ⁴)/N: μ4 = 3σ⁴ (normal), 1.8σ⁴ (uniform).
      const kurtosis = normal ? 3 : 1.8;
      expect(Math.abs(m.variance - variance)).toBeLessThan(5 * variance * Math.sqrt((kurtosis - 1) / COUNT));
      const maxAbs = w.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      if (normal) {
        const within = w.filter((v) => Math.abs(v) < sd).length / COUNT;
        expect(Math.abs(within - 0.6827)).toBeLessThan(0.006);
        expect(maxAbs).toBeGreaterThan(3.5 * sd);
      } else {
        const limit = Math.sqrt(3 * variance);
        expect(maxAbs).toBeLessThanOrEqual(limit);
        expect(maxAbs).toBeGreaterThan(0.999 * limit);
      }
    });
  }

  it('zeros: every weight 0', () => {
    expect(draw('zeros').every((v) => v === 0)).toBe(true);
  });

  it('one seed gives the same bits twice; another seed other weights', () => {
    for (const name of Object.keys(INITIALIZERS) as Initializer[]) {
      expect(sameBits(draw(name, 7), draw(name, 7)), `${name}: same seed`).toBe(true);
      if (name !== 'zeros') expect(sameBits(draw(name, 7), draw(name, 8)), `${name}: other seed`).toBe(false);
    }
  });

  it("the default is today's: heUniform for relu and softplus, glorotUniform otherwise, U(±limit) bit for bit", () => {
    expect(defaultInitializer('relu')).toBe('heUniform');
    expect(defaultInitializer('softplus')).toBe('heUniform');
    for (const activation of ['linear', 'sigmoid', 'tanh', 'softmax'] as const)
      expect(defaultInitializer(activation)).toBe('glorotUniform');
    for (const activation of ['relu', 'tanh'] as const) {
      const weights = new Float32Array(6 * 4);
      initializeWeights(weights, activation, 6, 4, Xoshiro128StarStar.fromSeed(3));
      // The formula of the version before named initializers: (2u - 1)·limit.
      const random = Xoshiro128StarStar.fromSeed(3);
      const limit = initializationLimit(activation, 6, 4);
      const before = Float32Array.from({ length: 24 }, () => (2 * random.nextFloat() - 1) * limit);
      expect(weights).toEqual(before);
    }
  });

  it('an unknown name is refused with the list of names', () => {
    expect(() =>
      initializeWeights(new Float32Array(4), 'relu', 2, 2, Xoshiro128StarStar.fromSeed(1), 'kaiming' as Initializer),
    ).toThrow(/unknown initializer 'kaiming'.*heNormal/);
  });
});
