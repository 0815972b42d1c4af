/**
 * The model users hold: a stack of dense layers living in one WebAssembly
 * instance, with its parameters, gradients, optimizer state and row buffers
 * planned once in linear memory (see plan.ts).
 *
 * The host writes descriptors and copies data in; the core computes. A batch
 * costs one call into WebAssembly; a whole fit copies each dataset in once.
 */
import type { Dataset } from '../data/dataset.js';
import { Xoshiro128StarStar } from '../data/random.js';
import type { Core } from '../runtime/core.js';
import { instantiateCore, instantiateSharedCore } from '../runtime/load.js';
import { checkDataset, asDataset, nonFiniteInputError, type DatasetLike } from './dataset-check.js';
import type { Activation, ModelDescription } from './description.js';
import { initializeWeights } from './initialize.js';
import { alignUp, planMemory, type HelperSlots, type MemoryPlan } from './plan.js';
import { availableCores, controlBytes, threadSupport, ThreadPool, type RowsKind } from '../runtime/threads.js';
import {
  normalizeOptimizer,
  normalizeSpec,
  type ModelSpec,
  type NormalizedOptimizer,
  type NormalizedSpec,
  type OptimizerConfig,
  type OptimizerType,
} from './spec.js';
import { fit, type FitOptions, type History } from '../train/fit.js';
import { saveModel, type SaveOptions } from '../io/format.js';

/** Rows per call for predict/evaluate unless a batch size is given. */
const DEFAULT_INFERENCE_ROWS = 256;
/** Below this many rows per thread a batch runs on the main thread alone. */
const MIN_ROWS_PER_THREAD = 8;

/** Threads training a model: `threads` < `requested` when threads were unavailable (`reason`). */
export interface Threading {
  threads: number;
  requested: number;
  reason?: string;
}

/** Where training stands: saved with the model so training can resume exactly. */
export interface TrainingState {
  /** Epochs completed over the model's life. */
  epochs: number;
  /** Optimizer steps taken (Adam's t). */
  steps: number;
  /** The learning rate in force (schedules change it). */
  learningRate: number;
}

export interface EvaluateResult {
  loss: number;
  /** Fraction correct, when the data has labels or the loss is binary cross-entropy. */
  accuracy?: number;
}

export interface LoadedData {
  descriptor: number;
  count: number;
  /** Byte address of an Int32 row-order buffer [count] (training data only). */
  order: number;
  /** The core's accuracy kind for this data (ACCURACY_*). */
  accuracyKind: number;
  /** Outputs scored per row: 0 (no accuracy), 1 (argmax: one per row) or outputSize (threshold: each output). */
  accuracyUnits: number;
}

export interface BatchResult {
  loss: number;
  correct: number;
  /** -1 when the norm was not computed. */
  gradNorm: number;
}

export class Model {
  /** @internal */ readonly core: Core;
  /** @internal */ plan: MemoryPlan;
  private readonly spec: NormalizedSpec;
  private readonly shapes: { inSize: number; units: number; activation: Activation }[];
  readonly training: TrainingState;
  /** User metadata saved with the model (JSON-serialisable). */
  metadata: Record<string, unknown> = {};
  /** End of the data a running fit holds in the data region (0 when no fit runs). */
  private fitDataEnd = 0;
  /** Helper threads, in the threaded mode. */
  private pool: ThreadPool | undefined;
  /** The helpers' contexts, as the rounds' jobs name them. */
  private helperContexts: number[] = [];
  private trackGradNorm = false;
  /**
   * Whether every layer's packed copy of W (PW) holds its current weights. Set by inference,
   * which packs them when they are not (packWeights), and by the threads' second round, which
   * re-packs the rows it updates; cleared by every other write of the parameters. Mirrored
   * into each context's CTX_PACKED_WEIGHTS (forward reads PW).
   */
  private packedWeightsCurrent = false;
  /** How many threads train this model, and if fewer than requested, why. */
  readonly threading: Threading;

