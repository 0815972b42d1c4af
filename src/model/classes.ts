/**
 * Labels are values: a classifier keeps the class values it predicts (its `classes`),
 * and output unit i stands for classes[i]. Labels given to fit and evaluate are values
 * (integers or strings) and are mapped to unit indices here, before the data is checked
 * and copied into the core (which sees indices only).
 *
 *   spec.classes given       the mapping, in the order given
 *   else at the first fit    the sorted distinct label values (numbers ascending,
 *                            strings by UTF-16 code units), when there are as many as
 *                            the model has classes; integer labels that are all in
 *                            0..k-1 but fewer than k distinct map to themselves (0..k-1)
 *   a model file of format 1 without classes: 0..k-1
 *
 * k, the model's class count, is its output units, or 2 for a single (sigmoid) output.
 * Once fixed, the mapping never changes: a label outside it is an Error naming it.
 */
import type { Dataset } from '../data/dataset.js';
import type { DatasetLike } from './dataset-check.js';

/** A model's class values: output unit i stands for classes[i]. */
export type ClassList = readonly number[] | readonly string[];

/**
 * Predicted class values: an Int32Array for integer classes, a string[] for string classes
 * (typed as what both are, so that Array.from and indexing work on either).
 */
export type ClassValues = ArrayLike<number | string> & Iterable<number | string>;

/** Classes a model with `outputSize` units predicts: one sigmoid unit means two. */
export const classCount = (outputSize: number): number => (outputSize === 1 ? 2 : outputSize);

/** 0..k-1. */
export const indexClasses = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

const isInt32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v === (v | 0);

/** The classes list checked: k distinct int32 integers or k distinct strings. */
export function checkClasses(classes: unknown, outputSize: number, what = 'classes'): number[] | string[] {
  const k = classCount(outputSize);
  if (!Array.isArray(classes) || classes.length !== k)
    throw new Error(
      `simdnet: ${what} must list the model's ${k} classes (one per output unit${outputSize === 1 ? ', two for one sigmoid output' : ''}), got ${Array.isArray(classes) ? `${classes.length} values` : String(classes)}`,
    );
  const allNumbers = classes.every(isInt32);
  const allStrings = classes.every((c) => typeof c === 'string');
  if (!allNumbers && !allStrings)
    throw new Error(`simdnet: ${what} must be all integers or all strings, got ${JSON.stringify(classes)}`);
  const seen = new Set<unknown>();
  for (const c of classes) {
    if (seen.has(c)) throw new Error(`simdnet: ${what} lists ${JSON.stringify(c)} twice`);
    seen.add(c);
  }
  return [...classes] as number[] | string[];
}

/** Whether classes are 0..k-1 in order (labels then are their own indices). */
export function isIndexClasses(classes: ClassList): boolean {
  return classes.every((c, i) => c === i);
}

type LabelsLike = ArrayLike<number> | readonly string[];

function labelsOf(data: DatasetLike | Dataset): LabelsLike | undefined {
  return (data as { labels?: LabelsLike }).labels;
}

const describeLabel = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : String(value));
const listClasses = (classes: ClassList): string =>
  classes.length <= 12
    ? classes.map(describeLabel).join(', ')
    : `${classes.slice(0, 10).map(describeLabel).join(', ')}, ... (${classes.length})`;

/**
 * The classes a first fit fixes from its labels (see the file comment), or an Error
 * when they cannot be mapped onto the model's outputs.
 */
export function classesFromLabels(labels: LabelsLike, outputSize: number, what: string): number[] | string[] {
  const k = classCount(outputSize);
  const distinct = new Set<number | string>();
  for (let i = 0; i < labels.length; i++) {
    const value = labels[i];
    if (!(isInt32(value) || typeof value === 'string'))
      throw new Error(`simdnet: ${what}.labels[${i}] = ${describeLabel(value)} is not an integer or a string label`);
    distinct.add(value);
  }
  const values = [...distinct];
  const numeric = values.every((v) => typeof v === 'number');
  if (!numeric && !values.every((v) => typeof v === 'string'))
    throw new Error(`simdnet: ${what}.labels mix numbers and strings`);
  const sorted = numeric
    ? (values as number[]).sort((a, b) => a - b)
    : (values as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === k) return sorted;
  if (numeric && sorted.length < k && (sorted as number[]).every((v) => v >= 0 && v < k)) return indexClasses(k);
  throw new Error(
    `simdnet: ${what}.labels have ${sorted.length} distinct values (${listClasses(sorted)}) but the model has ${k} classes (${outputSize} output unit${outputSize === 1 ? '' : 's'}); give spec.classes to fix the mapping`,
  );
}

/** The classes fit should use: the model's, or those the data fixes (the model's are undefined before a first fit). */
export function resolveClasses(
  classes: ClassList | undefined,
  data: DatasetLike | Dataset,
  outputSize: number,
  what: string,
): ClassList | undefined {
  if (classes) return classes;
  const labels = labelsOf(data);
  return labels ? classesFromLabels(labels, outputSize, what) : undefined;
}

/** Unit indices of label values, or an Error naming the first label not among `classes`. */
export function labelIndices(labels: LabelsLike, classes: ClassList, what: string): Int32Array {
  const indices = new Int32Array(labels.length);
  if (isIndexClasses(classes)) {
    const k = classes.length;
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < k)) throw unknownLabel(what, i, v, classes);
      indices[i] = v;
    }
    return indices;
  }
  const unitOf = new Map<number | string, number>();
  classes.forEach((c, i) => unitOf.set(c, i));
  for (let i = 0; i < labels.length; i++) {
    const unit = unitOf.get(labels[i]);
    if (unit === undefined) throw unknownLabel(what, i, labels[i], classes);
    indices[i] = unit;
  }
  return indices;
}

function unknownLabel(what: string, index: number, value: unknown, classes: ClassList): Error {
  return new Error(
    `simdnet: ${what}.labels[${index}] = ${describeLabel(value)} is not one of the model's classes (${listClasses(classes)})`,
  );
}

/** `data` with its labels (values) replaced by unit indices; data without labels as it is. */
export function withLabelIndices<T extends DatasetLike | Dataset>(
  data: T,
  classes: ClassList | undefined,
  what: string,
): T {
  const labels = typeof data === 'object' && data !== null ? labelsOf(data) : undefined;
  if (labels === undefined || classes === undefined) return data;
  return { ...data, labels: labelIndices(labels, classes, what) };
}

/** Class values of unit indices. */
export function classValues(indices: Int32Array, classes: ClassList | undefined): Int32Array | string[] {
  if (!classes || isIndexClasses(classes)) return indices;
  if (typeof classes[0] === 'string') return Array.from(indices, (i) => classes[i] as string);
  return indices.map((i) => classes[i] as number);
}
