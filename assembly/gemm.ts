// -----------------------------------------------------------------------------
// Matrix kernels. Everything is row-major f32.
//
//   C[M,N] = A[M,K] · B[K,N]  (+ bias[N] broadcast over rows)  (then ReLU, or ⊙ a mask)
//
// Operands are addressed through strides, so one engine serves the three
// products of a dense layer (W stored [in, out], batch-major rows):
//
//   forward       Z[B,out]   = X[B,in] · W[in,out]     A(r,k) = X[r,k]   B(k,n) = W[k,n]
//   input deltas  δX[B,in]   = δ[B,out] · Wᵀ            A(r,k) = δ[r,k]   B(k,n) = W[n,k]
//   weight grads  dW[in,out] = Xᵀ · δ                   A(r,k) = X[k,r]   B(k,n) = δ[k,n]
//
// gemmPacked, the network's path, copies blocks of A and B into a scratch area in
// the order the micro-kernel reads them (GotoBLAS / BLIS): A in blocks of MR rows
// interleaved by k ([k][MR]), B in panels of NR columns ([k][NR]). K is cut into
// even chunks of at most KC so that a B panel (KC·NR floats) stays in L1 while
// the MR-row blocks of A stream past it. Packing makes the three products equally
// fast: the transposes happen while packing (no separate Wᵀ pass), every load in
// the micro-kernel is sequential with a constant offset, and no operand is walked
// with a 512-byte stride (which maps a whole panel onto 8 of L1's 64 sets).
//
// The micro-kernel keeps a 2 x 16 tile of C in 8 f32x4 accumulators; each k step
// loads 4 B vectors and broadcasts 2 A scalars. V8 (TurboFan) issues all of a basic
// block's loads before its arithmetic, so accumulators + loads + 1 temporary for the
// product must fit its 15 allocatable vector registers: 8 + 6 + 1 = 15. Measured on
// Zen 3 / V8 11.3 in L1, as % of the 12-chain madd peak (bench/kernels.ts), best of many
// samples: 2x16 with two k steps per iteration split by a never-taken branch (below)
// 69-78% run to run; with one step per iteration it spills when V8 hoists the loads.
// Tried and no faster: 3x12 with a branch between rows (14 registers, 0.67 loads per
// madd) 71-72%; 1x48 with each B vector used once (V8 does not fold the load into the
// multiply) 68%; A stored pre-broadcast (plain loads instead of load32_splat) 66-68%;
// four k steps per iteration 66%. 6x8 and 5x8 spill and fall to 40-55%.
// With relaxed-SIMD FMA the plain loop, unrolled by V8, runs at 96%.
//
// Why the baseline kernel stops near 75%: V8's code for the two-step loop (read from a
// --perf-prof jitdump of Node 20, disassembled) is 53 macro-ops per 16 madds: 32 vmulps/
// vaddps, 8 B loads, 4 vbroadcastss, and 9 of loop overhead (2 pointer adds, 2 lea for
// A offsets, 2 register moves between the loop's phis, the stack-guard compare and the two
// branches). At the peak's 2 madds per cycle that is 6.6 ops per cycle, past what Zen 3
// sustains through dispatch (6 at best, about 5 in practice); the peak loop needs 4.5.
// Fused multiply-add halves the arithmetic ops, which is why the relaxed kernel gets 96%.
// Unrolled further, V8 spills (four steps: 8 spill/reload pairs per iteration).
// Op count is not the whole story, though (measured in L1, 32 A blocks x 392 steps, best
// of 60 rounds interleaved with the peak): the same loop with both A scalars held in
// registers (no broadcasts, 47 ops) runs at 71.5% against this loop's 77.6%, and four steps
// with a branch between each (no spills this way, 105 ops per 32 madds) at 77.5%. Also no
// faster: A read straight from X's rows without packing (the whole forward GEMM 12% slower),
// 5x8 with two branches per step (10 accumulators) 70.5%, 4x8 58-63%, 1x16 (with or
// without two accumulator sets taking turns) 56%, A pre-broadcast (plain loads, no leas)
// 65-68%, KC of 128-256 instead of 392 (the same). With the kernel replaced by a no-op,
// packing and blocking take 70-100 µs of each 784x128 GEMM at batch 256 (about 1.43 ms):
// 5-7%. So the three GEMMs end near 70% of the peak, on Node 20 and Node 22 alike.
//
// Rounding: every output is bias (or 0) + Σ_k a·b, added in increasing k with one
// rounding per multiply and per add in the default build (madd = mul + add): the
// order of the scalar reference, so the two agree bit for bit. Later K chunks
// continue the same sums from C, so chunking does not change results either.
//
// gemm (exported, no scratch) is the unpacked form with the same arithmetic: A
// through strides, B row-major. Tests compare it with the reference at every shape.
// -----------------------------------------------------------------------------

