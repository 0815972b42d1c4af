/**
 * A CSV file as a DataSource: read lazily, pass after pass, as batches of rows, so a file
 * larger than memory trains in the memory of one chunk (source.ts). The rules of the text
 * are those of readCsvDataset (csv.ts): a header row, decimal number cells, errors naming
 * the 1-based line. What differs is the labels: a stream cannot see every class before
 * training, so class names come from `classes` (or a first pass, csvStats); without them the
 * label cells must be class indices (0, 1, 2, ...).
 *
 *   csvSource(input, options)   DataSource of { inputs [rows, features], labels | targets }
 *   csvStats(input, options)    one pass: row count, feature names, class names, mean and
 *                               std of every feature (and of a regression target)
 *
 * Web-standard APIs only: `input` is bytes (a ReadableStream, an async iterable of chunks, a
 * Uint8Array), a Blob or File, or a function returning one per pass. File paths: node.ts.
 */
import { ClassLabelCollector } from './class-labels.js';
import { columnList, CsvError, type CsvTask, headerColumnIndex } from './csv.js';
import { type CsvFieldSink, CsvTokenizer } from './csv-records.js';
import { parseDecimal, parseDecimalRange } from './number-text.js';
import type { DataSource, StreamBatch } from './source.js';
import { byteChunks, type ByteSource } from './stream.js';

/** Bytes of a CSV for one pass: a byte source or a Blob / File. */
export type CsvBytes = ByteSource | Blob;

/**
 * What csvSource reads: bytes (re-iterable when a Uint8Array, a Blob or File, or an array of
 * chunks; one pass only when a stream), or a function returning new bytes for every pass.
 */
export type CsvInput = CsvBytes | (() => CsvBytes | Promise<CsvBytes>);

/** How csvSource and csvStats read a CSV file. */
export interface CsvSourceOptions {
  /** Header name of the label (classification) or target (regression) column; omit for inputs only (predict). */
  labelColumn?: string;
  /** 'classification' (labels) or 'regression' (one float target). Default 'classification'. */
  task?: CsvTask;
  /** Header names of the feature columns, in input order. Default: every column but the label and `ignoreColumns`. */
  featureColumns?: readonly string[];
  /** Columns that are neither features nor the label (an id), when featureColumns is not given. */
  ignoreColumns?: readonly string[];
  /**
   * Classification: the class names; a label cell must be one of them (its index is the
   * class). Without them, label cells must be class indices 0, 1, 2, ...
   */
  classes?: readonly string[];
  /** Field separator, one character. Default ','. */
  delimiter?: string;
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

function bytesOf(bytes: CsvBytes): ByteSource {
  return isBlob(bytes) ? bytes.stream() : bytes;
}

function isOneShotBytes(bytes: CsvBytes): boolean {
  if (bytes instanceof Uint8Array || isBlob(bytes) || Array.isArray(bytes)) return false;
  return true;
}

function checkOptions(options: CsvSourceOptions): void {
  const known = ['labelColumn', 'task', 'featureColumns', 'ignoreColumns', 'classes', 'delimiter'];
  for (const key of Object.keys(options ?? {}))
    if (!known.includes(key)) throw new TypeError(`csvSource: unknown option "${key}"; known: ${known.join(', ')}`);
  const task = options.task ?? 'classification';
  if (task !== 'classification' && task !== 'regression')
    throw new TypeError(`csvSource: task must be 'classification' or 'regression', got ${JSON.stringify(task)}`);
  if (
    options.labelColumn !== undefined &&
    (typeof options.labelColumn !== 'string' || options.labelColumn.trim() === '')
  )
    throw new TypeError('csvSource: labelColumn must be a non-empty column name');
  if (options.classes !== undefined && task !== 'classification')
    throw new TypeError("csvSource: classes applies only to task 'classification'");
}

// --- the columns of the header ----------------------------------------------------------

/** What each column of the file feeds, decided from the header. */
interface Columns {
  names: string[];
  featureNames: string[];
  /** Per column: its feature slot (>= 0), LABEL or UNUSED. */
  roles: Int32Array;
  labelName: string | undefined;
  headerLine: number;
}
const LABEL = -1;
const UNUSED = -2;

function planColumns(header: string[], options: CsvSourceOptions, line: number): Columns {
  const names = header.map((name) => name.trim());
  const index = headerColumnIndex(names, line);
  const find = (name: string, role: string) => {
    const column = index.get(name.trim());
    if (column === undefined)
      throw new CsvError(
        `${role} '${name.trim()}' not found in the header; available columns: ${columnList(names)}`,
        line,
      );
    return column;
  };
  const labelIndex = options.labelColumn === undefined ? -1 : find(options.labelColumn, 'label column');
  const ignored = new Set((options.ignoreColumns ?? []).map((name) => name.trim()));
  const features = options.featureColumns
    ? options.featureColumns.map((name) => find(name, 'feature column'))
    : names.map((_, column) => column).filter((column) => column !== labelIndex && !ignored.has(names[column]));
  if (features.length === 0) throw new CsvError('no feature columns in the header', line);
  if (features.includes(labelIndex))
    throw new CsvError(`the label column '${names[labelIndex]}' cannot also be a feature column`, line);
  const roles = new Int32Array(names.length).fill(UNUSED);
  if (labelIndex >= 0) roles[labelIndex] = LABEL;
  features.forEach((column, slot) => (roles[column] = slot));
  return {
    names,
    featureNames: features.map((column) => names[column]),
    roles,
    labelName: labelIndex >= 0 ? names[labelIndex] : undefined,
    headerLine: line,
  };
}

// --- rows, parsed in place ----------------------------------------------------------------

/**
 * Receives the tokenizer's fields: the header plans the columns, then every row's features
 * (f64, rounded to f32 where stored) and label text go to `onRow`, checked at the row's end.
 */
class CsvRowSink implements CsvFieldSink {
  columns: Columns | undefined;
  private headerFields: string[] = [];
  private column = 0;
  readonly row: Float64Array[] = [new Float64Array(0)];
  private label = '';
  private badCell: { column: number; text: string } | undefined;

