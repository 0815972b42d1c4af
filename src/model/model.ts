/**
 * The model users hold: a stack of dense layers living in one WebAssembly
 * instance. It checks what callers pass and delegates the work to its engine
 * (engine.ts: memory plan, descriptors, threads); training is src/train/fit.ts,
 * the file format src/io/format.ts. Create one with createModel(),
 * modelFromDescription() or loadModel() (factories.ts, persist.ts).
 */
import type { Dataset } from '../data/dataset.js';
import { encodeModel, type SaveOptions } from '../io/format.js';
import { checkOptionKeys } from '../options.js';
import { fit } from '../train/fit.js';
import { fromIterable, isStreamInput, type StreamInput } from '../data/source.js';
import { evaluateStream, predictStream, type StreamInferenceOptions } from './stream-inference.js';
import type { EvaluateResult, FitOptions, History, TrainingState } from '../train/types.js';
import { MetricAccumulator, type MetricSpec, parseMetrics } from '../train/metrics.js';
import {
  type ClassList,
  type ClassValues,
  classValues,
  indexClasses,
  resolveClasses,
  withLabelIndices,
} from './classes.js';
import { asDataset, checkDataset, type DatasetLike } from './dataset-check.js';
import type { ModelDescription } from './description.js';
import type { LayerShape } from './plan.js';
import type { ModelEngine, Threading } from './engine.js';
import {
  type Loss,
  type NormalizedOptimizer,
  normalizeOptimizer,
  type OptimizerConfig,
  type OptimizerType,
} from './spec.js';

export type { Threading } from './engine.js';
export type { EvaluateResult, TrainingState } from '../train/types.js';

/** The options of predict(), predictClasses() and evaluate(). */
const INFERENCE_KEYS = ['batchSize'];
const EVALUATE_KEYS = ['batchSize', 'metrics'];
/** Their options over a stream. */
const STREAM_INFERENCE_KEYS = ['batchSize', 'chunkRows'];
const STREAM_EVALUATE_KEYS = ['batchSize', 'chunkRows', 'metrics'];

/** The options of evaluate(). */
export interface EvaluateOptions {
  /** Rows per call into the core. */
  batchSize?: number;
  /** Metrics to compute (train/metrics.ts); classification adds the confusion matrix and per-class values. */
  metrics?: MetricSpec[];
}

/**
 * `result` with the metrics' values and, for classification, the confusion matrix and
 * per-class values in class order (`classes`, else unit indices).
 */
function withMetricValues(
  result: EvaluateResult,
  accumulator: MetricAccumulator | undefined,
  classes: ClassList | undefined,
): EvaluateResult {
  if (!accumulator) return result;
  Object.assign(result, accumulator.values());
  const counts = accumulator.classification;
  if (counts) {
    result.confusionMatrix = counts.confusion.map((row) => [...row]);
    result.perClass = counts.perClass();
    result.classes = classes ? ([...classes] as number[] | string[]) : indexClasses(counts.classes);
  }
  return result;
}

/** Wraps an engine in the public class (the factories and loadModel use it). */
let wrap: (engine: ModelEngine) => Model;
/** The engine behind a model. */
let unwrap: (model: Model) => ModelEngine;

/**
 * A layer's trainable parameters and, with batch norm, its running statistics (which Keras
 * also counts, as non-trainable): W, b, and γ, β, mean, variance.
 */
function layerParameters(s: LayerShape): number {
  return s.inSize * s.units + s.units + (s.batchNorm ? 4 * s.units : 0);
}

/** 'relu, batchNorm (momentum 0.1, epsilon 1e-5), dropout 0.3, l2 0.001'. */
function describeLayer(s: LayerShape): string {
  const parts = [
    s.activation === 'leakyRelu' || s.activation === 'elu' ? `${s.activation} (alpha ${s.alpha})` : s.activation,
  ];
  if (s.batchNorm) parts.push(`batchNorm (momentum ${s.batchNorm.momentum}, epsilon ${s.batchNorm.epsilon})`);
  if (s.dropout > 0) parts.push(`dropout ${s.dropout}`);
  if (s.l1 > 0) parts.push(`l1 ${s.l1}`);
  if (s.l2 > 0) parts.push(`l2 ${s.l2}`);
  if (s.initializer) parts.push(`initializer ${s.initializer}`);
  return parts.join(', ');
}