import { madd } from './simd';

/** Micro-tile height (rows of A and C) and width (columns of B and C). */
const MR: i32 = 2;
const NR: i32 = 16;
/** Most k steps per chunk: a packed B panel is at most KC·NR floats (32 KiB, L1). */
const KC: i32 = 512;
/** Rows of A packed at once: MC·KC floats (128 KiB, L2). */
const MC: i32 = 64;
/** Most columns of B packed at once: KC·NC floats (512 KiB, L2). */
const NC: i32 = 256;

const PACKED_B_BYTES: usize = <usize>(KC * NC) << 2;
const PACKED_A_BYTES: usize = <usize>(MC * KC) << 2;
/** Sparse A, per block of MR rows: the count of kept steps, then their offsets (u32; 4 spare for SIMD stores). */
const STEP_LIST_INTS: i32 = KC + 5;
const STEP_INDEX_BYTES: usize = <usize>(MC / MR * STEP_LIST_INTS) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of scratch gemmPacked needs, whatever the shapes: packed B, packed A, step indices, three edge tiles. */
export const GEMM_SCRATCH_BYTES: i32 = <i32>(PACKED_B_BYTES + PACKED_A_BYTES + STEP_INDEX_BYTES + 3 * TILE_BYTES);

/** gemmPacked flag: A is mostly zeros (e.g. MNIST pixels); skip the k steps where a whole row block of A is zero. */
export const GEMM_SPARSE_A: i32 = 1;
/**
 * gemmPacked flag: B is already packed whole, as packPanels writes it ([N/16][K][16]), so
 * gemmPacked reads its panels in place (B's strides are ignored). Saves packing B again
 * in every call when several calls share one B (the threads' first-layer weight gradient).
 */
export const GEMM_PREPACKED_B: i32 = 2;
/** Sparse A is used when at most this fraction of a row block's k steps are kept (8ths). */
const SPARSE_MAX_DENSITY_8THS: i32 = 5;

/** How outputs are finished after the last K chunk. */
export const FINISH_NONE: i32 = 0;
export const FINISH_RELU: i32 = 1;
/** C ⊙ [mask > 0]: the ReLU derivative, read from the layer's outputs (laid out like C). */
export const FINISH_RELU_MASK: i32 = 2;

// @ts-ignore: decorator
@inline function loadBias(bias: usize, j: i32): v128 {
  return bias ? v128.load(bias + (<usize>j << 2)) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function clampRelu(x: v128, relu: bool): v128 {
  return relu ? f32x4.max(x, f32x4.splat(0)) : x;
}

// -----------------------------------------------------------------------------
// Packed GEMM
// -----------------------------------------------------------------------------

/**
 * C[M,N] = A·B (+ bias), then finish (FINISH_NONE | FINISH_RELU | FINISH_RELU_MASK with
 * `mask` laid out like C). A(r,k) = a[r·aRowStride + k·aKStride], B(k,n) = b[k·bKStride +
 * n·bNStride]; strides in floats. `scratch` holds GEMM_SCRATCH_BYTES. C must not overlap
 * A, B or the mask; elements of C outside [M, N] are not touched. `flags`: GEMM_SPARSE_A,
 * GEMM_PREPACKED_B (then `b` is packPanels' output for these N and K; its strides unused).
 */
export function gemmPacked(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aKStride: i32,
  b: usize, bKStride: i32, bNStride: i32,
  c: usize, ldc: i32,
  bias: usize, finish: i32, mask: usize,
  flags: i32, scratch: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    fillBias(m, n, c, ldc, bias, finish, mask);
    return;
  }
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
        if ((flags & GEMM_SPARSE_A) != 0 && aKStride == 1) {
          sparse = packAListSteps(a, aRowStride, ic, mc, pc, kc, packedA, stepIndex);
        } else {
          packA(a, aRowStride, aKStride, ic, mc, pc, kc, packedA);
          sparse = (flags & GEMM_SPARSE_A) != 0 && listSteps(packedA, mc, kc, stepIndex);
        }
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
}

/**
 * The micro-kernel: C[2, 16] (=|+=) Ap[kc][2] · Bp[kc][16], then finish.
 * bias: start from the 16 floats at this address, from zero (0), or from C (-1: continue
 * the sums of earlier K chunks).
 */
// @ts-ignore: decorator
@inline function kernel2x16(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize): void {
  // The baseline kernel is a function of its own: inside gemmPacked's loop nest V8
  // allocates its two-step loop badly (spills); the relaxed kernel's loop is unrolled by
  // V8 only when nested deep, so it stays inline.
  if (ASC_FEATURE_RELAXED_SIMD) kernelBody(kc, ap, bp, c, cRow, bias, finish, mask, steps);
  else kernelCall(kc, ap, bp, c, cRow, bias, finish, mask, steps);
}

