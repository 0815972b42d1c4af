/**
 * Strict option objects for the interchange readers and writers: a key the function does
 * not know is an Error naming it (a misspelt option must not be ignored silently).
 */

/** Throws unless `options` is undefined or a plain object whose keys are all in `known`. */
export function assertKnownOptions(options: unknown, known: readonly string[], context: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`${context}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${context}: unknown option '${key}'; known options: ${known.join(', ')}`);
    }
  }
}
