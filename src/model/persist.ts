/**
 * saveModel and loadModel: a Model to and from simdnet's model file. The format
 * itself (a ModelState <-> bytes) is src/io/format.ts.
 */
import { decodeModel, encodeModel, type SaveOptions } from '../io/format.js';
import { createEmptyEngine } from './factories.js';
import { engineOf, type Model, modelOf } from './model.js';

/** The model as a simdnet model file (the same bytes as model.save()). */
export function saveModel(model: Model, options?: SaveOptions): Uint8Array {
  return encodeModel(engineOf(model), options);
}

/** A model read back from a simdnet model file; every part of the file is checked, and a bad one named. */
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