function kernelCall(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize): void {
  kernelBody(kc, ap, bp, c, cRow, bias, finish, mask, steps);
}

// @ts-ignore: decorator
@inline function kernelBody(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize): void {
  // Starting values: C itself (bias < 0), else the bias row or zeros, read from memory
  // for each accumulator (copies between accumulators cost V8 register moves in the loop).
  const c1 = c + cRow;
  const zeros = !bias;
  const row0: usize = bias < 0 ? c : zeros ? 0 : <usize>bias;
  const row1: usize = bias < 0 ? c1 : zeros ? 0 : <usize>bias;
  let c00 = zeros ? f32x4.splat(0) : v128.load(row0);
  let c01 = zeros ? f32x4.splat(0) : v128.load(row0, 16);
  let c02 = zeros ? f32x4.splat(0) : v128.load(row0, 32);
  let c03 = zeros ? f32x4.splat(0) : v128.load(row0, 48);
  let c10 = zeros ? f32x4.splat(0) : v128.load(row1);
  let c11 = zeros ? f32x4.splat(0) : v128.load(row1, 16);
  let c12 = zeros ? f32x4.splat(0) : v128.load(row1, 32);
  let c13 = zeros ? f32x4.splat(0) : v128.load(row1, 48);
  if (steps) {
    // Sparse A: kc kept steps, each listed by its byte offset in the packed A block (k·8);
    // its B row is at 8 times that in the B panel (k·64). Two steps per iteration split by
    // a never-taken branch, as in the dense baseline loop.
    const stepsEnd = steps + (<usize>(kc & ~1) << 2);
    while (steps < stepsEnd) {
      let off = <usize>load<u32>(steps);
      let row = bp + (off << 3);
      let b0 = v128.load(row);
      let b1 = v128.load(row, 16);
      let b2 = v128.load(row, 32);
      let b3 = v128.load(row, 48);
      let x = v128.load32_splat(ap + off);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap + off, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
      if (steps == 0) break; // never
      off = <usize>load<u32>(steps, 4);
      row = bp + (off << 3);
      b0 = v128.load(row);
      b1 = v128.load(row, 16);
      b2 = v128.load(row, 32);
      b3 = v128.load(row, 48);
      x = v128.load32_splat(ap + off);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap + off, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
      steps += 8;
    }
    if (kc & 1) {
      const off = <usize>load<u32>(steps);
      const row = bp + (off << 3);
      const b0 = v128.load(row);
      const b1 = v128.load(row, 16);
      const b2 = v128.load(row, 32);
      const b3 = v128.load(row, 48);
      let x = v128.load32_splat(ap + off);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap + off, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
    }
  } else if (ASC_FEATURE_RELAXED_SIMD) {
    // Fused multiply-adds: one k step per iteration, V8 unrolls the loop (96% of peak in L1).
    const aEnd = ap + (<usize>kc << 3);
    while (ap < aEnd) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      const b2 = v128.load(bp, 32);
      const b3 = v128.load(bp, 48);
      let x = v128.load32_splat(ap);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
      ap += 8;
      bp += 64;
    }
  } else {
    // Separate multiply and add: two k steps per iteration with a never-taken branch
    // between them. The branch ends a basic block, so V8 cannot hoist the second step's
    // loads above the first step's arithmetic: loads and arithmetic interleave, and in
    // L1 the kernel runs at 84-87% of peak instead of 74% (one step per iteration).
    const pairsEnd = ap + (<usize>(kc & ~1) << 3);
    while (ap < pairsEnd) {
      let b0 = v128.load(bp);
      let b1 = v128.load(bp, 16);
      let b2 = v128.load(bp, 32);
      let b3 = v128.load(bp, 48);
      let x = v128.load32_splat(ap);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
      if (ap == 0) break; // never: packed blocks live above the module's static data
      b0 = v128.load(bp, 64);
      b1 = v128.load(bp, 80);
      b2 = v128.load(bp, 96);
      b3 = v128.load(bp, 112);
      x = v128.load32_splat(ap, 8);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap, 12);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
      ap += 16;
      bp += 128;
    }
    if (kc & 1) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      const b2 = v128.load(bp, 32);
      const b3 = v128.load(bp, 48);
      let x = v128.load32_splat(ap);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
      x = v128.load32_splat(ap, 4);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
    }
  }
  if (finish == FINISH_RELU) {
    const zero = f32x4.splat(0);
    c00 = f32x4.max(c00, zero); c01 = f32x4.max(c01, zero); c02 = f32x4.max(c02, zero); c03 = f32x4.max(c03, zero);
    c10 = f32x4.max(c10, zero); c11 = f32x4.max(c11, zero); c12 = f32x4.max(c12, zero); c13 = f32x4.max(c13, zero);
  } else if (finish == FINISH_RELU_MASK) {
    c00 = maskRelu(c00, mask, 0); c01 = maskRelu(c01, mask, 16); c02 = maskRelu(c02, mask, 32); c03 = maskRelu(c03, mask, 48);
    const m1 = mask + cRow;
    c10 = maskRelu(c10, m1, 0); c11 = maskRelu(c11, m1, 16); c12 = maskRelu(c12, m1, 32); c13 = maskRelu(c13, m1, 48);
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  c += cRow;
  v128.store(c, c10); v128.store(c, c11, 16); v128.store(c, c12, 32); v128.store(c, c13, 48);
}

