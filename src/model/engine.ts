/**
 * A model's working state in one WebAssembly instance: the core, the memory plan,
 * the helper threads, the training state, and the operations over them (load data,
 * train a batch, run inference, snapshot and restore the flat buffers). Model (the
 * class users hold) delegates to it; fit sees it as a TrainableModel and the model
 * file as a ModelState. Descriptor writing is in descriptors.ts, the threaded rounds
 * in rounds.ts.
 *
 * The host writes descriptors and copies data in; the core computes. A batch costs
 * one call into WebAssembly; a whole fit copies each dataset in once.
 */
import type { Dataset } from '../data/dataset.js';
import { Xoshiro128StarStar } from '../data/random.js';
import type { ModelState } from '../io/format.js';
import type { Core } from '../runtime/core.js';
import { controlBytes, HelperThreadError, type RowsKind, type ThreadPool } from '../runtime/threads.js';
import type {
  BatchResult,
  RowsVisitor,
  EvaluateResult,
  LoadedData,
  ParameterSnapshot,
  TrainableModel,
  TrainingState,
} from '../train/types.js';
import type { ClassList } from './classes.js';
import { nonFiniteInputError } from './dataset-check.js';
import {
  type NetworkShape,
  placeDatasets,
  pointRows,
  writeContext,
  writeContextsField,
  writeOptimizer,
} from './descriptors.js';
import type { ModelDescription } from './description.js';
import { initializeWeights } from './initialize.js';
import { alignUp, type LayerShape, type MemoryPlan, planMemory } from './plan.js';
import { deltasRound, inferenceRound, type Threads, updateRound } from './rounds.js';
import { autoThreadsPay, macsPerRow, type Threading } from './threading.js';
import type { Loss, NormalizedOptimizer, NormalizedSpec } from './spec.js';
import type { AugmentOptions } from '../train/augment.js';

/** Rows per call for predict/evaluate unless a batch size is given. */
export const DEFAULT_INFERENCE_ROWS = 256;
/** Below this many rows per thread a batch runs on the main thread alone. */
const MIN_ROWS_PER_THREAD = 8;

export type { Threading } from './threading.js';

/** The layer shapes of a spec: each layer's input width, units and activation. */
export function shapesOf(spec: NormalizedSpec): LayerShape[] {
  let inSize = spec.inputSize;
  return spec.layers.map((layer) => {
    const shape = { ...layer, inSize };
    inSize = layer.units;
    return shape;
  });
}

/** Whether an optimizer keeps a third state buffer (centered RMSprop's gradient average). */
function usesMoment3(optimizer: NormalizedOptimizer): boolean {
  return optimizer.type === 'rmsprop' && optimizer.centered;
}

/** One model's instance, memory plan, threads and training state, and the operations over them. */
export class ModelEngine implements TrainableModel, ModelState {
  readonly core: Core;
  plan: MemoryPlan;
  readonly spec: NormalizedSpec;
  readonly shapes: LayerShape[];
  readonly net: NetworkShape;
  readonly training: TrainingState;
  readonly threading: Threading;
  /** User metadata saved with the model (JSON-serialisable). */
  metadata: Record<string, unknown> = {};
  /** The class values output units stand for, once fixed (spec.classes, the first fit, or the file). */
  classes: ClassList | undefined;
  /** End of the data a running fit holds in the data region (0 when no fit runs). */
  private fitDataEnd = 0;
  /** Training data's original inputs and their shifted copy (fit's augment option), per loaded data. */
  private shiftedCopies = new WeakMap<LoadedData, { original: number; shifted: number }>();
  /** Helper threads, in the threaded mode. */
  private pool: ThreadPool | undefined;
  private threads: Threads | undefined;
  private trackGradNorm = false;
  /** Whether a layer has an L1/L2 penalty (its loss is added to the reported losses). */
  private readonly hasPenalties: boolean;
  /** Forward multiply-adds per row (threads: 'auto' weighs a batch's work by it). */
  private readonly rowMacs: number;
  /**
   * Whether every layer's packed copy of W (PW) holds its current weights. Set by inference,
   * which packs them when they are not (packWeights), and by the threads' second round, which
   * re-packs the rows it updates; cleared by every other write of the parameters. Mirrored
   * into each context's CTX_PACKED_WEIGHTS (forward reads PW).
   */
  private packedWeightsCurrent = false;

