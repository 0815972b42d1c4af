/**
 * A Dataset from a CSV file with a header row, read as a stream: the text is tokenized
 * chunk by chunk (csv-records.ts) and each row's numbers go straight into a growing
 * Float32Array, so the file is never held as one string.
 *
 *   header     first record; column names are trimmed
 *   features   `featureColumns` in the given order, or every column except the label
 *              -> inputs Float32Array [count, featureCount]; cells must be decimal numbers
 *   label      classification -> labels [count], class indices (see class-labels.ts)
 *              regression     -> targets Float32Array [count, 1], targetSize 1
 *
 * Every problem in the file is a CsvError carrying the 1-based line number: ragged rows,
 * non-numeric cells (naming the column and text), unknown label classes, an empty file or
 * one with a header but no rows, a header naming one column twice. A missing column lists
 * the available ones. Columns are found by name through one Map built from the header, so
 * reading is linear in the number of columns.
 */

import { ClassLabelCollector } from './class-labels.js';
import { CsvError, tokenizeCsv, type CsvFieldSink } from './csv-records.js';
import type { Dataset } from './dataset.js';
import { growableFloat32Array, type GrowableArray } from './growable.js';
import { parseDecimalRange } from './number-text.js';
import type { ByteSource } from './stream.js';

export { CsvError, CsvRecordCollector, CsvTokenizer, readCsvRecords, tokenizeCsv } from './csv-records.js';
export type { CsvFieldSink, CsvRecord, CsvRecordCallback, CsvTokenizerOptions } from './csv-records.js';
export type { ByteSource } from './stream.js';

/**
 * What the label column holds: `'classification'` (class names or integers, read as class
 * indices into `labels`) or `'regression'` (numbers, read into `targets` [count, 1]).
 */
export type CsvTask = 'classification' | 'regression';

/** Options of {@link readCsvDataset} (and `readCsvFile` in `simdnet/node`). */
export interface CsvDatasetOptions {
  /** Header name of the column holding the class label or the regression target. Required. */
  labelColumn: string;
  /** How to read the label column: class labels or a numeric target. Required. */
  task: CsvTask;
  /** Header names of the feature columns, in the order wanted. Default: all but the label. */
  featureColumns?: string[];
  /**
   * Classification only: the class names, fixing their indices (`classes[i]` is class i);
   * any other label in the file is an error. Default: the distinct labels found, indexed
   * as follows: integer labels 0..65535 keep their value as index; other numbers are
   * sorted ascending; text is sorted by UTF-16 code units. {@link CsvDataset.classNames}
   * tells the result.
   */
  classes?: string[];
  /** Field separator, one character. Default ','. */
  delimiter?: string;
}

/** What {@link readCsvDataset} returns: the dataset and the names of its columns and classes. */
export interface CsvDataset {
  /** The rows: inputs [count, features] as Float32; labels [count] or targets [count, 1]. */
  dataset: Dataset;
  /** Header name of each input feature, in input order. */
  featureNames: string[];
  /** Classification only: classNames[i] is the label text of class index i. */
  classNames?: string[];
}

/** Reads a CSV byte stream into a Dataset; see the file header for the contract. */
export async function readCsvDataset(source: ByteSource, options: CsvDatasetOptions): Promise<CsvDataset> {
  checkOptions(options);
  const builder = new CsvDatasetBuilder(options);
  await tokenizeCsv(source, builder, { delimiter: options.delimiter });
  return builder.finish();
}

