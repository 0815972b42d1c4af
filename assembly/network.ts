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
//       A [capacity, out]            outputs σ(z) (dropped in place while training, unless DROPPED)
//       D [capacity, out]            deltas ∂L/∂z (the output layer keeps z here
//                                    between the forward pass and the loss)
//       Z [capacity, out]            optional: z, for the activations whose σ' needs it
//       DROPPED [capacity, out]      optional: the dropped outputs the next layer reads,
//                                    where σ' is computed from the undropped A
//       γ, β [out] (parameters), ∂L/∂γ, ∂L/∂β (gradients), running mean and variance
//       [out] (parameters, after the trainable ones), μ, 1/σ [out], x̂ [capacity, out]:
//                                    batch norm of z, when LAYER_BN_GAMMA != 0
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
import { lossAndDeltaWithParameters, countCorrect } from './losses';
import { sgdStep, momentumStep, adamStep, rmspropStep, adagradStep, sumOfSquares } from './optimizers';
import { dropoutForward } from './dropout';
import { batchNormForwardTraining, batchNormForwardInference, batchNormBackward } from './batchnorm';
import { penalizeWeights } from './regularize';
import {
  CTX_NUM_LAYERS, CTX_INPUT_SIZE, CTX_OUTPUT_SIZE, CTX_LOSS, CTX_ACCURACY, CTX_X, CTX_T, CTX_SCRATCH, CTX_PACKED_WEIGHTS, CTX_STAT_LOSS, CTX_STAT_CORRECT, CTX_STAT_GRAD_NORM, CTX_FIRST_ROW, CTX_SEED, CTX_STEP, CTX_HUBER_DELTA, CTX_HEADER_BYTES, LAYER_IN, LAYER_OUT, LAYER_ACTIVATION, LAYER_W, LAYER_B, LAYER_GW, LAYER_GB, LAYER_A, LAYER_D, LAYER_PD, LAYER_PW, LAYER_ALPHA, LAYER_Z, LAYER_DROPOUT, LAYER_DROPPED, LAYER_L1, LAYER_L2, LAYER_BN_GAMMA, LAYER_BN_BETA, LAYER_BN_GRAD_GAMMA, LAYER_BN_GRAD_BETA, LAYER_BN_MEAN, LAYER_BN_INV_STD, LAYER_BN_RUNNING_MEAN, LAYER_BN_RUNNING_VAR, LAYER_BN_XHAT, LAYER_BN_MOMENTUM, LAYER_BN_EPSILON, LAYER_BYTES, DATA_INPUTS, DATA_INPUT_KIND, DATA_INPUT_SCALE, DATA_TARGETS, DATA_TARGET_KIND, INPUT_U8, TARGET_LABELS, OPT_KIND, OPT_STEP, OPT_LEARNING_RATE, OPT_BETA1, OPT_BETA2, OPT_EPSILON, OPT_WEIGHT_DECAY, OPT_CLIP_NORM, OPT_TRACK_NORM, OPT_PARAMS, OPT_GRADS, OPT_MOMENT1, OPT_MOMENT2, OPT_LENGTH, OPT_ALPHA, OPT_CENTERED, OPT_LR_DECAY, OPT_MOMENT3, OPTIMIZER_SGD, OPTIMIZER_MOMENTUM, OPTIMIZER_NESTEROV, OPTIMIZER_ADAM, OPTIMIZER_ADAMW, OPTIMIZER_RMSPROP, OPTIMIZER_ADAGRAD, CTX_CAPACITY, CTX_ROW_WEIGHTS, CTX_DENSE_INPUT_CALLS, DATA_COUNT, DATA_WEIGHTS, DATA_BYTES, INPUT_F32, TARGET_ROWS, OPT_BYTES,
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

/** Runs the layers over X[rows] for inference; the network's outputs end in the last layer's A. */
export function forward(ctx: usize, rows: i32): void {
  forwardLayers(ctx, rows, false);
}

/**
 * The layers over X[rows]. Per layer: z = x·W + b (into Z where the backward reads z, else
 * the output layer's D or a hidden layer's A); batch norm of z in place (`training`: over
 * these rows, the whole batch; else with the running statistics); a = σ(z) into A; then,
 * `training` only, dropout on a (in A, or into DROPPED, which the next layer then reads).
 */
function forwardLayers(ctx: usize, rows: i32, training: bool): void {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  let input = pointer(ctx, CTX_X);
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ctx, l);
    const z = forwardDense(ctx, l, rows, input);
    if (pointer(layer, LAYER_BN_GAMMA)) batchNorm(layer, z, rows, field(layer, LAYER_OUT), training);
    input = forwardActivation(ctx, l, rows, z, training);
  }
}

