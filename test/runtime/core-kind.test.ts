/**
 * Which core kind init() picks, and coreInfo()'s reason: the relaxed core by default where
 * the engine validates relaxed SIMD, the baseline core elsewhere; relaxed: false keeps the
 * baseline everywhere; a source given alone is the core used; unknown keys are errors; the
 * threaded core is always of the kind the one-thread core is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../src/index.js';
import { coreInfo, init, relaxedSimdSupported } from '../../src/runtime/load.js';

const wasm = (file: string) => readFileSync(new URL(`../../build/${file}`, import.meta.url));

/** A model's weights and biases as bit patterns, after a short seeded fit. */
async function trainedBits(threads: number): Promise<number[]> {
  const inputs = new Float32Array(256 * 6).map((_, i) => Math.sin(i * 0.37));
  const labels = new Int32Array(256).map((_, r) => r % 3);
  const model = await createModel({
    inputSize: 6,
    layers: [
      { units: 16, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    seed: 2,
    threads,
  });
  await model.fit({ inputs, labels }, { epochs: 2, batchSize: 64 });
  const bits = model
    .describe()
    .layers.flatMap((layer) => [...new Uint32Array(Float32Array.from([...layer.weights, ...layer.bias]).buffer)]);
  model.dispose();
  return bits;
}

describe('the core kind', () => {
  it('by default: relaxed where relaxed SIMD validates, else baseline, with the reason', async () => {
    await init();
    if (relaxedSimdSupported()) {
      expect(coreInfo()).toEqual({
        simd: 'relaxed',
        reason: 'this engine validates relaxed SIMD (the default; init({ relaxed: false }) keeps the baseline core)',
        revectorized: false,
      });
    } else {
      expect(coreInfo().simd).toBe('baseline');
      expect(coreInfo().reason).toMatch(/^this engine does not validate relaxed SIMD/);
    }
  });

  it('the default kind: 2 threads give the one-thread bits', async () => {
    await init();
    expect(await trainedBits(2)).toEqual(await trainedBits(1));
  });

  it('relaxed: false keeps the baseline core; 2 threads give its one-thread bits', async () => {
    await init({ relaxed: false });
    expect(coreInfo()).toEqual({ simd: 'baseline', reason: 'asked for (relaxed: false)', revectorized: false });
    expect(await trainedBits(2)).toEqual(await trainedBits(1));
  });

  it('a source given alone is the core used', async () => {
    await init(wasm('simdnet.wasm'));
    expect(coreInfo()).toEqual({ simd: 'baseline', reason: 'the core given as source', revectorized: false });
  });

  it.skipIf(!relaxedSimdSupported())('relaxed: true on an engine that has it', async () => {
    await init({ relaxed: true });
    expect(coreInfo()).toEqual({ simd: 'relaxed', reason: 'asked for (relaxed: true)', revectorized: false });
  });

  it.skipIf(relaxedSimdSupported())('relaxed: true on an engine without it is an error naming why', async () => {
    await expect(init({ relaxed: true })).rejects.toThrow(
      /relaxed SIMD was required, but this engine does not validate relaxed SIMD/,
    );
  });

  it('an unknown option key is an error', async () => {
    await expect(init({ simd: 'baseline' } as never)).rejects.toThrow(/simd/);
  });
});