  constructor(core: Core, spec: NormalizedSpec, pool?: ThreadPool, threading?: Threading) {
    this.core = core;
    this.spec = spec;
    this.pool = pool;
    this.threading = threading ?? { threads: 1, requested: spec.threads };
    this.shapes = shapesOf(spec);
    this.rowMacs = macsPerRow(this.shapes);
    this.net = {
      inputSize: spec.inputSize,
      outputSize: this.shapes[this.shapes.length - 1].units,
      shapes: this.shapes,
      loss: spec.loss,
      huberDelta: spec.huberDelta,
      seed: spec.seed,
    };
    this.hasPenalties = this.shapes.some((shape) => shape.l1 > 0 || shape.l2 > 0);
    this.plan = this.planFor(DEFAULT_INFERENCE_ROWS);
    core.ensureBytes(this.plan.dataStart);
    this.training = { epochs: 0, steps: 0, learningRate: spec.optimizer.learningRate };
    this.classes = spec.classes;
    this.writeContexts();
    writeOptimizer(core, this.plan, spec.optimizer, this.training);
    this.resetMoments();
  }

  // --- what the model is ------------------------------------------------------

  get inputSize(): number {
    return this.spec.inputSize;
  }
  get outputSize(): number {
    return this.net.outputSize;
  }
  get layers(): readonly LayerShape[] {
    return this.shapes;
  }
  get loss(): Loss {
    return this.spec.loss;
  }
  /** The 'huber' loss's δ. */
  get huberDelta(): number {
    return this.spec.huberDelta;
  }
  get optimizer(): NormalizedOptimizer {
    return { ...this.spec.optimizer };
  }
  get seed(): number {
    return this.spec.seed;
  }
  /** Whether a fit() holds data in memory. */
  get isTraining(): boolean {
    return this.fitDataEnd !== 0;
  }

  /**
   * Copies of the weights and biases, framework-neutral (W as [in, units]), with each
   * layer's options where set: alpha (leakyRelu, elu), dropout, l1, l2, and batch norm's
   * γ, β, running mean and variance, epsilon and momentum.
   */
  describe(): ModelDescription {
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    const floats = (offset: number, count: number) => params.slice(offset, offset + count);
    return {
      inputSize: this.inputSize,
      layers: this.shapes.map((s, l) => {
        const slots = this.plan.layers[l];
        const bn = slots.batchNorm;
        return {
          units: s.units,
          activation: s.activation,
          weights: floats(slots.weightOffset, s.inSize * s.units),
          bias: floats(slots.biasOffset, s.units),
          ...(s.activation === 'leakyRelu' || s.activation === 'elu' ? { alpha: s.alpha } : {}),
          ...(s.dropout > 0 ? { dropout: s.dropout } : {}),
          ...(s.l1 > 0 ? { l1: s.l1 } : {}),
          ...(s.l2 > 0 ? { l2: s.l2 } : {}),
          ...(bn && s.batchNorm
            ? {
                batchNorm: {
                  gamma: floats(bn.gammaOffset, s.units),
                  beta: floats(bn.betaOffset, s.units),
                  runningMean: floats(bn.runningMeanOffset, s.units),
                  runningVar: floats(bn.runningVarOffset, s.units),
                  epsilon: s.batchNorm.epsilon,
                  momentum: s.batchNorm.momentum,
                },
              }
            : {}),
        };
      }),
    };
  }

  /** Writes weights already checked against the architecture (and batch norm's vectors, where the description has them). */
  writeWeights(description: ModelDescription): void {
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    description.layers.forEach((layer, l) => {
      const slots = this.plan.layers[l];
      params.set(layer.weights, slots.weightOffset);
      params.set(layer.bias, slots.biasOffset);
      const bn = slots.batchNorm;
      if (bn && layer.batchNorm) {
        params.set(layer.batchNorm.gamma, bn.gammaOffset);
        params.set(layer.batchNorm.beta, bn.betaOffset);
        params.set(layer.batchNorm.runningMean, bn.runningMeanOffset);
        params.set(layer.batchNorm.runningVar, bn.runningVarOffset);
      }
    });
    this.setPackedWeightsCurrent(false);
  }

