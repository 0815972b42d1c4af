// -----------------------------------------------------------------------------
// The network: forward, backward and the training step over a layer table that
// the host writes into linear memory. One exported call does a whole batch.
//
// Memory contract (all offsets in bytes; the host reads these constants from the
// module's exports, so this file is the single source of truth):
//
//   context   header + one record per dense layer
//     X [capacity, inputSize]    the gathered batch inputs
//     T [capacity, outputSize]   the gathered batch targets (one-hot for labels)
//     per layer l (in -> out):
//       W [in, out], b [out]         parameters   (inside the flat parameter buffer)
//       gW [in, out], gb [out]       gradients    (same layout, flat gradient buffer)
//       A [capacity, out]            outputs σ(z)
//       D [capacity, out]            deltas ∂L/∂z (the output layer keeps z here
//                                    between the forward pass and the loss)
//     scratch [GEMM_SCRATCH_BYTES]   packed blocks of the GEMMs' operands (gemm.ts)
//       PD [out/16, capacity, 16]    threaded mode: D of the whole batch packed as one
//                                    GEMM B operand, shared by the threads (packPanels)
//       PW [out/16, in, 16]          W packed for the forward product: by packWeights (the
//                                    host, before inference) and by splitUpdate (the rows it
//                                    updates); read while CTX_PACKED_WEIGHTS is set
//   dataset   a descriptor of rows already copied into memory once
//   optimizer a descriptor of hyper-parameters and the flat buffers it updates
// -----------------------------------------------------------------------------

import { denseForward, denseInputDelta, denseWeightGradient, packPanels } from './gemm';
import { activationForward, activationBackward } from './activations';
import { lossAndDelta, countCorrect } from './losses';
import { sgdStep, momentumStep, adamStep, sumOfSquares } from './optimizers';
import {
  CTX_NUM_LAYERS, CTX_INPUT_SIZE, CTX_OUTPUT_SIZE, CTX_LOSS, CTX_ACCURACY, CTX_CAPACITY, CTX_X, CTX_T, CTX_SCRATCH, CTX_PACKED_WEIGHTS, CTX_STAT_LOSS, CTX_STAT_CORRECT, CTX_STAT_GRAD_NORM, CTX_FIRST_ROW, CTX_ROW_WEIGHTS, CTX_HEADER_BYTES, LAYER_IN, LAYER_OUT, LAYER_ACTIVATION, LAYER_W, LAYER_B, LAYER_GW, LAYER_GB, LAYER_A, LAYER_D, LAYER_PD, LAYER_PW, LAYER_BYTES, DATA_INPUTS, DATA_INPUT_KIND, DATA_INPUT_SCALE, DATA_TARGETS, DATA_TARGET_KIND, DATA_COUNT, DATA_WEIGHTS, DATA_BYTES, INPUT_F32, INPUT_U8, TARGET_LABELS, TARGET_ROWS, OPT_KIND, OPT_STEP, OPT_LEARNING_RATE, OPT_BETA1, OPT_BETA2, OPT_EPSILON, OPT_WEIGHT_DECAY, OPT_CLIP_NORM, OPT_TRACK_NORM, OPT_PARAMS, OPT_GRADS, OPT_MOMENT1, OPT_MOMENT2, OPT_LENGTH, OPT_BYTES, OPTIMIZER_SGD, OPTIMIZER_MOMENTUM, OPTIMIZER_NESTEROV, OPTIMIZER_ADAM, OPTIMIZER_ADAMW,
  RELU,
} from './abi';

// @ts-ignore: decorator
@inline export function layerRecord(ctx: usize, l: i32): usize {
  return ctx + <usize>CTX_HEADER_BYTES + <usize>(l * LAYER_BYTES);
}
// @ts-ignore: decorator
@inline export function field(record: usize, offset: i32): i32 {
  return load<i32>(record + <usize>offset);
}
// @ts-ignore: decorator
@inline export function pointer(record: usize, offset: i32): usize {
  return <usize>load<u32>(record + <usize>offset);
}