  constructor(
    private readonly options: CsvSourceOptions,
    private readonly onRow: (features: Float64Array, label: string, line: number) => void,
  ) {}

  field(text: string, start: number, end: number): void {
    const column = this.column++;
    if (!this.columns) {
      this.headerFields.push(text.slice(start, end));
      return;
    }
    const roles = this.columns.roles;
    if (column >= roles.length) return; // a ragged row, reported at its end
    const role = roles[column];
    if (role >= 0) {
      const value = parseDecimalRange(text, start, end);
      if (Number.isNaN(value) && !this.badCell) this.badCell = { column, text: text.slice(start, end) };
      this.row[0][role] = value;
    } else if (role === LABEL) {
      this.label = text.slice(start, end);
    }
  }

  endRecord(line: number): void {
    const fields = this.column;
    this.column = 0;
    if (!this.columns) {
      this.columns = planColumns(this.headerFields, this.options, line);
      this.row[0] = new Float64Array(this.columns.featureNames.length);
      return;
    }
    const { names } = this.columns;
    if (fields !== names.length)
      throw new CsvError(`expected ${names.length} fields (as in the header), got ${fields}`, line);
    if (this.badCell) {
      const { column, text } = this.badCell;
      this.badCell = undefined;
      throw new CsvError(`column '${names[column]}' is not a number: ${JSON.stringify(text)}`, line);
    }
    this.onRow(this.row[0], this.label, line);
  }
}

/** Tokenizes one pass of `bytes` into `sink`, yielding after each chunk of text (and at the end). */
async function* tokenizePass(
  bytes: ByteSource,
  sink: CsvFieldSink,
  delimiter: string | undefined,
): AsyncGenerator<void> {
  const tokenizer = new CsvTokenizer(sink, { delimiter });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of byteChunks(bytes)) {
    tokenizer.write(decoder.decode(chunk, { stream: true }));
    yield;
  }
  tokenizer.write(decoder.decode());
  tokenizer.end();
  yield;
}

