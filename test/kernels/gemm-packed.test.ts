/**
 * The packed GEMM engine (assembly/gemm.ts gemmPacked), the network's path for every dense
 * layer, against the scalar reference kernel and float64:
 *
 *   C[M,N] = A·B (+ bias), then finish: none, ReLU, or ⊙ [mask > 0]
 *
 * in the three operand layouts the network uses (forward: A rows, B row-major; input
 * deltas: B(k,n) = W[n][k]; weight gradients: A stored transposed), with the sparse-A flag
 * (all-zero steps skipped; listed while packing when A's rows are contiguous in k, after
 * packing otherwise) and with B prepacked by packPanels (the threads' shared δ₀), whole or
 * filled in two row ranges by two calls as two threads do.
 *
 * Shapes cross every blocking boundary: K over one chunk (KC = 512: 785 runs as 2 chunks,
 * 1100 as 3), N over one column block (NC = 256), M over one row block (MC = 64) and odd
 * (the 1-row edge tile), N not a multiple of the 16-column panel (edge tiles).
 *
 * The sums are added in the reference's order (bias, then k = 0, 1, ...; one rounding per
 * multiply and per add), so C equals the reference exactly where madd is a separate mul
 * and add, and within atol 2e-7·K where it is fused (the relaxed builds; gemmVsReference in
 * test/helpers/cores.ts); skipping a step whose A values are +0 drops terms of ±0, which
 * changes no non-zero sum. Both are also checked against float64 (atol 2e-7·K): an
 * indexing mistake gives errors of order 1. Every case runs on every core build.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Core, CoreFunctions } from '../../src/runtime/core.js';
import { expectClose } from '../helpers/compare.js';
import { type CoreBuild, describeEachCore, gemmVsReference, sharedAcrossCores } from '../helpers/cores.js';
import { Arena } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';

/** The packed engine's exports on one core, and its GEMM constants. */
interface PackedCore {
  core: Core;
  build: CoreBuild;
  fn: CoreFunctions;
  constants: Core['layout'];
}

function packedCore(core: Core, build: CoreBuild): PackedCore {
  return { core, build, fn: core.fn, constants: core.layout };
}

type Layout = 'forward' | 'inputDelta' | 'weightGrad';
type Finish = 'none' | 'relu' | 'mask';
type BSource = 'strided' | 'prepacked' | 'prepackedInTwo';

interface PackedCase {
  m: number;
  n: number;
  k: number;
  layout: Layout;
  finish: Finish;
  withBias: boolean;
  /** Fraction of A's elements set to +0 (with the sparse flag when > 0). */
  zeros: number;
  bSource: BSource;
}