// --- batch gathering --------------------------------------------------------

/**
 * Copies `count` dataset rows into the context's X and T: rows indices[0..count)
 * when `indices` != 0, else rows start..start+count. Byte inputs are widened
 * and scaled; labels become one-hot rows.
 */
export function gatherBatch(ctx: usize, data: usize, indices: usize, start: i32, count: i32): void {
  const inputSize = field(ctx, CTX_INPUT_SIZE);
  const outputSize = field(ctx, CTX_OUTPUT_SIZE);
  const x = pointer(ctx, CTX_X);
  const t = pointer(ctx, CTX_T);
  const inputs = pointer(data, DATA_INPUTS);
  const inputKind = field(data, DATA_INPUT_KIND);
  const scale = load<f32>(data + <usize>DATA_INPUT_SCALE);
  const targets = pointer(data, DATA_TARGETS);
  const targetKind = field(data, DATA_TARGET_KIND);
  const inputRowBytes = <usize>inputSize << 2;
  const targetRowBytes = <usize>outputSize << 2;

  const sourceRowBytes = inputKind == INPUT_U8 ? <usize>inputSize : inputRowBytes;
  // Shuffled rows of a large dataset come from DRAM, one cache miss after another: touching
  // the rows GATHER_AHEAD ahead starts their misses while this row is widened.
  let touched = 0;
  for (let r = 0; r < min(count, GATHER_AHEAD); r++) {
    touched |= touchRow(inputs + <usize>(indices ? load<i32>(indices + (<usize>r << 2)) : start + r) * sourceRowBytes, sourceRowBytes);
  }
  for (let r = 0; r < count; r++) {
    const row = indices ? load<i32>(indices + (<usize>r << 2)) : start + r;
    if (r + GATHER_AHEAD < count) {
      const ahead = indices ? load<i32>(indices + (<usize>(r + GATHER_AHEAD) << 2)) : start + r + GATHER_AHEAD;
      touched |= touchRow(inputs + <usize>ahead * sourceRowBytes, sourceRowBytes);
    }
    const dstInput = x + <usize>r * inputRowBytes;
    if (inputKind == INPUT_U8) {
      widenBytes(inputs + <usize>row * <usize>inputSize, dstInput, inputSize, scale);
    } else {
      copyScaled(inputs + <usize>row * inputRowBytes, dstInput, inputSize, scale);
    }
    if (!targets) continue;
    const dstTarget = t + <usize>r * targetRowBytes;
    if (targetKind == TARGET_LABELS) {
      memory.fill(dstTarget, 0, targetRowBytes);
      store<f32>(dstTarget + (<usize>load<i32>(targets + (<usize>row << 2)) << 2), 1);
    } else {
      memory.copy(dstTarget, targets + <usize>row * targetRowBytes, targetRowBytes);
    }
  }
  gatherSink |= touched;
  gatherRowWeights(ctx, data, indices, start, count);
}

/** The rows' loss weights into the context's CTX_ROW_WEIGHTS, when the dataset has weights. */
function gatherRowWeights(ctx: usize, data: usize, indices: usize, start: i32, count: i32): void {
  const weights = pointer(data, DATA_WEIGHTS);
  const out = pointer(ctx, CTX_ROW_WEIGHTS);
  if (!weights || !out) return;
  for (let r = 0; r < count; r++) {
    const row = indices ? load<i32>(indices + (<usize>r << 2)) : start + r;
    store<f32>(out + (<usize>r << 2), load<f32>(weights + (<usize>row << 2)));
  }
}

/** Rows gatherBatch touches ahead of the one it copies. */
const GATHER_AHEAD: i32 = 8;
/** Where the touched bytes go, so that the engine keeps the loads. */
let gatherSink: i32 = 0;

/** One byte of every 64-byte line of [p, p + bytes): the lines start loading (a prefetch). */
// @ts-ignore: decorator
@inline function touchRow(p: usize, bytes: usize): i32 {
  let touched: i32 = load<u8>(p + bytes - 1);
  for (let off: usize = 0; off < bytes; off += 64) touched |= load<u8>(p + off);
  return touched;
}

