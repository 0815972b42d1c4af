/**
 * Metrics beyond the loss, computed on the host from output rows and target rows as
 * the core leaves them in memory (A of the output layer, T: one-hot rows for labels).
 *
 *   classification (labels, or a softmax / single sigmoid output)
 *     accuracy              correct rows / rows
 *     precision, recall, f1 macro averages over the model's classes of
 *                             precision_c = TP_c / (TP_c + FP_c)
 *                             recall_c    = TP_c / (TP_c + FN_c)
 *                             f1_c        = 2 · precision_c · recall_c / (precision_c + recall_c)
 *                           a 0/0 counts as 0 (scikit-learn's zero_division=0): a class never
 *                           predicted has precision 0, a class absent from the targets recall 0;
 *                           every class of the model enters the average, seen or not
 *     topK (k)              rows whose target unit is among the k largest outputs (ties: lower
 *                           unit first); named `top<k>` in logs ('top5'); needs ≥ 2 outputs
 *   regression (other targets; every output element counts)
 *     mae = mean |a - t|,  rmse = sqrt(mean (a - t)²),  r2 = 1 - SS_res / SS_tot (NaN when SS_tot = 0)
 *
 * The predicted class is the largest output's unit (the first on ties), or for one
 * sigmoid output a ≥ 0.5; the true class is the target row's largest unit (t ≥ 0.5).
 * In fit, training metrics accumulate over each batch's outputs as the batch is trained
 * (so they describe the weights during the epoch, as Keras' do); validation metrics are
 * computed after the epoch. Both read memory the step wrote: no extra forward pass.
 */

/** A metric to compute: a name, or topK with its k ('top5' is { name: 'topK', k: 5 }). */
export type MetricSpec =
  | 'accuracy'
  | 'precision'
  | 'recall'
  | 'f1'
  | 'topK'
  | `top${number}`
  | {
      /** 'topK': a row counts when its class is among the k largest outputs. */
      name: 'topK';
      /** How many of the largest outputs count (≥ 1). */
      k: number;
    }
  | 'mae'
  | 'rmse'
  | 'r2';

/** A metric checked: its kind, the key it gets in logs and results, and k for topK. */
export interface Metric {
  kind: 'accuracy' | 'precision' | 'recall' | 'f1' | 'topK' | 'mae' | 'rmse' | 'r2';
  key: string;
  k: number;
}

const CLASSIFICATION_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'topK'] as const;
const REGRESSION_METRICS = ['mae', 'rmse', 'r2'] as const;
/** topK's k when it is named without one. */
const DEFAULT_TOP_K = 5;

/** Checks a metrics list: known names, a positive integer k; duplicates dropped. */
export function parseMetrics(list: readonly MetricSpec[] | undefined): Metric[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`simdnet: metrics must be an array of metric names, got ${String(list)}`);
  const out: Metric[] = [];
  for (const item of list) {
    let metric: Metric;
    if (typeof item === 'object' && item !== null && item.name === 'topK') {
      const keys = Object.keys(item).filter((key) => key !== 'name' && key !== 'k');
      if (keys.length) throw new Error(`simdnet: unknown topK metric option "${keys[0]}"; expected k`);
      metric = topK(item.k);
    } else if (typeof item === 'string' && /^top\d+$/.test(item)) {
      metric = topK(Number(item.slice(3)));
    } else if (item === 'topK') {
      metric = topK(DEFAULT_TOP_K);
    } else if (
      typeof item === 'string' &&
      ([...CLASSIFICATION_METRICS, ...REGRESSION_METRICS] as readonly string[]).includes(item)
    ) {
      metric = { kind: item as Metric['kind'], key: item, k: 0 };
    } else {
      throw new Error(
        `simdnet: unknown metric ${JSON.stringify(item)}; expected one of accuracy, precision, recall, f1, topK (or top<k>, { name: 'topK', k }), mae, rmse, r2`,
      );
    }
    if (!out.some((m) => m.key === metric.key)) out.push(metric);
  }
  return out;
}

function topK(k: unknown): Metric {
  if (!(typeof k === 'number' && Number.isInteger(k) && k >= 1))
    throw new Error(`simdnet: topK needs k, a positive integer, got ${String(k)}`);
  return { kind: 'topK', key: `top${k}`, k };
}

/** Whether a metric applies to classification. */
export const isClassificationMetric = (metric: Metric): boolean =>
  (CLASSIFICATION_METRICS as readonly string[]).includes(metric.kind);

/** Per-class precision, recall, f1 and support (target rows), in class (output-unit) order. */
export interface PerClassMetrics {
  /** Precision of each class, in class order (0 for a class never predicted). */
  precision: number[];
  /** Recall of each class, in class order (0 for a class absent from the data). */
  recall: number[];
  /** F1 of each class, in class order. */
  f1: number[];
  /** Rows of each class in the data. */
  support: number[];
}

/** Counts for classification metrics over rows of outputs and one-hot (or 0/1) targets. */
export class ClassificationCounts {
  /** confusion[t][p]: rows of true class t predicted as p. */
  readonly confusion: number[][];
  readonly classes: number;
  rows = 0;
  /** Per topK metric's k: rows whose true unit is among the k largest outputs. */
  readonly topHits = new Map<number, number>();

  /** `outputs` per row; `topKs`: the k of each topK metric. */
  constructor(
    readonly outputs: number,
    topKs: readonly number[],
  ) {
    this.classes = outputs === 1 ? 2 : outputs;
    this.confusion = Array.from({ length: this.classes }, () => new Array<number>(this.classes).fill(0));
    for (const k of topKs) {
      if (outputs === 1) throw new Error('simdnet: topK needs a model with at least 2 outputs');
      this.topHits.set(k, 0);
    }
  }