/** x ⊙ [mask > 0] (NaN in the mask counts as inactive). */
// @ts-ignore: decorator
@inline function maskRelu(x: v128, mask: usize, offset: usize): v128 {
  return v128.and(x, f32x4.gt(v128.load(mask + offset), f32x4.splat(0)));
}

/**
 * A partial tile (rows < MR or cols < NR): the kernel on zero-padded copies of C, the
 * mask and the bias, then only the valid part written back (nothing outside it is read
 * or written, so the caller's buffers may end right there).
 */
function edgeTile(rows: i32, cols: i32, kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize, edge: usize): void {
  const edgeC = edge;
  const edgeMask = edge + TILE_BYTES;
  const edgeBias = edgeMask + TILE_BYTES;
  if (bias > 0) copyTile(bias, 0, 1, cols, edgeBias, true);
  copyTile(c, cRow, rows, cols, edgeC, bias < 0);
  if (mask) copyTile(mask, cRow, rows, cols, edgeMask, true);
  kernel2x16(kc, ap, bp, edgeC, <usize>NR << 2, bias > 0 ? <isize>edgeBias : bias, finish, mask ? edgeMask : 0, steps);
  for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * cRow, edgeC + (<usize>(r * NR) << 2), <usize>cols << 2);
}

/** tile[MR, NR] = src[rows, cols], zeros elsewhere (all zeros when !copy). */
function copyTile(src: usize, srcRow: usize, rows: i32, cols: i32, tile: usize, copy: bool): void {
  memory.fill(tile, 0, TILE_BYTES);
  if (!copy) return;
  for (let r = 0; r < rows; r++) memory.copy(tile + (<usize>(r * NR) << 2), src + <usize>r * srcRow, <usize>cols << 2);
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

// --- packing --------------------------------------------------------------------

/** One k step of a packed B panel: 16 floats from src to dst. */
// @ts-ignore: decorator
@inline function copyPanelRow(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
  v128.store(dst, v128.load(src, 16), 16);
  v128.store(dst, v128.load(src, 32), 32);
  v128.store(dst, v128.load(src, 48), 48);
}

/** Four rows of 4 floats, transposed: column i goes to dst + i·dstStep. */
// @ts-ignore: decorator
@inline function storeTransposed4x4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, dstStep: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStep, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStep, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStep, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Sparse A: for each packed block of MR = 2 rows (Ap[block][kc][2], from packA), the steps
 * where the block is not all +0.0 (bit pattern 0), at steps + block·STEP_LIST_INTS·4: their
 * count, then each one's byte offset in the block (k·8). Returns false when the blocks keep
 * more than SPARSE_MAX_DENSITY_8THS/8 of their steps: the dense kernel is faster then.
 * Skipping a +0 step drops terms +0·b = ±0 from sums, which changes nothing (short of an
 * infinite or NaN b, and the sign of an all-zero sum).
 */
function listSteps(packedA: usize, mc: i32, kc: i32, steps: usize): bool {
  const blocks = (mc + MR - 1) / MR;
  const blockBytes = <usize>(kc * MR) << 2;
  let kept = 0;
  for (let block = 0; block < blocks; block++) {
    kept += listBlockSteps(packedA + <usize>block * blockBytes, kc, steps + <usize>block * (<usize>STEP_LIST_INTS << 2));
  }
  return kept * 8 <= SPARSE_MAX_DENSITY_8THS * kc * blocks;
}

/**
 * Four steps of a block's list: lane i of `either` is not zero when step i is kept; the 4-bit
 * mask of kept steps picks their offsets (relative, packed to the front) from STEP_OFFSETS,
 * added to `firstOffsets` (the first step's offset in every lane). All four lanes are stored
 * at entry n; returns n advanced by the mask's popcount (no branch per step).
 */
// @ts-ignore: decorator
@inline function appendKeptSteps(list: usize, n: i32, either: v128, firstOffsets: v128): i32 {
  const mask = i32x4.bitmask(v128.not(i32x4.eq(either, i32x4.splat(0))));
  v128.store(list + (<usize>n << 2), i32x4.add(v128.load(STEP_OFFSETS + (<usize>mask << 4)), firstOffsets));
  return n + <i32>popcnt(mask);
}

/** One packed block's list (count, then offsets), four steps at a time (appendKeptSteps). */
// @ts-ignore: decorator
@inline function listBlockSteps(src: usize, kc: i32, steps: usize): i32 {
  const list = steps + 4;
  let n = 0;
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    // Pairs k..k+3: lanes (a, b) of each; a step is kept when a | b != 0.
    const v0 = v128.load(src + (<usize>k << 3));
    const v1 = v128.load(src + (<usize>k << 3), 16);
    const either = v128.or(i32x4.shuffle(v0, v1, 0, 2, 4, 6), i32x4.shuffle(v0, v1, 1, 3, 5, 7));
    n = appendKeptSteps(list, n, either, i32x4.splat(k << 3));
  }
  for (; k < kc; k++) {
    store<u32>(list + (<usize>n << 2), <u32>(k << 3));
    n += i32(load<u64>(src + (<usize>k << 3)) != 0);
  }
  store<i32>(steps, n);
  return n;
}