/** dst[n] f32 = src[n] u8 · scale. */
function widenBytes(src: usize, dst: usize, n: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const bytes = v128.load(src + <usize>i);
    const low = i16x8.extend_low_i8x16_u(bytes);
    const high = i16x8.extend_high_i8x16_u(bytes);
    const out = dst + (<usize>i << 2);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), s));
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), s), 16);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), s), 32);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), s), 48);
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + <usize>i) * scale);
}

/** dst[n] = src[n] · scale (a plain copy when scale is 1). */
function copyScaled(src: usize, dst: usize, n: i32, scale: f32): void {
  if (scale == 1) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)) * scale);
}

// --- forward / backward -----------------------------------------------------

/** Runs the layers over X[rows]; the network's outputs end in the last layer's A. */
export function forward(ctx: usize, rows: i32): void {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  const scratch = pointer(ctx, CTX_SCRATCH);
  let input = pointer(ctx, CTX_X);
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ctx, l);
    const inSize = field(layer, LAYER_IN);
    const outSize = field(layer, LAYER_OUT);
    const activation = field(layer, LAYER_ACTIVATION);
    const isOutput = l == numLayers - 1;
    const outputs = pointer(layer, LAYER_A);
    // The output layer keeps z (in D) for the loss; hidden layers work in place in A.
    const z = isOutput ? pointer(layer, LAYER_D) : outputs;
    const fuseRelu = activation == RELU && !isOutput;
    const packedW = field(ctx, CTX_PACKED_WEIGHTS) ? pointer(layer, LAYER_PW) : 0;
    denseForward(rows, inSize, outSize, input, pointer(layer, LAYER_W), pointer(layer, LAYER_B), z, fuseRelu, l == 0, scratch, packedW);
    if (!fuseRelu) activationForward(activation, z, outputs, rows, outSize, 0);
    input = outputs;
  }
}

/**
 * Given the output layer's δ in its D, fills every layer's gW, gb and the hidden
 * layers' δ:  gW = a_prevᵀ·δ,  gb = Σ_rows δ,  δ_prev = (δ·Wᵀ) ⊙ σ'(a_prev).
 */
export function backward(ctx: usize, rows: i32): void {
  backwardLayers(ctx, rows, false);
}

/**
 * backward, optionally only the deltas (`deltasOnly`, no gW or gb): the threaded
 * mode computes the gradients over the whole batch, split by input rows
 * (parallel.ts: splitUpdate).
 */
function backwardLayers(ctx: usize, rows: i32, deltasOnly: bool): void {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  const scratch = pointer(ctx, CTX_SCRATCH);
  for (let l = numLayers - 1; l >= 0; l--) {
    const layer = layerRecord(ctx, l);
    const inSize = field(layer, LAYER_IN);
    const outSize = field(layer, LAYER_OUT);
    const delta = pointer(layer, LAYER_D);
    const previous = l > 0 ? layerRecord(ctx, l - 1) : 0;
    const previousOutputs = l > 0 ? pointer(previous, LAYER_A) : pointer(ctx, CTX_X);
    if (!deltasOnly) denseWeightGradient(rows, inSize, outSize, previousOutputs, delta, pointer(layer, LAYER_GW), pointer(layer, LAYER_GB), l == 0, scratch);
    if (l == 0) break;
    const previousDelta = pointer(previous, LAYER_D);
    // ReLU's derivative is fused into the product's last pass; other activations take their own.
    const previousActivation = field(previous, LAYER_ACTIVATION);
    const fuseRelu = previousActivation == RELU;
    denseInputDelta(rows, inSize, outSize, delta, pointer(layer, LAYER_W), fuseRelu ? previousOutputs : 0, previousDelta, scratch);
    if (!fuseRelu) activationBackward(previousActivation, previousOutputs, previousDelta, rows, inSize, 0, 0);
  }
}

