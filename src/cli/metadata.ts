/**
 * What the CLI stores in a model's metadata so that `evaluate`, `predict` and
 * `export` later see data exactly as training did:
 *
 *   task               'classification' | 'regression'
 *   dataset            'mnist' | 'fashion-mnist' | 'csv'
 *   features           CSV header names of the inputs, in input order
 *   label              CSV header name of the label / target column
 *   classNames         classNames[i] is the label text of class i (output unit i)
 *   standardize        per-feature { mean[], std[] } from the training split:
 *                      the model sees x' = (x - mean) / std (0 where std = 0)
 *   targetStandardize  regression: { mean[1], std[1] }; the model predicts
 *                      y' = (y - mean) / std, so outputs are mapped back as y' · std + mean
 *
 * plus results (testAccuracy, validation metrics, epochs, trainedAt) that only
 * `info` reads. A model saved by the library (no CLI metadata) still works:
 * the task follows from its loss, classes are named by index, no scaling.
 */
import type { Model } from '../model/model.js';
import { CliError } from './errors.js';

export type Task = 'classification' | 'regression';

export interface Standardization {
  mean: number[];
  std: number[];
}

export interface CliMetadata {
  task: Task;
  dataset?: string;
  features?: string[];
  label?: string;
  classNames?: string[];
  standardize?: Standardization;
  targetStandardize?: Standardization;
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');
const isNumberArray = (value: unknown, length: number): value is number[] =>
  Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number' && Number.isFinite(v));

function readStandardization(value: unknown, length: number, key: string): Standardization | undefined {
  if (value === undefined || value === null) return undefined;
  const stats = value as Partial<Standardization>;
  if (!isNumberArray(stats.mean, length) || !isNumberArray(stats.std, length) || stats.std.some((s) => s < 0)) {
    throw new CliError(
      `the model's metadata.${key} must hold mean and std arrays of ${length} finite numbers (std ≥ 0)`,
    );
  }
  return { mean: stats.mean, std: stats.std };
}

/** The CLI's view of a model's metadata, checked against the model's shapes. */
export function readCliMetadata(model: Model): CliMetadata {
  const raw = model.metadata ?? {};
  const defaultTask: Task =
    model.loss === 'crossEntropy' || model.loss === 'binaryCrossEntropy' ? 'classification' : 'regression';
  const task = raw.task === undefined ? defaultTask : raw.task;
  if (task !== 'classification' && task !== 'regression')
    throw new CliError(
      `the model's metadata.task must be 'classification' or 'regression', got ${JSON.stringify(raw.task)}`,
    );
  const meta: CliMetadata = { task };
  if (typeof raw.dataset === 'string') meta.dataset = raw.dataset;
  if (raw.features !== undefined) {
    if (!isStringArray(raw.features) || raw.features.length !== model.inputSize) {
      throw new CliError(`the model's metadata.features must list ${model.inputSize} column names`);
    }
    meta.features = raw.features;
  }
  if (raw.label !== undefined) {
    if (typeof raw.label !== 'string') throw new CliError("the model's metadata.label must be a column name");
    meta.label = raw.label;
  }
  if (raw.classNames !== undefined) {
    const expected = model.outputSize === 1 ? 2 : model.outputSize;
    if (!isStringArray(raw.classNames) || raw.classNames.length !== expected) {
      throw new CliError(`the model's metadata.classNames must list ${expected} class names`);
    }
    meta.classNames = raw.classNames;
  }
  meta.standardize = readStandardization(raw.standardize, model.inputSize, 'standardize');
  meta.targetStandardize = readStandardization(raw.targetStandardize, model.outputSize, 'targetStandardize');
  return meta;
}

/** Class names for a classifier: from metadata, else '0', '1', ... */
export function classNamesOf(model: Model, meta: CliMetadata): string[] {
  if (meta.classNames) return meta.classNames;
  const count = model.outputSize === 1 ? 2 : model.outputSize;
  return Array.from({ length: count }, (_, i) => String(i));
}
