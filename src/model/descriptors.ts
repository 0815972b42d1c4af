/**
 * Writing the descriptors the core reads (assembly/abi.ts names every field): a
 * context per thread (header + one record per layer), the optimizer descriptor, and
 * the dataset descriptors of data copied into memory. Plain functions over a core, a
 * memory plan and the network's shape; they hold no state.
 */
import type { Dataset } from '../data/dataset.js';
import type { Core, Layout } from '../runtime/core.js';
import type { LoadedData, TrainingState } from '../train/types.js';
import type { Activation } from './description.js';
import { alignUp, type HelperSlots, type LayerShape, type MemoryPlan } from './plan.js';
import type { Loss, NormalizedOptimizer } from './spec.js';

/** The network a context describes: input width, layers in order, loss. */
export interface NetworkShape {
  inputSize: number;
  outputSize: number;
  shapes: readonly LayerShape[];
  loss: Loss;
  /** The 'huber' loss's δ. */
  huberDelta: number;
  /** The model's seed: the dropout masks' stream. */
  seed: number;
}

/** One context: the layer table over shared parameters, this thread's gradients and scratch, rows from row 0. */
export function writeContext(core: Core, plan: MemoryPlan, own: HelperSlots, net: NetworkShape): void {
  const { layout } = core;
  const { i32, f32 } = core.view();
  const c = own.context >>> 2;
  i32[c + (layout.CTX_NUM_LAYERS >> 2)] = net.shapes.length;
  i32[c + (layout.CTX_INPUT_SIZE >> 2)] = net.inputSize;
  i32[c + (layout.CTX_OUTPUT_SIZE >> 2)] = net.outputSize;
  i32[c + (layout.CTX_LOSS >> 2)] = lossKind(layout, net.loss);
  i32[c + (layout.CTX_CAPACITY >> 2)] = plan.capacity;
  i32[c + (layout.CTX_SCRATCH >> 2)] = own.scratch;
  i32[c + (layout.CTX_PACKED_WEIGHTS >> 2)] = 0;
  i32[c + (layout.CTX_SEED >> 2)] = net.seed | 0;
  i32[c + (layout.CTX_STEP >> 2)] = 0;
  f32[c + (layout.CTX_HUBER_DELTA >> 2)] = net.huberDelta;
  net.shapes.forEach((s, l) => {
    const r = (own.context + layout.CTX_HEADER_BYTES + l * layout.LAYER_BYTES) >>> 2;
    const { weightOffset, biasOffset } = plan.layers[l];
    i32[r + (layout.LAYER_IN >> 2)] = s.inSize;
    i32[r + (layout.LAYER_OUT >> 2)] = s.units;
    i32[r + (layout.LAYER_ACTIVATION >> 2)] = activationKind(layout, s.activation);
    i32[r + (layout.LAYER_W >> 2)] = plan.params + weightOffset * 4;
    i32[r + (layout.LAYER_B >> 2)] = plan.params + biasOffset * 4;
    i32[r + (layout.LAYER_GW >> 2)] = plan.grads + weightOffset * 4;
    i32[r + (layout.LAYER_GB >> 2)] = plan.grads + biasOffset * 4;
    i32[r + (layout.LAYER_PD >> 2)] = plan.layers[l].packedDeltas;
    i32[r + (layout.LAYER_PW >> 2)] = plan.layers[l].packedWeights;
    f32[r + (layout.LAYER_ALPHA >> 2)] = s.alpha;
    f32[r + (layout.LAYER_DROPOUT >> 2)] = s.dropout;
    f32[r + (layout.LAYER_L1 >> 2)] = s.l1;
    f32[r + (layout.LAYER_L2 >> 2)] = s.l2;
    const bn = plan.layers[l].batchNorm;
    const param = (offset: number) => (bn ? plan.params + offset * 4 : 0);
    const grad = (offset: number) => (bn ? plan.grads + offset * 4 : 0);
    i32[r + (layout.LAYER_BN_GAMMA >> 2)] = param(bn?.gammaOffset ?? 0);
    i32[r + (layout.LAYER_BN_BETA >> 2)] = param(bn?.betaOffset ?? 0);
    i32[r + (layout.LAYER_BN_GRAD_GAMMA >> 2)] = grad(bn?.gammaOffset ?? 0);
    i32[r + (layout.LAYER_BN_GRAD_BETA >> 2)] = grad(bn?.betaOffset ?? 0);
    i32[r + (layout.LAYER_BN_RUNNING_MEAN >> 2)] = param(bn?.runningMeanOffset ?? 0);
    i32[r + (layout.LAYER_BN_RUNNING_VAR >> 2)] = param(bn?.runningVarOffset ?? 0);
    i32[r + (layout.LAYER_BN_MEAN >> 2)] = bn?.mean ?? 0;
    i32[r + (layout.LAYER_BN_INV_STD >> 2)] = bn?.invStd ?? 0;
    f32[r + (layout.LAYER_BN_MOMENTUM >> 2)] = s.batchNorm?.momentum ?? 0;
    f32[r + (layout.LAYER_BN_EPSILON >> 2)] = s.batchNorm?.epsilon ?? 0;
  });
  pointRows(core, plan, own.context, 0, net);
}