/**
 * Layer l's z = x·W + b over `rows` rows of `input` (fused with ReLU where it can be):
 * into Z where the backward reads z, else the output layer's D or a hidden layer's A. Returns z.
 */
export function forwardDense(ctx: usize, l: i32, rows: i32, input: usize): usize {
  const layer = layerRecord(ctx, l);
  const z = preActivations(ctx, l);
  const packedW = field(ctx, CTX_PACKED_WEIGHTS) ? pointer(layer, LAYER_PW) : 0;
  const sparse = l == 0 && tryFirstLayerSparse(ctx);
  const sparseBlocks = denseForward(
    rows, field(layer, LAYER_IN), field(layer, LAYER_OUT), input, pointer(layer, LAYER_W), pointer(layer, LAYER_B), z,
    fusesRelu(ctx, l), sparse, scratch(ctx), packedW,
  );
  if (sparse) noteFirstLayerSparse(ctx, sparseBlocks);
  return z;
}

/** First-layer products run without trying sparse A after one found its input dense. */
const DENSE_INPUT_CALLS: i32 = 64;

/**
 * Whether this first-layer product should try skipping its input's zero steps (GEMM_SPARSE_A):
 * yes, unless a recent product found no block of the input sparse enough (dense data such as
 * standardised features), in which case the listing would be wasted work (8% of predict() on
 * dense rows); it tries again after DENSE_INPUT_CALLS products. Either path gives the same sums
 * (skipping a step skips products of +0).
 */
// @ts-ignore: decorator
@inline function tryFirstLayerSparse(ctx: usize): bool {
  const left = field(ctx, CTX_DENSE_INPUT_CALLS);
  if (left <= 0) return true;
  store<i32>(ctx + <usize>CTX_DENSE_INPUT_CALLS, left - 1);
  return false;
}

// @ts-ignore: decorator
@inline function noteFirstLayerSparse(ctx: usize, sparseBlocks: i32): void {
  store<i32>(ctx + <usize>CTX_DENSE_INPUT_CALLS, sparseBlocks > 0 ? 0 : DENSE_INPUT_CALLS);
}

/** Where layer l's forward keeps z: Z when the layer has it, else the output layer's D or a hidden layer's A. */
export function preActivations(ctx: usize, l: i32): usize {
  const layer = layerRecord(ctx, l);
  const zBuffer = pointer(layer, LAYER_Z);
  if (zBuffer) return zBuffer;
  return l == field(ctx, CTX_NUM_LAYERS) - 1 ? pointer(layer, LAYER_D) : pointer(layer, LAYER_A);
}

/** Whether layer l's forward product applies its ReLU (a hidden ReLU layer without batch norm). */
// @ts-ignore: decorator
@inline function fusesRelu(ctx: usize, l: i32): bool {
  const layer = layerRecord(ctx, l);
  return field(layer, LAYER_ACTIVATION) == RELU && l != field(ctx, CTX_NUM_LAYERS) - 1 && !pointer(layer, LAYER_BN_GAMMA);
}

// @ts-ignore: decorator
@inline function scratch(ctx: usize): usize {
  return pointer(ctx, CTX_SCRATCH);
}