  /** @internal Use createModel() or loadModel(). */
  constructor(core: Core, spec: NormalizedSpec, pool?: ThreadPool, threading?: Threading) {
    this.core = core;
    this.spec = spec;
    this.pool = pool;
    this.threading = threading ?? { threads: 1, requested: spec.threads };
    let inSize = spec.inputSize;
    this.shapes = spec.layers.map(({ units, activation }) => {
      const shape = { inSize, units, activation };
      inSize = units;
      return shape;
    });
    this.plan = this.planFor(DEFAULT_INFERENCE_ROWS);
    core.ensureBytes(this.plan.dataStart);
    this.training = { epochs: 0, steps: 0, learningRate: spec.optimizer.learningRate };
    this.writeContext();
    this.writeOptimizer();
  }

  // --- what the model is ------------------------------------------------------

  get inputSize(): number {
    return this.spec.inputSize;
  }
  get outputSize(): number {
    return this.shapes[this.shapes.length - 1].units;
  }
  get layers(): readonly { inSize: number; units: number; activation: Activation }[] {
    return this.shapes;
  }
  get loss(): NormalizedSpec['loss'] {
    return this.spec.loss;
  }
  get optimizer(): NormalizedOptimizer {
    return { ...this.spec.optimizer };
  }
  get seed(): number {
    return this.spec.seed;
  }
  /** Trainable parameters (weights and biases). */
  get parameterCount(): number {
    return this.shapes.reduce((n, s) => n + s.inSize * s.units + s.units, 0);
  }

  /** One line per layer, Keras-style. */
  summary(): string {
    const lines = [`input ${this.inputSize}`];
    this.shapes.forEach((s, i) =>
      lines.push(`dense_${i} ${s.inSize} -> ${s.units} ${s.activation} (${s.inSize * s.units + s.units} parameters)`),
    );
    lines.push(`loss ${this.loss}, optimizer ${this.spec.optimizer.type}, ${this.parameterCount} parameters`);
    return lines.join('\n');
  }

  /** Copies of the weights and biases, framework-neutral (W as [in, units]). */
  describe(): ModelDescription {
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    return {
      inputSize: this.inputSize,
      layers: this.shapes.map((s, l) => ({
        units: s.units,
        activation: s.activation,
        weights: params.slice(this.plan.layers[l].weightOffset, this.plan.layers[l].weightOffset + s.inSize * s.units),
        bias: params.slice(this.plan.layers[l].biasOffset, this.plan.layers[l].biasOffset + s.units),
      })),
    };
  }

  /** Replaces the weights from a description of the same architecture. */
  setWeights(description: ModelDescription): void {
    if (description.inputSize !== this.inputSize || description.layers.length !== this.shapes.length) {
      throw new Error(
        `simdnet: weights for ${description.inputSize}-${description.layers.map((l) => l.units).join('-')} do not fit this ${this.inputSize}-${this.shapes.map((s) => s.units).join('-')} model`,
      );
    }
    description.layers.forEach((layer, l) => {
      const s = this.shapes[l];
      if (layer.units !== s.units || layer.weights.length !== s.inSize * s.units || layer.bias.length !== s.units) {
        throw new Error(
          `simdnet: layer ${l} weights have shape [${layer.weights.length / layer.units}, ${layer.units}] (bias ${layer.bias.length}), expected [${s.inSize}, ${s.units}]`,
        );
      }
      for (const v of [...layer.weights, ...layer.bias])
        if (!Number.isFinite(v)) throw new Error(`simdnet: layer ${l} weights contain ${v}`);
    });
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    description.layers.forEach((layer, l) => {
      params.set(layer.weights, this.plan.layers[l].weightOffset);
      params.set(layer.bias, this.plan.layers[l].biasOffset);
    });
    this.setPackedWeightsCurrent(false);
  }

  // --- configuration ------------------------------------------------------------

  /** Changes the learning rate from now on (schedules call this between epochs). */
  setLearningRate(learningRate: number): void {
    if (!(Number.isFinite(learningRate) && learningRate > 0))
      throw new Error(`simdnet: learning rate must be a positive number, got ${learningRate}`);
    this.training.learningRate = learningRate;
    this.core.view().f32[(this.plan.optimizer + this.core.layout.OPT_LEARNING_RATE) >> 2] = learningRate;
  }

  /** Switches optimizer (its moment buffers restart from zero). */
  setOptimizer(optimizer: OptimizerType | OptimizerConfig): void {
    this.spec.optimizer = normalizeOptimizer(optimizer);
    this.training.learningRate = this.spec.optimizer.learningRate;
    this.training.steps = 0;
    this.core.view().u8.fill(0, this.plan.moment1, this.plan.moment1 + this.plan.paramLength * 8);
    this.writeOptimizer();
  }