function checkOptions(options: CsvDatasetOptions): void {
  if (typeof options?.labelColumn !== 'string' || options.labelColumn.trim() === '') {
    throw new TypeError('readCsvDataset: labelColumn must be a non-empty column name');
  }
  if (options.task !== 'classification' && options.task !== 'regression') {
    throw new TypeError(
      `readCsvDataset: task must be 'classification' or 'regression', got ${JSON.stringify(options.task)}`,
    );
  }
  if (options.classes !== undefined && options.task !== 'classification') {
    throw new TypeError("readCsvDataset: classes applies only to task 'classification'");
  }
  if (options.featureColumns !== undefined) {
    const names = options.featureColumns.map((name) => name.trim());
    if (names.length === 0) throw new RangeError('readCsvDataset: featureColumns must not be empty');
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw new RangeError(`readCsvDataset: featureColumns lists '${name}' twice`);
      seen.add(name);
    }
    if (names.includes(options.labelColumn.trim())) {
      throw new RangeError(`readCsvDataset: the label column '${options.labelColumn}' cannot also be a feature column`);
    }
  }
}

// --- building the dataset row by row ------------------------------------------------------

interface ColumnPlan {
  columnNames: string[];
  labelIndex: number;
  featureIndices: number[];
  headerLine: number;
}

/**
 * The header's column names (trimmed) -> their 0-based index, built once in one pass.
 * A name given to two columns is a CsvError naming it and both columns (1-based), since a
 * model trained on such a file could never find its inputs by name again.
 */
export function headerColumnIndex(names: readonly string[], line: number): Map<string, number> {
  const index = new Map<string, number>();
  for (let column = 0; column < names.length; column++) {
    const name = names[column];
    const first = index.get(name);
    if (first !== undefined) {
      throw new CsvError(
        `the header names column ${JSON.stringify(name)} twice (columns ${first + 1} and ${column + 1})`,
        line,
      );
    }
    index.set(name, column);
  }
  return index;
}

