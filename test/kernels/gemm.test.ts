/**
 * Matrix kernels (assembly/gemm.ts) against the scalar reference kernel
 * (assembly/reference.ts) and against float64 on the host.
 *
 *   C[M,N] = A·B (+ bias[N]) (+ ReLU),  A(r, k) = a[r·aRowStride + k·aKStride]
 *
 * Sizes are chosen to hit every path: the 6x8 tile, the 1x8 row tail, the 4-column
 * panel, the 1-3 scalar columns, and K from 1 to 785 (MNIST's 784 + 1).
 *
 * Two checks per case, on every core build:
 *   - SIMD vs the scalar reference, at the build's tolerance (gemmVsReference in
 *     test/helpers/cores.ts): exactly, as numbers (±0 may differ after ReLU), where
 *     madd is a separate mul and add, since both kernels add the K products in the same
 *     order starting from the bias, so every rounding step is identical; within
 *     atol = 2e-7·K where madd is fused (the relaxed builds).
 *   - both within atol = 2e-7·K (+ rtol 1e-6) of float64. Inputs are in [-1, 1); the
 *     f32 rounding error of a K-term dot product grows at most like K·2^-24·Σ|a·b|,
 *     and in practice like √K; an indexing mistake gives errors of order 1.
 */
import { describe, expect, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { expectClose } from '../helpers/compare.js';
import { type CoreBuild, describeEachCore, gemmVsReference, sharedAcrossCores } from '../helpers/cores.js';
import { checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';

const AWKWARD = [1, 3, 5, 6, 7, 8, 9, 17, 127, 785];

/** [M, N, K]: each awkward size in each role, then some mixes. */
const SHAPES: [number, number, number][] = [
  ...AWKWARD.map((s): [number, number, number] => [s, 7, 5]),
  ...AWKWARD.map((s): [number, number, number] => [5, s, 9]),
  ...AWKWARD.map((s): [number, number, number] => [6, 9, s]),
  [1, 1, 1],
  [3, 3, 3],
  [8, 8, 8],
  [12, 16, 4],
  [13, 17, 9],
  [17, 127, 9],
  [127, 17, 785],
  [9, 785, 17],
  [785, 3, 7],
];

type ALayout = 'rows' | 'transposed';

interface GemmCase {
  m: number;
  n: number;
  k: number;
  aLayout: ALayout;
  withBias: boolean;
  relu: boolean;
  /** Extra floats at the end of each row of A (rows layout), B and C. */
  padding: number;
}

/**
 * Runs gemm and referenceGemm on the same inputs, checks both against float64 and gemm
 * against the reference at the build's tolerance; returns both results.
 */
function checkGemm(
  core: Core,
  build: CoreBuild,
  { m, n, k, aLayout, withBias, relu, padding }: GemmCase,
  seed: number,
  misalignFloats = 0,
): { c: Float32Array; cReference: Float32Array } {
  const random = seededRandom(seed);
  // A is [M, K] ('rows': rowStride = K + padding, kStride = 1) or stored transposed
  // as [K, M] ('transposed': rowStride = 1, kStride = M), as backward() uses it.
  const aRowStride = aLayout === 'rows' ? k + padding : 1;
  const aKStride = aLayout === 'rows' ? 1 : m;
  const aLength = aLayout === 'rows' ? m * (k + padding) : k * m;
  const ldb = n + padding;
  const ldc = n + padding;
  const tolerance = { atol: 2e-7 * k, rtol: 1e-6 };
  const label = `gemm M=${m} N=${n} K=${k} A=${aLayout} bias=${withBias} relu=${relu} pad=${padding} misalign=${misalignFloats}`;
  const { after } = checkOp(
    core,
    {
      misalignFloats,
      buffers: {
        a: uniform(random, aLength),
        b: uniform(random, k * ldb),
        bias: uniform(random, n),
        c: m * ldc,
        cReference: m * ldc,
      },
      run(fn, at) {
        const bias = withBias ? at.bias : 0;
        fn.gemm(m, n, k, at.a, aRowStride, aKStride, at.b, ldb, at.c, ldc, bias, relu ? 1 : 0);
        fn.referenceGemm(m, n, k, at.a, aRowStride, aKStride, at.b, ldb, at.cReference, ldc, bias, relu ? 1 : 0);
      },
      reference({ a, b, bias }) {
        const c = sharedAcrossCores(`${label} seed=${seed}`, () => {
          // Padding columns of C are never written: they keep their NaN fill.
          const sums = new Float64Array(m * ldc).fill(NaN);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = withBias ? bias[j] : 0;
              for (let p = 0; p < k; p++) sum += a[i * aRowStride + p * aKStride] * b[p * ldb + j];
              sums[i * ldc + j] = relu ? Math.max(sum, 0) : sum;
            }
          }
          return sums;
        });
        return { c, cReference: c };
      },
      tolerance,
    },
    label,
  );
  expectClose(after.c, after.cReference, gemmVsReference(build, k), `${label}: SIMD vs scalar reference`);
  return { c: after.c, cReference: after.cReference };
}

