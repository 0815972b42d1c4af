/**
 * Deterministic pseudo-random numbers for shuffling and splitting datasets.
 *
 * Generator: xoshiro128** (Blackman & Vigna, 2018), 128 bits of state, period 2^128 - 1.
 * Seeding:   a 32-bit seed is expanded into the four state words by splitmix32.
 *
 * Contract: only 32-bit integer operations are used (Math.imul, shifts, xor, `>>> 0`) and
 * every float produced is an exact ratio of integers, so one seed gives the same sequence
 * in every JavaScript engine (V8, JavaScriptCore, SpiderMonkey) on every platform.
 */

const TWO_POW_32 = 4294967296;

/** Rotates the 32-bit word `x` left by `bits`. */
function rotateLeft(x: number, bits: number): number {
  return ((x << bits) | (x >>> (32 - bits))) >>> 0;
}

/** Checks that `seed` is an integer in [0, 2^32) and returns it as an unsigned 32-bit word. */
function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed >>> 0;
}

/**
 * splitmix32: a stream of well-mixed 32-bit words from a 32-bit counter.
 * Used only to turn one seed into the four xoshiro state words.
 */
function splitmix32Sequence(seed: number, count: number): number[] {
  const words: number[] = [];
  let counter = seed | 0;
  for (let i = 0; i < count; i++) {
    counter = (counter + 0x9e3779b9) | 0;
    let mixed = counter ^ (counter >>> 16);
    mixed = Math.imul(mixed, 0x21f0aaad);
    mixed ^= mixed >>> 15;
    mixed = Math.imul(mixed, 0x735a2d97);
    mixed ^= mixed >>> 15;
    words.push(mixed >>> 0);
  }
  return words;
}

export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Starts from an explicit state (four 32-bit words, not all zero). Prefer `fromSeed`. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
  }

  /** A generator whose state is expanded from a 32-bit integer seed. */
  static fromSeed(seed: number): Xoshiro128StarStar {
    const [a, b, c, d] = splitmix32Sequence(checkSeed(seed), 4);
    // splitmix32 is a bijection of the counter, so four zero words cannot all occur.
    return new Xoshiro128StarStar(a, b, c, d);
  }

  /** Next unsigned 32-bit integer, uniform over [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const shifted = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ shifted) >>> 0;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /**
   * Uniform integer in [0, bound), without modulo bias: draws above the largest multiple
   * of `bound` that fits in 2^32 are rejected and redrawn. All arithmetic is exact in f64.
   */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
    }
    const acceptBelow = TWO_POW_32 - (TWO_POW_32 % bound);
    let draw = this.nextUint32();
    while (draw >= acceptBelow) draw = this.nextUint32();
    return draw % bound;
  }

  /** Uniform float in [0, 1) with 32 random bits (an exact multiple of 2^-32). */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }
}

/** A random permutation of 0..count-1 (Fisher–Yates), as a Uint32Array. */
export function randomPermutation(count: number, random: Xoshiro128StarStar): Uint32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const held = order[i];
    order[i] = order[j];
    order[j] = held;
  }
  return order;
}