/**
 * A dense network in its own WebAssembly instance: train it, run it, save it.
 * Make one with {@link createModel}, {@link modelFromDescription} or {@link loadModel}
 * (there is no public constructor). Methods that take data check it first: a bad shape,
 * NaN or label is an Error naming it, and the model is unchanged.
 *
 * @example
 * ```ts
 * import { createModel } from 'simdnet';
 *
 * const model = await createModel({
 *   inputSize: 2,
 *   layers: [{ units: 8, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }],
 * });
 * const data = { inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]] };
 * await model.fit(data, { epochs: 500, batchSize: 4 });
 * const [p] = model.predict([[1, 0]]); // the sigmoid output for (1, 0)
 * ```
 */
export class Model {
  readonly #engine: ModelEngine;

  private constructor(engine: ModelEngine) {
    this.#engine = engine;
  }

  static {
    wrap = (engine) => new Model(engine);
    unwrap = (model) => model.#engine;
  }

  // --- what the model is ------------------------------------------------------

  /** Features per input row. */
  get inputSize(): number {
    return this.#engine.inputSize;
  }
  /** Outputs per row (the last layer's units). */
  get outputSize(): number {
    return this.#engine.outputSize;
  }
  /**
   * The dense layers in order: input width, units, activation, and each layer's options
   * (alpha, dropout, batchNorm, l1, l2, initializer; 0 or null when off).
   */
  get layers(): readonly LayerShape[] {
    return this.#engine.layers;
  }
  /** The loss the model trains on. */
  get loss(): Loss {
    return this.#engine.loss;
  }
  /** The optimizer's settings, every field filled in (a copy). */
  get optimizer(): NormalizedOptimizer {
    return this.#engine.optimizer;
  }
  /** The seed of the initial weights and of the shuffles. */
  get seed(): number {
    return this.#engine.seed;
  }
  /** Trainable parameters (weights and biases). */
  get parameterCount(): number {
    return this.layers.reduce((n, s) => n + layerParameters(s), 0);
  }
  /** Where training stands (epochs, steps, learning rate); saved with the model. */
  get training(): TrainingState {
    return this.#engine.training;
  }
  /** How many threads train this model, and if fewer than requested, why. */
  get threading(): Threading {
    return this.#engine.threading;
  }
  /**
   * The class values output unit i stands for (classes[i]): given in the spec, else fixed
   * by the first fit with labels (their sorted distinct values), else undefined.
   */
  get classes(): ClassList | undefined {
    const classes = this.#engine.classes;
    return classes ? (Object.freeze([...classes]) as ClassList) : undefined;
  }

  /**
   * User metadata saved with the model: any JSON-serialisable object (class names,
   * preprocessing, provenance). Default `{}`; {@link loadModel} restores it.
   */
  get metadata(): Record<string, unknown> {
    return this.#engine.metadata;
  }
  /** Replaces the metadata saved with the model (a JSON-serialisable object). */
  set metadata(metadata: Record<string, unknown>) {
    this.#engine.metadata = metadata;
  }

  /**
   * A text summary, Keras-style: the input width, one line per layer (widths, activation and
   * its options: α, batch norm, dropout, penalties, initializer; parameters), then the loss,
   * the optimizer and the parameter count.
   */
  summary(): string {
    const lines = [`input ${this.inputSize}`];
    this.layers.forEach((s, i) =>
      lines.push(`dense_${i} ${s.inSize} -> ${s.units} ${describeLayer(s)} (${layerParameters(s)} parameters)`),
    );
    const loss = this.loss === 'huber' ? `huber (delta ${this.#engine.huberDelta})` : this.loss;
    lines.push(`loss ${loss}, optimizer ${this.optimizer.type}, ${this.parameterCount} parameters`);
    return lines.join('\n');
  }

  /**
   * Copies of the weights and biases, framework-neutral (W as [in, units] row-major):
   * for {@link Model.setWeights}, {@link modelFromDescription} or your own export.
   * Changing the arrays does not change the model.
   */
  describe(): ModelDescription {
    return this.#engine.describe();
  }

