/**
 * The core builds the op suite runs on (as tfjs re-runs its kernel tests on every backend):
 *
 *   baseline         simdnet.wasm                  simd128; madd = mul then add (two roundings)
 *   relaxed          simdnet-relaxed.wasm          madd = f32x4.relaxed_madd (a fused multiply-add)
 *   threads          simdnet-threads.wasm          the baseline kernels on a shared memory
 *   threads-relaxed  simdnet-threads-relaxed.wasm  the relaxed kernels on a shared memory
 *
 * `describeEachCore(body)` runs `body` once per build, in blocks titled '<name> core', so the
 * output shows every case on every build. A build this engine cannot compile (relaxed SIMD on
 * Node 20 without --experimental-wasm-relaxed-simd, which vitest.config.ts passes to
 * test/kernels/ when needed) is a skipped block whose title, and a line on stderr, say why;
 * so is a build a file leaves out on purpose (`exclude`), as tfjs lists each exclusion.
 *
 * Only the GEMM kernels use madd, so only they need a per-build tolerance (`gemmVsReference`).
 */
import { beforeAll, describe } from 'vitest';

import { Core } from '../../src/runtime/core.js';
import { type CoreFile, defaultSource } from '../../src/runtime/default-source.js';
import { relaxedSimdSupported, SHARED_MEMORY_PAGES } from '../../src/runtime/load.js';
import type { Tolerance } from './compare.js';

export interface CoreBuild {
  name: 'baseline' | 'relaxed' | 'threads' | 'threads-relaxed';
  file: CoreFile;
  /** The GEMM micro-kernels fuse multiply-adds (one rounding per step instead of two). */
  fused: boolean;
  /** Linear memory is a shared WebAssembly.Memory (SharedArrayBuffer). */
  shared: boolean;
}

export const CORE_BUILDS: readonly CoreBuild[] = [
  { name: 'baseline', file: 'simdnet.wasm', fused: false, shared: false },
  { name: 'relaxed', file: 'simdnet-relaxed.wasm', fused: true, shared: false },
  { name: 'threads', file: 'simdnet-threads.wasm', fused: false, shared: true },
  { name: 'threads-relaxed', file: 'simdnet-threads-relaxed.wasm', fused: true, shared: true },
];

/** Why this engine cannot run `build`, or undefined when it can. */
export function unavailableReason(build: CoreBuild): string | undefined {
  if (build.fused && !relaxedSimdSupported())
    return `this engine (Node ${process.versions.node}) does not validate relaxed SIMD; Node 20 needs --experimental-wasm-relaxed-simd`;
  if (build.shared && typeof SharedArrayBuffer === 'undefined') return 'this engine has no SharedArrayBuffer';
  return undefined;
}

/** A fresh instance of `build` over its own memory (shared for the threads builds). */
export async function instantiateBuild(build: CoreBuild, initialBytes = 1 << 20): Promise<Core> {
  const source = await defaultSource(build.file);
  const module = await WebAssembly.compile(source as BufferSource);
  const initial = Math.max(1, Math.ceil(initialBytes / 65536));
  const memory = build.shared
    ? new WebAssembly.Memory({ initial, maximum: SHARED_MEMORY_PAGES, shared: true })
    : new WebAssembly.Memory({ initial });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const core = new Core(instance, memory);
  if (core.memory.buffer instanceof SharedArrayBuffer !== build.shared)
    throw new Error(`${build.file}: expected a ${build.shared ? 'shared' : 'plain'} memory`);
  return core;
}

/** Builds a file leaves out, and why (the reason is shown in the skipped block's title). */
export interface CoreExclusion {
  when(build: CoreBuild): boolean;
  reason: string;
}

/**
 * Runs `body` once per core build, inside describe('<name> core'). `core()` is that build's
 * instance (created in beforeAll, one per file and build); `build` says which it is.
 */
export function describeEachCore(body: (core: () => Core, build: CoreBuild) => void, exclude?: CoreExclusion): void {
  for (const build of CORE_BUILDS) {
    const reason = exclude?.when(build) ? exclude.reason : unavailableReason(build);
    if (reason !== undefined) {
      if (!exclude?.when(build)) console.warn(`op suite: ${build.name} core skipped: ${reason}`);
      describe.skip(`${build.name} core (skipped: ${reason})`, () => {
        body(() => {
          throw new Error(`the ${build.name} core is skipped: ${reason}`);
        }, build);
      });
      continue;
    }
    describe(`${build.name} core`, () => {
      let instance: Core | undefined;
      beforeAll(async () => {
        instance = await instantiateBuild(build);
      });
      body(() => {
        if (!instance) throw new Error(`the ${build.name} core is not instantiated yet (call core() inside a test)`);
        return instance;
      }, build);
    });
  }
}

/**
 * How far a GEMM's C may be from the scalar reference kernel's (assembly/reference.ts) on
 * `build`, for a K-term sum of products of values in [-1, 1):
 *
 *   unfused  exact: both add the K products in the same order, starting from the bias,
 *            with one rounding per multiply and per add, so every rounding step is identical.
 *   fused    each step rounds once (a·b + c) instead of twice: each of the K steps may
 *            differ by about one f32 ulp of the running sum, so atol = 2e-7·K (≈ 3.4·2^-24·K)
 *            and rtol = 1e-6, the bound the float64 comparison uses. Measured on the relaxed
 *            core (x86-64 with FMA, Node 24, 3 seeds per shape): at most 0.94·2^-24·K
 *            (M=9 N=785 K=17), 28% of atol; 0.16-0.26·2^-24·K for K = 512-2000. An indexing
 *            mistake gives errors of order 1.
 */
export function gemmVsReference(build: CoreBuild, k: number): Tolerance {
  return build.fused ? { atol: 2e-7 * Math.max(k, 1), rtol: 1e-6 } : { atol: 0, rtol: 0 };
}

const shared = new Map<string, unknown>();

/**
 * `compute()`'s result for `key`, computed once per test file and shared by every core's run
 * of the same case: a float64 expectation depends on the seeded inputs, not on the build
 * (a GEMM's triple loop in JavaScript costs more than the kernels it checks).
 */
export function sharedAcrossCores<T>(key: string, compute: () => T): T {
  if (!shared.has(key)) shared.set(key, compute());
  return shared.get(key) as T;
}
