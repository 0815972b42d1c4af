/**
 * saveModel and loadModel: a Model to and from simdnet's model file. The format
 * itself (a ModelState <-> bytes) is src/io/format.ts.
 */
import { decodeModel, encodeModel, type SaveOptions } from '../io/format.js';
import { createEmptyEngine } from './factories.js';
import { engineOf, type Model, modelOf } from './model.js';

/**
 * The model as a simdnet model file (the same bytes as {@link Model.save}): architecture,
 * weights, training state, metadata and (by default) the optimizer state.
 *
 * @param model - The model to save.
 * @param options - See {@link SaveOptions}.
 * @returns The file's bytes; {@link loadModel} reads them back.
 * @throws Error on an unknown option key.
 */
export function saveModel(model: Model, options?: SaveOptions): Uint8Array {
  return encodeModel(engineOf(model), options);
}

/**
 * A model read back from a simdnet model file, in a new WebAssembly instance: the same
 * predictions, and (when the file holds the optimizer state) training resumes exactly
 * where it stopped. The model trains on one thread, whatever the saved model used.
 *
 * @param source - The bytes of {@link saveModel} or {@link Model.save}.
 * @returns The model.
 * @throws Error naming the bad part when the file is not a valid model file (magic,
 *   version, length, checksum, header, buffer sizes).
 *
 * @example
 * ```ts
 * const bytes = saveModel(model);
 * const restored = await loadModel(bytes);
 * restored.predict(inputs); // the same outputs as model.predict(inputs)
 * ```
 */
export async function loadModel(source: Uint8Array | ArrayBuffer): Promise<Model> {
  const file = decodeModel(source);
  const engine = await createEmptyEngine(file.spec);
  engine.restore(file.buffers(engine.plan.paramLength));
  engine.metadata = file.metadata;
  engine.training.epochs = file.training.epochs;
  engine.setSteps(file.optimizerState ? file.training.steps : 0);
  engine.setLearningRate(file.training.learningRate);
  return modelOf(engine);
}