/**
 * packA for A's rows contiguous in k (aKStride = 1), listing each block's kept steps while
 * it packs (the lists listSteps would make, from the rows already in registers).
 * Returns listSteps' verdict: whether the blocks are sparse enough for the step lists.
 */
function packAListSteps(a: usize, rowStride: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize, steps: usize): bool {
  const rowBytes = <usize>rowStride << 2;
  const blockBytes = <usize>(kc * MR) << 2;
  const fullRows = mc & ~(MR - 1);
  let kept = packRowPairs(a + <usize>i0 * rowBytes + (<usize>p0 << 2), rowBytes, fullRows, kc, dst, steps, true);
  if (fullRows < mc) {
    // The last block, of one row: packed with its missing row zero, then listed.
    const block = <usize>(fullRows / MR);
    packA(a, rowStride, 1, i0 + fullRows, mc - fullRows, p0, kc, dst + block * blockBytes);
    kept += listBlockSteps(dst + block * blockBytes, kc, steps + block * (<usize>STEP_LIST_INTS << 2));
  }
  const blocks = (mc + MR - 1) / MR;
  return kept * 8 <= SPARSE_MAX_DENSITY_8THS * kc * blocks;
}

/**
 * Ap[block][kc][MR] for `fullRows` rows contiguous in k from `src` (`rowBytes` apart): each
 * pair of rows interleaved. With `listing` (a constant: inlined into two loops), also each
 * block's kept steps (count, then offsets, as listSteps makes them, from the rows already
 * loaded: a step is kept when either row is not +0.0); returns the steps kept in all.
 */
// @ts-ignore: decorator
@inline function packRowPairs(src: usize, rowBytes: usize, fullRows: i32, kc: i32, dst: usize, steps: usize, listing: bool): i32 {
  const blockBytes = <usize>(kc * MR) << 2;
  const stride = i32x4.splat(32);
  let kept = 0;
  for (let ir = 0; ir < fullRows; ir += MR) {
    const s0 = src + <usize>ir * rowBytes;
    const s1 = s0 + rowBytes;
    const o = dst + <usize>(ir / MR) * blockBytes;
    const blockSteps = steps + <usize>(ir / MR) * (<usize>STEP_LIST_INTS << 2);
    const list = blockSteps + 4;
    let offsets = i32x4.splat(0);
    let n = 0;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const r0 = v128.load(s0 + (<usize>p << 2));
      const r1 = v128.load(s1 + (<usize>p << 2));
      v128.store(o + (<usize>p << 3), i32x4.shuffle(r0, r1, 0, 4, 1, 5));
      v128.store(o + (<usize>p << 3), i32x4.shuffle(r0, r1, 2, 6, 3, 7), 16);
      if (listing) {
        n = appendKeptSteps(list, n, v128.or(r0, r1), offsets);
        offsets = i32x4.add(offsets, stride);
      }
    }
    for (; p < kc; p++) {
      const x0 = load<u32>(s0 + (<usize>p << 2));
      const x1 = load<u32>(s1 + (<usize>p << 2));
      store<u32>(o + (<usize>p << 3), x0);
      store<u32>(o + (<usize>p << 3), x1, 4);
      if (listing) {
        store<u32>(list + (<usize>n << 2), <u32>(p << 3));
        n += i32((x0 | x1) != 0);
      }
    }
    if (listing) {
      store<i32>(blockSteps, n);
      kept += n;
    }
  }
  return kept;
}

