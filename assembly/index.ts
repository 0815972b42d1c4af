// -----------------------------------------------------------------------------
// simdnet's WebAssembly core: the exports the TypeScript host calls.
//
// The interface is pointers and numbers only (no strings, arrays or v128 cross
// the boundary), over one linear memory that the host plans: it writes the layer
// table, dataset and optimizer descriptors described in network.ts, then calls
// one function per batch. The module allocates nothing. Every constant the host
// reads is in abi.ts. src/runtime/core-exports.ts is generated from this file's
// exports (scripts/core-interface.mjs), so the host declares each of them once.
// -----------------------------------------------------------------------------

// The ABI: offsets, work counters, kind codes, GEMM constants.
export * from './abi';

// Steps: one call per batch (network.ts), and their parts (for tests and bench/kernels.ts).
export { trainStep, evaluateRows, predictRows, packWeights, forward, backward, gatherBatch, gradientStep, optimizerStep, penaltyLoss } from './network';

// The threaded rounds.
export { shareDeltas, splitUpdate } from './parallel';

// Kernels, exported for the op tests.
export { gemm, gemmPacked, packPanels, transpose, columnSums, denseForward, denseInputDelta, denseWeightGradient } from './gemm';
// The relaxed core's GEMM tiles for V8's 256-bit revectorizer (the host turns them on: src/runtime/revectorize.ts).
export { setWideTiles } from './gemm';
export { activationForward, activationBackward } from './activations';
export { lossAndDelta, countCorrect } from './losses';
export { sgdStep, momentumStep, adamStep, adamUpdate, sumOfSquares } from './optimizers';
export { referenceGemm } from './reference';
export { firstNonFinite } from './simd';

// The toolbox's kernels (dropout, batch norm, penalties, more optimizers and losses) and their scalar references.
export { lossAndDeltaWithParameters } from './losses';
export { rmspropStep, adagradStep } from './optimizers';
export { dropoutForward, dropoutBackward, dropoutKey } from './dropout';
export { batchNormForwardTraining, batchNormForwardInference, batchNormBackward } from './batchnorm';
export { penalizeWeights } from './regularize';

// Data augmentation of image rows in memory (fit's augment option).
export { shiftImages, shiftKey, shiftOf } from './augment';
export {
  referenceActivationForward, referenceActivationBackward, referenceRegressionLoss, referenceRmspropStep, referenceAdagradStep,
  referenceDropoutForward, referenceBatchNormForwardTraining, referenceBatchNormBackward, referencePenalizeWeights,
} from './reference';

/** First byte the host may use: everything below belongs to the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

// Micro-benchmark support (bench/kernels.ts): the arithmetic peak of this engine.
export { peakMaddChains, peakMaddWide, PEAK_WIDE_STATE_BYTES } from './bench';
