/**
 * The CLI's metric and class-weight flags, and the classification report that
 * `simdnet evaluate` prints (confusion matrix, per-class precision / recall / f1).
 *
 *   --metrics a,b,c            FitOptions.metrics (accuracy, precision, recall, f1, top<k>, mae, rmse, r2)
 *   --class-weight balanced    FitOptions.classWeight 'balanced'
 *   --class-weight v:w,...     a weight per class, named by its label text (v), unlisted classes 1
 */
import type { Dataset } from '../data/dataset.js';
import { type ClassList, isIndexClasses } from '../model/classes.js';
import type { DatasetLike } from '../model/dataset-check.js';
import type { EvaluateResult } from '../train/types.js';
import { type MetricSpec, parseMetrics, validationKey } from '../train/metrics.js';
import type { ClassWeight } from '../train/weights.js';
import { type Flags, namesFlag, stringFlag } from './args.js';
import { UsageError } from './errors.js';

/** --metrics as FitOptions.metrics (checked: an unknown name is a usage error naming it). */
export function metricsFlag(flags: Flags): MetricSpec[] | undefined {
  const names = namesFlag(flags, 'metrics');
  if (names === undefined) return undefined;
  try {
    parseMetrics(names as MetricSpec[]);
  } catch (error) {
    throw new UsageError(`--metrics: ${(error as Error).message.replace(/^simdnet: /, '')}`);
  }
  return names as MetricSpec[];
}

/**
 * --class-weight for data whose class i is `classNames[i]`: 'balanced', or { index: weight }
 * (classWeightByValue turns the indices into the model's class values).
 */
export function classWeightFlag(flags: Flags, classNames: readonly string[] | undefined): ClassWeight | undefined {
  const text = stringFlag(flags, 'class-weight');
  if (text === undefined) return undefined;
  if (!classNames) throw new UsageError('--class-weight applies to classification only');
  if (text.trim() === 'balanced') return 'balanced';
  const weights: Record<number, number> = {};
  for (const part of text.split(',')) {
    const at = part.lastIndexOf(':');
    const name = part.slice(0, at).trim();
    const weight = Number(part.slice(at + 1));
    if (at < 0 || name === '' || !(Number.isFinite(weight) && weight >= 0))
      throw new UsageError(`--class-weight takes 'balanced' or CLASS:WEIGHT,... with weights ≥ 0, got '${part}'`);
    const index = classNames.indexOf(name);
    if (index < 0)
      throw new UsageError(
        `--class-weight names class '${name}', which the data does not have (${classNames.join(', ')})`,
      );
    weights[index] = weight;
  }
  return weights;
}

/** classWeightFlag's weights (keyed by class index) keyed by the model's class values, as fit takes them. */
export function classWeightByValue(
  weights: ClassWeight | undefined,
  classes: ClassList | undefined,
): ClassWeight | undefined {
  if (weights === undefined || weights === 'balanced') return weights;
  return Object.fromEntries(
    Object.entries(weights).map(([index, weight]) => [String(classes?.[Number(index)] ?? index), weight]),
  );
}

/** '  f1 0.9123  top5 0.9900', and the validation values (' val f1 ...') when present. */
export function metricsText(log: Record<string, unknown>, metrics: readonly MetricSpec[] | undefined): string {
  if (!metrics) return '';
  const keys = parseMetrics(metrics)
    .map((m) => m.key)
    .filter((key) => key !== 'accuracy');
  const value = (key: string) => {
    const v = log[key];
    return typeof v === 'number' ? v.toFixed(4) : undefined;
  };
  const own = keys.filter((key) => value(key) !== undefined).map((key) => `${key} ${value(key)}`);
  const val = keys
    .filter((key) => value(validationKey(key)) !== undefined)
    .map((key) => `val ${key} ${value(validationKey(key))}`);
  return [...own, ...val].map((part) => `  ${part}`).join('');
}

/** The confusion matrix (rows true, columns predicted) and per-class precision, recall, f1 and support. */
export function classificationReport(result: EvaluateResult, classNames: readonly string[]): string {
  const matrix = result.confusionMatrix;
  const perClass = result.perClass;
  if (!matrix || !perClass) return '';
  const nameWidth = Math.max(5, ...classNames.map((n) => n.length));
  const cellWidth = Math.max(6, ...classNames.map((n) => n.length), ...matrix.flat().map((v) => String(v).length));
  const pad = (text: string, width: number) => text.padStart(width);
  const lines = ['confusion matrix (rows: true class, columns: predicted):'];
  lines.push(`${pad('', nameWidth)} ${classNames.map((n) => pad(n, cellWidth)).join(' ')}`);
  matrix.forEach((row, t) =>
    lines.push(`${pad(classNames[t], nameWidth)} ${row.map((v) => pad(String(v), cellWidth)).join(' ')}`),
  );
  lines.push('');
  lines.push(`${pad('class', nameWidth)} ${['precision', 'recall', 'f1', 'support'].map((h) => pad(h, 9)).join(' ')}`);
  classNames.forEach((name, c) =>
    lines.push(
      `${pad(name, nameWidth)} ${[perClass.precision[c], perClass.recall[c], perClass.f1[c]]
        .map((v) => pad(v.toFixed(4), 9))
        .join(' ')} ${pad(String(perClass.support[c]), 9)}`,
    ),
  );
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  lines.push(
    `${pad('macro', nameWidth)} ${[perClass.precision, perClass.recall, perClass.f1]
      .map((v) => pad(mean(v).toFixed(4), 9))
      .join(' ')} ${pad(String(perClass.support.reduce((s, v) => s + v, 0)), 9)}`,
  );
  return lines.join('\n');
}

/**
 * A classifier's class values from the CLI's class names: integers where every name is
 * one ('0', '65535', '-1'), else the names (model.classes, saved in the model file).
 */
export function classValuesOf(classNames: readonly string[]): number[] | string[] {
  const numbers = classNames.map(Number);
  const integers = numbers.every((n, i) => Number.isInteger(n) && n === (n | 0) && String(n) === classNames[i]);
  return integers ? numbers : [...classNames];
}

/**
 * The CLI reads labels as class indices (class i is classNames[i]); the model takes class
 * values. The dataset with its labels as `classes[index]` (the same dataset when the
 * classes are 0..k-1 or it has no labels).
 */
export function labelsAsValues(dataset: Dataset, classes: ClassList | undefined): DatasetLike {
  const { labels } = dataset;
  if (!labels || !classes || isIndexClasses(classes)) return dataset;
  const values =
    typeof classes[0] === 'string'
      ? Array.from(labels, (i) => classes[i] as string)
      : Int32Array.from(labels, (i) => classes[i] as number);
  return { inputs: dataset.inputs, inputScale: dataset.inputScale, labels: values };
}