/** For each 4-bit mask of kept steps, their byte offsets (step·8) packed to the front. */
const STEP_OFFSETS: usize = memory.data<u32>([
  0, 0, 0, 0,    0, 0, 0, 0,    8, 0, 0, 0,    0, 8, 0, 0,
  16, 0, 0, 0,   0, 16, 0, 0,   8, 16, 0, 0,   0, 8, 16, 0,
  24, 0, 0, 0,   0, 24, 0, 0,   8, 24, 0, 0,   0, 8, 24, 0,
  16, 24, 0, 0,  0, 16, 24, 0,  8, 16, 24, 0,  0, 8, 16, 24,
], 16);

/** Ap[block][kc][MR] = A(i0 + block·MR + r, p0 + p) for rows i0 .. i0+mc; rows past mc are zero. */
function packA(a: usize, rowStride: i32, kStride: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  const rowBytes = <usize>rowStride << 2;
  const kBytes = <usize>kStride << 2;
  const src = a + <usize>i0 * rowBytes + <usize>p0 * kBytes;
  const blockBytes = <usize>(kc * MR) << 2;
  const fullRows = mc & ~(MR - 1);
  let ir = 0;
  if (rowStride == 1) {
    // A stored transposed (the weight gradient's Xᵀ): one k's rows are contiguous.
    // Two blocks per pass, two k steps at a time: the 4 rows of steps p and p+1 are two
    // 16-byte loads, regrouped into one 16-byte store per block (half the stores of
    // storing each step's pair alone: the dense 784x128 weight gradient's packing
    // at batch 256 took 67-80 µs instead of 89-96).
    for (; ir + 2 * MR <= fullRows; ir += 2 * MR) {
      const s = src + (<usize>ir << 2);
      const o = dst + <usize>(ir / MR) * blockBytes;
      let p = 0;
      for (; p + 2 <= kc; p += 2) {
        const v0 = v128.load(s + <usize>p * kBytes);
        const v1 = v128.load(s + <usize>p * kBytes + kBytes);
        v128.store(o + (<usize>p << 3), i64x2.shuffle(v0, v1, 0, 2));
        v128.store(o + blockBytes + (<usize>p << 3), i64x2.shuffle(v0, v1, 1, 3));
      }
      if (p < kc) {
        const v = v128.load(s + <usize>p * kBytes);
        v128.store64_lane(o + (<usize>p << 3), v, 0);
        v128.store64_lane(o + blockBytes + (<usize>p << 3), v, 1);
      }
    }
    for (; ir < fullRows; ir += MR) {
      const s = src + (<usize>ir << 2);
      const o = dst + <usize>(ir / MR) * blockBytes;
      for (let p = 0; p < kc; p++) store<u64>(o + (<usize>p << 3), load<u64>(s + <usize>p * kBytes));
    }
  } else if (kStride == 1) {
    // Rows contiguous in k (forward, input deltas): interleave pairs of rows.
    packRowPairs(src, rowBytes, fullRows, kc, dst, 0, false);
    ir = fullRows;
  }
  if (kStride == 1 && ir < mc) {
    // The last block, of one row (MR = 2), contiguous in k: the row beside zeros. (One row
    // is what predicting one sample packs, for every layer.)
    const s = src + <usize>ir * rowBytes;
    const o = dst + <usize>(ir / MR) * blockBytes;
    const zero = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const v = v128.load(s + (<usize>p << 2));
      v128.store(o + (<usize>p << 3), i32x4.shuffle(v, zero, 0, 4, 1, 5));
      v128.store(o + (<usize>p << 3), i32x4.shuffle(v, zero, 2, 6, 3, 7), 16);
    }
    for (; p < kc; p++) {
      store<f32>(o + (<usize>p << 3), load<f32>(s + (<usize>p << 2)));
      store<f32>(o + (<usize>p << 3), 0, 4);
    }
    ir = mc;
  }
  // Any other strides, and the last partial block (its missing rows are zero).
  for (; ir < mc; ir += MR) {
    const o = dst + <usize>(ir / MR) * blockBytes;
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        const v: f32 = ir + r < mc ? load<f32>(src + <usize>(ir + r) * rowBytes + <usize>p * kBytes) : 0;
        store<f32>(o + (<usize>(p * MR + r) << 2), v);
      }
    }
  }
}

