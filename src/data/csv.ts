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
 * one with a header but no rows. A missing column lists the available ones.
 */

import { ClassLabelCollector } from './class-labels.js';
import { CsvError, tokenizeCsv } from './csv-records.js';
import type { Dataset } from './dataset.js';
import { growableFloat32Array, type GrowableArray } from './growable.js';
import { parseDecimal } from './number-text.js';
import type { ByteSource } from './stream.js';

export { CsvError, CsvTokenizer, readCsvRecords, tokenizeCsv } from './csv-records.js';
export type { CsvRecord, CsvTokenizerOptions } from './csv-records.js';
export type { ByteSource } from './stream.js';

export type CsvTask = 'classification' | 'regression';

export interface CsvDatasetOptions {
  /** Header name of the column holding the class label or the regression target. */
  labelColumn: string;
  task: CsvTask;
  /** Header names of the feature columns, in the order wanted. Default: all but the label. */
  featureColumns?: string[];
  /** Classification only: the class names, fixing their indices; other labels are errors. */
  classes?: string[];
  /** Field separator, one character. Default ','. */
  delimiter?: string;
}

export interface CsvDataset {
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
  await tokenizeCsv(source, (fields, line) => builder.addRecord(fields, line), { delimiter: options.delimiter });
  return builder.finish();
}

function checkOptions(options: CsvDatasetOptions): void {
  if (typeof options?.labelColumn !== 'string' || options.labelColumn.trim() === '') {
    throw new TypeError('readCsvDataset: labelColumn must be a non-empty column name');
  }
  if (options.task !== 'classification' && options.task !== 'regression') {
    throw new TypeError(`readCsvDataset: task must be 'classification' or 'regression', got ${JSON.stringify(options.task)}`);
  }
  if (options.classes !== undefined && options.task !== 'classification') {
    throw new TypeError("readCsvDataset: classes applies only to task 'classification'");
  }
  if (options.featureColumns !== undefined) {
    const names = options.featureColumns.map((name) => name.trim());
    if (names.length === 0) throw new RangeError('readCsvDataset: featureColumns must not be empty');
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new RangeError(`readCsvDataset: featureColumns lists '${duplicate}' twice`);
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

/** Finds `name` among the header's columns; throws if it is missing or appears twice. */
function findColumn(columnNames: string[], name: string, role: string, line: number): number {
  const wanted = name.trim();
  const index = columnNames.indexOf(wanted);
  if (index === -1) {
    throw new CsvError(
      `${role} '${wanted}' not found in the header; available columns: ${columnNames.join(', ')}`,
      line,
    );
  }
  if (columnNames.indexOf(wanted, index + 1) !== -1) {
    throw new CsvError(`${role} '${wanted}' appears more than once in the header`, line);
  }
  return index;
}

function planColumns(header: string[], options: CsvDatasetOptions, line: number): ColumnPlan {
  const columnNames = header.map((name) => name.trim());
  const labelIndex = findColumn(columnNames, options.labelColumn, 'label column', line);
  const featureIndices = options.featureColumns
    ? options.featureColumns.map((name) => findColumn(columnNames, name, 'feature column', line))
    : columnNames.map((_, index) => index).filter((index) => index !== labelIndex);
  if (featureIndices.length === 0) {
    throw new CsvError(`no feature columns: the header has only the label column '${columnNames[labelIndex]}'`, line);
  }
  return { columnNames, labelIndex, featureIndices, headerLine: line };
}

class CsvDatasetBuilder {
  private readonly options: CsvDatasetOptions;
  private plan: ColumnPlan | undefined;
  private count = 0;
  private readonly features = growableFloat32Array(1 << 16);
  private readonly classLabels: ClassLabelCollector | undefined;
  private readonly targets: GrowableArray<Float32Array> | undefined;

  constructor(options: CsvDatasetOptions) {
    this.options = options;
    if (options.task === 'classification') this.classLabels = new ClassLabelCollector(options.classes);
    else this.targets = growableFloat32Array();
  }

  addRecord(fields: string[], line: number): void {
    if (!this.plan) {
      this.plan = planColumns(fields, this.options, line);
      return;
    }
    const { columnNames, labelIndex, featureIndices } = this.plan;
    if (fields.length !== columnNames.length) {
      throw new CsvError(`expected ${columnNames.length} fields (as in the header), got ${fields.length}`, line);
    }
    for (const column of featureIndices) {
      this.features.push(this.parseNumber(fields[column], column, line));
    }
    this.addLabel(fields[labelIndex], labelIndex, line);
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

  private parseNumber(text: string, column: number, line: number): number {
    const value = parseDecimal(text);
    if (Number.isNaN(value)) {
      throw new CsvError(`column '${this.plan!.columnNames[column]}' is not a number: ${JSON.stringify(text)}`, line);
    }
    return value;
  }

  private addLabel(text: string, column: number, line: number): void {
    if (this.targets) {
      this.targets.push(this.parseNumber(text, column, line));
      return;
    }
    const columnName = this.plan!.columnNames[column];
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