  /** Fills the parameters from the seed: weights by each layer's initializer, biases 0; batch norm's γ 1, β 0, running mean 0, variance 1. */
  initializeParameters(): void {
    const random = Xoshiro128StarStar.fromSeed(this.spec.seed);
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    params.fill(0);
    this.shapes.forEach((s, l) => {
      const { weightOffset, batchNorm } = this.plan.layers[l];
      initializeWeights(
        params.subarray(weightOffset, weightOffset + s.inSize * s.units),
        s.activation,
        s.inSize,
        s.units,
        random,
        s.initializer,
      );
      if (batchNorm) {
        params.fill(1, batchNorm.gammaOffset, batchNorm.gammaOffset + s.units);
        params.fill(1, batchNorm.runningVarOffset, batchNorm.runningVarOffset + s.units);
      }
    });
    this.setPackedWeightsCurrent(false);
  }

  // --- configuration ------------------------------------------------------------

  /** Changes the learning rate from now on (schedules call this between epochs). */
  setLearningRate(learningRate: number): void {
    if (!(Number.isFinite(learningRate) && learningRate > 0))
      throw new Error(`simdnet: learning rate must be a positive number, got ${learningRate}`);
    this.training.learningRate = learningRate;
    this.core.view().f32[(this.plan.optimizer + this.core.layout.OPT_LEARNING_RATE) >>> 2] = learningRate;
  }

  /** Switches to an optimizer already normalized (its moment buffers restart from zero). */
  setOptimizer(optimizer: NormalizedOptimizer): void {
    if (usesMoment3(optimizer) && !this.plan.moment3) {
      if (this.fitDataEnd) throw new Error('simdnet: cannot switch to centered RMSprop while fit() runs');
      this.spec.optimizer = optimizer;
      this.plan = this.planFor(this.plan.capacity);
      this.core.ensureBytes(this.plan.dataStart);
      this.writeContexts();
    }
    this.spec.optimizer = optimizer;
    this.training.learningRate = optimizer.learningRate;
    this.training.steps = 0;
    writeOptimizer(this.core, this.plan, optimizer, this.training);
    this.resetMoments();
  }

  /** The optimizer's state buffers at their start: zeros, Adagrad's accumulator at initialAccumulatorValue. */
  private resetMoments(): void {
    const { plan } = this;
    const { f32 } = this.core.view();
    f32.fill(0, plan.moment1 >>> 2, (plan.moment1 >>> 2) + plan.paramLength);
    f32.fill(0, plan.moment2 >>> 2, (plan.moment2 >>> 2) + plan.paramLength);
    if (plan.moment3) f32.fill(0, plan.moment3 >>> 2, (plan.moment3 >>> 2) + plan.paramLength);
    const { type, initialAccumulatorValue } = this.spec.optimizer;
    if (type === 'adagrad' && initialAccumulatorValue !== 0)
      f32.fill(initialAccumulatorValue, plan.moment2 >>> 2, (plan.moment2 >>> 2) + plan.trainableLength);
  }

  /** Sets the step counter (after load). */
  setSteps(steps: number): void {
    this.training.steps = steps;
    this.core.view().i32[(this.plan.optimizer + this.core.layout.OPT_STEP) >>> 2] = steps;
  }

  /** Whether the core computes the gradient norm every step. */
  setTrackGradNorm(track: boolean): void {
    this.trackGradNorm = track;
    this.core.view().i32[(this.plan.optimizer + this.core.layout.OPT_TRACK_NORM) >>> 2] = track ? 1 : 0;
  }

  /** Stops the helper threads; the model still predicts, training falls back to one thread. */
  dispose(): void {
    this.dropThreads('disposed');
  }