  /** Adds `rows` rows: a [rows, outputs] outputs, t [rows, outputs] targets (row-major, from row 0). */
  add(a: Float32Array, t: Float32Array, rows: number): void {
    const n = this.outputs;
    for (let r = 0; r < rows; r++) {
      const at = r * n;
      let predicted: number;
      let truth: number;
      if (n === 1) {
        predicted = a[at] >= 0.5 ? 1 : 0;
        truth = t[at] >= 0.5 ? 1 : 0;
      } else {
        predicted = argmax(a, at, n);
        truth = argmax(t, at, n);
      }
      this.confusion[truth][predicted]++;
      for (const [k, hits] of this.topHits) if (rankOf(a, at, n, truth) < k) this.topHits.set(k, hits + 1);
    }
    this.rows += rows;
  }

  /** Per-class precision, recall, f1, support (0/0 = 0). */
  perClass(): PerClassMetrics {
    const k = this.classes;
    const result: PerClassMetrics = { precision: [], recall: [], f1: [], support: [] };
    for (let c = 0; c < k; c++) {
      const tp = this.confusion[c][c];
      let predicted = 0;
      let actual = 0;
      for (let o = 0; o < k; o++) {
        predicted += this.confusion[o][c];
        actual += this.confusion[c][o];
      }
      const precision = predicted ? tp / predicted : 0;
      const recall = actual ? tp / actual : 0;
      result.precision.push(precision);
      result.recall.push(recall);
      result.f1.push(precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0);
      result.support.push(actual);
    }
    return result;
  }

  /** The value of one classification metric. */
  value(metric: Metric): number {
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    switch (metric.kind) {
      case 'accuracy': {
        let correct = 0;
        for (let c = 0; c < this.classes; c++) correct += this.confusion[c][c];
        return correct / this.rows;
      }
      case 'precision':
        return mean(this.perClass().precision);
      case 'recall':
        return mean(this.perClass().recall);
      case 'f1':
        return mean(this.perClass().f1);
      case 'topK':
        return (this.topHits.get(metric.k) ?? 0) / this.rows;
      default:
        throw new Error(`simdnet: ${metric.key} is a regression metric`);
    }
  }
}

/** Sums for regression metrics over every output element. */
export class RegressionSums {
  private count = 0;
  private absolute = 0;
  private squared = 0;
  private sum = 0;
  private sumSquares = 0;

  /** Adds `count` elements of outputs a and targets t. */
  add(a: Float32Array, t: Float32Array, count: number): void {
    for (let i = 0; i < count; i++) {
      const error = a[i] - t[i];
      this.absolute += Math.abs(error);
      this.squared += error * error;
      this.sum += t[i];
      this.sumSquares += t[i] * t[i];
    }
    this.count += count;
  }

  /** The value of one regression metric. */
  value(metric: Metric): number {
    const n = this.count;
    switch (metric.kind) {
      case 'mae':
        return this.absolute / n;
      case 'rmse':
        return Math.sqrt(this.squared / n);
      case 'r2': {
        // SS_tot = Σ t² - (Σ t)² / n
        const total = this.sumSquares - (this.sum * this.sum) / n;
        return total > 0 ? 1 - this.squared / total : Number.NaN;
      }
      default:
        throw new Error(`simdnet: ${metric.key} is a classification metric; the data has regression targets`);
    }
  }
}

/** Accumulates the requested metrics over batches of output and target rows. */
export class MetricAccumulator {
  private readonly counts: ClassificationCounts | undefined;
  private readonly sums: RegressionSums | undefined;

  /**
   * `classification`: whether the data is scored as classes (labels, softmax or one sigmoid
   * output); else as regression. Throws for a metric that does not apply.
   */
  constructor(
    readonly metrics: readonly Metric[],
    readonly outputs: number,
    classification: boolean,
    what: string,
  ) {
    for (const metric of metrics) {
      if (isClassificationMetric(metric) !== classification)
        throw new Error(
          `simdnet: metric '${metric.key}' applies to ${classification ? 'regression' : 'classification'}, but ${what} is scored as ${classification ? 'classes' : 'regression targets'}`,
        );
    }
    const topKs = metrics.filter((m) => m.kind === 'topK').map((m) => m.k);
    if (classification) this.counts = new ClassificationCounts(outputs, topKs);
    else this.sums = new RegressionSums();
  }

  /** Adds `rows` rows of outputs a and targets t ([rows, outputs] each, from element 0). */
  add(a: Float32Array, t: Float32Array, rows: number): void {
    if (this.counts) this.counts.add(a, t, rows);
    else this.sums?.add(a, t, rows * this.outputs);
  }

  /** The metrics' values by key ('precision', 'top5', 'mae', ...). */
  values(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const metric of this.metrics) out[metric.key] = (this.counts ?? this.sums)!.value(metric);
    return out;
  }

  /** The classification counts (confusion matrix, per class), when classifying. */
  get classification(): ClassificationCounts | undefined {
    return this.counts;
  }
}

/** Index of the largest of v[at .. at+n) (the first on ties). */
function argmax(v: Float32Array, at: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[at + j] > v[at + best]) best = j;
  return best;
}

/** How many outputs rank before unit u: larger ones, and equal ones at lower units. */
function rankOf(v: Float32Array, at: number, n: number, u: number): number {
  const value = v[at + u];
  let rank = 0;
  for (let j = 0; j < n; j++) if (v[at + j] > value || (v[at + j] === value && j < u)) rank++;
  return rank;
}

/** `key` prefixed for validation logs: 'precision' -> 'valPrecision', 'top5' -> 'valTop5'. */
export const validationKey = (key: string): string => `val${key[0].toUpperCase()}${key.slice(1)}`;
