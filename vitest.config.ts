import { configDefaults, defineConfig } from 'vitest/config';
import { relaxedSimdSupported } from './src/runtime/load.js';

/**
 * The op suite (test/kernels/) runs on every core build, the relaxed ones included: Node 20
 * validates relaxed SIMD only with this V8 flag (Node 22+ has it on, and rejects the flag).
 */
const relaxedSimdFlags = relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'kernels', include: ['test/kernels/**/*.test.ts'], execArgv: relaxedSimdFlags },
      },
      {
        extends: true,
        test: {
          name: 'host',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/kernels/**'],
        },
      },
    ],
  },
});
