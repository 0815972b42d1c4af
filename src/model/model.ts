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
/** Their options over a stream. */
const STREAM_INFERENCE_KEYS = ['batchSize', 'chunkRows'];

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

  /**
   * Trains on `data`; see FitOptions. Async: it yields to the event loop between batches.
   * `data` is a dataset in memory, or a stream (StreamInput: csvSource, idxSource, an
   * (async) iterable or generator of batches or rows, or a function returning one), read
   * once per epoch. A bad row in a stream is an error naming it, and the model is put back
   * as it was before this fit (weights, optimizer state, epochs, learning rate).
   */
  async fit(data: DatasetLike | StreamInput, options: FitOptions = {}): Promise<History> {
    const engine = this.#engine;
    if (engine.isTraining)
      throw new Error('simdnet: this model is already training; wait for the running fit() to finish');
    const streamed = isStreamInput(data) || isStreamInput(options?.validationData);
    const before = streamed ? { snapshot: engine.snapshot(true), training: { ...engine.training } } : undefined;
    try {
      return await fit(engine, data, options);
    } catch (error) {
      if (before) {
        engine.restore(before.snapshot);
        engine.training.epochs = before.training.epochs;
        engine.setSteps(before.training.steps);
        if (engine.training.learningRate !== before.training.learningRate)
          engine.setLearningRate(before.training.learningRate);
      }
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

  /** Class indices (argmax of each output row; threshold 0.5 for a single output). */
  predictClasses(inputs: DatasetLike['inputs'] | Dataset, options: { batchSize?: number } = {}): Int32Array {
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

  /** Mean loss (and accuracy where defined) over a dataset, without training. */
  evaluate(data: DatasetLike, options?: { batchSize?: number }): EvaluateResult;
  /**
   * Mean loss (and accuracy) over a labelled stream, read chunk by chunk (`chunkRows` rows
   * at a time, default 8192): the in-memory result up to the rounding of an f64 sum.
   */
  evaluate(data: StreamInput, options?: StreamInferenceOptions): Promise<EvaluateResult>;
  evaluate(
    data: DatasetLike | StreamInput,
    options: StreamInferenceOptions = {},
  ): EvaluateResult | Promise<EvaluateResult> {
    if (isStreamInput(data)) {
      checkOptionKeys(options, STREAM_INFERENCE_KEYS, 'evaluate');
      return evaluateStream(this.#engine, fromIterable(data), options);
    }
    checkOptionKeys(options, INFERENCE_KEYS, 'evaluate');
    const dataset = asDataset(data, this.inputSize, this.outputSize);
    checkDataset(dataset, this.inputSize, this.outputSize, { needTargets: true, scanInputs: false });
    return this.#engine.evaluate(dataset, options.batchSize);
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