  /**
   * Replaces the weights and biases from a description of the same architecture.
   * The optimizer state and training counters are kept.
   *
   * @param description - Layers with the model's input size, units and shapes (activations are not compared).
   * @throws Error naming the first layer whose shape differs, or a non-finite weight; the model is then unchanged.
   */
  setWeights(description: ModelDescription): void {
    const shapes = this.layers;
    if (description.inputSize !== this.inputSize || description.layers.length !== shapes.length) {
      throw new Error(
        `simdnet: weights for ${description.inputSize}-${description.layers.map((l) => l.units).join('-')} do not fit this ${this.inputSize}-${shapes.map((s) => s.units).join('-')} model`,
      );
    }
    description.layers.forEach((layer, l) => {
      const s = shapes[l];
      if (layer.units !== s.units || layer.weights.length !== s.inSize * s.units || layer.bias.length !== s.units) {
        throw new Error(
          `simdnet: layer ${l} weights have shape [${layer.weights.length / layer.units}, ${layer.units}] (bias ${layer.bias.length}), expected [${s.inSize}, ${s.units}]`,
        );
      }
      for (const v of [...layer.weights, ...layer.bias])
        if (!Number.isFinite(v)) throw new Error(`simdnet: layer ${l} weights contain ${v}`);
      const bn = layer.batchNorm;
      if (bn) {
        for (const name of ['gamma', 'beta', 'runningMean', 'runningVar'] as const) {
          const values = bn[name];
          if (!(values instanceof Float32Array) || values.length !== s.units)
            throw new Error(`simdnet: layer ${l} batchNorm.${name} must be a Float32Array of ${s.units} values`);
          for (const v of values)
            if (!Number.isFinite(v)) throw new Error(`simdnet: layer ${l} batchNorm.${name} contains ${v}`);
        }
      }
    });
    this.#engine.writeWeights(description);
  }

  // --- configuration ------------------------------------------------------------

  /**
   * Changes the learning rate from now on (schedules call this between epochs); it is
   * saved with the model in {@link Model.training}.
   *
   * @param learningRate - The new step size, a number > 0.
   * @throws Error when `learningRate` is not a finite number > 0.
   */
  setLearningRate(learningRate: number): void {
    this.#engine.setLearningRate(learningRate);
  }

  /**
   * Switches optimizer: its moment buffers and step count restart from zero, and the
   * learning rate becomes the new optimizer's.
   *
   * @param optimizer - A name (with its defaults) or a full {@link OptimizerConfig}.
   * @throws Error on an unknown optimizer, an unknown key or a value out of range; the model is then unchanged.
   */
  setOptimizer(optimizer: OptimizerType | OptimizerConfig): void {
    this.#engine.setOptimizer(normalizeOptimizer(optimizer));
  }

  // --- training and inference -----------------------------------------------------

  /**
   * Trains on `data`: `epochs` passes of shuffled mini-batches, one WebAssembly call per
   * batch. Async: it yields to the event loop at least every `yieldEveryMs`, so pages stay
   * responsive and callbacks can stop it. Training continues from the model's current
   * weights and {@link Model.training} state.
   *
   * `data` (and `validationData`) may also be a stream ({@link StreamInput}: csvSource,
   * idxSource, an (async) iterable or generator of batches or rows, or a function returning
   * one), read once per epoch chunk by chunk. A stream's labels are output-unit indices
   * 0..k-1, not class values (csvSource's `classes` maps label texts to them), and streamed
   * training data takes no `sampleWeight` or `classWeight`. A bad row in a stream is an error naming it, and the model is put back as
   * it was before this fit (weights, optimizer state, epochs, learning rate).
   *
   * @param data - Inputs with labels (class values) or targets: a {@link Dataset}, arrays of rows, or a stream.
   * @param options - Epochs, batch size, validation, callbacks, schedule, early stopping; see {@link FitOptions}.
   * @returns The per-epoch logs and why training stopped.
   * @throws Error (before any training) on bad data (shape, NaN, label out of range), an
   *   unknown option key or a value out of range, or when this model is already training;
   *   on a bad row of a stream (the model is then put back).
   *
   * @example
   * ```ts
   * const history = await model.fit(
   *   { inputs: trainImages, labels: trainLabels, inputScale: 1 / 255 },
   *   { epochs: 5, batchSize: 64, validationSplit: 0.1 },
   * );
   * console.log(history.epochs.at(-1)?.valAccuracy);
   * ```
   */
  async fit(data: DatasetLike | StreamInput, options: FitOptions = {}): Promise<History> {
    const engine = this.#engine;
    if (engine.isTraining)
      throw new Error('simdnet: this model is already training; wait for the running fit() to finish');
    const streamedTrain = isStreamInput(data);
    const streamedValidation = isStreamInput(options?.validationData);
    // Labels are values: fix the classes (first fit) and map labels to output units.
    const before = engine.classes;
    const classes = streamedTrain
      ? before
      : resolveClasses(before, data as DatasetLike, engine.outputSize, 'training data');
    const mapped = streamedTrain ? data : withLabelIndices(data as DatasetLike, classes, 'training data');
    const mappedOptions =
      options.validationData === undefined || streamedValidation
        ? options
        : {
            ...options,
            validationData: withLabelIndices(options.validationData as DatasetLike, classes, 'validationData'),
          };
    const steps = engine.training.steps;
    // A stream is read during training: on an error there the model goes back to this state.
    const start =
      streamedTrain || streamedValidation
        ? { snapshot: engine.snapshot(true), training: { ...engine.training } }
        : undefined;
    engine.classes = classes;
    try {
      return await fit(engine, mapped, mappedOptions);
    } catch (error) {
      if (start) {
        engine.restore(start.snapshot);
        engine.training.epochs = start.training.epochs;
        engine.setSteps(start.training.steps);
        if (engine.training.learningRate !== start.training.learningRate)
          engine.setLearningRate(start.training.learningRate);
      }
      // Rejected before training (or put back): the model is as it was, classes included.
      if (engine.training.steps === steps) engine.classes = before;
      throw error;
    } finally {
      engine.releaseData();
    }
  }

