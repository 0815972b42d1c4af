// -----------------------------------------------------------------------------
// simdnet's WebAssembly core: the exports the TypeScript host calls.
//
// The interface is pointers and numbers only (no strings, arrays or v128 cross
// the boundary), over one linear memory that the host plans: it writes the layer
// table, dataset and optimizer descriptors described in network.ts, then calls
// one function per batch. The module allocates nothing.
// -----------------------------------------------------------------------------

export * from './network';
export { gemm, gemmPacked, packPanels, transpose, columnSums, denseForward, denseInputDelta, denseWeightGradient, GEMM_SCRATCH_BYTES, GEMM_SPARSE_A, GEMM_PREPACKED_B, FINISH_NONE, FINISH_RELU, FINISH_RELU_MASK } from './gemm';
export { activationForward, activationBackward } from './activations';
export { lossAndDelta, countCorrect } from './losses';
export { sgdStep, momentumStep, adamStep, adamUpdate, sumOfSquares } from './optimizers';
export { referenceGemm } from './reference';

/** First byte the host may use: everything below belongs to the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

// Kinds the host names in descriptors and tests.
export { LINEAR, SIGMOID, TANH, RELU, SOFTPLUS, SOFTMAX } from './activations';
export { MSE, L2, CROSS_ENTROPY, BINARY_CROSS_ENTROPY, ACCURACY_NONE, ACCURACY_ARGMAX, ACCURACY_THRESHOLD } from './losses';

// Micro-benchmark support (bench/kernels.ts): the arithmetic peak of this engine.
export { peakMaddChains } from './bench';
export { firstNonFinite } from './simd';
export { shareDeltas, splitUpdate } from './parallel';
export { LEAKY_RELU, ELU, SELU, GELU, GELU_TANH, SILU } from './activations';
export { HUBER, MAE } from './losses';
export { lossAndDeltaWithParameters } from './losses';
export { rmspropStep, adagradStep } from './optimizers';
export { dropoutForward, dropoutBackward, dropoutKey } from './dropout';
export { batchNormForwardTraining, batchNormForwardInference, batchNormBackward } from './batchnorm';
export { penalizeWeights } from './regularize';
export {
  referenceActivationForward, referenceActivationBackward, referenceRegressionLoss, referenceRmspropStep, referenceAdagradStep,
  referenceDropoutForward, referenceBatchNormForwardTraining, referenceBatchNormBackward, referencePenalizeWeights,
} from './reference';
