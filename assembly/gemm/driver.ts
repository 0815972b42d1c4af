// -----------------------------------------------------------------------------
// The packed GEMM driver, and the three products of a dense layer. Row-major f32.
//
//   C[M,N] = A[M,K] · B[K,N]  (+ bias[N] broadcast over rows)  (then ReLU, or ⊙ a mask)
//
// Operands are addressed through strides, so one engine serves the three products of a
// dense layer (W stored [in, out], batch-major rows):
//
//   forward       Z[B,out]   = X[B,in] · W[in,out]     A(r,k) = X[r,k]   B(k,n) = W[k,n]
//   input deltas  δX[B,in]   = δ[B,out] · Wᵀ            A(r,k) = δ[r,k]   B(k,n) = W[n,k]
//   weight grads  dW[in,out] = Xᵀ · δ                   A(r,k) = X[k,r]   B(k,n) = δ[k,n]
//
// Blocking (GotoBLAS / BLIS), constants in constants.ts:
//
//   for jc in N, NC (256) columns at a time
//     for pc in K, in even chunks of at most KC (512) steps (K = 784: 2 x 392)
//       packB: B[pc.., jc..] -> panels [nc/16][kc][16]        a panel (kc·16 f32) stays in L1
//       for ic in M, MC (64) rows at a time
//         packA: A[ic.., pc..] -> blocks [mc/2][kc][2]        (+ step lists for sparse A)
//         for each 16-column panel, for each 2-row block: kernel2x16 (edgeTile at the edges)
//
// The transposes happen while packing (no separate Wᵀ pass), and every load in the micro-
// kernel is sequential with a constant offset. The first K chunk starts from the bias (or
// zero), later chunks continue the sums in C, and the finish (ReLU or mask) is applied with
// the last chunk, so chunking changes no result: each output is bias (or 0) + Σ_k a·b in
// increasing k, the scalar reference's order.
// -----------------------------------------------------------------------------

import {
  FINISH_NONE,
  FINISH_RELU,
  FINISH_RELU_MASK,
  GEMM_PREPACKED_B,
  GEMM_SPARSE_A,
  KC,
  MC,
  MR,
  NC,
  NR,
  PACKED_A_BYTES,
  PACKED_B_BYTES,
  STEP_INDEX_BYTES,
  STEP_LIST_INTS,
} from './constants';
import { columnSums } from './helpers';
import { edgeTile, finishTile, fmaLoop4, kernel2x16, startTile } from './kernel';

/**
 * 1: the relaxed build's dense tiles run two row blocks per call (fmaLoop4, 16 accumulators),
 * for engines that revectorize 128-bit SIMD to 256 bits (V8 with --experimental-wasm-revectorize);
 * without it those 16 accumulators spill. Set by the host (setWideTiles); the bits are the same.
 */
export let wideTiles: i32 = 0;

/** Turns wideTiles on (1) or off (0). */
export function setWideTiles(on: i32): void {
  wideTiles = on;
}
import { listSteps, packA, packAListSteps, packB } from './pack';

// -----------------------------------------------------------------------------
// Packed GEMM
// -----------------------------------------------------------------------------

/**
 * C[M,N] = A·B (+ bias), then finish (FINISH_NONE | FINISH_RELU | FINISH_RELU_MASK with
 * `mask` laid out like C). A(r,k) = a[r·aRowStride + k·aKStride], B(k,n) = b[k·bKStride +
 * n·bNStride]; strides in floats. `scratch` holds GEMM_SCRATCH_BYTES. C must not overlap
 * A, B or the mask; elements of C outside [M, N] are not touched. `flags`: GEMM_SPARSE_A,
 * GEMM_PREPACKED_B (then `b` is packPanels' output for these N and K; its strides unused).
 * Returns how many blocks of A ran sparse (0 without GEMM_SPARSE_A).
 */