  /** Whether a {@link Model.fit} is running (predict and evaluate still work from its callbacks). */
  get isTraining(): boolean {
    return this.#engine.isTraining;
  }

  /**
   * The model as a simdnet model file: architecture, weights, training state, metadata
   * and (by default) the optimizer state. {@link loadModel} reads it back. Same as
   * {@link saveModel}.
   *
   * @param options - See {@link SaveOptions}.
   * @returns The file's bytes.
   * @throws Error on an unknown option key.
   *
   * @example
   * ```ts
   * const bytes = model.save();
   * const copy = await loadModel(bytes);
   * ```
   */
  save(options?: SaveOptions): Uint8Array {
    return encodeModel(this.#engine, options);
  }

  /**
   * Runs the model forward: outputs [count, outputSize] row-major (after the output
   * activation: probabilities for softmax and sigmoid).
   *
   * @param inputs - A flat Float32Array / Uint8Array of count · inputSize values, an array of rows, or a {@link Dataset}.
   * @param options - `batchSize`: rows per WebAssembly call, an integer ≥ 1; default: the
   *   model's row buffer capacity, at least 256. It changes memory use, not the results.
   * @returns A new Float32Array of count · outputSize values.
   * @throws Error when the inputs' shape does not match `inputSize`, or on an unknown option key.
   *
   * @example
   * ```ts
   * const outputs = model.predict([[0.1, 0.2, 0.3, 0.4]]); // Float32Array, outputSize values
   * ```
   */
  predict(inputs: DatasetLike['inputs'] | Dataset, options?: { batchSize?: number }): Float32Array;
  /**
   * Outputs [rows, outputSize] of a stream of inputs (batches or rows; labels are ignored),
   * read chunk by chunk (`chunkRows` rows at a time, default 8192).
   */
  predict(inputs: StreamInput, options?: StreamInferenceOptions): Promise<Float32Array>;
  predict(
    inputs: DatasetLike['inputs'] | Dataset | StreamInput,
    options: StreamInferenceOptions = {},
  ): Float32Array | Promise<Float32Array> {
    if (isStreamInput(inputs)) {
      checkOptionKeys(options, STREAM_INFERENCE_KEYS, 'predict');
      return predictStream(this.#engine, fromIterable(inputs), { ...options, what: 'inputs' });
    }
    checkOptionKeys(options, INFERENCE_KEYS, 'predict');
    const dataset = asDataset('count' in inputs ? inputs : { inputs }, this.inputSize, this.outputSize, 'inputs');
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: false, scanInputs: false }, 'inputs');
    return this.#engine.predict(dataset, options.batchSize);
  }

