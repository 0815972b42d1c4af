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
import type { Activation, ModelDescription } from './description.js';
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

/** The options of evaluate(). */
export interface EvaluateOptions {
  /** Rows per call into the core. */
  batchSize?: number;
  /** Metrics to compute (train/metrics.ts); classification adds the confusion matrix and per-class values. */
  metrics?: MetricSpec[];
}

/** Wraps an engine in the public class (the factories and loadModel use it). */
let wrap: (engine: ModelEngine) => Model;
/** The engine behind a model. */
let unwrap: (model: Model) => ModelEngine;

/** A dense network in its own WebAssembly instance: train it, run it, save it. */
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
  /** The dense layers in order: input width, units, activation. */
  get layers(): readonly { inSize: number; units: number; activation: Activation }[] {
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
    return this.layers.reduce((n, s) => n + s.inSize * s.units + s.units, 0);
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

  /** User metadata saved with the model (JSON-serialisable). */
  get metadata(): Record<string, unknown> {
    return this.#engine.metadata;
  }
  set metadata(metadata: Record<string, unknown>) {
    this.#engine.metadata = metadata;
  }

  /** One line per layer, Keras-style. */
  summary(): string {
    const lines = [`input ${this.inputSize}`];
    this.layers.forEach((s, i) =>
      lines.push(`dense_${i} ${s.inSize} -> ${s.units} ${s.activation} (${s.inSize * s.units + s.units} parameters)`),
    );
    lines.push(`loss ${this.loss}, optimizer ${this.optimizer.type}, ${this.parameterCount} parameters`);
    return lines.join('\n');
  }

  /** Copies of the weights and biases, framework-neutral (W as [in, units]). */
  describe(): ModelDescription {
    return this.#engine.describe();
  }

  /** Replaces the weights from a description of the same architecture. */
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
    });
    this.#engine.writeWeights(description);
  }

  // --- configuration ------------------------------------------------------------

  /** Changes the learning rate from now on (schedules call this between epochs). */
  setLearningRate(learningRate: number): void {
    this.#engine.setLearningRate(learningRate);
  }

  /** Switches optimizer (its moment buffers restart from zero). */
  setOptimizer(optimizer: OptimizerType | OptimizerConfig): void {
    this.#engine.setOptimizer(normalizeOptimizer(optimizer));
  }

  // --- training and inference -----------------------------------------------------

  /** Trains on `data`; see FitOptions. Async: it yields to the event loop between batches. */
  async fit(data: DatasetLike, options: FitOptions = {}): Promise<History> {
    const engine = this.#engine;
    if (engine.isTraining)
      throw new Error('simdnet: this model is already training; wait for the running fit() to finish');
    // Labels are values: fix the classes (first fit) and map labels to output units.
    const before = engine.classes;
    const classes = resolveClasses(before, data, engine.outputSize, 'training data');
    const mapped = withLabelIndices(data, classes, 'training data');
    const mappedOptions =
      options.validationData === undefined
        ? options
        : { ...options, validationData: withLabelIndices(options.validationData, classes, 'validationData') };
    const steps = engine.training.steps;
    engine.classes = classes;
    try {
      return await fit(engine, mapped, mappedOptions);
    } catch (error) {
      // Rejected before training: the model is as it was, classes included.
      if (engine.training.steps === steps) engine.classes = before;
      throw error;
    } finally {
      engine.releaseData();
    }
  }

  /** Whether a fit() is running (predict and evaluate still work from its callbacks). */
  get isTraining(): boolean {
    return this.#engine.isTraining;
  }

  /** The model as a simdnet model file (see io/format.ts); loadModel() reads it back. */
  save(options?: SaveOptions): Uint8Array {
    return encodeModel(this.#engine, options);
  }

  /** Outputs [count, outputSize] for inputs given as a flat array, rows, or a Dataset. */
  predict(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Float32Array {
    checkOptionKeys(options, INFERENCE_KEYS, 'predict');
    const dataset = asDataset('count' in inputs ? inputs : { inputs }, this.inputSize, this.outputSize, 'inputs');
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: false, scanInputs: false }, 'inputs');
    return this.#engine.predict(dataset, options.batchSize);
  }

  /**
   * Predicted class values (see `classes`): an Int32Array for integer classes (unit indices
   * before the classes are fixed), strings for string classes. The class of a row is its
   * largest output's (the first on ties), or for one sigmoid output classes[p >= 0.5 ? 1 : 0].
   */
  predictClasses(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): ClassValues {
    return classValues(this.predictClassIndices(inputs, options), this.#engine.classes);
  }

  /** Predicted output-unit indices (argmax of each output row; threshold 0.5 for a single output). */
  predictClassIndices(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Int32Array {
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

  /**
   * Mean loss (and accuracy where defined) over a dataset, without training. With
   * `metrics` (see train/metrics.ts) it adds their values and, for classification, the
   * confusion matrix and per-class precision, recall and f1, in class order.
   */
  evaluate(data: DatasetLike, options: EvaluateOptions = {}): EvaluateResult {
    checkOptionKeys(options, EVALUATE_KEYS, 'evaluate');
    const engine = this.#engine;
    const metrics = parseMetrics(options.metrics);
    const classes = resolveClasses(engine.classes, data, this.outputSize, 'data');
    const dataset = asDataset(withLabelIndices(data, classes, 'data'), this.inputSize, this.outputSize);
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: true, scanInputs: false });
    if (options.metrics === undefined) return engine.evaluate(dataset, options.batchSize);
    // Scored as classes like the core's accuracy: labels, or a softmax / single sigmoid output.
    const classification =
      dataset.labels !== undefined ||
      this.loss === 'crossEntropy' ||
      (this.loss === 'binaryCrossEntropy' && this.outputSize === 1);
    const accumulator = new MetricAccumulator(metrics, this.outputSize, classification, 'the data');
    const result = engine.evaluate(dataset, options.batchSize, (outputs, targets, rows) =>
      accumulator.add(outputs, targets, rows),
    );
    Object.assign(result, accumulator.values());
    const counts = accumulator.classification;
    if (counts) {
      result.confusionMatrix = counts.confusion.map((row) => [...row]);
      result.perClass = counts.perClass();
      result.classes = classes ? ([...classes] as number[] | string[]) : indexClasses(counts.classes);
    }
    return result;
  }

  /** Stops the model's helper threads (threaded mode). The model still predicts; training falls back to one thread. */
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