/**
 * Layer l after its z (and batch norm): a = σ(z) into A, then, `training` only, dropout on
 * a (in A, or into DROPPED). Returns what the next layer reads.
 */
export function forwardActivation(ctx: usize, l: i32, rows: i32, z: usize, training: bool): usize {
  const layer = layerRecord(ctx, l);
  const outSize = field(layer, LAYER_OUT);
  const outputs = pointer(layer, LAYER_A);
  if (!fusesRelu(ctx, l)) activationForward(field(layer, LAYER_ACTIVATION), z, outputs, rows, outSize, load<f32>(layer + <usize>LAYER_ALPHA));
  let next = outputs;
  const rate = load<f32>(layer + <usize>LAYER_DROPOUT);
  if (training && rate > 0) {
    const dropped = pointer(layer, LAYER_DROPPED);
    if (dropped) {
      memory.copy(dropped, outputs, <usize>(rows * outSize) << 2);
      next = dropped;
    }
    dropoutForward(next, 0, rows, outSize, rate, load<u32>(ctx + <usize>CTX_SEED), load<u32>(ctx + <usize>CTX_STEP), l, field(ctx, CTX_FIRST_ROW));
  }
  return next;
}

/** Batch norm of z[rows, out] in place: training over these rows (the whole batch), else with the running statistics. */
function batchNorm(layer: usize, z: usize, rows: i32, outSize: i32, training: bool): void {
  if (training) {
    batchNormTrainingUnits(layer, z, rows, 0, outSize);
  } else {
    const gamma = pointer(layer, LAYER_BN_GAMMA);
    const beta = pointer(layer, LAYER_BN_BETA);
    const runningMean = pointer(layer, LAYER_BN_RUNNING_MEAN);
    const runningVar = pointer(layer, LAYER_BN_RUNNING_VAR);
    const epsilon = load<f32>(layer + <usize>LAYER_BN_EPSILON);
    batchNormForwardInference(z, z, rows, outSize, gamma, beta, runningMean, runningVar, epsilon);
  }
}

/** Batch norm's training forward for units [c0, c1) of z[rows, out] (all the batch's rows), in place. */
export function batchNormTrainingUnits(layer: usize, z: usize, rows: i32, c0: i32, c1: i32): void {
  batchNormForwardTraining(
    z, pointer(layer, LAYER_BN_XHAT), z, rows, field(layer, LAYER_OUT), c0, c1, pointer(layer, LAYER_BN_GAMMA),
    pointer(layer, LAYER_BN_BETA), pointer(layer, LAYER_BN_MEAN), pointer(layer, LAYER_BN_INV_STD),
    pointer(layer, LAYER_BN_RUNNING_MEAN), pointer(layer, LAYER_BN_RUNNING_VAR),
    load<f32>(layer + <usize>LAYER_BN_MOMENTUM), load<f32>(layer + <usize>LAYER_BN_EPSILON),
  );
}

/** What layer l read as its input while training: X, or the previous layer's (dropped) outputs. */
export function layerInput(ctx: usize, l: i32): usize {
  if (l == 0) return pointer(ctx, CTX_X);
  const previous = layerRecord(ctx, l - 1);
  const dropped = load<f32>(previous + <usize>LAYER_DROPOUT) > 0 ? pointer(previous, LAYER_DROPPED) : 0;
  return dropped ? dropped : pointer(previous, LAYER_A);
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
  for (let l = numLayers - 1; l >= 0; l--) {
    const layer = layerRecord(ctx, l);
    // D holds ∂L/∂y (y: batch norm's output); batch norm's backward makes it ∂L/∂z, and ∂L/∂γ, ∂L/∂β.
    if (pointer(layer, LAYER_BN_GAMMA)) batchNormBackwardUnits(layer, pointer(layer, LAYER_D), rows, 0, field(layer, LAYER_OUT));
    backwardLayer(ctx, l, rows, deltasOnly);
  }
}