/**
 * Loss (and, if writeDelta, the output δ) for the rows in the context; records stats.
 * `weighted`: row r's loss and δ are scaled by its weight w_r (CTX_ROW_WEIGHTS), so the
 * batch loss is 1/batchRows Σ w_r · loss_r (Keras' sample weights: a mean over the rows,
 * not divided by Σ w); each row is scaled on its own, whatever thread holds it.
 */
function outputLoss(ctx: usize, rows: i32, batchRows: i32, writeDelta: bool, weighted: bool = false): f64 {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  const output = layerRecord(ctx, numLayers - 1);
  const outSize = field(output, LAYER_OUT);
  const a = pointer(output, LAYER_A);
  const t = pointer(ctx, CTX_T);
  // Count before the loss overwrites z with δ: accuracy reads only a and t.
  const correct = countCorrect(field(ctx, CTX_ACCURACY), a, t, rows, outSize);
  const loss = weighted
    ? weightedLoss(ctx, output, a, t, rows, outSize, writeDelta, batchRows)
    : lossAndDelta(
      field(ctx, CTX_LOSS), field(output, LAYER_ACTIVATION), pointer(output, LAYER_D), a, t, rows, outSize, writeDelta, batchRows,
    );
  store<f64>(ctx + <usize>CTX_STAT_LOSS, loss);
  store<i32>(ctx + <usize>CTX_STAT_CORRECT, correct);
  return loss;
}

/** outputLoss's weighted case: the loss and δ of each row alone, scaled by its weight. */
function weightedLoss(ctx: usize, output: usize, a: usize, t: usize, rows: i32, n: i32, writeDelta: bool, batchRows: i32): f64 {
  const weights = pointer(ctx, CTX_ROW_WEIGHTS);
  const zd = pointer(output, LAYER_D);
  const kind = field(ctx, CTX_LOSS);
  const activation = field(output, LAYER_ACTIVATION);
  const rowBytes = <usize>n << 2;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    const w = load<f32>(weights + (<usize>r << 2));
    total += <f64>w * lossAndDelta(kind, activation, zd + off, a + off, t + off, 1, n, writeDelta, batchRows);
    if (writeDelta) for (let j: usize = 0; j < rowBytes; j += 4) store<f32>(zd + off + j, load<f32>(zd + off + j) * w);
  }
  return total;
}

// --- exported steps -----------------------------------------------------------

/**
 * Gradients for `count` rows (gathered through `indices`) of a batch of
 * `batchRows`: gather, forward, loss, backward. Returns the rows' share of the
 * batch's mean loss. The optimizer is not touched. `deltasOnly` (non-zero, the
 * threaded mode's first round): every layer's δ but no weight or bias gradient;
 * the rows' δ are packed into each layer's shared PD at CTX_FIRST_ROW, for
 * splitUpdate (parallel.ts), which computes the gradients over the whole batch.
 */
export function gradientStep(ctx: usize, data: usize, indices: usize, count: i32, batchRows: i32, deltasOnly: i32): f64 {
  gatherBatch(ctx, data, indices, 0, count);
  forward(ctx, count);
  const loss = outputLoss(ctx, count, batchRows, true, pointer(data, DATA_WEIGHTS) != 0);
  backwardLayers(ctx, count, deltasOnly != 0);
  if (deltasOnly != 0) {
    const firstRow = field(ctx, CTX_FIRST_ROW);
    const numLayers = field(ctx, CTX_NUM_LAYERS);
    for (let l = 0; l < numLayers; l++) {
      const layer = layerRecord(ctx, l);
      const packed = pointer(layer, LAYER_PD);
      if (packed) packPanels(pointer(layer, LAYER_D), count, field(layer, LAYER_OUT), packed, batchRows, firstRow);
    }
  }
  return loss;
}

/**
 * One optimizer update from the gradients in the descriptor's buffer: global
 * norm (when clipping or tracking), clip factor, then one pass of the chosen
 * rule. Increments the step counter. Returns the gradient norm (or -1 if not computed).
 */