/** Label text -> class index: a given class name (or the same number written differently), or an index 0, 1, ... */
function labelIndexer(
  classes: readonly string[] | undefined,
  columnName: () => string,
): (text: string, line: number) => number {
  if (!classes) {
    return (text, line) => {
      const value = parseDecimal(text);
      if (!(Number.isInteger(value) && value >= 0))
        throw new CsvError(
          `label ${JSON.stringify(text.trim())} in column '${columnName()}' is not a class index (0, 1, 2, ...); give the class names (classes, which csvStats finds in a first pass)`,
          line,
        );
      return value;
    };
  }
  const byName = new Map(classes.map((name, index) => [name.trim(), index]));
  const byValue = new Map<number, number>();
  classes.forEach((name, index) => {
    const value = parseDecimal(name);
    if (!Number.isNaN(value) && !byValue.has(value)) byValue.set(value, index);
  });
  return (text, line) => {
    const trimmed = text.trim();
    const index = byName.get(trimmed) ?? byValue.get(parseDecimal(trimmed));
    if (index === undefined)
      throw new CsvError(
        `label ${JSON.stringify(trimmed)} in column '${columnName()}' is not one of the classes: ${columnList(classes)}`,
        line,
      );
    return index;
  };
}

/**
 * A CSV file as a DataSource (see the file header): each item holds the rows completed by one
 * chunk of the file, `{ inputs: Float32Array [rows, features], labels: Int32Array | targets:
 * Float32Array [rows, 1] }` (inputs only without labelColumn).
 */
export function csvSource(input: CsvInput, options: CsvSourceOptions = {}): DataSource {
  checkOptions(options);
  const task = options.task ?? 'classification';
  const oneShot = typeof input !== 'function' && isOneShotBytes(input);
  let passes = 0;
  return {
    kind: 'simdnet.DataSource',
    reiterable: !oneShot,
    async *pass() {
      if (oneShot && passes > 0)
        throw new Error(
          'simdnet: this CSV stream can be read only once; pass a function that opens it again, a Blob, or a file path',
        );
      passes++;
      const bytes = bytesOf(typeof input === 'function' ? await input() : input);
      // The rows completed by the current chunk of text: features [rows, width] and labels or targets [rows].
      let features = new Float32Array(1 << 16);
      let labels = new Float64Array(1 << 12);
      let rows = 0;
      const sink: CsvRowSink = new CsvRowSink(options, (row, label, line) => {
        const width = row.length;
        if ((rows + 1) * width > features.length) {
          const grown = new Float32Array(features.length * 2 + width);
          grown.set(features);
          features = grown;
        }
        features.set(row, rows * width);
        if (hasLabel) {
          if (rows === labels.length) {
            const grown = new Float64Array(labels.length * 2);
            grown.set(labels);
            labels = grown;
          }
          if (task === 'regression') {
            const value = parseDecimal(label);
            if (Number.isNaN(value))
              throw new CsvError(`column '${labelName()}' is not a number: ${JSON.stringify(label)}`, line);
            labels[rows] = value;
          } else {
            if (label.trim() === '') throw new CsvError(`empty label in column '${labelName()}'`, line);
            labels[rows] = indexOf(label, line);
          }
        }
        rows++;
      });
      const labelName = () => sink.columns?.labelName ?? '';
      const hasLabel = options.labelColumn !== undefined;
      const indexOf = labelIndexer(options.classes, labelName);
      for await (const _ of tokenizePass(bytes, sink, options.delimiter)) {
        if (rows === 0) continue;
        const width = sink.columns!.featureNames.length;
        const batch: StreamBatch = { inputs: features.slice(0, rows * width) };
        if (hasLabel) {
          if (task === 'regression') batch.targets = Float32Array.from(labels.subarray(0, rows));
          else batch.labels = Int32Array.from(labels.subarray(0, rows));
        }
        rows = 0;
        yield batch;
      }
      if (!sink.columns) throw new CsvError('the file is empty: expected a header row', 1);
    },
  };
}

