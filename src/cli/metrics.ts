/**
 * Metrics the CLI reports beyond the model's own loss/accuracy, and number
 * formatting shared by the commands.
 */

export interface RegressionMetrics {
  /** Mean squared error, in target units squared. */
  mse: number;
  rmse: number;
  /** Mean absolute error, in target units. */
  mae: number;
  /** Coefficient of determination 1 - SS_res / SS_tot (NaN for a constant target). */
  r2: number;
}

/** Metrics over every element of predictions vs targets (both in target units, same length). */
export function regressionMetrics(predictions: Float32Array, targets: Float32Array): RegressionMetrics {
  const n = targets.length;
  let squared = 0;
  let absolute = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += targets[i];
  mean /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const error = predictions[i] - targets[i];
    squared += error * error;
    absolute += Math.abs(error);
    total += (targets[i] - mean) ** 2;
  }
  return {
    mse: squared / n,
    rmse: Math.sqrt(squared / n),
    mae: absolute / n,
    r2: total > 0 ? 1 - squared / total : Number.NaN,
  };
}

export const percent = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

/** A float written with at most `digits` significant digits and no trailing zeros (f32 holds ~7). */
export const shortNumber = (x: number, digits = 7): string => String(Number(x.toPrecision(digits)));

export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Seconds as '43.2s', or '3.1ms' below a tenth of a second. */
export const duration = (seconds: number): string =>
  seconds >= 0.1 ? `${seconds.toFixed(1)}s` : `${(seconds * 1000).toFixed(1)}ms`;