/** Runs gemmPacked and the scalar reference on the same operands; checks C both ways. */
function checkPacked({ core, build, fn, constants }: PackedCore, c: PackedCase, seed: number): void {
  const { m, n, k, layout, finish, withBias, zeros, bSource } = c;
  const label = `gemmPacked M=${m} N=${n} K=${k} ${layout} finish=${finish} bias=${withBias} zeros=${zeros} B=${bSource}`;
  const random = seededRandom(seed);
  // A(r, p): rows [M][K], or stored transposed [K][M] (the weight gradient's Xᵀ).
  const aValues = uniform(random, m * k).map((v) => (random() < zeros ? 0 : v));
  const aRowStride = layout === 'weightGrad' ? 1 : k;
  const aKStride = layout === 'weightGrad' ? m : 1;
  // B(p, j): row-major [K][N], or the input deltas' W[N][K] read transposed.
  const bValues = uniform(random, k * n);
  const bKStride = layout === 'inputDelta' ? 1 : n;
  const bNStride = layout === 'inputDelta' ? k : 1;
  const bRowMajor = new Float32Array(k * n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bRowMajor[p * n + j] = bValues[p * bKStride + j * bNStride];
  const bias = uniform(random, n);
  const mask = uniform(random, m * n);

  const arena = new Arena(core);
  const at = {
    a: arena.place(aValues),
    b: arena.place(bValues),
    bRowMajor: arena.place(bRowMajor),
    bias: arena.place(bias),
    mask: arena.place(mask),
    c: arena.place(m * n),
    cReference: arena.place(m * n),
    scratch: arena.place(constants.GEMM_SCRATCH_BYTES / 4),
    panels: arena.place(Math.ceil(n / 16) * 16 * k),
  };
  let b = at.b;
  let flags = zeros > 0 ? constants.GEMM_SPARSE_A : 0;
  if (bSource !== 'strided') {
    // packPanels reads row-major rows; two calls fill disjoint row ranges, as two threads do.
    const split = bSource === 'prepackedInTwo' ? Math.floor(k / 3) : k;
    fn.packPanels(at.bRowMajor, split, n, at.panels, k, 0);
    if (split < k) fn.packPanels(at.bRowMajor + split * n * 4, k - split, n, at.panels, k, split);
    b = at.panels;
    flags |= constants.GEMM_PREPACKED_B;
  }
  const finishKind = { none: constants.FINISH_NONE, relu: constants.FINISH_RELU, mask: constants.FINISH_RELU_MASK }[
    finish
  ];
  fn.gemmPacked(
    m,
    n,
    k,
    at.a,
    aRowStride,
    aKStride,
    b,
    bKStride,
    bNStride,
    at.c,
    n,
    withBias ? at.bias : 0,
    finishKind,
    finish === 'mask' ? at.mask : 0,
    flags,
    at.scratch,
  );
  fn.referenceGemm(
    m,
    n,
    k,
    at.a,
    aRowStride,
    aKStride,
    at.bRowMajor,
    n,
    at.cReference,
    n,
    withBias ? at.bias : 0,
    finish === 'relu' ? 1 : 0,
  );
  arena.expectGuardsIntact(label);

  const actual = arena.read(at.c, m * n);
  const reference = arena.read(at.cReference, m * n);
  const a32 = Float32Array.from(aValues);
  const b32 = Float32Array.from(bRowMajor);
  // The scalar reference kernel has no mask: it gets the same zeros the finish writes.
  if (finish === 'mask') for (let i = 0; i < m * n; i++) if (!(Math.fround(mask[i]) > 0)) reference[i] = 0;
  const expected = sharedAcrossCores(`${label} seed=${seed}`, () => {
    const sums = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = withBias ? Math.fround(bias[j]) : 0;
        for (let p = 0; p < k; p++) sum += a32[i * aRowStride + p * aKStride] * b32[p * n + j];
        if (finish === 'relu') sum = Math.max(sum, 0);
        if (finish === 'mask' && !(Math.fround(mask[i * n + j]) > 0)) sum = 0;
        sums[i * n + j] = sum;
      }
    }
    return sums;
  });
  expectClose(actual, reference, gemmVsReference(build, k), `${label}: packed vs scalar reference`);
  expectClose(actual, expected, { atol: 2e-7 * k, rtol: 1e-6 }, `${label}: vs float64`);
}

/** [M, N, K] across the blocking boundaries (see the header). */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [2, 16, 8],
  [3, 17, 5],
  [7, 10, 33],
  [64, 32, 16],
  [65, 48, 9],
  [130, 20, 40],
  [5, 300, 12],
  [9, 33, 785],
  [4, 16, 1100],
  [33, 128, 256],
];

