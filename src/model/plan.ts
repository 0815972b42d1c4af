/**
 * The memory plan: where every buffer of one model lives in its linear memory.
 *
 *   [ context | optimizer desc | 3 dataset descs | control ]  descriptors
 *   [ params | gradients | moment1 | moment2 | moment3? ]      P floats each, one layout (moment3: centered RMSprop only)
 *   [ per batch-norm layer: μ, 1/σ ]                           [units] each, the training forward's statistics
 *   [ X | T | per layer: A, D, Z?, dropped?, x̂? | scratch ]     sized for `capacity` rows (scratch: GEMM packing)
 *   [ per layer: packed D ]                                    threaded mode only: deltas of capacity rows, packed (gemm.ts packPanels)
 *   [ per layer: packed W ]                                    W in the forward product's panel order (inference; threaded training)
 *   [ per helper thread: context, scratch ]                    threaded mode only
 *   [ data region ... ]                                        datasets copied per call
 *
 * Parameters come first and never move; the row buffers are re-planned when a
 * larger batch arrives; the data region is reset by every fit/evaluate/predict
 * (a predict during a fit goes after the fit's data).
 * Every buffer starts on a 16-byte boundary, so each layer's W and b start on a
 * SIMD lane boundary and the optimizer's single pass covers padding zeros.
 *
 * The parameter layout (floats): per layer W, b, and with batch norm γ, β (the optimizer
 * updates all of these: the first `trainableLength`); then each batch-norm layer's running
 * mean and variance (saved and restored with the parameters, never updated by the
 * optimizer). Optional buffers (Z, dropped, x̂, μ, 1/σ, moment3) exist only for the layers
 * and optimizer that use them: a feature that is off takes no memory.
 */
import type { Layout } from '../runtime/core.js';
import type { NormalizedLayer } from './spec.js';

/** A layer's shape and options: its input width, and the spec's normalized layer. */
export interface LayerShape extends NormalizedLayer {
  /** Input width of the layer (the previous layer's units, or the model's inputSize). */
  inSize: number;
}

/** A batch-norm layer's places: float offsets into the parameter buffer, byte addresses of its vectors and x̂. */
export interface BatchNormSlots {
  gammaOffset: number;
  betaOffset: number;
  runningMeanOffset: number;
  runningVarOffset: number;
  /** The batch's μ and 1/√(σ² + ε) [units] (bytes). */
  mean: number;
  invStd: number;
  /** x̂ [capacity, units] (bytes). */
  normalized: number;
}

/** Whether a layer's backward reads its pre-activations z (gelu, geluTanh, silu; elu and selu under dropout). */
export function needsPreActivations(layer: NormalizedLayer): boolean {
  const { activation } = layer;
  if (activation === 'gelu' || activation === 'geluTanh' || activation === 'silu') return true;
  return layer.dropout > 0 && (activation === 'elu' || activation === 'selu');
}

/** Whether dropout needs the outputs kept undropped (activations whose backward reads them: sigmoid, tanh, softplus). */
export function needsDroppedCopy(layer: NormalizedLayer): boolean {
  const { activation } = layer;
  return layer.dropout > 0 && (activation === 'sigmoid' || activation === 'tanh' || activation === 'softplus');
}

export interface LayerSlots {
  /** Float offsets into the parameter (and gradient, moment) buffers. */
  weightOffset: number;
  biasOffset: number;
  /** Byte addresses of this layer's row buffers [capacity, units]. */
  outputs: number;
  deltas: number;
  /** Threaded mode: the deltas of a whole batch packed for the weight-gradient products (0 with one thread). */
  packedDeltas: number;
  /** W packed for the forward product: by inference once per change of W, and by the threads' second round as it updates. */
  packedWeights: number;
  /** The pre-activations z [capacity, units] (bytes; 0: none, see needsPreActivations). */
  preActivations: number;
  /** The dropped outputs [capacity, units] (bytes; 0: dropout in place, see needsDroppedCopy). */
  dropped: number;
  /** Batch norm's places, or null. */
  batchNorm: BatchNormSlots | null;
}

export interface MemoryPlan {
  context: number;
  optimizer: number;
  trainData: number;
  evalData: number;
  /** Descriptor for predict/evaluate, usable while a fit holds the other two. */
  queryData: number;
  params: number;
  grads: number;
  moment1: number;
  moment2: number;
  /** Centered RMSprop's gradient average ḡ (0: none). */
  moment3: number;
  /** Floats in each flat buffer, including alignment padding and the running statistics. */
  paramLength: number;
  /** Floats the optimizer updates: every parameter but the running statistics. */
  trainableLength: number;
  capacity: number;
  inputs: number;
  targets: number;
  layers: LayerSlots[];
  scratch: number;
  /** Per helper thread (threaded mode): its own context, row buffers and gradients. */
  helpers: HelperSlots[];
  /** Per-row loss weights of the batch [capacity] f32 (sample and class weights; CTX_ROW_WEIGHTS). */
  rowWeights: number;
  /** The threads' control block (threads.ts), 0 without helpers. */
  control: number;
  /** First byte of the data region. */
  dataStart: number;
}