/** Bp[panel][kc][NR] = B(p0 + p, j0 + panel·NR + j) for columns j0 .. j0+nc; columns past nc are zero. */
function packB(b: usize, kStride: i32, nStride: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  const kBytes = <usize>kStride << 2;
  const nBytes = <usize>nStride << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const src = b + <usize>p0 * kBytes + <usize>(j0 + jr) * nBytes;
    const out = dst + (<usize>(jr * kc) << 2);
    if (cols == NR && nStride == 1) {
      // B row-major (forward, weight gradients): 16 contiguous floats per k.
      for (let p = 0; p < kc; p++) copyPanelRow(out + (<usize>p << 6), src + <usize>p * kBytes);
    } else if (cols == NR && kStride == 1) {
      // B(k, n) = W[n][k] (input deltas): the panel's 16 columns are 16 rows of W; 4x4 transposes.
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = out + (<usize>p << 6);
        for (let q = 0; q < NR; q += 4) {
          const s = src + <usize>q * nBytes + (<usize>p << 2);
          storeTransposed4x4(v128.load(s), v128.load(s + nBytes), v128.load(s + 2 * nBytes), v128.load(s + 3 * nBytes), o + (<usize>q << 2), 64);
        }
      }
      for (; p < kc; p++) {
        for (let j = 0; j < NR; j++) store<f32>(out + (<usize>(p * NR + j) << 2), load<f32>(src + <usize>j * nBytes + (<usize>p << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          const v: f32 = j < cols ? load<f32>(src + <usize>p * kBytes + <usize>j * nBytes) : 0;
          store<f32>(out + (<usize>(p * NR + j) << 2), v);
        }
      }
    }
  }
}

/**
 * Rows [0, rows) of the row-major matrix src[rows, cols] into a whole packed B for
 * GEMM_PREPACKED_B with K = `k` steps: dst[j/16][firstRow + r][j%16] = src[r][j], the
 * columns past `cols` of the last panel zero. Threads fill disjoint row ranges of one dst.
 */
