// -----------------------------------------------------------------------------
// Packing: blocks of A and panels of B copied into gemmPacked's scratch in the order
// the micro-kernel reads them (GotoBLAS / BLIS), with any transpose done on the way.
//
//   packA        A(r,k) = a[r·rowStride + k·kStride], rows i0..i0+mc, steps p0..p0+kc
//                -> Ap[mc/2][kc][2]: each block of MR = 2 rows interleaved by k (missing row zero)
//   packB        B(k,n) = b[k·kStride + n·nStride], steps p0..p0+kc, columns j0..j0+nc
//                -> Bp[nc/16][kc][16]: panels of NR = 16 columns (missing columns zero)
//   packPanels   a whole row-major src[rows, cols] -> [cols/16][K][16] (GEMM_PREPACKED_B)
//
// Sparse A (GEMM_SPARSE_A): per packed block, a step list at steps + block·STEP_LIST_INTS·4:
// the count of kept steps (where either row is not +0.0), then each one's byte offset in the
// block (k·8). listSteps lists an already packed A; packAListSteps lists while packing rows
// contiguous in k. Both return whether the blocks are sparse enough to use the lists.
// -----------------------------------------------------------------------------

import { KC, MR, NR, SPARSE_MAX_DENSITY_8THS, STEP_LIST_INTS } from './constants';

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
export function listSteps(packedA: usize, mc: i32, kc: i32, steps: usize): bool {
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
export function packAListSteps(a: usize, rowStride: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize, steps: usize): bool {
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
export function packA(a: usize, rowStride: i32, kStride: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
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
    // storing each step's pair alone).
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
export function packB(b: usize, kStride: i32, nStride: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
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