  // --- training and inference -----------------------------------------------------

  /** Trains on `data`; see FitOptions. Async: it yields to the event loop between batches. */
  async fit(data: DatasetLike, options: FitOptions = {}): Promise<History> {
    if (this.fitDataEnd)
      throw new Error('simdnet: this model is already training; wait for the running fit() to finish');
    try {
      return await fit(this, data, options);
    } finally {
      this.releaseData();
    }
  }

  /** @internal Forgets the data loadData() placed (fit does at its end): predict may grow the row buffers again. */
  releaseData(): void {
    this.fitDataEnd = 0;
  }

  /** Whether a fit() is running (predict and evaluate still work from its callbacks). */
  get isTraining(): boolean {
    return this.fitDataEnd !== 0;
  }

  /** The model as a simdnet model file (see io/format.ts); loadModel() reads it back. */
  save(options?: SaveOptions): Uint8Array {
    return saveModel(this, options);
  }

  /** Outputs [count, outputSize] for inputs given as a flat array, rows, or a Dataset. */
  predict(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Float32Array {
    const dataset = asDataset('count' in inputs ? inputs : { inputs }, this.inputSize, this.outputSize, 'inputs');
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: false, scanInputs: false }, 'inputs');
    this.ensureCapacity(this.inferenceRows(dataset.count, options.batchSize));
    const out = new Float32Array(dataset.count * this.outputSize);
    const outputs = this.plan.layers[this.shapes.length - 1].outputs;
    const loaded = this.loadQuery(dataset, 'inputs');
    const { layout } = this.core;
    if (dataset.inputs instanceof Float32Array && (dataset.inputScale ?? 1) === 1) {
      // Float32 rows need no widening: the forward pass reads them where loadQuery put them
      // (the context's input pointer aimed at them for the call) instead of gathering a copy.
      const inputPointer = (this.plan.context + layout.CTX_X) >> 2;
      const rowsAt = this.core.view().i32[(loaded.descriptor + layout.DATA_INPUTS) >> 2];
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

  /**
   * Inference over `rows` rows from dataset row `start`: 'forward' on the rows the main
   * context's X points at (from `inputRowsAt`, the loaded Float32 rows), 'predict' and
   * 'evaluate' gathering them first. With helper threads and enough rows the rows are split
   * in contiguous slices, one per thread, each in its own context pointed at its rows of
   * the main buffers (the outputs land where one thread would put them; every row's result
   * is the one-thread result: rows are independent). Returns evaluate's loss summed over
   * rows and its correct count.
   */
  private inferRows(
    kind: RowsKind,
    rows: number,
    data: LoadedData,
    start: number,
    inputRowsAt = 0,
  ): { lossSum: number; correct: number } {
    const { fn, layout } = this.core;
    const { plan, pool } = this;
    const threads = pool ? pool.size + 1 : 1;
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
    const correctAt = (context: number): number => this.core.view().i32[(context + layout.CTX_STAT_CORRECT) >> 2];
    // Packed once until the weights change, instead of in every forward product: for a few
    // rows, packing the first layer's W cost more than the product itself.
    if (!this.packedWeightsCurrent) {
      fn.packWeights(plan.context);
      this.setPackedWeightsCurrent(true);
    }
    if (!pool || threads < 2 || rows < threads * MIN_ROWS_PER_THREAD) {
      const loss = run(plan.context, start, rows);
      return { lossSum: loss * rows, correct: kind === 'evaluate' ? correctAt(plan.context) : 0 };
    }
    const share = Math.ceil(rows / threads);
    const jobs = plan.helpers.map((helper, h) => {
      const first = Math.min(rows, share * (h + 1));
      const count = Math.min(share, rows - first);
      this.pointRows(helper.context, first);
      if (kind === 'forward')
        this.core.view().i32[(helper.context + layout.CTX_X) >> 2] = inputRowsAt + (start + first) * this.inputSize * 4;
      return { context: helper.context, data: data.descriptor, start: start + first, rows: count };
    });
    pool.dispatchRows(kind, jobs);
    let lossSum = run(plan.context, start, share) * share;
    const losses = pool.join();
    // Back to row 0 of the row buffers, where training expects every context.
    plan.helpers.forEach((helper) => this.pointRows(helper.context, 0));
    let correct = kind === 'evaluate' ? correctAt(plan.context) : 0;
    jobs.forEach((job, h) => {
      if (kind !== 'evaluate' || job.rows === 0) return;
      lossSum += losses[h] * job.rows;
      correct += correctAt(job.context);
    });
    return { lossSum, correct };
  }

  /** Class indices (argmax of each output row; threshold 0.5 for a single output). */
  predictClasses(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Int32Array {
    const outputs = this.predict(inputs, options);
    const n = this.outputSize;
    const classes = new Int32Array(outputs.length / n);
    for (let r = 0; r < classes.length; r++) {
      if (n === 1) {
        classes[r] = outputs[r] >= 0.5 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let j = 1; j < n; j++) if (outputs[r * n + j] > outputs[r * n + best]) best = j;
      classes[r] = best;
    }
    return classes;
  }

  /** Mean loss (and accuracy where defined) over a dataset, without training. */
  evaluate(data: DatasetLike, options: { batchSize?: number } = {}): EvaluateResult {
    const dataset = asDataset(data, this.inputSize, this.outputSize);
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: true, scanInputs: false });
    this.ensureCapacity(this.inferenceRows(dataset.count, options.batchSize));
    return this.evaluateLoaded(this.loadQuery(dataset, 'data'));
  }