  /**
   * The threads, unless the pool broke (a helper stopped on its own): then the model goes
   * on with one thread from now on, and `threading.reason` says why.
   */
  private liveThreads(): Threads | undefined {
    if (this.pool?.broken) this.dropThreads(this.pool.broken);
    return this.threads;
  }

  /**
   * Whether `rows` rows go to the threads: enough rows for each (MIN_ROWS_PER_THREAD), and
   * under threads: 'auto', enough work for a second thread to gain (threading.ts).
   */
  private shareOut(threads: Threads | undefined, rows: number): threads is Threads {
    if (!threads) return false;
    const available = threads.pool.size + 1;
    if (rows < available * MIN_ROWS_PER_THREAD) return false;
    return !this.threading.auto || autoThreadsPay(this.threading, rows, this.rowMacs, available);
  }

  /** Stops the helpers and runs on the main thread from now on (the plan keeps their unused slots). */
  private dropThreads(reason: string): void {
    if (!this.pool) return;
    this.pool.stop();
    this.pool = undefined;
    this.threads = undefined;
    this.threading.threads = 1;
    this.threading.reason = reason;
  }

  // --- memory ---------------------------------------------------------------------

  /** Grows the row buffers (and forgets loaded data) if `rows` do not fit. */
  ensureCapacity(rows: number): void {
    // During a fit the row buffers stay where they are: its data lies right after them.
    if (rows <= this.plan.capacity || this.fitDataEnd) return;
    this.plan = this.planFor(rows);
    this.core.ensureBytes(this.plan.dataStart);
    this.writeContexts();
  }

  /** Rows per inference call: `batchSize` (checked) or the row buffers' capacity, at most `count`. */
  inferenceRows(count: number, batchSize: number | undefined): number {
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
      throw new Error(`simdnet: batchSize must be a positive integer, got ${batchSize}`);
    return Math.min(count, batchSize ?? Math.max(this.plan.capacity, DEFAULT_INFERENCE_ROWS));
  }

  private planFor(capacity: number): MemoryPlan {
    const helpers = this.pool?.size ?? 0;
    return planMemory(
      this.core.layout,
      this.core.heapBase,
      this.inputSize,
      this.shapes,
      capacity,
      helpers,
      helpers ? controlBytes(helpers) : 0,
      usesMoment3(this.spec.optimizer),
    );
  }

  private writeContexts(): void {
    const { plan } = this;
    writeContext(this.core, plan, { context: plan.context, scratch: plan.scratch }, this.net);
    for (const helper of plan.helpers) writeContext(this.core, plan, helper, this.net);
    // A new plan has new (unfilled) packed copies.
    this.packedWeightsCurrent = false;
    this.threads = this.pool
      ? { core: this.core, plan, pool: this.pool, helperContexts: plan.helpers.map((helper) => helper.context) }
      : undefined;
  }

  /**
   * Copies datasets (already checked) into the data region; the first gets a row order when
   * `withOrder`, and per-row loss weights [count] when `weights` is given.
   */
  loadData(datasets: Dataset[], withOrder: boolean, weights?: Float32Array): LoadedData[] {
    const { plan } = this;
    const loaded = placeDatasets(
      this.core,
      this.net,
      datasets,
      withOrder,
      plan.dataStart,
      [plan.trainData, plan.evalData],
      weights,
    );
    this.fitDataEnd = loaded.end;
    return loaded.data;
  }

  /**
   * Points loaded training data at a copy of its inputs with every image shifted for this
   * epoch (the core's shiftImages; the copy is placed after the fit's data on the first call).
   */
  shiftInputs(data: LoadedData, augment: AugmentOptions, epoch: number): void {
    const { fn, layout } = this.core;
    const at = (data.descriptor + layout.DATA_INPUTS) >>> 2;
    const u8Inputs = this.core.view().i32[(data.descriptor + layout.DATA_INPUT_KIND) >>> 2] === layout.INPUT_U8;
    const elementBytes = u8Inputs ? 1 : 4;
    const bytes = data.count * augment.width * augment.height * elementBytes;
    let copies = this.shiftedCopies.get(data);
    if (!copies) {
      copies = { original: this.core.view().u32[at], shifted: this.fitDataEnd };
      this.fitDataEnd = alignUp(this.fitDataEnd + bytes);
      this.core.ensureBytes(this.fitDataEnd);
      this.shiftedCopies.set(data, copies);
    }
    fn.shiftImages(
      copies.original,
      copies.shifted,
      data.count,
      augment.width,
      augment.height,
      elementBytes,
      augment.shift,
      this.spec.seed,
      epoch,
    );
    this.core.view().u32[at] = copies.shifted;
  }