/** Points a context's X, T, A and D at the main buffers' rows from `firstRow` on. */
export function pointRows(core: Core, plan: MemoryPlan, context: number, firstRow: number, net: NetworkShape): void {
  const { layout } = core;
  const { i32 } = core.view();
  const c = context >>> 2;
  i32[c + (layout.CTX_X >> 2)] = plan.inputs + firstRow * net.inputSize * 4;
  i32[c + (layout.CTX_T >> 2)] = plan.targets + firstRow * net.outputSize * 4;
  i32[c + (layout.CTX_FIRST_ROW >> 2)] = firstRow;
  i32[c + (layout.CTX_ROW_WEIGHTS >> 2)] = plan.rowWeights + firstRow * 4;
  i32[c + (layout.CTX_DENSE_INPUT_CALLS >> 2)] = 0; // try sparse input again (network.ts)
  net.shapes.forEach((s, l) => {
    const r = (context + layout.CTX_HEADER_BYTES + l * layout.LAYER_BYTES) >>> 2;
    const slots = plan.layers[l];
    const rowsAt = (buffer: number) => (buffer ? buffer + firstRow * s.units * 4 : 0);
    i32[r + (layout.LAYER_A >> 2)] = rowsAt(slots.outputs);
    i32[r + (layout.LAYER_D >> 2)] = rowsAt(slots.deltas);
    i32[r + (layout.LAYER_Z >> 2)] = rowsAt(slots.preActivations);
    i32[r + (layout.LAYER_DROPPED >> 2)] = rowsAt(slots.dropped);
    i32[r + (layout.LAYER_BN_XHAT >> 2)] = rowsAt(slots.batchNorm?.normalized ?? 0);
  });
}

/** Writes one i32 field (a CTX_* offset) of every context: the main one and each helper's. */
export function writeContextsField(core: Core, plan: MemoryPlan, offset: number, value: number): void {
  const { i32 } = core.view();
  i32[(plan.context + offset) >>> 2] = value;
  for (const helper of plan.helpers) i32[(helper.context + offset) >>> 2] = value;
}

/** The optimizer descriptor: kind, hyper-parameters, step, and the flat buffers it updates. */
export function writeOptimizer(core: Core, plan: MemoryPlan, opt: NormalizedOptimizer, training: TrainingState): void {
  const { layout } = core;
  const { i32, f32 } = core.view();
  const o = plan.optimizer >>> 2;
  const kinds: Record<NormalizedOptimizer['type'], number> = {
    sgd:
      opt.momentum === 0 ? layout.OPTIMIZER_SGD : opt.nesterov ? layout.OPTIMIZER_NESTEROV : layout.OPTIMIZER_MOMENTUM,
    adam: layout.OPTIMIZER_ADAM,
    adamw: layout.OPTIMIZER_ADAMW,
    rmsprop: layout.OPTIMIZER_RMSPROP,
    adagrad: layout.OPTIMIZER_ADAGRAD,
  };
  i32[o + (layout.OPT_KIND >> 2)] = kinds[opt.type];
  i32[o + (layout.OPT_STEP >> 2)] = training.steps;
  f32[o + (layout.OPT_LEARNING_RATE >> 2)] = training.learningRate;
  f32[o + (layout.OPT_BETA1 >> 2)] = opt.type === 'sgd' || opt.type === 'rmsprop' ? opt.momentum : opt.beta1;
  f32[o + (layout.OPT_ALPHA >> 2)] = opt.alpha;
  i32[o + (layout.OPT_CENTERED >> 2)] = opt.type === 'rmsprop' && opt.centered ? 1 : 0;
  f32[o + (layout.OPT_LR_DECAY >> 2)] = opt.lrDecay;
  i32[o + (layout.OPT_MOMENT3 >> 2)] = opt.type === 'rmsprop' && opt.centered ? plan.moment3 : 0;
  f32[o + (layout.OPT_BETA2 >> 2)] = opt.beta2;
  f32[o + (layout.OPT_EPSILON >> 2)] = opt.epsilon;
  f32[o + (layout.OPT_WEIGHT_DECAY >> 2)] = opt.weightDecay;
  f32[o + (layout.OPT_CLIP_NORM >> 2)] = opt.clipNorm;
  i32[o + (layout.OPT_PARAMS >> 2)] = plan.params;
  i32[o + (layout.OPT_GRADS >> 2)] = plan.grads;
  i32[o + (layout.OPT_MOMENT1 >> 2)] = plan.moment1;
  i32[o + (layout.OPT_MOMENT2 >> 2)] = plan.moment2;
  i32[o + (layout.OPT_LENGTH >> 2)] = plan.trainableLength;
}