  // --- internals used by the training loop and save/load --------------------------

  /** @internal Grows the row buffers (and forgets loaded data) if `rows` do not fit. */
  ensureCapacity(rows: number): void {
    // During a fit the row buffers stay where they are: its data lies right after them.
    if (rows <= this.plan.capacity || this.fitDataEnd) return;
    this.plan = this.planFor(rows);
    this.core.ensureBytes(this.plan.dataStart);
    this.writeContext();
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
    );
  }

  /** Stops the model's helper threads (threaded mode). The model still predicts; training falls back to one thread. */
  dispose(): void {
    if (!this.pool) return;
    this.pool.stop();
    this.pool = undefined;
    this.threading.threads = 1;
    this.threading.reason = 'disposed';
  }

  private inferenceRows(count: number, batchSize: number | undefined): number {
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
      throw new Error(`simdnet: batchSize must be a positive integer, got ${batchSize}`);
    return Math.min(count, batchSize ?? Math.max(this.plan.capacity, DEFAULT_INFERENCE_ROWS));
  }

  /**
   * @internal Copies datasets (already checked) into the data region, each with
   * its descriptor; the first gets a row-order buffer when `withOrder`.
   */
  loadData(datasets: Dataset[], withOrder: boolean): LoadedData[] {
    const loaded = this.place(datasets, withOrder, this.plan.dataStart, [this.plan.trainData, this.plan.evalData]);
    this.fitDataEnd = loaded.end;
    return loaded.data;
  }

  /**
   * Loads predict/evaluate data after whatever a running fit holds; Float32 inputs are
   * checked for NaN/Infinity there, by the core (checkDataset skipped that scan).
   */
  private loadQuery(dataset: Dataset, what: string): LoadedData {
    const loaded = this.place([dataset], false, this.fitDataEnd || this.plan.dataStart, [this.plan.queryData]).data[0];
    if (dataset.inputs instanceof Float32Array) {
      const inputs = this.core.view().i32[(loaded.descriptor + this.core.layout.DATA_INPUTS) >> 2];
      const bad = this.core.fn.firstNonFinite(inputs, dataset.inputs.length);
      if (bad >= 0) throw nonFiniteInputError(dataset, bad, what);
    }
    return loaded;
  }

  private place(
    datasets: Dataset[],
    withOrder: boolean,
    start: number,
    descriptors: number[],
  ): { data: LoadedData[]; end: number } {
    const { layout } = this.core;
    const out = this.outputSize;
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
      return { data, inputs, targets, order, binaryLabels };
    });
    this.core.ensureBytes(cursor);
    const { u8, i32, f32 } = this.core.view();
    const data = placed.map(({ data, inputs, targets, order, binaryLabels }, i) => {
      const descriptor = descriptors[i];
      u8.set(new Uint8Array(data.inputs.buffer, data.inputs.byteOffset, data.inputs.byteLength), inputs);
      let targetKind = layout.TARGET_LABELS;
      if (data.labels && !binaryLabels) {
        i32.set(data.labels, targets >> 2);
      } else if (data.labels) {
        // One sigmoid output: label 0/1 is the target value itself.
        targetKind = layout.TARGET_ROWS;
        f32.set(data.labels, targets >> 2);
      } else if (data.targets) {
        targetKind = layout.TARGET_ROWS;
        f32.set(data.targets, targets >> 2);
      }
      if (order) for (let r = 0; r < data.count; r++) i32[(order >> 2) + r] = r;
      const d = descriptor >> 2;
      i32[d + (layout.DATA_INPUTS >> 2)] = inputs;
      i32[d + (layout.DATA_INPUT_KIND >> 2)] = data.inputs instanceof Uint8Array ? layout.INPUT_U8 : layout.INPUT_F32;
      f32[d + (layout.DATA_INPUT_SCALE >> 2)] = data.inputScale ?? 1;
      i32[d + (layout.DATA_TARGETS >> 2)] = targets;
      i32[d + (layout.DATA_TARGET_KIND >> 2)] = targetKind;
      i32[d + (layout.DATA_COUNT >> 2)] = data.count;
      const accuracyKind = this.accuracyKind(data);
      const accuracyUnits =
        accuracyKind === layout.ACCURACY_NONE ? 0 : accuracyKind === layout.ACCURACY_THRESHOLD ? out : 1;
      return { descriptor, count: data.count, order, accuracyKind, accuracyUnits };
    });
    return { data, end: cursor };
  }

  private accuracyKind(data: Dataset): number {
    const { layout } = this.core;
    if (this.spec.loss === 'binaryCrossEntropy' || (data.labels && this.outputSize === 1))
      return layout.ACCURACY_THRESHOLD;
    if (data.labels || this.spec.loss === 'crossEntropy') return layout.ACCURACY_ARGMAX;
    return layout.ACCURACY_NONE;
  }

  private setAccuracyKind(kind: number): void {
    const { i32 } = this.core.view();
    for (const context of [this.plan.context, ...this.plan.helpers.map((h) => h.context)])
      i32[(context + this.core.layout.CTX_ACCURACY) >> 2] = kind;
  }

  /** @internal One optimizer step on rows order[offset .. offset+count). */
  trainBatch(data: LoadedData, offset: number, count: number): BatchResult {
    const { fn, layout } = this.core;
    this.setAccuracyKind(data.accuracyKind);
    const threads = this.pool ? this.pool.size + 1 : 1;
    let loss: number;
    let correct: number;
    if (threads > 1 && count >= threads * MIN_ROWS_PER_THREAD) {
      ({ loss, correct } = this.parallelGradients(data, offset, count));
      // The gradient norm (clipping, tracking) needs the whole gradient before any update:
      // then the threads only compute it, and the main thread takes the optimizer step.
      if (this.spec.optimizer.clipNorm > 0 || this.trackGradNorm) {
        this.parallelUpdate(count, false);
        fn.optimizerStep(this.plan.context, this.plan.optimizer);
        this.setPackedWeightsCurrent(false);
      } else {
        this.parallelUpdate(count, true);
        this.setPackedWeightsCurrent(true);
      }
    } else {
      this.setPackedWeightsCurrent(false);
      loss = fn.trainStep(this.plan.context, data.descriptor, this.plan.optimizer, data.order + offset * 4, count);
      correct = this.core.view().i32[(this.plan.context + layout.CTX_STAT_CORRECT) >> 2];
    }
    this.training.steps++;
    return { loss, correct, gradNorm: this.core.view().f64[(this.plan.context + layout.CTX_STAT_GRAD_NORM) >> 3] };
  }

  /**
   * Threaded mode, first round: the threads take chunks of the batch's rows as they go
   * (assembly/parallel.ts: shareDeltas), each running forward, loss and backward on its
   * chunks in its own context and computing their deltas of every layer (packed for
   * parallelUpdate), no gradients.
   */
  private parallelGradients(data: LoadedData, offset: number, count: number): { loss: number; correct: number } {
    const { fn, layout } = this.core;
    const pool = this.pool!;
    const round = { data: data.descriptor, indices: data.order + offset * 4, batchRows: count };
    pool.dispatchDeltas(round, this.helperContexts);
    let loss = fn.shareDeltas(...pool.shareDeltasArgs(round, this.plan.context));
    const helperLosses = pool.join();
    const { i32 } = this.core.view();
    let correct = i32[(this.plan.context + layout.CTX_STAT_CORRECT) >> 2];
    this.plan.helpers.forEach((helper, h) => {
      loss += helperLosses[h];
      correct += i32[(helper.context + layout.CTX_STAT_CORRECT) >> 2];
    });
    return { loss, correct };
  }

  /**
   * Threaded mode, second round: the threads compute every layer's weight gradient by
   * input rows over the whole batch (no reduction: each row of gW is complete, the
   * one-thread row bit for bit) and, with `update`, update those rows, then the biases,
   * sharing the work out as they go (assembly/parallel.ts: splitUpdate).
   */
  private parallelUpdate(rows: number, update: boolean): void {
    const { fn, layout } = this.core;
    const pool = this.pool!;
    const { plan } = this;
    const { i32, f64 } = this.core.view();
    // Step 0: gradients only (optimizerStep follows and counts the step).
    let step = 0;
    if (update) {
      step = i32[(plan.optimizer + layout.OPT_STEP) >> 2] + 1;
      i32[(plan.optimizer + layout.OPT_STEP) >> 2] = step;
      f64[(plan.context + layout.CTX_STAT_GRAD_NORM) >> 3] = -1;
    }
    const round = { mainContext: plan.context, optimizer: plan.optimizer, rows, step };
    pool.dispatchSplitUpdate(round, this.helperContexts);
    fn.splitUpdate(...pool.splitUpdateArgs(round, plan.context));
    pool.join();
  }

  /** @internal Mean loss and accuracy over loaded data. */
  evaluateLoaded(data: LoadedData): EvaluateResult {
    this.setAccuracyKind(data.accuracyKind);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.count; start += this.plan.capacity) {
      const rows = Math.min(this.plan.capacity, data.count - start);
      const slice = this.inferRows('evaluate', rows, data, start);
      lossSum += slice.lossSum;
      correct += slice.correct;
    }
    const result: EvaluateResult = { loss: lossSum / data.count };
    if (data.accuracyUnits > 0) result.accuracy = correct / (data.count * data.accuracyUnits);
    return result;
  }

  /** Records whether the packed weights are current, in every context (see packedWeightsCurrent). */
  private setPackedWeightsCurrent(current: boolean): void {
    if (current === this.packedWeightsCurrent) return;
    this.packedWeightsCurrent = current;
    const { i32 } = this.core.view();
    const word = this.core.layout.CTX_PACKED_WEIGHTS >> 2;
    i32[(this.plan.context >> 2) + word] = current ? 1 : 0;
    for (const helper of this.plan.helpers) i32[(helper.context >> 2) + word] = current ? 1 : 0;
  }

  /** @internal Whether the core computes the gradient norm every step. */
  setTrackGradNorm(track: boolean): void {
    this.trackGradNorm = track;
    this.core.view().i32[(this.plan.optimizer + this.core.layout.OPT_TRACK_NORM) >> 2] = track ? 1 : 0;
  }

  /** @internal Shuffles loaded training rows for a (global) epoch: the same seed and epoch give the same order. */
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

  /** @internal The flat buffers as copies: parameters, and optimizer moments. */
  snapshot(withMoments: boolean): { params: Float32Array; moment1?: Float32Array; moment2?: Float32Array } {
    const { plan, core } = this;
    const copy = (ptr: number) => core.f32(ptr, plan.paramLength).slice();
    return withMoments
      ? { params: copy(plan.params), moment1: copy(plan.moment1), moment2: copy(plan.moment2) }
      : { params: copy(plan.params) };
  }

  /** @internal Restores buffers from snapshot(). */
  restore(state: { params: Float32Array; moment1?: Float32Array; moment2?: Float32Array }): void {
    const { f32 } = this.core.view();
    f32.set(state.params, this.plan.params >> 2);
    this.setPackedWeightsCurrent(false);
    if (state.moment1) f32.set(state.moment1, this.plan.moment1 >> 2);
    if (state.moment2) f32.set(state.moment2, this.plan.moment2 >> 2);
  }

  /** @internal Sets the step counter (after load). */
  setSteps(steps: number): void {
    this.training.steps = steps;
    this.core.view().i32[(this.plan.optimizer + this.core.layout.OPT_STEP) >> 2] = steps;
  }

  /** @internal Fills the parameters from the seed. */
  initializeParameters(): void {
    const random = Xoshiro128StarStar.fromSeed(this.spec.seed);
    const params = this.core.f32(this.plan.params, this.plan.paramLength);
    params.fill(0);
    this.shapes.forEach((s, l) => {
      const offset = this.plan.layers[l].weightOffset;
      initializeWeights(params.subarray(offset, offset + s.inSize * s.units), s.activation, s.inSize, s.units, random);
    });
    this.setPackedWeightsCurrent(false);
  }

  private writeContext(): void {
    const { plan } = this;
    this.writeContextAt({ context: plan.context, scratch: plan.scratch });
    for (const helper of plan.helpers) this.writeContextAt(helper);
    // A new plan has new (unfilled) packed copies.
    this.packedWeightsCurrent = false;
    this.helperContexts = plan.helpers.map((helper) => helper.context);
  }

  /** One context: the layer table over shared parameters, this thread's gradients and scratch, rows from row 0. */
  private writeContextAt(own: HelperSlots): void {
    const { layout } = this.core;
    const { i32 } = this.core.view();
    const { plan } = this;
    const c = own.context >> 2;
    i32[c + (layout.CTX_NUM_LAYERS >> 2)] = this.shapes.length;
    i32[c + (layout.CTX_INPUT_SIZE >> 2)] = this.inputSize;
    i32[c + (layout.CTX_OUTPUT_SIZE >> 2)] = this.outputSize;
    i32[c + (layout.CTX_LOSS >> 2)] = lossKind(layout, this.spec.loss);
    i32[c + (layout.CTX_CAPACITY >> 2)] = plan.capacity;
    i32[c + (layout.CTX_SCRATCH >> 2)] = own.scratch;
    i32[c + (layout.CTX_PACKED_WEIGHTS >> 2)] = 0;
    this.shapes.forEach((s, l) => {
      const r = (own.context + layout.CTX_HEADER_BYTES + l * layout.LAYER_BYTES) >> 2;
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
    });
    this.pointRows(own.context, 0);
  }

  /** Points a context's X, T, A and D at the main buffers' rows from `firstRow` on. */
  private pointRows(context: number, firstRow: number): void {
    const { layout } = this.core;
    const { i32 } = this.core.view();
    const { plan } = this;
    const c = context >> 2;
    i32[c + (layout.CTX_X >> 2)] = plan.inputs + firstRow * this.inputSize * 4;
    i32[c + (layout.CTX_T >> 2)] = plan.targets + firstRow * this.outputSize * 4;
    i32[c + (layout.CTX_FIRST_ROW >> 2)] = firstRow;
    this.shapes.forEach((s, l) => {
      const r = (context + layout.CTX_HEADER_BYTES + l * layout.LAYER_BYTES) >> 2;
      i32[r + (layout.LAYER_A >> 2)] = plan.layers[l].outputs + firstRow * s.units * 4;
      i32[r + (layout.LAYER_D >> 2)] = plan.layers[l].deltas + firstRow * s.units * 4;
    });
  }

  private writeOptimizer(): void {
    const { layout } = this.core;
    const { i32, f32 } = this.core.view();
    const o = this.plan.optimizer >> 2;
    const opt = this.spec.optimizer;
    const kind =
      opt.type === 'adam'
        ? layout.OPTIMIZER_ADAM
        : opt.type === 'adamw'
          ? layout.OPTIMIZER_ADAMW
          : opt.momentum === 0
            ? layout.OPTIMIZER_SGD
            : opt.nesterov
              ? layout.OPTIMIZER_NESTEROV
              : layout.OPTIMIZER_MOMENTUM;
    i32[o + (layout.OPT_KIND >> 2)] = kind;
    i32[o + (layout.OPT_STEP >> 2)] = this.training.steps;
    f32[o + (layout.OPT_LEARNING_RATE >> 2)] = this.training.learningRate;
    f32[o + (layout.OPT_BETA1 >> 2)] = opt.type === 'sgd' ? opt.momentum : opt.beta1;
    f32[o + (layout.OPT_BETA2 >> 2)] = opt.beta2;
    f32[o + (layout.OPT_EPSILON >> 2)] = opt.epsilon;
    f32[o + (layout.OPT_WEIGHT_DECAY >> 2)] = opt.weightDecay;
    f32[o + (layout.OPT_CLIP_NORM >> 2)] = opt.clipNorm;
    i32[o + (layout.OPT_PARAMS >> 2)] = this.plan.params;
    i32[o + (layout.OPT_GRADS >> 2)] = this.plan.grads;
    i32[o + (layout.OPT_MOMENT1 >> 2)] = this.plan.moment1;
    i32[o + (layout.OPT_MOMENT2 >> 2)] = this.plan.moment2;
    i32[o + (layout.OPT_LENGTH >> 2)] = this.plan.paramLength;
  }
}