  /** Forgets the data loadData() placed (fit does at its end): predict may grow the row buffers again. */
  releaseData(): void {
    this.fitDataEnd = 0;
  }

  /**
   * Loads predict/evaluate data after whatever a running fit holds; Float32 inputs are
   * checked for NaN/Infinity there, by the core (checkDataset skipped that scan).
   */
  private loadQuery(dataset: Dataset, what: string): LoadedData {
    const { plan } = this;
    const loaded = placeDatasets(this.core, this.net, [dataset], false, this.fitDataEnd || plan.dataStart, [
      plan.queryData,
    ]).data[0];
    if (dataset.inputs instanceof Float32Array) {
      const inputs = this.core.view().u32[(loaded.descriptor + this.core.layout.DATA_INPUTS) >>> 2];
      const bad = this.core.fn.firstNonFinite(inputs, dataset.inputs.length);
      if (bad >= 0) throw nonFiniteInputError(dataset, bad, what);
    }
    return loaded;
  }

  /** Shuffles loaded training rows for a (global) epoch: the same seed and epoch give the same order. */
  shuffle(data: LoadedData, epoch: number): void {
    const random = Xoshiro128StarStar.fromSeed((Math.imul(this.spec.seed ^ 0x5bd1e995, 0x9e3779b1) + epoch) >>> 0);
    const order = new Int32Array(this.core.memory.buffer, data.order, data.count);
    for (let i = 0; i < data.count; i++) order[i] = i;
    for (let i = data.count - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      const held = order[i];
      order[i] = order[j];
      order[j] = held;
    }
  }

  /** The flat buffers as copies: parameters, and optimizer moments. */
  snapshot(withMoments: boolean): ParameterSnapshot {
    const { plan, core } = this;
    const copy = (ptr: number) => core.f32(ptr, plan.paramLength).slice();
    if (!withMoments) return { params: copy(plan.params) };
    const moments = { params: copy(plan.params), moment1: copy(plan.moment1), moment2: copy(plan.moment2) };
    return plan.moment3 ? { ...moments, moment3: copy(plan.moment3) } : moments;
  }

  /** The flat parameter buffer as a view into memory (invalid after the memory grows). */
  parameters(): Float32Array {
    return this.core.f32(this.plan.params, this.plan.paramLength);
  }

  /** Restores buffers from snapshot(). */
  restore(state: ParameterSnapshot): void {
    const { f32 } = this.core.view();
    f32.set(state.params, this.plan.params >>> 2);
    this.setPackedWeightsCurrent(false);
    if (state.moment1) f32.set(state.moment1, this.plan.moment1 >>> 2);
    if (state.moment2) f32.set(state.moment2, this.plan.moment2 >>> 2);
    if (state.moment3 && this.plan.moment3) f32.set(state.moment3, this.plan.moment3 >>> 2);
  }

  // --- training -----------------------------------------------------------------------

