// -----------------------------------------------------------------------------
// GEMM constants: the micro-tile, the blocking, the scratch layout, and the flags and
// finishes of gemmPacked (the last five are read by the host).
//
//   tile      MR x NR = 2 x 16 floats of C per micro-kernel call
//   blocks    K in even chunks of at most KC = 512 steps; A in MC = 64 rows; B in NC = 256 columns
//   scratch   [ packed B: KC·NC f32 | packed A: MC·KC f32 | step lists: MC/MR x (KC + 5) u32 |
//               three edge tiles (C, mask, bias): MR·NR f32 each ]   = GEMM_SCRATCH_BYTES
// -----------------------------------------------------------------------------

/** Micro-tile height (rows of A and C) and width (columns of B and C). */
export const MR: i32 = 2;
export const NR: i32 = 16;
/** Most k steps per chunk: a packed B panel is at most KC·NR floats (32 KiB, L1). */
export const KC: i32 = 512;
/** Rows of A packed at once: MC·KC floats (128 KiB, L2). */
export const MC: i32 = 64;
/** Most columns of B packed at once: KC·NC floats (512 KiB, L2). */
export const NC: i32 = 256;

export const PACKED_B_BYTES: usize = <usize>(KC * NC) << 2;
export const PACKED_A_BYTES: usize = <usize>(MC * KC) << 2;
/** Sparse A, per block of MR rows: the count of kept steps, then their offsets (u32; 4 spare for SIMD stores). */
export const STEP_LIST_INTS: i32 = KC + 5;
export const STEP_INDEX_BYTES: usize = <usize>(MC / MR * STEP_LIST_INTS) << 2;
export const TILE_BYTES: usize = <usize>(MR * NR) << 2;

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
export const SPARSE_MAX_DENSITY_8THS: i32 = 5;

/** How outputs are finished after the last K chunk. */
export const FINISH_NONE: i32 = 0;
export const FINISH_RELU: i32 = 1;
/** C ⊙ [mask > 0]: the ReLU derivative, read from the layer's outputs (laid out like C). */
export const FINISH_RELU_MASK: i32 = 2;