function activationKind(layout: Core['layout'], activation: Activation): number {
  const kinds: Record<Activation, number> = {
    linear: layout.LINEAR,
    sigmoid: layout.SIGMOID,
    tanh: layout.TANH,
    relu: layout.RELU,
    softplus: layout.SOFTPLUS,
    softmax: layout.SOFTMAX,
  };
  return kinds[activation];
}

function lossKind(layout: Core['layout'], loss: NormalizedSpec['loss']): number {
  const kinds = {
    mse: layout.MSE,
    l2: layout.L2,
    crossEntropy: layout.CROSS_ENTROPY,
    binaryCrossEntropy: layout.BINARY_CROSS_ENTROPY,
  };
  return kinds[loss];
}

/** A new model with seeded initial weights. Loads the WebAssembly core on first use. */
export async function createModel(spec: ModelSpec): Promise<Model> {
  const normalized = normalizeSpec(
    spec.threads === 'auto' ? { ...spec, threads: Math.min(4, availableCores()) } : spec,
  );
  const model = await instantiateModel(normalized);
  model.initializeParameters();
  return model;
}

/** @internal A model with zeroed parameters, for loaders that fill them. */
export async function createEmptyModel(spec: NormalizedSpec): Promise<Model> {
  return instantiateModel(spec);
}

