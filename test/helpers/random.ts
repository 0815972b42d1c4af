/**
 * Seeded test data. mulberry32 is used (not the library's own xoshiro128**) so that
 * test inputs never depend on the code under test.
 */

/** mulberry32: a small seeded generator of uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` uniform floats in [low, high), rounded to f32. */
export function uniform(random: () => number, count: number, low = -1, high = 1): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = low + (high - low) * random();
  return values;
}

/** `count` integers in [0, bound). */
export function integers(random: () => number, count: number, bound: number): Int32Array {
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) values[i] = Math.floor(random() * bound);
  return values;
}