/** Batch norm's backward for units [c0, c1) of layer `layer`'s δ [rows, out] (all the batch's rows), in place. */
export function batchNormBackwardUnits(layer: usize, delta: usize, rows: i32, c0: i32, c1: i32): void {
  batchNormBackward(
    delta, pointer(layer, LAYER_BN_XHAT), delta, rows, field(layer, LAYER_OUT), c0, c1, pointer(layer, LAYER_BN_GAMMA),
    pointer(layer, LAYER_BN_INV_STD), pointer(layer, LAYER_BN_GRAD_GAMMA), pointer(layer, LAYER_BN_GRAD_BETA),
  );
}

/**
 * Layer l's backward from its δ = ∂L/∂z in D (after batch norm's backward): gW and gb
 * (unless `deltasOnly`), then the previous layer's δ through W, its dropout mask and σ'.
 */
export function backwardLayer(ctx: usize, l: i32, rows: i32, deltasOnly: bool): void {
  const layer = layerRecord(ctx, l);
  const inSize = field(layer, LAYER_IN);
  const outSize = field(layer, LAYER_OUT);
  const delta = pointer(layer, LAYER_D);
  if (!deltasOnly) {
    const sparse = l == 0 && tryFirstLayerSparse(ctx);
    const sparseBlocks = denseWeightGradient(rows, inSize, outSize, layerInput(ctx, l), delta, pointer(layer, LAYER_GW), pointer(layer, LAYER_GB), sparse, scratch(ctx));
    if (sparse) noteFirstLayerSparse(ctx, sparseBlocks);
  }
  if (l == 0) return;
  const previous = layerRecord(ctx, l - 1);
  const previousOutputs = pointer(previous, LAYER_A);
  const previousDelta = pointer(previous, LAYER_D);
  // ReLU's derivative is fused into the product's last pass (from the outputs, dropped or not:
  // a dropped output's δ is zeroed by its mask anyway); other activations take their own.
  const previousActivation = field(previous, LAYER_ACTIVATION);
  const fuseRelu = previousActivation == RELU;
  denseInputDelta(rows, inSize, outSize, delta, pointer(layer, LAYER_W), fuseRelu ? previousOutputs : 0, previousDelta, scratch(ctx));
  const rate = load<f32>(previous + <usize>LAYER_DROPOUT);
  // Dropout's backward: the same mask, drawn again on δ.
  if (rate > 0) dropoutForward(previousDelta, 0, rows, inSize, rate, load<u32>(ctx + <usize>CTX_SEED), load<u32>(ctx + <usize>CTX_STEP), l - 1, field(ctx, CTX_FIRST_ROW));
  if (!fuseRelu) {
    activationBackward(previousActivation, previousOutputs, previousDelta, rows, inSize, load<f32>(previous + <usize>LAYER_ALPHA), pointer(previous, LAYER_Z));
  }
}

/**
 * Adds every layer's L1/L2 penalty gradient to its gW (when `gradients`) and returns the
 * penalty l1·Σ|w| + l2·Σw² summed over the layers (0 when no layer has one).
 */
function penalties(ctx: usize, gradients: bool): f64 {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  let total: f64 = 0;
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ctx, l);
    const l1 = load<f32>(layer + <usize>LAYER_L1);
    const l2 = load<f32>(layer + <usize>LAYER_L2);
    if (l1 == 0 && l2 == 0) continue;
    const count = field(layer, LAYER_IN) * field(layer, LAYER_OUT);
    total += penalizeWeights(pointer(layer, LAYER_W), gradients ? pointer(layer, LAYER_GW) : 0, count, l1, l2);
  }
  return total;
}

/** The weight penalties' share of the loss (l1·Σ|w| + l2·Σw² over every layer), at the current weights. */
export function penaltyLoss(ctx: usize): f64 {
  return penalties(ctx, false);
}

