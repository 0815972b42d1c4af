/**
 * The memory plan: where every buffer of one model lives in its linear memory.
 *
 *   [ context | optimizer desc | 3 dataset descs | control ]  descriptors
 *   [ params | gradients | moment1 | moment2 ]                 P floats each, one layout
 *   [ X | T | per layer: A, D | scratch ]                      sized for `capacity` rows (scratch: GEMM packing)
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
 */
import type { Activation } from './description.js';
import type { Layout } from '../runtime/core.js';

export interface LayerShape {
  inSize: number;
  units: number;
  activation: Activation;
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
  /** Floats in each flat buffer, including alignment padding. */
  paramLength: number;
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

  // Parameter layout in floats: W0, b0, W1, b1, ... each padded to 4 floats.
  let paramLength = 0;
  const offsets = layers.map((layer) => {
    const weightOffset = paramLength;
    paramLength += alignUp(layer.inSize * layer.units, 4);
    const biasOffset = paramLength;
    paramLength += alignUp(layer.units, 4);
    return { weightOffset, biasOffset };
  });
  const params = take(paramLength * 4);
  const grads = take(paramLength * 4);
  const moment1 = take(paramLength * 4);
  const moment2 = take(paramLength * 4);

  const outputSize = layers[layers.length - 1].units;
  const inputs = take(capacity * inputSize * 4);
  const targets = take(capacity * outputSize * 4);
  const slots = layers.map((layer, l) => ({
    ...offsets[l],
    outputs: take(capacity * layer.units * 4),
    deltas: take(capacity * layer.units * 4),
    packedDeltas: 0,
    packedWeights: 0,
  }));
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
    paramLength,
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