/** The model on one thread, or on `spec.threads` where the runtime allows; never an error for lack of threads. */
async function instantiateModel(spec: NormalizedSpec): Promise<Model> {
  if (spec.threads === 1) return new Model(await instantiateCore(), spec);
  const support = threadSupport();
  let reason = support.ok ? undefined : support.reason;
  if (support.ok) {
    try {
      const { core, module } = await instantiateSharedCore();
      const helpers = spec.threads - 1;
      // The control block's place depends only on the architecture and helper count, not on capacity.
      const probe = planMemory(
        core.layout,
        core.heapBase,
        spec.inputSize,
        shapesOf(spec),
        DEFAULT_INFERENCE_ROWS,
        helpers,
        controlBytes(helpers),
      );
      core.ensureBytes(probe.dataStart);
      const pool = await ThreadPool.start(module, core.memory, probe.control, helpers, core.layout);
      return new Model(core, spec, pool, { threads: spec.threads, requested: spec.threads });
    } catch (error) {
      reason = `threads could not start: ${(error as Error).message}`;
    }
  }
  return new Model(await instantiateCore(), spec, undefined, { threads: 1, requested: spec.threads, reason });
}

function shapesOf(spec: NormalizedSpec): { inSize: number; units: number; activation: Activation }[] {
  let inSize = spec.inputSize;
  return spec.layers.map(({ units, activation }) => {
    const shape = { inSize, units, activation };
    inSize = units;
    return shape;
  });
}

/**
 * A model with the architecture and weights of a description (from
 * fromTfjsLayers, or another model's describe()), ready to predict or fine-tune.
 */
export async function modelFromDescription(
  description: ModelDescription,
  options: Pick<ModelSpec, 'loss' | 'optimizer' | 'seed'> = {},
): Promise<Model> {
  const spec = normalizeSpec({
    inputSize: description.inputSize,
    layers: description.layers.map(({ units, activation }) => ({ units, activation })),
    ...options,
  });
  const model = new Model(await instantiateCore(), spec);
  model.setWeights(description);
  return model;
}