/**
 * Loss (and, if writeDelta, the output δ) for the rows in the context; records stats.
 * `weighted`: row r's loss and δ are scaled by its weight w_r (CTX_ROW_WEIGHTS), so the
 * batch loss is 1/batchRows Σ w_r · loss_r (Keras' sample weights: a mean over the rows,
 * not divided by Σ w); each row is scaled on its own, whatever thread holds it.
 */
export function outputLoss(ctx: usize, rows: i32, batchRows: i32, writeDelta: bool, weighted: bool = false): f64 {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  const output = layerRecord(ctx, numLayers - 1);
  const outSize = field(output, LAYER_OUT);
  const a = pointer(output, LAYER_A);
  const t = pointer(ctx, CTX_T);
  // Count before the loss overwrites z with δ: accuracy reads only a and t.
  const correct = countCorrect(field(ctx, CTX_ACCURACY), a, t, rows, outSize);
  const loss = weighted
    ? weightedLoss(ctx, output, a, t, rows, outSize, writeDelta, batchRows)
    : lossAndDeltaWithParameters(
      field(ctx, CTX_LOSS), field(output, LAYER_ACTIVATION), pointer(output, LAYER_D), a, t, rows, outSize, writeDelta, batchRows,
      load<f32>(ctx + <usize>CTX_HUBER_DELTA), load<f32>(output + <usize>LAYER_ALPHA), pointer(output, LAYER_Z),
    );
  store<f64>(ctx + <usize>CTX_STAT_LOSS, loss);
  store<i32>(ctx + <usize>CTX_STAT_CORRECT, correct);
  return loss;
}

/** outputLoss's weighted case: the loss and δ of each row alone, scaled by its weight. */
function weightedLoss(ctx: usize, output: usize, a: usize, t: usize, rows: i32, n: i32, writeDelta: bool, batchRows: i32): f64 {
  const weights = pointer(ctx, CTX_ROW_WEIGHTS);
  const zd = pointer(output, LAYER_D);
  const z = pointer(output, LAYER_Z);
  const kind = field(ctx, CTX_LOSS);
  const activation = field(output, LAYER_ACTIVATION);
  const rowBytes = <usize>n << 2;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    const w = load<f32>(weights + (<usize>r << 2));
    total += <f64>w * lossAndDeltaWithParameters(
      kind, activation, zd + off, a + off, t + off, 1, n, writeDelta, batchRows,
      load<f32>(ctx + <usize>CTX_HUBER_DELTA), load<f32>(output + <usize>LAYER_ALPHA), z == 0 ? 0 : z + off,
    );
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
  forwardLayers(ctx, count, true);
  let loss = outputLoss(ctx, count, batchRows, true, pointer(data, DATA_WEIGHTS) != 0);
  backwardLayers(ctx, count, deltasOnly != 0);
  if (deltasOnly == 0) {
    // The weight penalties (threaded: splitUpdate adds their gradients, the host their loss).
    loss += penalties(ctx, true);
    store<f64>(ctx + <usize>CTX_STAT_LOSS, loss);
  } else {
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
    case OPTIMIZER_RMSPROP: {
      const momentum = beta1;
      const moment3 = pointer(opt, OPT_MOMENT3);
      rmspropStep(
        params, grads, pointer(opt, OPT_MOMENT2) + offset, momentum > 0 ? moment1 : 0, moment3 ? moment3 + offset : 0, count,
        lr, load<f32>(opt + <usize>OPT_ALPHA), load<f32>(opt + <usize>OPT_EPSILON), weightDecay, momentum,
        field(opt, OPT_CENTERED) != 0, gradScale,
      );
      break;
    }
    case OPTIMIZER_ADAGRAD: {
      adagradStep(
        params, grads, pointer(opt, OPT_MOMENT2) + offset, count, lr, load<f32>(opt + <usize>OPT_LR_DECAY),
        load<f32>(opt + <usize>OPT_EPSILON), weightDecay, step, gradScale,
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
  forwardLayers(ctx, count, false);
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