export function gemmPacked(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aKStride: i32,
  b: usize, bKStride: i32, bNStride: i32,
  c: usize, ldc: i32,
  bias: usize, finish: i32, mask: usize,
  flags: i32, scratch: usize,
): i32 {
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    fillBias(m, n, c, ldc, bias, finish, mask);
    return 0;
  }
  let sparseBlocks = 0;
  const packedB = scratch;
  const packedA = scratch + PACKED_B_BYTES;
  const stepIndex = packedA + PACKED_A_BYTES;
  const edge = stepIndex + STEP_INDEX_BYTES;
  const cRow = <usize>ldc << 2;
  // Even blocks: K = 784 runs as 2 chunks of 392 rather than 512 + 272.
  const kChunks = (k + KC - 1) / KC;
  const kStep = (k + kChunks - 1) / kChunks;
  const nBlocks = (n + NC - 1) / NC;
  const nStep = ((n + nBlocks - 1) / nBlocks + NR - 1) / NR * NR;
  for (let jc = 0; jc < n; jc += nStep) {
    const nc = min(nStep, n - jc);
    for (let pc = 0; pc < k; pc += kStep) {
      const kc = min(kStep, k - pc);
      // The first chunk starts from the bias (or zero: 0), later ones continue C (-1).
      const chunkBias: isize = pc == 0 ? <isize>bias : -1;
      const chunkFinish = pc + kc == k ? finish : FINISH_NONE;
      const aBlockBytes = <usize>(kc * MR) << 2;
      const prepacked = (flags & GEMM_PREPACKED_B) != 0;
      if (!prepacked) packB(b, bKStride, bNStride, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        const fullRows = mc & ~(MR - 1);
        // Sparse A: each row block's kept steps are listed in stepIndex (see listSteps),
        // while packing where A's rows are contiguous in k.
        let sparse = false;
        // Wide tiles read A's rows in place when they are contiguous in k (the forward product)
        // and every panel is whole (edge tiles read packed A): only the rows past the last
        // group of four are packed, at their usual place.
        const rowsInPlace =
          ASC_FEATURE_RELAXED_SIMD && wideTiles && aKStride == 1 && (flags & GEMM_SPARSE_A) == 0 && (nc & (NR - 1)) == 0
            ? mc & ~(2 * MR - 1)
            : 0;
        if ((flags & GEMM_SPARSE_A) != 0 && aKStride == 1) {
          sparse = packAListSteps(a, aRowStride, ic, mc, pc, kc, packedA, stepIndex);
        } else if (rowsInPlace) {
          if (rowsInPlace < mc) packA(a, aRowStride, aKStride, ic + rowsInPlace, mc - rowsInPlace, pc, kc, packedA + <usize>(rowsInPlace / MR) * aBlockBytes);
        } else {
          packA(a, aRowStride, aKStride, ic, mc, pc, kc, packedA);
          sparse = (flags & GEMM_SPARSE_A) != 0 && listSteps(packedA, mc, kc, stepIndex);
        }
        if (sparse) sparseBlocks++;
        // B panels outer: a panel stays in L1 while the row blocks of A stream past it.
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const j = jc + jr;
          // Prepacked: panel j/16 of the whole [K][16] panels, from step pc.
          const bPanel = prepacked ? b + (<usize>((j / NR) * k + pc) << 6) : packedB + (<usize>(jr * kc) << 2);
          const panelBias: isize = chunkBias > 0 ? chunkBias + (<isize>j << 2) : chunkBias;
          const cPanel = c + <usize>ic * cRow + (<usize>j << 2);
          const maskPanel = mask ? mask + <usize>ic * cRow + (<usize>j << 2) : 0;
          let ir = 0;
          if (cols == NR) {
            let ap = packedA;
            let cTile = cPanel;
            let maskTile = maskPanel;
            let steps = stepIndex;
            if (ASC_FEATURE_RELAXED_SIMD && (rowsInPlace || (!sparse && wideTiles))) {
              // Wide tiles for the 256-bit revectorizer (fmaLoop4: 4 rows a call): A's rows read
              // where they are (rowsInPlace), else two packed blocks at a time.
              const rowBytes = <usize>aRowStride << 2;
              const wideEnd = rowsInPlace ? rowsInPlace : fullRows;
              const o1: usize = rowsInPlace ? rowBytes : 4;
              const o2: usize = rowsInPlace ? rowBytes << 1 : aBlockBytes;
              const o3: usize = rowsInPlace ? rowBytes * 3 : aBlockBytes + 4;
              const aStep: usize = rowsInPlace ? 4 : 8;
              const aAdvance: usize = rowsInPlace ? rowBytes << 2 : aBlockBytes << 1;
              let aWide = rowsInPlace ? a + ((<usize>ic * <usize>aRowStride + <usize>pc) << 2) : ap;
              const cStep = cRow << 1;
              for (; ir + 2 * MR <= wideEnd; ir += 2 * MR) {
                const maskNext = maskTile ? maskTile + cStep : 0;
                startTile(cTile, cRow, panelBias);
                startTile(cTile + cStep, cRow, panelBias);
                fmaLoop4(kc, aWide, o1, o2, o3, aStep, bPanel, cTile, cRow);
                finishTile(cTile, cRow, chunkFinish, maskTile);
                finishTile(cTile + cStep, cRow, chunkFinish, maskNext);
                aWide += aAdvance;
                ap += aBlockBytes << 1;
                cTile += cStep << 1;
                if (maskTile) maskTile += cStep << 1;
                steps += <usize>STEP_LIST_INTS << 3;
              }
            }
            for (; ir < fullRows; ir += MR) {
              kernel2x16(sparse ? load<i32>(steps) : kc, ap, bPanel, cTile, cRow, panelBias, chunkFinish, maskTile, sparse ? steps + 4 : 0);
              ap += aBlockBytes;
              cTile += cRow << 1;
              if (maskTile) maskTile += cRow << 1;
              steps += <usize>STEP_LIST_INTS << 2;
            }
          }
          for (; ir < mc; ir += MR) {
            const steps = stepIndex + <usize>(ir / MR) * (<usize>STEP_LIST_INTS << 2);
            edgeTile(
              min(MR, mc - ir), cols, sparse ? load<i32>(steps) : kc, packedA + <usize>(ir / MR) * aBlockBytes, bPanel,
              cPanel + <usize>ir * cRow, cRow, panelBias, chunkFinish, maskPanel ? maskPanel + <usize>ir * cRow : 0, sparse ? steps + 4 : 0, edge,
            );
          }
        }
      }
    }
  }
  return sparseBlocks;
}