  /** One optimizer step on rows order[offset .. offset+count). */
  trainBatch(data: LoadedData, offset: number, count: number): BatchResult {
    const { fn, layout } = this.core;
    const { plan } = this;
    const threads = this.liveThreads();
    writeContextsField(this.core, plan, layout.CTX_ACCURACY, data.accuracyKind);
    // The dropout masks' step: the optimizer's steps so far (saved, so a resumed fit draws the same masks).
    writeContextsField(this.core, plan, layout.CTX_STEP, this.training.steps | 0);
    let loss: number;
    let correct: number;
    if (this.shareOut(threads, count)) {
      try {
        ({ loss, correct } = deltasRound(threads, data, offset, count));
      } catch (error) {
        if (!(error instanceof HelperThreadError)) throw error;
        // The first round changes no parameter: the batch runs again, on this thread.
        this.dropThreads(this.pool?.broken ?? error.message);
        return this.trainBatch(data, offset, count);
      }
      // The penalties' loss at the weights of this step, before the update (one thread adds the same sum).
      if (this.hasPenalties) loss += fn.penaltyLoss(plan.context);
      // The gradient norm (clipping, tracking) needs the whole gradient before any update:
      // then the threads only compute it, and the main thread takes the optimizer step.
      const clipOrTrack = this.spec.optimizer.clipNorm > 0 || this.trackGradNorm;
      try {
        updateRound(threads, count, !clipOrTrack);
      } catch (error) {
        if (!(error instanceof HelperThreadError)) throw error;
        this.dropThreads(this.pool?.broken ?? error.message);
        this.setPackedWeightsCurrent(false);
        throw new Error(
          `${error.message} while updating the weights: this batch's update may be partly applied; the model runs on one thread from now on`,
          { cause: error },
        );
      }
      if (clipOrTrack) fn.optimizerStep(plan.context, plan.optimizer);
      this.setPackedWeightsCurrent(!clipOrTrack);
    } else {
      this.setPackedWeightsCurrent(false);
      loss = fn.trainStep(plan.context, data.descriptor, plan.optimizer, data.order + offset * 4, count);
      correct = this.core.view().i32[(plan.context + layout.CTX_STAT_CORRECT) >>> 2];
    }
    this.training.steps++;
    return { loss, correct, gradNorm: this.core.view().f64[(plan.context + layout.CTX_STAT_GRAD_NORM) >>> 3] };
  }

  // --- inference ----------------------------------------------------------------------

  /** Outputs [count, outputSize] of a checked dataset, `batchSize` rows per call. */
  predict(dataset: Dataset, batchSize: number | undefined): Float32Array {
    this.ensureCapacity(this.inferenceRows(dataset.count, batchSize));
    const out = new Float32Array(dataset.count * this.outputSize);
    const outputs = this.plan.layers[this.shapes.length - 1].outputs;
    const loaded = this.loadQuery(dataset, 'inputs');
    const { layout } = this.core;
    if (dataset.inputs instanceof Float32Array && (dataset.inputScale ?? 1) === 1) {
      // Float32 rows need no widening: the forward pass reads them where loadQuery put them
      // (the context's input pointer aimed at them for the call) instead of gathering a copy.
      const inputPointer = (this.plan.context + layout.CTX_X) >>> 2;
      const rowsAt = this.core.view().u32[(loaded.descriptor + layout.DATA_INPUTS) >>> 2];
      try {
        for (let start = 0; start < dataset.count; start += this.plan.capacity) {
          const rows = Math.min(this.plan.capacity, dataset.count - start);
          this.core.view().i32[inputPointer] = rowsAt + start * this.inputSize * 4;
          this.inferRows('forward', rows, loaded, start, rowsAt);
          out.set(this.core.f32(outputs, rows * this.outputSize), start * this.outputSize);
        }
      } finally {
        this.core.view().i32[inputPointer] = this.plan.inputs;
      }
      return out;
    }
    for (let start = 0; start < dataset.count; start += this.plan.capacity) {
      const rows = Math.min(this.plan.capacity, dataset.count - start);
      this.inferRows('predict', rows, loaded, start);
      out.set(this.core.f32(outputs, rows * this.outputSize), start * this.outputSize);
    }
    return out;
  }

  /** Mean loss and accuracy of a checked dataset, `batchSize` rows per call (`visit`: see evaluateLoaded). */
  evaluate(dataset: Dataset, batchSize: number | undefined, visit?: RowsVisitor): EvaluateResult {
    this.ensureCapacity(this.inferenceRows(dataset.count, batchSize));
    return this.evaluateLoaded(this.loadQuery(dataset, 'data'), visit);
  }

