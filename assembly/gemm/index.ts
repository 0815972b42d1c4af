// -----------------------------------------------------------------------------
// The matrix kernels: C[M,N] = A[M,K] · B[K,N] (+ bias) (then ReLU, or ⊙ a mask), f32.
//
//   driver.ts      gemmPacked (blocking over packed operands) and the dense layer's three
//                  products: denseForward, denseInputDelta, denseWeightGradient
//   kernel.ts      the 2 x 16 micro-kernel and its edge tiles
//   pack.ts        packA / packB / packPanels, and the sparse-A step lists
//   unpacked.ts    gemm: the same arithmetic without scratch (tests, small products)
//   helpers.ts     transpose, columnSums
//   constants.ts   tile and block sizes, the scratch size, gemmPacked's flags and finishes
//
// Experiments and measurements behind these shapes: docs/kernels.md.
// -----------------------------------------------------------------------------

export {
  FINISH_NONE,
  FINISH_RELU,
  FINISH_RELU_MASK,
  GEMM_PREPACKED_B,
  GEMM_SCRATCH_BYTES,
  GEMM_SPARSE_A,
} from './constants';
export { denseForward, denseInputDelta, denseWeightGradient, gemmPacked, setWideTiles } from './driver';
export { columnSums, transpose } from './helpers';
export { packPanels } from './pack';
export { gemm } from './unpacked';