/** K = 0: C = bias (or 0), finished. */
function fillBias(m: i32, n: i32, c: usize, ldc: i32, bias: usize, finish: i32, mask: usize): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const off = (<usize>i * <usize>ldc + <usize>j) << 2;
      let v: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
      // f32x4.max, as in the kernel (max(-0, 0) = +0).
      if (finish == FINISH_RELU) v = f32x4.extract_lane(f32x4.max(f32x4.splat(v), zero), 0);
      else if (finish == FINISH_RELU_MASK && !(load<f32>(mask + off) > 0)) v = 0;
      store<f32>(c + off, v);
    }
  }
}

// -----------------------------------------------------------------------------
// The three products of a dense layer W[in, out], as the network runs them
// -----------------------------------------------------------------------------

/**
 * Z[rows, out] = X[rows, in]·W + b, then ReLU when `relu`. `sparseInput`: X is likely
 * mostly zeros (the network's inputs): try skipping its all-zero steps (GEMM_SPARSE_A).
 * `packedW`: W already packed by packPanels (K = in), read in place instead of W (0: none).
 * Returns gemmPacked's count of sparse blocks.
 */
export function denseForward(rows: i32, inSize: i32, outSize: i32, x: usize, w: usize, bias: usize, z: usize, relu: bool, sparseInput: bool, scratch: usize, packedW: usize): i32 {
  const flags = (sparseInput ? GEMM_SPARSE_A : 0) | (packedW ? GEMM_PREPACKED_B : 0);
  return gemmPacked(rows, outSize, inSize, x, inSize, 1, packedW ? packedW : w, outSize, 1, z, outSize, bias, relu ? FINISH_RELU : FINISH_NONE, 0, flags, scratch);
}

/**
 * δX[rows, in] = δ[rows, out]·Wᵀ, then ⊙ [a > 0] when `reluOutputs` (the previous
 * layer's ReLU outputs a[rows, in]) is not 0: the ReLU derivative fused in.
 */
export function denseInputDelta(rows: i32, inSize: i32, outSize: i32, delta: usize, w: usize, reluOutputs: usize, deltaIn: usize, scratch: usize): void {
  gemmPacked(rows, inSize, outSize, delta, outSize, 1, w, 1, outSize, deltaIn, inSize, 0, reluOutputs ? FINISH_RELU_MASK : FINISH_NONE, reluOutputs, 0, scratch);
}

/** dW[in, out] = Xᵀ·δ and db[out] = Σ_rows δ, for X[rows, in] and δ[rows, out]; `sparseInput` as in denseForward. Returns gemmPacked's. */
export function denseWeightGradient(rows: i32, inSize: i32, outSize: i32, x: usize, delta: usize, gw: usize, gb: usize, sparseInput: bool, scratch: usize): i32 {
  const sparseBlocks = gemmPacked(inSize, outSize, rows, x, 1, inSize, delta, outSize, 1, gw, outSize, 0, FINISH_NONE, 0, sparseInput ? GEMM_SPARSE_A : 0, scratch);
  columnSums(delta, rows, outSize, gb);
  return sparseBlocks;
}