export function optimizerStep(ctx: usize, opt: usize): f64 {
  const grads = pointer(opt, OPT_GRADS);
  const length = field(opt, OPT_LENGTH);
  const clipNorm = load<f32>(opt + <usize>OPT_CLIP_NORM);
  let norm: f64 = -1;
  let gradScale: f32 = 1;
  if (clipNorm > 0 || field(opt, OPT_TRACK_NORM)) {
    norm = Math.sqrt(sumOfSquares(grads, length));
    if (clipNorm > 0 && norm > <f64>clipNorm) gradScale = <f32>(<f64>clipNorm / norm);
  }
  store<f64>(ctx + <usize>CTX_STAT_GRAD_NORM, norm);

  const step = field(opt, OPT_STEP) + 1;
  store<i32>(opt + <usize>OPT_STEP, step);
  updateRange(opt, 0, field(opt, OPT_LENGTH), step, gradScale);
  return norm;
}

/**
 * The chosen optimizer's update for parameters [start, start + count) of the
 * flat buffers, at step t = `step`. Ranges are independent, so threads may
 * update disjoint ranges at once. `start` is a multiple of 4.
 */
export function updateRange(opt: usize, start: i32, count: i32, step: i32, gradScale: f32): void {
  const offset = <usize>start << 2;
  const params = pointer(opt, OPT_PARAMS) + offset;
  const grads = pointer(opt, OPT_GRADS) + offset;
  const moment1 = pointer(opt, OPT_MOMENT1) + offset;
  const lr = load<f32>(opt + <usize>OPT_LEARNING_RATE);
  const beta1 = load<f32>(opt + <usize>OPT_BETA1);
  const weightDecay = load<f32>(opt + <usize>OPT_WEIGHT_DECAY);
  switch (field(opt, OPT_KIND)) {
    case OPTIMIZER_SGD: sgdStep(params, grads, count, lr, weightDecay, gradScale); break;
    case OPTIMIZER_MOMENTUM: momentumStep(params, grads, moment1, count, lr, beta1, false, weightDecay, gradScale); break;
    case OPTIMIZER_NESTEROV: momentumStep(params, grads, moment1, count, lr, beta1, true, weightDecay, gradScale); break;
    case OPTIMIZER_ADAM:
    case OPTIMIZER_ADAMW: {
      adamStep(
        params, grads, moment1, pointer(opt, OPT_MOMENT2) + offset, count,
        lr, beta1, load<f32>(opt + <usize>OPT_BETA2), load<f32>(opt + <usize>OPT_EPSILON),
        weightDecay, field(opt, OPT_KIND) == OPTIMIZER_ADAMW, step, gradScale,
      );
      break;
    }
    default: unreachable();
  }
}

/** A whole training step for one batch: gradients, then the update. Returns the mean loss. */
export function trainStep(ctx: usize, data: usize, opt: usize, indices: usize, count: i32): f64 {
  const loss = gradientStep(ctx, data, indices, count, count, 0);
  optimizerStep(ctx, opt);
  return loss;
}

/** Forward and loss (no gradients) for dataset rows start..start+count. Returns the mean loss. */
export function evaluateRows(ctx: usize, data: usize, start: i32, count: i32): f64 {
  gatherBatch(ctx, data, 0, start, count);
  forward(ctx, count);
  return outputLoss(ctx, count, count, false);
}

/**
 * Every layer's W into its packed copy PW (where the plan has one): the forward products
 * then read PW in place instead of packing W in every call. The host calls it before
 * inference when the weights changed since the last packing, and then sets
 * CTX_PACKED_WEIGHTS; any other write of W must clear that flag.
 */
export function packWeights(ctx: usize): void {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ctx, l);
    const packed = pointer(layer, LAYER_PW);
    const inSize = field(layer, LAYER_IN);
    if (packed) packPanels(pointer(layer, LAYER_W), inSize, field(layer, LAYER_OUT), packed, inSize, 0);
  }
}

/** Forward for dataset rows start..start+count without targets (predict). */
export function predictRows(ctx: usize, data: usize, start: i32, count: i32): void {
  gatherBatch(ctx, data, 0, start, count);
  forward(ctx, count);
}
