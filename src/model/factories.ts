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

/** A new model with seeded initial weights. Loads the WebAssembly core on first use. */
export async function createModel(spec: ModelSpec): Promise<Model> {
  const normalized = normalizeSpec(
    spec.threads === 'auto' ? { ...spec, threads: Math.min(4, availableCores()) } : spec,
  );
  const engine = await instantiateEngine(normalized);
  engine.initializeParameters();
  return modelOf(engine);
}

/** A model engine with zeroed parameters, for loaders that fill them. */
export function createEmptyEngine(spec: NormalizedSpec): Promise<ModelEngine> {
  return instantiateEngine(spec);
}

/**
 * A model with the architecture and weights of a description (from
 * fromTfjsLayers, or another model's describe()), ready to predict or fine-tune.
 */
export async function modelFromDescription(
  description: ModelDescription,
  options: Pick<ModelSpec, 'loss' | 'optimizer' | 'seed' | 'classes'> = {},
): Promise<Model> {
  checkOptionKeys(options, ['loss', 'optimizer', 'seed', 'classes'], 'modelFromDescription');
  const spec = normalizeSpec({
    inputSize: description.inputSize,
    layers: description.layers.map(({ units, activation }) => ({ units, activation })),
    ...options,
  });
  const model = modelOf(new ModelEngine(await instantiateCore(), spec));
  model.setWeights(description);
  return model;
}

/** The engine on one thread, or on `spec.threads` where the runtime allows; never an error for lack of threads. */
async function instantiateEngine(spec: NormalizedSpec): Promise<ModelEngine> {
  if (spec.threads === 1) return new ModelEngine(await instantiateCore(), spec);
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
      return new ModelEngine(core, spec, pool, { threads: spec.threads, requested: spec.threads });
    } catch (error) {
      reason = `threads could not start: ${(error as Error).message}`;
    }
  }
  return new ModelEngine(await instantiateCore(), spec, undefined, { threads: 1, requested: spec.threads, reason });
}