export function packPanels(src: usize, rows: i32, cols: i32, dst: usize, k: i32, firstRow: i32): void {
  const srcRow = <usize>cols << 2;
  for (let j = 0; j < cols; j += NR) {
    const out = dst + (<usize>((j / NR) * k + firstRow) << 6);
    const from = src + (<usize>j << 2);
    if (j + NR <= cols) {
      for (let r = 0; r < rows; r++) copyPanelRow(out + (<usize>r << 6), from + <usize>r * srcRow);
    } else {
      const width = <usize>(cols - j) << 2;
      for (let r = 0; r < rows; r++) {
        const o = out + (<usize>r << 6);
        memory.fill(o, 0, <usize>NR << 2);
        memory.copy(o, from + <usize>r * srcRow, width);
      }
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
 */
export function denseForward(rows: i32, inSize: i32, outSize: i32, x: usize, w: usize, bias: usize, z: usize, relu: bool, sparseInput: bool, scratch: usize, packedW: usize): void {
  const flags = (sparseInput ? GEMM_SPARSE_A : 0) | (packedW ? GEMM_PREPACKED_B : 0);
  gemmPacked(rows, outSize, inSize, x, inSize, 1, packedW ? packedW : w, outSize, 1, z, outSize, bias, relu ? FINISH_RELU : FINISH_NONE, 0, flags, scratch);
}

/**
 * δX[rows, in] = δ[rows, out]·Wᵀ, then ⊙ [a > 0] when `reluOutputs` (the previous
 * layer's ReLU outputs a[rows, in]) is not 0: the ReLU derivative fused in.
 */
export function denseInputDelta(rows: i32, inSize: i32, outSize: i32, delta: usize, w: usize, reluOutputs: usize, deltaIn: usize, scratch: usize): void {
  gemmPacked(rows, inSize, outSize, delta, outSize, 1, w, 1, outSize, deltaIn, inSize, 0, reluOutputs ? FINISH_RELU_MASK : FINISH_NONE, reluOutputs, 0, scratch);
}

/** dW[in, out] = Xᵀ·δ and db[out] = Σ_rows δ, for X[rows, in] and δ[rows, out]; `sparseInput` as in denseForward. */
export function denseWeightGradient(rows: i32, inSize: i32, outSize: i32, x: usize, delta: usize, gw: usize, gb: usize, sparseInput: bool, scratch: usize): void {
  gemmPacked(inSize, outSize, rows, x, 1, inSize, delta, outSize, 1, gw, outSize, 0, FINISH_NONE, 0, sparseInput ? GEMM_SPARSE_A : 0, scratch);
  columnSums(delta, rows, outSize, gb);
}

// -----------------------------------------------------------------------------
// Unpacked GEMM (no scratch): A through strides, B row-major
// -----------------------------------------------------------------------------

/**
 * C[M,N] = A·B (+ bias) (+ ReLU). `bias` = 0 means no bias.
 * Strides are in floats. C and A/B must not overlap.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, aRowStride: i32, aKStride: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  bias: usize, relu: bool,
): void {
  const aRow = <usize>aRowStride << 2;
  const aK = <usize>aKStride << 2;
  const bRow = <usize>ldb << 2;
  const cRow = <usize>ldc << 2;
  let j = 0;
  // Panels of 8 columns, 4 rows at a time (8 accumulators: no spills, see the header).
  for (; j + 8 <= n; j += 8) {
    const bPanel = b + (<usize>j << 2);
    const cPanel = c + (<usize>j << 2);
    const bias0 = loadBias(bias, j);
    const bias1 = loadBias(bias, j + 4);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      tile4x8(k, a + <usize>i * aRow, aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, cRow, bias0, bias1, relu);
    }
    for (; i < m; i++) {
      tile1x8(k, a + <usize>i * aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, bias0, bias1, relu);
    }
  }
  // A panel of 4 columns.
  if (j + 4 <= n) {
    const bPanel = b + (<usize>j << 2);
    const cPanel = c + (<usize>j << 2);
    const bias0 = loadBias(bias, j);
    for (let i = 0; i < m; i++) {
      tile1x4(k, a + <usize>i * aRow, aK, bPanel, bRow, cPanel + <usize>i * cRow, bias0, relu);
    }
    j += 4;
  }
  // Remaining 1-3 columns, scalar.
  for (; j < n; j++) {
    const biasJ: f32 = bias ? load<f32>(bias + (<usize>j << 2)) : 0;
    for (let i = 0; i < m; i++) {
      let sum = biasJ;
      let ap = a + <usize>i * aRow;
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        sum += load<f32>(ap) * load<f32>(bp);
        ap += aK;
        bp += bRow;
      }
      if (relu && sum < 0) sum = 0;
      store<f32>(c + <usize>i * cRow + (<usize>j << 2), sum);
    }
  }
}

/** 4 rows x 8 columns of C. */
// @ts-ignore: decorator
@inline function tile4x8(
  k: i32, a: usize, aRow: usize, aK: usize, b: usize, bRow: usize, c: usize, cRow: usize,
  bias0: v128, bias1: v128, relu: bool,
): void {
  let c00 = bias0, c01 = bias1;
  let c10 = bias0, c11 = bias1;
  let c20 = bias0, c21 = bias1;
  let c30 = bias0, c31 = bias1;
  let ap = a;
  let bp = b;
  const a2 = aRow << 1;
  const a3 = aRow * 3;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(ap + aRow);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(ap + a2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(ap + a3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c00, relu)); v128.store(c, clampRelu(c01, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c10, relu)); v128.store(c, clampRelu(c11, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c20, relu)); v128.store(c, clampRelu(c21, relu), 16);
  c += cRow;
  v128.store(c, clampRelu(c30, relu)); v128.store(c, clampRelu(c31, relu), 16);
}

/** 1 row x 8 columns of C (row tail). */
// @ts-ignore: decorator
@inline function tile1x8(
  k: i32, a: usize, aK: usize, b: usize, bRow: usize, c: usize,
  bias0: v128, bias1: v128, relu: bool,
): void {
  let c0 = bias0, c1 = bias1;
  let ap = a;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(ap);
    c0 = madd(x, v128.load(bp), c0);
    c1 = madd(x, v128.load(bp, 16), c1);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c0, relu));
  v128.store(c, clampRelu(c1, relu), 16);
}

/** 1 row x 4 columns of C (column tail). */
// @ts-ignore: decorator
@inline function tile1x4(
  k: i32, a: usize, aK: usize, b: usize, bRow: usize, c: usize, bias0: v128, relu: bool,
): void {
  let c0 = bias0;
  let ap = a;
  let bp = b;
  for (let p = 0; p < k; p++) {
    c0 = madd(v128.load32_splat(ap), v128.load(bp), c0);
    ap += aK;
    bp += bRow;
  }
  v128.store(c, clampRelu(c0, relu));
}

// -----------------------------------------------------------------------------
// Small helpers
// -----------------------------------------------------------------------------

/** dst[cols, rows] = srcᵀ for src[rows, cols]. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const srcRow = src + (<usize>(r * cols) << 2);
    for (let col = 0; col < cols; col++) {
      store<f32>(dst + (<usize>(col * rows + r) << 2), load<f32>(srcRow + (<usize>col << 2)));
    }
  }
}

/** out[N] = Σ_rows X[rows, N] (bias gradients: column sums of δ). */
export function columnSums(x: usize, rows: i32, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let acc = f32x4.splat(0);
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += rowBytes;
    }
    v128.store(out + (<usize>j << 2), acc);
  }
  for (; j < n; j++) {
    let sum: f32 = 0;
    let p = x + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      sum += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(out + (<usize>j << 2), sum);
  }
}
