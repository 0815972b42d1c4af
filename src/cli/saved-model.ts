/**
 * A saved model as the commands use it: loaded and checked, with its CLI
 * metadata, and the one place where data is made to look like training data
 * (same feature count, same standardization).
 */
import type { Dataset } from '../data/dataset.js';
import { loadModelFile } from '../io/node.js';
import type { Model } from '../model/model.js';
import { requireFile } from './args.js';
import { CliError, withContext } from './errors.js';
import { readCliMetadata, type CliMetadata } from './metadata.js';
import { standardizeInputs } from './preprocess.js';

export interface SavedModel {
  path: string;
  model: Model;
  meta: CliMetadata;
}

export async function openModel(path: string): Promise<SavedModel> {
  requireFile(path, 'model file');
  const model = await withContext(path, () => loadModelFile(path));
  const meta = await withContext(path, () => readCliMetadata(model));
  return { path, model, meta };
}

/** `dataset` (read from `source`) as the model's input: shape checked, standardized as in training. */
export function asModelInput({ model, meta }: SavedModel, dataset: Dataset, source: string): Dataset {
  if (dataset.inputSize !== model.inputSize) {
    throw new CliError(
      `${source}: the model takes ${model.inputSize} features per sample, the data has ${dataset.inputSize}`,
    );
  }
  return meta.standardize ? standardizeInputs(dataset, meta.standardize) : dataset;
}