  /**
   * Predicted class values (see {@link Model.classes}): an Int32Array for integer classes
   * (unit indices before the classes are fixed), strings for string classes. The class of a
   * row is its largest output's (the first on ties), or for one sigmoid output
   * classes[p >= 0.5 ? 1 : 0].
   *
   * @param inputs - As for {@link Model.predict}.
   * @param options - As for {@link Model.predict}.
   * @returns One class value per row.
   * @throws Error as {@link Model.predict} does.
   */
  predictClasses(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): ClassValues {
    return classValues(this.predictClassIndices(inputs, options), this.#engine.classes);
  }

  /**
   * Predicted output-unit indices: the argmax of each output row, or for a single output,
   * 1 when it is ≥ 0.5 and 0 otherwise.
   *
   * @param inputs - As for {@link Model.predict}.
   * @param options - As for {@link Model.predict}.
   * @returns One output-unit index per row.
   */
  predictClassIndices(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Int32Array {
    const outputs = this.predict(inputs as DatasetLike['inputs'] | Dataset, options);
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

  /**
   * Mean loss (and accuracy where defined) over a dataset, without training. With
   * `metrics` it adds their values and, for classification, the confusion matrix and
   * per-class precision, recall and f1, in class order.
   *
   * @param data - Inputs with labels or targets, as for {@link Model.fit}.
   * @param options - `batchSize` as for {@link Model.predict}; `metrics` to compute.
   * @returns The loss, the accuracy where defined, and the requested metrics.
   * @throws Error on bad data (shape, unknown label) or an unknown option key.
   */
  evaluate(data: DatasetLike, options?: EvaluateOptions): EvaluateResult;
  /**
   * Mean loss (and accuracy) over a labelled stream, read chunk by chunk (`chunkRows` rows
   * at a time, default 8192): the in-memory result up to the rounding of an f64 sum, with
   * `metrics` as for data in memory. The stream's labels are output-unit indices.
   */
  evaluate(data: StreamInput, options?: StreamInferenceOptions & EvaluateOptions): Promise<EvaluateResult>;
  evaluate(
    data: DatasetLike | StreamInput,
    options: EvaluateOptions & StreamInferenceOptions = {},
  ): EvaluateResult | Promise<EvaluateResult> {
    const engine = this.#engine;
    if (isStreamInput(data)) {
      checkOptionKeys(options, STREAM_EVALUATE_KEYS, 'evaluate');
      const { metrics: specs, ...streamOptions } = options;
      if (specs === undefined) return evaluateStream(engine, fromIterable(data), streamOptions);
      const metrics = parseMetrics(specs);
      let accumulator: MetricAccumulator | undefined;
      return evaluateStream(engine, fromIterable(data), streamOptions, (chunk) => {
        accumulator ??= new MetricAccumulator(metrics, this.outputSize, this.#scoredAsClasses(chunk), 'the data');
        const visiting = accumulator;
        return (outputs, targets, rows) => visiting.add(outputs, targets, rows);
      }).then((result) => withMetricValues(result, accumulator, engine.classes));
    }
    checkOptionKeys(options, EVALUATE_KEYS, 'evaluate');
    const metrics = parseMetrics(options.metrics);
    const classes = resolveClasses(engine.classes, data, this.outputSize, 'data');
    const dataset = asDataset(withLabelIndices(data, classes, 'data'), this.inputSize, this.outputSize);
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: true, scanInputs: false });
    if (options.metrics === undefined) return engine.evaluate(dataset, options.batchSize);
    const accumulator = new MetricAccumulator(metrics, this.outputSize, this.#scoredAsClasses(dataset), 'the data');
    const result = engine.evaluate(dataset, options.batchSize, (outputs, targets, rows) =>
      accumulator.add(outputs, targets, rows),
    );
    return withMetricValues(result, accumulator, classes);
  }

  /** Scored as classes like the core's accuracy: labels, or a softmax / single sigmoid output. */
  #scoredAsClasses(data: Dataset): boolean {
    return (
      data.labels !== undefined ||
      this.loss === 'crossEntropy' ||
      (this.loss === 'binaryCrossEntropy' && this.outputSize === 1)
    );
  }

  /**
   * Stops the model's helper threads (threaded mode) and frees them. The model still
   * predicts and trains, on one thread. Does nothing for a one-thread model.
   */
  dispose(): void {
    this.#engine.dispose();
  }
}

/** The public model around an engine (factories.ts, persist.ts). */
export function modelOf(engine: ModelEngine): Model {
  return wrap(engine);
}

/** The engine behind a model (persist.ts; tests and benchmarks reach the memory through it). */
export function engineOf(model: Model): ModelEngine {
  return unwrap(model);
}
