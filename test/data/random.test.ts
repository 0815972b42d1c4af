import { describe, expect, it } from 'vitest';

import { randomPermutation, Xoshiro128StarStar } from '../../src/data/random.js';

/**
 * An independent xoshiro128** written with BigInt arithmetic modulo 2^32, straight from the
 * reference C code, as the oracle for the Math.imul/>>> implementation.
 */
function referenceXoshiro128StarStar(state: [bigint, bigint, bigint, bigint]) {
  const mask = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  const s = [...state];
  return (): number => {
    const result = (rotl((s[1] * 5n) & mask, 7n) * 9n) & mask;
    const t = (s[1] << 9n) & mask;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

describe('Xoshiro128StarStar', () => {
  it('first output from state (1, 2, 3, 4) is rotl(2 * 5, 7) * 9 = 11520', () => {
    expect(new Xoshiro128StarStar(1, 2, 3, 4).nextUint32()).toBe(11520);
  });

  it('matches a BigInt reference implementation for 10000 outputs from several states', () => {
    const states: [number, number, number, number][] = [
      [1, 2, 3, 4],
      [0xffffffff, 0x80000000, 0x7fffffff, 0x12345678],
      [0xdeadbeef, 0, 0, 1],
    ];
    for (const state of states) {
      const generator = new Xoshiro128StarStar(...state);
      const reference = referenceXoshiro128StarStar(state.map(BigInt) as [bigint, bigint, bigint, bigint]);
      const produced = Array.from({ length: 10_000 }, () => generator.nextUint32());
      const expected = Array.from({ length: 10_000 }, () => reference());
      expect(produced).toEqual(expected);
    }
  });

  it('the same seed gives the same sequence; different seeds differ', () => {
    const draw = (seed: number) => {
      const generator = Xoshiro128StarStar.fromSeed(seed);
      return Array.from({ length: 8 }, () => generator.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(1));
  });

  it('outputs are unsigned 32-bit integers; floats are in [0, 1)', () => {
    const generator = Xoshiro128StarStar.fromSeed(7);
    for (let i = 0; i < 1000; i++) {
      const word = generator.nextUint32();
      expect(Number.isInteger(word) && word >= 0 && word < 2 ** 32).toBe(true);
      const float = generator.nextFloat();
      expect(float >= 0 && float < 1).toBe(true);
    }
  });

  it('nextInt is uniform enough: each of 6 faces within 5% of n/6 over 60000 rolls', () => {
    const generator = Xoshiro128StarStar.fromSeed(123);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[generator.nextInt(6)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('nextInt handles the extreme bounds', () => {
    const generator = Xoshiro128StarStar.fromSeed(5);
    expect(generator.nextInt(1)).toBe(0);
    const wide = generator.nextInt(2 ** 32);
    expect(wide >= 0 && wide < 2 ** 32).toBe(true);
    const justOverHalf = 2 ** 31 + 1; // rejection rate near 1/2: must still terminate and stay in range
    for (let i = 0; i < 100; i++) expect(generator.nextInt(justOverHalf)).toBeLessThan(justOverHalf);
  });

  it('rejects bad seeds, bounds and an all-zero state', () => {
    expect(() => Xoshiro128StarStar.fromSeed(-1)).toThrow(/seed/);
    expect(() => Xoshiro128StarStar.fromSeed(1.5)).toThrow(/seed/);
    expect(() => Xoshiro128StarStar.fromSeed(2 ** 32)).toThrow(/seed/);
    expect(() => Xoshiro128StarStar.fromSeed(7).nextInt(0)).toThrow(/bound/);
    expect(() => new Xoshiro128StarStar(0, 0, 0, 0)).toThrow(/all zero/);
  });
});

describe('randomPermutation', () => {
  it('contains every index once', () => {
    const order = randomPermutation(1000, Xoshiro128StarStar.fromSeed(9));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is deterministic per seed and actually shuffles', () => {
    const a = randomPermutation(50, Xoshiro128StarStar.fromSeed(1));
    const b = randomPermutation(50, Xoshiro128StarStar.fromSeed(1));
    const c = randomPermutation(50, Xoshiro128StarStar.fromSeed(2));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const fixedPoints = Array.from(a).filter((value, index) => value === index).length;
    expect(fixedPoints).toBeLessThan(10);
  });

  it('each position is equally likely to receive each element (3 elements, 6 orders)', () => {
    const generator = Xoshiro128StarStar.fromSeed(77);
    const orderCounts = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const key = randomPermutation(3, generator).join('');
      orderCounts.set(key, (orderCounts.get(key) ?? 0) + 1);
    }
    expect(orderCounts.size).toBe(6);
    for (const count of orderCounts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('handles 0 and 1 elements', () => {
    expect(randomPermutation(0, Xoshiro128StarStar.fromSeed(1)).length).toBe(0);
    expect(Array.from(randomPermutation(1, Xoshiro128StarStar.fromSeed(1)))).toEqual([0]);
  });
});