/** The first 20 names, joined for an error message, and how many more there are. */
export function columnList(names: readonly string[]): string {
  const shown = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${shown}, ... (${names.length - 20} more)` : shown;
}

/** Finds `name` among the header's columns; throws if it is missing. */
function findColumn(
  columns: Map<string, number>,
  columnNames: string[],
  name: string,
  role: string,
  line: number,
): number {
  const wanted = name.trim();
  const index = columns.get(wanted);
  if (index === undefined) {
    throw new CsvError(
      `${role} '${wanted}' not found in the header; available columns: ${columnList(columnNames)}`,
      line,
    );
  }
  return index;
}

function planColumns(header: string[], options: CsvDatasetOptions, line: number): ColumnPlan {
  const columnNames = header.map((name) => name.trim());
  const columns = headerColumnIndex(columnNames, line);
  const labelIndex = findColumn(columns, columnNames, options.labelColumn, 'label column', line);
  const featureIndices = options.featureColumns
    ? options.featureColumns.map((name) => findColumn(columns, columnNames, name, 'feature column', line))
    : columnNames.map((_, index) => index).filter((index) => index !== labelIndex);
  if (featureIndices.length === 0) {
    throw new CsvError(`no feature columns: the header has only the label column '${columnNames[labelIndex]}'`, line);
  }
  return { columnNames, labelIndex, featureIndices, headerLine: line };
}

/** What a column of the file feeds: a feature slot (>= 0), the label, or nothing. */
const LABEL_COLUMN = -1;
const UNUSED_COLUMN = -2;

/**
 * Builds the dataset field by field as the tokenizer produces them. Feature cells are
 * parsed in place (no string per cell); problems in a row are reported when the row ends,
 * because that is when its line number is known.
 */
class CsvDatasetBuilder implements CsvFieldSink {
  private readonly options: CsvDatasetOptions;
  private plan: ColumnPlan | undefined;
  private headerFields: string[] = [];
  /** Per column of the file: feature slot, LABEL_COLUMN or UNUSED_COLUMN. */
  private roleOfColumn: Int32Array = new Int32Array(0);
  /** Index of the next field within the current row. */
  private column = 0;
  /** The current row's features, in feature order. */
  private rowFeatures: Float64Array = new Float64Array(0);
  private rowLabel = '';
  /** First cell of the current row that is not a number: its column and text. */
  private badCell: { column: number; text: string } | undefined;
  private count = 0;
  private readonly features = growableFloat32Array(1 << 16);
  private readonly classLabels: ClassLabelCollector | undefined;
  private readonly targets: GrowableArray<Float32Array> | undefined;

  constructor(options: CsvDatasetOptions) {
    this.options = options;
    if (options.task === 'classification') this.classLabels = new ClassLabelCollector(options.classes);
    else this.targets = growableFloat32Array();
  }

  field(text: string, start: number, end: number): void {
    const column = this.column++;
    if (!this.plan) {
      this.headerFields.push(text.slice(start, end));
      return;
    }
    if (column >= this.roleOfColumn.length) return; // a ragged row, reported at its end
    const role = this.roleOfColumn[column];
    if (role >= 0) {
      const value = parseDecimalRange(text, start, end);
      if (Number.isNaN(value) && !this.badCell) this.badCell = { column, text: text.slice(start, end) };
      this.rowFeatures[role] = value;
    } else if (role === LABEL_COLUMN) {
      this.rowLabel = text.slice(start, end);
    }
  }

  endRecord(line: number): void {
    const fieldCount = this.column;
    this.column = 0;
    if (!this.plan) {
      this.startColumns(line);
      return;
    }
    const { columnNames, labelIndex } = this.plan;
    if (fieldCount !== columnNames.length) {
      throw new CsvError(`expected ${columnNames.length} fields (as in the header), got ${fieldCount}`, line);
    }
    if (this.badCell) {
      const { column, text } = this.badCell;
      throw new CsvError(`column '${columnNames[column]}' is not a number: ${JSON.stringify(text)}`, line);
    }
    for (let slot = 0; slot < this.rowFeatures.length; slot++) this.features.push(this.rowFeatures[slot]);
    this.addLabel(this.rowLabel, columnNames[labelIndex], line);
    this.count++;
  }

  finish(): CsvDataset {
    if (!this.plan) throw new CsvError('the file is empty: expected a header row', 1);
    if (this.count === 0) throw new CsvError('the file has a header row but no data rows', this.plan.headerLine);
    const { columnNames, featureIndices } = this.plan;
    const featureNames = featureIndices.map((column) => columnNames[column]);
    const inputs = this.features.toArray();
    const dataset: Dataset = { count: this.count, inputSize: featureIndices.length, inputs };
    if (this.classLabels) {
      const { labels, classNames } = this.classLabels.finish();
      dataset.labels = labels;
      return { dataset, featureNames, classNames };
    }
    dataset.targets = this.targets!.toArray();
    dataset.targetSize = 1;
    return { dataset, featureNames };
  }

  /** The header row is complete: decide what each column feeds. */
  private startColumns(line: number): void {
    const plan = planColumns(this.headerFields, this.options, line);
    this.plan = plan;
    this.roleOfColumn = new Int32Array(plan.columnNames.length).fill(UNUSED_COLUMN);
    this.roleOfColumn[plan.labelIndex] = LABEL_COLUMN;
    plan.featureIndices.forEach((column, slot) => (this.roleOfColumn[column] = slot));
    this.rowFeatures = new Float64Array(plan.featureIndices.length);
  }

  private addLabel(text: string, columnName: string, line: number): void {
    if (this.targets) {
      const value = parseDecimalRange(text, 0, text.length);
      if (Number.isNaN(value))
        throw new CsvError(`column '${columnName}' is not a number: ${JSON.stringify(text)}`, line);
      this.targets.push(value);
      return;
    }
    if (text.trim() === '') throw new CsvError(`empty label in column '${columnName}'`, line);
    if (!this.classLabels!.add(text)) {
      throw new CsvError(
        `label ${JSON.stringify(text.trim())} in column '${columnName}' is not one of the given classes: ` +
          this.options.classes!.join(', '),
        line,
      );
    }
  }
}