/**
 * Copies datasets (already checked) into memory from byte `start` on, each with its
 * descriptor (`descriptors[i]`); the first gets a row-order buffer [count] when
 * `withOrder`, and per-row loss weights [count] when `firstWeights` is given. Returns the
 * loaded data and the first free byte after it.
 */
export function placeDatasets(
  core: Core,
  net: NetworkShape,
  datasets: Dataset[],
  withOrder: boolean,
  start: number,
  descriptors: number[],
  firstWeights?: Float32Array,
): { data: LoadedData[]; end: number } {
  const { layout } = core;
  const out = net.outputSize;
  let cursor = start;
  const take = (bytes: number) => {
    const at = cursor;
    cursor = alignUp(cursor + bytes);
    return at;
  };
  const placed = datasets.map((data, i) => {
    const inputs = take(data.inputs.byteLength);
    const binaryLabels = data.labels !== undefined && out === 1;
    const targetBytes = data.labels ? data.count * 4 : data.targets ? data.count * out * 4 : 0;
    const targets = targetBytes ? take(targetBytes) : 0;
    const order = withOrder && i === 0 ? take(data.count * 4) : 0;
    const weights = firstWeights && i === 0 ? take(data.count * 4) : 0;
    return { data, inputs, targets, order, binaryLabels, weights };
  });
  core.ensureBytes(cursor);
  const { u8, i32, f32 } = core.view();
  const data = placed.map(({ data, inputs, targets, order, binaryLabels, weights }, i) => {
    const descriptor = descriptors[i];
    u8.set(new Uint8Array(data.inputs.buffer, data.inputs.byteOffset, data.inputs.byteLength), inputs);
    let targetKind = layout.TARGET_LABELS;
    if (data.labels && !binaryLabels) {
      i32.set(data.labels, targets >>> 2);
    } else if (data.labels) {
      // One sigmoid output: label 0/1 is the target value itself.
      targetKind = layout.TARGET_ROWS;
      f32.set(data.labels, targets >>> 2);
    } else if (data.targets) {
      targetKind = layout.TARGET_ROWS;
      f32.set(data.targets, targets >>> 2);
    }
    if (order) for (let r = 0; r < data.count; r++) i32[(order >>> 2) + r] = r;
    const d = descriptor >>> 2;
    i32[d + (layout.DATA_INPUTS >> 2)] = inputs;
    i32[d + (layout.DATA_INPUT_KIND >> 2)] = data.inputs instanceof Uint8Array ? layout.INPUT_U8 : layout.INPUT_F32;
    f32[d + (layout.DATA_INPUT_SCALE >> 2)] = data.inputScale ?? 1;
    i32[d + (layout.DATA_TARGETS >> 2)] = targets;
    i32[d + (layout.DATA_TARGET_KIND >> 2)] = targetKind;
    i32[d + (layout.DATA_COUNT >> 2)] = data.count;
    if (weights) f32.set(firstWeights!, weights >> 2);
    i32[d + (layout.DATA_WEIGHTS >> 2)] = weights;
    const accuracyKind = accuracyKindOf(layout, net, data);
    const accuracyUnits =
      accuracyKind === layout.ACCURACY_NONE ? 0 : accuracyKind === layout.ACCURACY_THRESHOLD ? out : 1;
    return { descriptor, count: data.count, order, accuracyKind, accuracyUnits };
  });
  return { data, end: cursor };
}

/** Threshold accuracy for one sigmoid output or binary cross-entropy; argmax for labels or cross-entropy; else none. */
function accuracyKindOf(layout: Layout, net: NetworkShape, data: Dataset): number {
  if (net.loss === 'binaryCrossEntropy' || (data.labels && net.outputSize === 1)) return layout.ACCURACY_THRESHOLD;
  if (data.labels || net.loss === 'crossEntropy') return layout.ACCURACY_ARGMAX;
  return layout.ACCURACY_NONE;
}

function activationKind(layout: Layout, activation: Activation): number {
  const kinds: Record<Activation, number> = {
    linear: layout.LINEAR,
    sigmoid: layout.SIGMOID,
    tanh: layout.TANH,
    relu: layout.RELU,
    softplus: layout.SOFTPLUS,
    softmax: layout.SOFTMAX,
    leakyRelu: layout.LEAKY_RELU,
    elu: layout.ELU,
    selu: layout.SELU,
    gelu: layout.GELU,
    geluTanh: layout.GELU_TANH,
    silu: layout.SILU,
  };
  return kinds[activation];
}

function lossKind(layout: Layout, loss: Loss): number {
  const kinds: Record<Loss, number> = {
    mse: layout.MSE,
    l2: layout.L2,
    crossEntropy: layout.CROSS_ENTROPY,
    binaryCrossEntropy: layout.BINARY_CROSS_ENTROPY,
    huber: layout.HUBER,
    mae: layout.MAE,
  };
  return kinds[loss];
}