// --- a first pass: statistics ----------------------------------------------------------

/** What csvStats finds in one pass. */
export interface CsvStats {
  /** Data rows (the header not counted). */
  count: number;
  /** Header name of each feature, in input order. */
  featureNames: string[];
  /** Classification with a label column: the class names, ordered as readCsvDataset orders them. */
  classNames?: string[];
  /** Per feature: the mean of the values as f32. */
  mean: number[];
  /** Per feature: the population standard deviation of the values as f32. */
  std: number[];
  /** Regression: the target's mean. */
  targetMean?: number;
  /** Regression: the target's population standard deviation. */
  targetStd?: number;
}

/** Running mean and sum of squared deviations (Welford), f64. */
class Moments {
  readonly mean: Float64Array;
  readonly squares: Float64Array;
  count = 0;
  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.squares = new Float64Array(size);
  }
  add(values: ArrayLike<number>): void {
    this.count++;
    for (let j = 0; j < this.mean.length; j++) {
      const delta = values[j] - this.mean[j];
      this.mean[j] += delta / this.count;
      this.squares[j] += delta * (values[j] - this.mean[j]);
    }
  }
  std(): number[] {
    return Array.from(this.squares, (s) => Math.sqrt(s / this.count));
  }
}

/**
 * One pass over a CSV file: its rows, feature names, class names (classification, ordered by
 * the rules of readCsvDataset) and per-feature mean and std, for standardizing a second,
 * training pass. Rows are checked as csvSource checks them (numbers, widths).
 */
export async function csvStats(input: CsvBytes, options: CsvSourceOptions = {}): Promise<CsvStats> {
  checkOptions(options);
  const task = options.task ?? 'classification';
  const distinct = new Set<string>();
  const labelMoments = new Moments(1);
  const single = new Float64Array(1);
  let moments: Moments | undefined;
  const rounded: Float32Array[] = [new Float32Array(0)];
  const sink: CsvRowSink = new CsvRowSink(options, (row, label, line) => {
    if (!moments) {
      moments = new Moments(row.length);
      rounded[0] = new Float32Array(row.length);
    }
    rounded[0].set(row);
    moments.add(rounded[0]);
    if (options.labelColumn === undefined) return;
    if (task === 'regression') {
      single[0] = Math.fround(parseDecimal(label));
      if (Number.isNaN(single[0]))
        throw new CsvError(`column '${sink.columns!.labelName}' is not a number: ${JSON.stringify(label)}`, line);
      labelMoments.add(single);
    } else {
      const trimmed = label.trim();
      if (trimmed === '') throw new CsvError(`empty label in column '${sink.columns!.labelName}'`, line);
      distinct.add(trimmed);
    }
  });
  for await (const _ of tokenizePass(bytesOf(input), sink, options.delimiter)) {
    /* rows are counted as they come */
  }
  if (!sink.columns) throw new CsvError('the file is empty: expected a header row', 1);
  if (!moments) throw new CsvError('the file has a header row but no data rows', sink.columns.headerLine);
  const stats: CsvStats = {
    count: moments.count,
    featureNames: sink.columns.featureNames,
    mean: Array.from(moments.mean),
    std: moments.std(),
  };
  if (options.labelColumn !== undefined && task === 'classification') {
    if (options.classes) {
      stats.classNames = options.classes.map((name) => name.trim());
    } else {
      const collector = new ClassLabelCollector();
      for (const text of distinct) collector.add(text);
      stats.classNames = collector.finish().classNames;
    }
  }
  if (options.labelColumn !== undefined && task === 'regression') {
    stats.targetMean = labelMoments.mean[0];
    stats.targetStd = labelMoments.std()[0];
  }
  return stats;
}
