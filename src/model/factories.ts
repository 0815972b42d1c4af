/**
 * Making models: from a spec (seeded initial weights), from a description (given
 * weights), or empty (for loadModel to fill). Each gets its own WebAssembly instance,
 * and helper threads where the spec asks for them and the runtime allows.
 */
import { checkOptionKeys } from '../options.js';
import { instantiateCore, instantiateSharedCore } from '../runtime/load.js';
import { availableCores, controlBytes, ThreadPool, threadSupport } from '../runtime/threads.js';
import type { ModelDescription } from './description.js';
import { DEFAULT_INFERENCE_ROWS, ModelEngine, shapesOf } from './engine.js';
import { type Model, modelOf } from './model.js';
import { planMemory } from './plan.js';
import { type ModelSpec, type NormalizedSpec, normalizeSpec } from './spec.js';

/**
 * A new model with seeded initial weights, in its own WebAssembly instance. Loads the
 * core on first use (call {@link init} first to choose it).
 *
 * @param spec - The layers, loss, optimizer, seed and threads; see {@link ModelSpec}.
 * @returns The model, ready to train. With `threads` > 1 where threads are unavailable, a
 *   one-thread model that says why in {@link Model.threading} (never an error).
 * @throws Error naming the field when the spec is invalid (unknown key, bad size, unknown
 *   activation / loss / optimizer, softmax on a hidden layer, a loss that does not fit the output layer).
 *
 * @example
 * ```ts
 * import { createModel } from 'simdnet';
 *
 * const model = await createModel({
 *   inputSize: 784,
 *   layers: [{ units: 128, activation: 'relu' }, { units: 10, activation: 'softmax' }],
 *   optimizer: { type: 'adam', learningRate: 1e-3 },
 *   seed: 42,
 * });
 * console.log(model.summary());
 * ```
 */
export async function createModel(spec: ModelSpec): Promise<Model> {
  const normalized = normalizeSpec(
    spec.threads === 'auto' ? { ...spec, threads: Math.min(4, availableCores()) } : spec,
  );
  const engine = await instantiateEngine(normalized, spec.threads === 'auto');
  engine.initializeParameters();
  return modelOf(engine);
}

/** A model engine with zeroed parameters, for loaders that fill them. */
export function createEmptyEngine(spec: NormalizedSpec): Promise<ModelEngine> {
  return instantiateEngine(spec);
}

/**
 * A model with the architecture and weights of a description (from
 * {@link fromTfjsLayers}, {@link fromOnnx}, or another model's {@link Model.describe}),
 * ready to predict or fine-tune. Its training state starts fresh (epoch 0, no moments).
 *
 * @param description - The layers and their weights.
 * @param options - `loss`, `optimizer` and `seed` as in {@link ModelSpec}, with the same
 *   defaults (the loss follows the output activation; the optimizer is `'adam'`; the seed, 1, drives the shuffles).
 * @throws Error when the description or options are invalid (shapes, non-finite weights, unknown key).
 */
export async function modelFromDescription(
  description: ModelDescription,
  options: Pick<ModelSpec, 'loss' | 'optimizer' | 'seed' | 'classes'> = {},
): Promise<Model> {
  checkOptionKeys(options, ['loss', 'optimizer', 'seed', 'classes'], 'modelFromDescription');
  const spec = normalizeSpec({
    inputSize: description.inputSize,
    layers: description.layers.map(({ units, activation, alpha, dropout, l1, l2, batchNorm }) => ({
      units,
      activation,
      ...(alpha === undefined ? {} : { alpha }),
      ...(dropout === undefined ? {} : { dropout }),
      ...(l1 === undefined ? {} : { l1 }),
      ...(l2 === undefined ? {} : { l2 }),
      ...(batchNorm ? { batchNorm: { momentum: batchNorm.momentum, epsilon: batchNorm.epsilon } } : {}),
    })),
    ...options,
  });
  const model = modelOf(new ModelEngine(await instantiateCore(), spec));
  model.setWeights(description);
  return model;
}

/**
 * The engine on one thread, or on `spec.threads` where the runtime allows; never an error for
 * lack of threads. `auto`: the threads were chosen by threads: 'auto' (small batches then run
 * on one thread: threading.ts).
 */
async function instantiateEngine(spec: NormalizedSpec, auto = false): Promise<ModelEngine> {
  const requested = { requested: spec.threads, ...(auto ? { auto } : {}) };
  if (spec.threads === 1)
    return new ModelEngine(await instantiateCore(), spec, undefined, { threads: 1, ...requested });
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
      return new ModelEngine(core, spec, pool, { threads: spec.threads, ...requested });
    } catch (error) {
      reason = `threads could not start: ${(error as Error).message}`;
    }
  }
  return new ModelEngine(await instantiateCore(), spec, undefined, { threads: 1, ...requested, reason });
}