  /**
   * Views of the last step's rows in the main buffers: the output layer's A [rows, outputs]
   * and the gathered targets T [rows, outputs] (one-hot for labels). Valid until the next call.
   */
  batchRows(rows: number): { outputs: Float32Array; targets: Float32Array } {
    const n = rows * this.outputSize;
    return {
      outputs: this.core.f32(this.plan.layers[this.shapes.length - 1].outputs, n),
      targets: this.core.f32(this.plan.targets, n),
    };
  }

  /**
   * Mean loss and accuracy over loaded data; `visit`, when given, sees each slice's output
   * and target rows (RowsVisitor) as the slices are evaluated.
   */
  evaluateLoaded(data: LoadedData, visit?: RowsVisitor): EvaluateResult {
    writeContextsField(this.core, this.plan, this.core.layout.CTX_ACCURACY, data.accuracyKind);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.count; start += this.plan.capacity) {
      const rows = Math.min(this.plan.capacity, data.count - start);
      const slice = this.inferRows('evaluate', rows, data, start);
      lossSum += slice.lossSum;
      correct += slice.correct;
      if (visit) {
        const { outputs, targets } = this.batchRows(rows);
        visit(outputs, targets, rows);
      }
    }
    // The weight penalties are part of the loss, as Keras reports it.
    const penalty = this.hasPenalties ? this.core.fn.penaltyLoss(this.plan.context) : 0;
    const result: EvaluateResult = { loss: lossSum / data.count + penalty };
    if (data.accuracyUnits > 0) result.accuracy = correct / (data.count * data.accuracyUnits);
    return result;
  }

  /**
   * Inference over `rows` rows from dataset row `start`: 'forward' on the rows the main
   * context's X points at (from `inputRowsAt`, the loaded Float32 rows), 'predict' and
   * 'evaluate' gathering them first; shared out to the helper threads when there are
   * enough rows (rounds.ts). Returns evaluate's loss summed over rows and its correct count.
   */
  private inferRows(
    kind: RowsKind,
    rows: number,
    data: LoadedData,
    start: number,
    inputRowsAt = 0,
  ): { lossSum: number; correct: number } {
    const { fn, layout } = this.core;
    const { plan } = this;
    const threads = this.liveThreads();
    const run = (context: number, first: number, count: number): number => {
      if (kind === 'forward') {
        fn.forward(context, count);
        return 0;
      }
      if (kind === 'predict') {
        fn.predictRows(context, data.descriptor, first, count);
        return 0;
      }
      return fn.evaluateRows(context, data.descriptor, first, count);
    };
    // Packed once until the weights change, instead of in every forward product: for a few
    // rows, packing the first layer's W cost more than the product itself.
    if (!this.packedWeightsCurrent) {
      fn.packWeights(plan.context);
      this.setPackedWeightsCurrent(true);
    }
    if (!this.shareOut(threads, rows)) {
      const loss = run(plan.context, start, rows);
      const correct = kind === 'evaluate' ? this.core.view().i32[(plan.context + layout.CTX_STAT_CORRECT) >>> 2] : 0;
      return { lossSum: loss * rows, correct };
    }
    try {
      return inferenceRound(
        threads,
        kind,
        rows,
        data,
        start,
        inputRowsAt,
        this.inputSize,
        (context, firstRow) => pointRows(this.core, plan, context, firstRow, this.net),
        (first, count) => run(plan.context, first, count),
      );
    } catch (error) {
      if (!(error instanceof HelperThreadError)) throw error;
      // Rows are independent: the slice runs again, on this thread.
      this.dropThreads(this.pool?.broken ?? error.message);
      return this.inferRows(kind, rows, data, start, inputRowsAt);
    }
  }

  /** Records whether the packed weights are current, in every context (see packedWeightsCurrent). */
  private setPackedWeightsCurrent(current: boolean): void {
    if (current === this.packedWeightsCurrent) return;
    this.packedWeightsCurrent = current;
    writeContextsField(this.core, this.plan, this.core.layout.CTX_PACKED_WEIGHTS, current ? 1 : 0);
  }
}