describeEachCore((core, build) => {
  describe('gemmPacked: the packed engine matches the scalar reference (exactly without FMA) and float64 closely', () => {
    let packed: PackedCore;
    beforeAll(() => {
      packed = packedCore(core(), build);
    });

    for (const layout of ['forward', 'inputDelta', 'weightGrad'] as const) {
      it.each(SHAPES)(`${layout}: M=%i N=%i K=%i, every finish, with and without bias`, (m, n, k) => {
        let seed = m * 1_000_003 + n * 1009 + k;
        for (const finish of ['none', 'relu', 'mask'] as const) {
          for (const withBias of [false, true])
            checkPacked(packed, { m, n, k, layout, finish, withBias, zeros: 0, bSource: 'strided' }, seed++);
        }
      });
    }

    it.each(SHAPES)('sparse A (most steps all zero), rows and transposed: M=%i N=%i K=%i', (m, n, k) => {
      let seed = 77 + m + n * 31 + k * 977;
      for (const layout of ['forward', 'weightGrad'] as const) {
        for (const zeros of [0.6, 0.95])
          checkPacked(packed, { m, n, k, layout, finish: 'relu', withBias: true, zeros, bSource: 'strided' }, seed++);
      }
    });

    it.each(SHAPES)('B prepacked by packPanels, whole and in two row ranges: M=%i N=%i K=%i', (m, n, k) => {
      let seed = 5 + m * 13 + n * 7 + k;
      for (const bSource of ['prepacked', 'prepackedInTwo'] as const) {
        checkPacked(packed, { m, n, k, layout: 'forward', finish: 'none', withBias: false, zeros: 0, bSource }, seed++);
        checkPacked(
          packed,
          { m, n, k, layout: 'weightGrad', finish: 'mask', withBias: true, zeros: 0.8, bSource },
          seed++,
        );
      }
    });

    it.each(SHAPES)(
      "the revectorizer's wide tiles (setWideTiles(1)) give the bits of the 2x16 tiles: M=%i N=%i K=%i",
      (m, n, k) => {
        const { core: c, fn, constants } = packed;
        const random = seededRandom(m * 7 + n * 131 + k * 9973);
        for (const layout of ['forward', 'inputDelta', 'weightGrad'] as const)
          for (const finish of [constants.FINISH_NONE, constants.FINISH_RELU, constants.FINISH_RELU_MASK]) {
            const arena = new Arena(c);
            const at = {
              a: arena.place(uniform(random, m * k)),
              b: arena.place(uniform(random, k * n)),
              bias: arena.place(uniform(random, n)),
              mask: arena.place(uniform(random, m * n)),
              c: arena.place(m * n),
              scratch: arena.place(constants.GEMM_SCRATCH_BYTES / 4),
            };
            const [aRow, aK] = layout === 'weightGrad' ? [1, m] : [k, 1];
            const [bK, bN] = layout === 'inputDelta' ? [1, k] : [n, 1];
            const bits = (wide: number): Uint32Array => {
              fn.setWideTiles(wide);
              fn.gemmPacked(m, n, k, at.a, aRow, aK, at.b, bK, bN, at.c, n, at.bias, finish, at.mask, 0, at.scratch);
              return new Uint32Array(arena.read(at.c, m * n).buffer.slice(0));
            };
            try {
              const narrow = bits(0);
              expect(bits(1), `${layout}, finish ${finish}`).toEqual(narrow);
            } finally {
              fn.setWideTiles(0);
            }
            arena.expectGuardsIntact(`wide tiles ${layout}`);
          }
      },
    );

    it('packPanels zero-fills the last panel past N and writes nothing outside its rows', () => {
      const [rows, cols, k, first] = [3, 20, 7, 2];
      const arena = new Arena(packed.core);
      const src = arena.place(Float32Array.from({ length: rows * cols }, (_, i) => i + 1));
      const panels = arena.place(2 * k * 16);
      packed.fn.packPanels(src, rows, cols, panels, k, first);
      arena.expectGuardsIntact('packPanels');
      const out = arena.read(panels, 2 * k * 16);
      for (let panel = 0; panel < 2; panel++) {
        for (let p = 0; p < k; p++) {
          for (let j = 0; j < 16; j++) {
            const value = out[(panel * k + p) * 16 + j];
            const col = panel * 16 + j;
            const r = p - first;
            if (r < 0 || r >= rows) expect(Number.isNaN(value), `row ${p} is not one of the packed rows`).toBe(true);
            else expect(value, `panel ${panel} row ${p} column ${j}`).toBe(col < cols ? r * cols + col + 1 : 0);
          }
        }
      }
    });
  });
});