/**
 * A helper thread's own buffers: its context and GEMM scratch. Parameters, gradients and
 * optimizer state are shared (its gradient steps compute deltas only; the weight gradients
 * are computed by rows, by all threads, into the one buffer); its rows of X, T, A and D are
 * rows of the main context's buffers: the chunk of the batch it is working on (the core
 * moves the context from chunk to chunk), or its slice of the rows in predict/evaluate.
 */
export interface HelperSlots {
  context: number;
  scratch: number;
}

const ALIGN = 16;
export const alignUp = (n: number, to = ALIGN): number => Math.ceil(n / to) * to;

/**
 * The scratch each context gets for the core's matrix products is its exported
 * GEMM_SCRATCH_BYTES (packed operand blocks, independent of the shapes).
 */
export function planMemory(
  layout: Layout,
  heapBase: number,
  inputSize: number,
  layers: LayerShape[],
  capacity: number,
  helperThreads = 0,
  controlBytes = 0,
  withMoment3 = false,
): MemoryPlan {
  let cursor = alignUp(heapBase, 64);
  const take = (bytes: number): number => {
    const at = cursor;
    cursor = alignUp(cursor + bytes);
    return at;
  };
  const context = take(layout.CTX_HEADER_BYTES + layers.length * layout.LAYER_BYTES);
  const optimizer = take(layout.OPT_BYTES);
  const trainData = take(layout.DATA_BYTES);
  const evalData = take(layout.DATA_BYTES);
  const queryData = take(layout.DATA_BYTES);
  // Before anything sized by capacity, so its address never changes.
  cursor = alignUp(cursor, 64);
  const control = controlBytes ? take(controlBytes) : 0;

  // Parameter layout in floats: W0, b0, [γ0, β0], W1, b1, ... each padded to 4 floats; then running statistics.
  let paramLength = 0;
  const takeFloats = (count: number): number => {
    const at = paramLength;
    paramLength += alignUp(count, 4);
    return at;
  };
  const offsets = layers.map((layer) => {
    const weightOffset = takeFloats(layer.inSize * layer.units);
    const biasOffset = takeFloats(layer.units);
    const gammaOffset = layer.batchNorm ? takeFloats(layer.units) : 0;
    const betaOffset = layer.batchNorm ? takeFloats(layer.units) : 0;
    return { weightOffset, biasOffset, gammaOffset, betaOffset };
  });
  const trainableLength = paramLength;
  const running = layers.map((layer) =>
    layer.batchNorm ? { mean: takeFloats(layer.units), variance: takeFloats(layer.units) } : null,
  );
  const params = take(paramLength * 4);
  const grads = take(paramLength * 4);
  const moment1 = take(paramLength * 4);
  const moment2 = take(paramLength * 4);
  const moment3 = withMoment3 ? take(paramLength * 4) : 0;
  const statistics = layers.map((layer) =>
    layer.batchNorm ? { mean: take(layer.units * 4), invStd: take(layer.units * 4) } : null,
  );

  const outputSize = layers[layers.length - 1].units;
  const inputs = take(capacity * inputSize * 4);
  const targets = take(capacity * outputSize * 4);
  const slots: LayerSlots[] = layers.map((layer, l) => {
    const { weightOffset, biasOffset, gammaOffset, betaOffset } = offsets[l];
    const rowsBytes = capacity * layer.units * 4;
    const outputs = take(rowsBytes);
    const deltas = take(rowsBytes);
    const preActivations = needsPreActivations(layer) ? take(rowsBytes) : 0;
    const dropped = needsDroppedCopy(layer) ? take(rowsBytes) : 0;
    const stats = statistics[l];
    const runningAt = running[l];
    const batchNorm =
      stats && runningAt
        ? {
            gammaOffset,
            betaOffset,
            runningMeanOffset: runningAt.mean,
            runningVarOffset: runningAt.variance,
            mean: stats.mean,
            invStd: stats.invStd,
            normalized: take(rowsBytes),
          }
        : null;
    return {
      weightOffset,
      biasOffset,
      outputs,
      deltas,
      packedDeltas: 0,
      packedWeights: 0,
      preActivations,
      dropped,
      batchNorm,
    };
  });
  const scratchBytes = layout.GEMM_SCRATCH_BYTES;
  const scratch = take(scratchBytes);
  // Threaded mode: each layer's deltas packed for the shared weight-gradient products (gemm.ts packPanels).
  slots.forEach((slot, l) => {
    slot.packedDeltas = helperThreads ? take(capacity * alignUp(layers[l].units, 16) * 4) : 0;
  });
  // Each layer's W packed for the forward product: packed once for inference until W changes;
  // in threaded training, rows re-packed as the second round updates them.
  slots.forEach((slot, l) => {
    slot.packedWeights = take(layers[l].inSize * alignUp(layers[l].units, 16) * 4);
  });
  const helpers = Array.from({ length: helperThreads }, () => ({
    context: take(layout.CTX_HEADER_BYTES + layers.length * layout.LAYER_BYTES),
    scratch: take(scratchBytes),
  }));
  const rowWeights = take(capacity * 4);
  return {
    context,
    optimizer,
    trainData,
    evalData,
    queryData,
    params,
    grads,
    moment1,
    moment2,
    moment3,
    paramLength,
    trainableLength,
    capacity,
    inputs,
    targets,
    layers: slots,
    scratch,
    helpers,
    control,
    rowWeights,
    dataStart: alignUp(cursor, 64),
  };
}
