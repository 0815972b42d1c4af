/**
 * `simdnet train`: by default (and with --relaxed) the relaxed-SIMD core where the engine has
 * it (Node 20 with --experimental-wasm-relaxed-simd, Node 22+ without), on 2 threads too,
 * ending with the one-thread relaxed result exactly; elsewhere the baseline core, with the
 * reason printed. --baseline keeps the baseline core. With the relaxed core the CLI also asks
 * for V8's 256-bit revectorizer (src/runtime/revectorize.ts) and reports whether it is on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/index.js';
import { relaxedSimdSupported } from '../../src/runtime/load.js';
import { expectOneLineError, runCli, runOk, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

const ARGS = ['train', '--limit', '2000', '--epochs', '1', '--layers', '32', '--batch-size', '64'];
/** Node flags that let this engine validate relaxed SIMD (none where it does already). */
const RELAXED_FLAGS = relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'];
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('train: relaxed by default, --baseline', () => {
  it('uses the relaxed core where the engine has it, else the baseline core, and says which and why', async () => {
    for (const output of [await runOk(ARGS, scratch.dir), await runOk([...ARGS, '--relaxed'], scratch.dir)]) {
      if (relaxedSimdSupported()) {
        expect(output).toMatch(/^core: relaxed SIMD/m);
      } else {
        expect(output).toMatch(
          /^core: baseline SIMD \(this engine does not validate relaxed SIMD \(Node 20 needs --experimental-wasm-relaxed-simd/m,
        );
      }
      expect(Number(/test accuracy ([\d.]+)%/.exec(output)?.[1])).toBeGreaterThan(60);
    }
  });

  it('--baseline keeps the baseline core, and --relaxed with --baseline is a usage error', async () => {
    expect(await runOk([...ARGS, '--baseline'], scratch.dir)).toMatch(
      /^core: baseline SIMD \(asked for \(relaxed: false\)\)$/m,
    );
    const both = await runCli([...ARGS, '--relaxed', '--baseline'], scratch.dir);
    expect(both.status).toBe(2);
    expectOneLineError(both, /give --relaxed or --baseline, not both/);
  });

  it('on the relaxed core, 2 threads end with the 1-thread weights exactly, and not the baseline ones', async () => {
    /** Trains, saves, and returns the --json result and the saved weights as bits. */
    const run = async (name: string, extra: string[], flags: string[]) => {
      const file = join(scratch.dir, `${name}.simdnet`);
      const result = lastJson(await runOk([...ARGS, '--json', '--save', file, ...extra], scratch.dir, flags));
      const model = await loadModel(readFileSync(file));
      const bits = model
        .describe()
        .layers.flatMap((layer) => [...new Uint32Array(Float32Array.from([...layer.weights, ...layer.bias]).buffer)]);
      model.dispose();
      return { simd: result.simd, revectorized: result.revectorized, bits };
    };
    const two = await run('relaxed-2', ['--threads', '2'], RELAXED_FLAGS);
    const one = await run('relaxed-1', ['--relaxed', '--threads', '1'], RELAXED_FLAGS);
    const baseline = await run('baseline-1', ['--baseline', '--threads', '1'], []);
    expect([two.simd, one.simd, baseline.simd]).toEqual(['relaxed', 'relaxed', 'baseline']);
    // The CLI asks for V8's revectorizer with the relaxed core (on where this Node has it: the
    // same bits either way, test/runtime/revectorize.test.ts), never with the baseline core.
    expect(typeof two.revectorized).toBe('boolean');
    expect(one.revectorized).toBe(two.revectorized);
    expect(baseline.revectorized).toBe(false);
    expect(two.bits).toEqual(one.bits);
    // Fused multiply-adds (x86-64 with FMA, as here and in CI) round differently: the same
    // training on the baseline core ends elsewhere in the last bits.
    expect(one.bits).not.toEqual(baseline.bits);
  });
});
