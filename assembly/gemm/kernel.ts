// -----------------------------------------------------------------------------
// The micro-kernel of gemmPacked: one 2 x 16 tile of C per call.
//
//   C[2,16] (= | +=) Ap[kc][2] · Bp[kc][16], then finish (none | ReLU | ⊙ [mask > 0])
//   Ap: a packed block of A, the tile's 2 rows interleaved by k (pack.ts packA), 8 bytes a step
//   Bp: a packed panel of B, 16 columns per k (pack.ts packB / packPanels), 64 bytes a step
//   C, mask: rows cRow bytes apart; bias: 16 floats, or 0 (start from zero), or -1 (start from C)
//   steps: 0 (dense: every k), or a sparse-A step list (count, then each kept step's offset k·8)
//
// The tile lives in 8 f32x4 accumulators; each k step loads 4 B vectors and broadcasts
// 2 A scalars: 8 + 6 loads + 1 temporary = 15, V8's allocatable vector registers (V8 issues
// a basic block's loads before its arithmetic). kernelBody has two loops: sparse steps, and
// the baseline's dense loop, two steps per iteration split by a never-taken branch, which
// keeps V8 from hoisting the second step's loads. The relaxed build's dense tiles run
// fmaTile instead (start, fmaLoop, finish: straight pieces V8's revectorizer can pair), or
// four rows at a time in fmaLoop4 (the wide tiles, when the host turned the revectorizer on).
// Measurements of these choices and of the shapes tried instead: docs/kernels.md.
//
// Rounding: bias (or 0) + Σ_k a·b in increasing k, one rounding per multiply and per add
// in the default build (madd = mul + add): the scalar reference's order, bit for bit.
// Partial tiles (edgeTile) run the same kernel on zero-padded copies.
// -----------------------------------------------------------------------------

import { madd } from '../simd';
import { FINISH_RELU, FINISH_RELU_MASK, NR, TILE_BYTES } from './constants';

/**
 * The micro-kernel: C[2, 16] (=|+=) Ap[kc][2] · Bp[kc][16], then finish.
 * bias: start from the 16 floats at this address, from zero (0), or from C (-1: continue
 * the sums of earlier K chunks).
 */
// @ts-ignore: decorator
@inline export function kernel2x16(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize): void {
  // The baseline kernel is a function of its own: inside gemmPacked's loop nest V8
  // allocates its two-step loop badly (spills); the relaxed kernel's loop is unrolled by
  // V8 only when nested deep, so it stays inline.
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (steps) kernelBody(kc, ap, bp, c, cRow, bias, finish, mask, steps);
    else fmaTile(kc, ap, bp, c, cRow, bias, finish, mask);
  } else kernelCall(kc, ap, bp, c, cRow, bias, finish, mask, steps);
}

/**
 * The relaxed dense tile in three straight pieces: C's starting values written into C (bias,
 * zeros, or C as it is), then C += Ap·Bp in fmaLoop, then the finish in place. The loop is a
 * function of its own with one basic block per piece, which V8's 256-bit revectorizer
 * (--experimental-wasm-revectorize) can pair into ymm FMAs; the bits are the same either way.
 */
// @ts-ignore: decorator
@inline function fmaTile(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize): void {
  startTile(c, cRow, bias);
  fmaLoop(kc, ap, bp, c, cRow);
  finishTile(c, cRow, finish, mask);
}

/** A 2 x 16 tile's starting values written into C: the bias row (bias > 0), zeros (0), or C as it is (-1). */
// @ts-ignore: decorator
@inline export function startTile(c: usize, cRow: usize, bias: isize): void {
  if (bias < 0) return;
  const c1 = c + cRow;
  if (bias == 0) {
    const zero = f32x4.splat(0);
    v128.store(c, zero); v128.store(c, zero, 16); v128.store(c, zero, 32); v128.store(c, zero, 48);
    v128.store(c1, zero); v128.store(c1, zero, 16); v128.store(c1, zero, 32); v128.store(c1, zero, 48);
  } else {
    const b = <usize>bias;
    const b0 = v128.load(b); const b1 = v128.load(b, 16); const b2 = v128.load(b, 32); const b3 = v128.load(b, 48);
    v128.store(c, b0); v128.store(c, b1, 16); v128.store(c, b2, 32); v128.store(c, b3, 48);
    v128.store(c1, b0); v128.store(c1, b1, 16); v128.store(c1, b2, 32); v128.store(c1, b3, 48);
  }
}