describeEachCore((core, build) => {
  describe('gemm: C = A·B (+ bias) (+ ReLU) matches the scalar reference (exactly without FMA) and float64 closely', () => {
    for (const aLayout of ['rows', 'transposed'] as const) {
      it.each(SHAPES)(`A ${aLayout}: M=%i N=%i K=%i, with and without bias and ReLU`, (m, n, k) => {
        let seed = m * 1_000_003 + n * 1009 + k;
        for (const withBias of [false, true]) {
          for (const relu of [false, true])
            checkGemm(core(), build, { m, n, k, aLayout, withBias, relu, padding: 0 }, seed++);
        }
      });
    }

    it.each([
      [13, 17, 9],
      [6, 8, 5],
      [7, 5, 3],
      [1, 12, 127],
    ])('row strides larger than the width (ldb, ldc = N + 3): M=%i N=%i K=%i', (m, n, k) => {
      checkGemm(core(), build, { m, n, k, aLayout: 'rows', withBias: true, relu: false, padding: 3 }, 42);
      checkGemm(core(), build, { m, n, k, aLayout: 'rows', withBias: false, relu: true, padding: 3 }, 43);
    });

    it.each([1, 2, 3])('buffers %i float(s) off 16-byte alignment', (misalign) => {
      for (const [m, n, k] of [
        [13, 17, 9],
        [6, 12, 7],
        [5, 3, 785],
      ] as const) {
        checkGemm(
          core(),
          build,
          { m, n, k, aLayout: 'rows', withBias: true, relu: true, padding: 0 },
          7 + misalign,
          misalign,
        );
        checkGemm(
          core(),
          build,
          { m, n, k, aLayout: 'transposed', withBias: false, relu: false, padding: 0 },
          9 + misalign,
          misalign,
        );
      }
    });

    it('K = 0 leaves C = bias (or 0), after ReLU', () => {
      const bias = [0.5, -0.25, 2, -1, 3, 0.125, -7, 1, 4];
      for (const relu of [false, true]) {
        checkOp(
          core(),
          {
            buffers: { a: 4, b: 4, bias, c: 7 * 9 },
            run: (fn, at) => fn.gemm(7, 9, 0, at.a, 0, 1, at.b, 9, at.c, 9, at.bias, relu ? 1 : 0),
            reference: () => ({
              c: Array.from({ length: 7 * 9 }, (_, i) => (relu ? Math.max(bias[i % 9], 0) : bias[i % 9])),
            }),
            tolerance: { atol: 0, rtol: 0 },
          },
          `K=0 relu=${relu}`,
        );
      }
    });

    it('ReLU clamps negative sums to zero and keeps positive ones unchanged', () => {
      // 1x9 · 9x9 identity: C = A exactly, so the clamp is the only thing that changes values.
      const a = [-3, 2, -0.5, 0.25, -1e-30, 7, -8, 9, 0];
      const identity = Array.from({ length: 81 }, (_, i) => (i % 10 === 0 ? 1 : 0));
      const { after } = checkOp(core(), {
        buffers: { a, b: identity, c: 9 },
        run: (fn, at) => fn.gemm(1, 9, 9, at.a, 9, 1, at.b, 9, at.c, 9, 0, 1),
        reference: ({ a: values }) => ({ c: Array.from(values, (v) => Math.max(v, 0)) }),
        tolerance: { atol: 0, rtol: 0 },
      });
      expect(Array.from(after.c).every((v) => v >= 0)).toBe(true);
    });

    it.runIf(build.fused)('fuses multiply-adds: a K = 785 product rounds differently from the scalar reference', () => {
      // One rounding per step instead of two (x86-64 with FMA, as here and in CI) moves some
      // of 6·9 sums of 785 products in the last bits; the unfused builds match exactly.
      const { c, cReference } = checkGemm(
        core(),
        build,
        {
          m: 6,
          n: 9,
          k: 785,
          aLayout: 'rows',
          withBias: true,
          relu: false,
          padding: 0,
        },
        785,
      );
      expect(c.some((v, i) => v !== cReference[i])).toBe(true);
    });
  });

  describe('transpose: dst[cols, rows] = srcᵀ, exactly', () => {
    it.each([
      [1, 1],
      [1, 7],
      [7, 1],
      [3, 5],
      [4, 4],
      [17, 9],
      [127, 6],
      [785, 3],
    ])('%i x %i', (rows, cols) => {
      checkOp(
        core(),
        {
          buffers: { src: uniform(seededRandom(rows * 100 + cols), rows * cols), dst: rows * cols },
          run: (fn, at) => fn.transpose(at.src, rows, cols, at.dst),
          reference({ src }) {
            const dst = new Float64Array(rows * cols);
            for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
            return { dst };
          },
          tolerance: { atol: 0, rtol: 0 },
        },
        `transpose ${rows}x${cols}`,
      );
    });
  });

  describe('columnSums: out[N] = Σ_rows X[rows, N] (bias gradients)', () => {
    const cases: [number, number][] = [];
    for (const rows of [1, 6, 13, 785]) for (const n of [1, 3, 4, 5, 7, 8, 9, 17, 127]) cases.push([rows, n]);
    it.each(cases)('rows=%i N=%i', (rows, n) => {
      checkOp(
        core(),
        {
          buffers: { x: uniform(seededRandom(rows * 1000 + n), rows * n), out: n },
          run: (fn, at) => fn.columnSums(at.x, rows, n, at.out),
          reference({ x }) {
            const out = new Float64Array(n);
            for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) out[j] += x[r * n + j];
            return { out };
          },
          // f32 accumulation of `rows` terms in [-1, 1).
          tolerance: { atol: 2e-7 * rows, rtol: 1e-6 },
        },
        `columnSums ${rows}x${n}`,
      );
    });
  });
});
