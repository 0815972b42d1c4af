/**
 * The one check that a model's numbers are finite: saving, every export and loading
 * refuse parameters (or optimizer moments) that hold NaN or ±Infinity, with an Error
 * naming the buffer, the index and the value.
 */

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFiniteValue(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/**
 * Throws when `values` holds a NaN or ±Infinity: `what` names the buffer (e.g. 'layer 1
 * weights'), `context` the operation refused (e.g. 'save').
 */
export function assertFinite(values: ArrayLike<number>, what: string, context: string): void {
  const bad = firstNonFiniteValue(values);
  if (bad >= 0)
    throw new Error(
      `simdnet: ${context}: ${what} hold ${values[bad]} at index ${bad}; the model has diverged (non-finite weights cannot be saved, exported or loaded)`,
    );
}