/** A 2 x 16 tile's finish, in place: ReLU, or ⊙ [mask > 0], or nothing. */
// @ts-ignore: decorator
@inline export function finishTile(c: usize, cRow: usize, finish: i32, mask: usize): void {
  const c1 = c + cRow;
  if (finish == FINISH_RELU) {
    const zero = f32x4.splat(0);
    v128.store(c, f32x4.max(v128.load(c), zero)); v128.store(c, f32x4.max(v128.load(c, 16), zero), 16);
    v128.store(c, f32x4.max(v128.load(c, 32), zero), 32); v128.store(c, f32x4.max(v128.load(c, 48), zero), 48);
    v128.store(c1, f32x4.max(v128.load(c1), zero)); v128.store(c1, f32x4.max(v128.load(c1, 16), zero), 16);
    v128.store(c1, f32x4.max(v128.load(c1, 32), zero), 32); v128.store(c1, f32x4.max(v128.load(c1, 48), zero), 48);
  } else if (finish == FINISH_RELU_MASK) {
    const m1 = mask + cRow;
    v128.store(c, maskRelu(v128.load(c), mask, 0)); v128.store(c, maskRelu(v128.load(c, 16), mask, 16), 16);
    v128.store(c, maskRelu(v128.load(c, 32), mask, 32), 32); v128.store(c, maskRelu(v128.load(c, 48), mask, 48), 48);
    v128.store(c1, maskRelu(v128.load(c1), m1, 0)); v128.store(c1, maskRelu(v128.load(c1, 16), m1, 16), 16);
    v128.store(c1, maskRelu(v128.load(c1, 32), m1, 32), 32); v128.store(c1, maskRelu(v128.load(c1, 48), m1, 48), 48);
  }
}

/** C[2, 16] += Ap[kc][2] · Bp[kc][16] with fused multiply-adds, kc ≥ 1: one loop, nothing else. */
// @ts-ignore: decorator
@noinline function fmaLoop(kc: i32, ap: usize, bp: usize, c: usize, cRow: usize): void {
  const c1 = c + cRow;
  let c00 = v128.load(c);
  let c01 = v128.load(c, 16);
  let c02 = v128.load(c, 32);
  let c03 = v128.load(c, 48);
  let c10 = v128.load(c1);
  let c11 = v128.load(c1, 16);
  let c12 = v128.load(c1, 32);
  let c13 = v128.load(c1, 48);
  const aEnd = ap + (<usize>kc << 3);
  do {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const b2 = v128.load(bp, 32);
    const b3 = v128.load(bp, 48);
    const x0 = v128.load32_splat(ap);
    const x1 = v128.load32_splat(ap, 4);
    c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01); c02 = madd(x0, b2, c02); c03 = madd(x0, b3, c03);
    c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11); c12 = madd(x1, b2, c12); c13 = madd(x1, b3, c13);
    ap += 8;
    bp += 64;
  } while (ap < aEnd);
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
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
  } else {
    // Separate multiply and add: two k steps per iteration with a never-taken branch
    // between them. The branch ends a basic block, so V8 cannot hoist the second step's
    // loads above the first step's arithmetic, so loads and arithmetic interleave
    // (docs/kernels.md: faster than one step per iteration).
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
export function edgeTile(rows: i32, cols: i32, kc: i32, ap: usize, bp: usize, c: usize, cRow: usize, bias: isize, finish: i32, mask: usize, steps: usize, edge: usize): void {
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


/**
 * Four rows of C at once, C[4, 16] += A[4, kc] · Bp[kc][16]: 16 accumulators, which V8's 256-bit
 * revectorizer pairs into 8 ymm FMA chains (the wide tiles). A's row i is read at
 * a + offset_i (offset_0 = 0) and moves `aStep` bytes per k step: two packed blocks (offsets 4,
 * blockBytes, blockBytes + 4; step 8), or four row-major rows where they are (offsets rowBytes,
 * 2 rowBytes, 3 rowBytes; step 4: the forward product's A needs no packing copy).
 */
// @ts-ignore: decorator
@noinline export function fmaLoop4(kc: i32, a: usize, o1: usize, o2: usize, o3: usize, aStep: usize, bp: usize, c: usize, cRow: usize): void {
  const c1 = c + cRow;
  const c2 = c1 + cRow;
  const c3 = c2 + cRow;
  let c00 = v128.load(c); let c01 = v128.load(c, 16); let c02 = v128.load(c, 32); let c03 = v128.load(c, 48);
  let c10 = v128.load(c1); let c11 = v128.load(c1, 16); let c12 = v128.load(c1, 32); let c13 = v128.load(c1, 48);
  let c20 = v128.load(c2); let c21 = v128.load(c2, 16); let c22 = v128.load(c2, 32); let c23 = v128.load(c2, 48);
  let c30 = v128.load(c3); let c31 = v128.load(c3, 16); let c32 = v128.load(c3, 32); let c33 = v128.load(c3, 48);
  const aEnd = a + <usize>kc * aStep;
  do {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const b2 = v128.load(bp, 32);
    const b3 = v128.load(bp, 48);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
    x = v128.load32_splat(a + o1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
    x = v128.load32_splat(a + o2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21); c22 = madd(x, b2, c22); c23 = madd(x, b3, c23);
    x = v128.load32_splat(a + o3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31); c32 = madd(x, b2, c32); c33 = madd(x, b3, c33);
    a += aStep;
    bp += 64;
  } while (a < aEnd);
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
  v128.store(c2, c20); v128.store(c2, c21, 16); v128.store(c2, c22, 32); v128.store(c2, c23, 48);
  v128.store(c3, c30); v128.store(c3, c31, 16); v128.store(c3, c32, 32); v128.store(c3, c33, 48);
}
