/**
 * Strict options: every options object the library takes is checked for keys it
 * does not know, before anything is touched. An unknown key is an Error naming it
 * and, when one is close, the key that was probably meant:
 *
 *   simdnet: unknown optimizer option "lr"; did you mean "learningRate"?
 *
 * "Close" is, in order: a known alias (Keras and PyTorch spellings), the same key in
 * camelCase (batch_size → batchSize) or another case, or an edit distance of at most
 * a third of the key's length (transpositions count one edit).
 */

/** Other libraries' names for simdnet's keys (each applies only where its target is a known key). */
const ALIASES: Record<string, string> = {
  lr: 'learningRate',
  eta: 'learningRate',
  learning_rate: 'learningRate',
  rate: 'learningRate',
  decay: 'weightDecay',
  l2: 'weightDecay',
  eps: 'epsilon',
  clipnorm: 'clipNorm',
  clip: 'clipNorm',
  batch: 'batchSize',
  epoch: 'epochs',
  callback: 'callbacks',
  patience_epochs: 'patience',
  min_lr: 'minLearningRate',
  minLr: 'minLearningRate',
  step: 'stepSize',
  inputDim: 'inputSize',
  input_dim: 'inputSize',
  inputShape: 'inputSize',
  input_shape: 'inputSize',
  inputs: 'inputSize',
  layer: 'layers',
  optimiser: 'optimizer',
  activationFunction: 'activation',
  size: 'units',
  neurons: 'units',
  on_epoch_end: 'onEpochEnd',
  on_batch_end: 'onBatchEnd',
  on_train_end: 'onTrainEnd',
  includeOptimizer: 'optimizerState',
  include_optimizer: 'optimizerState',
  withOptimizer: 'optimizerState',
};

/** snake_case and kebab-case to camelCase (batch_size, batch-size → batchSize). */
export const camelCase = (key: string): string => key.replace(/[_-]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/** The known key `key` probably meant, or undefined when none is close. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const alias = ALIASES[key];
  if (alias !== undefined && known.includes(alias)) return alias;
  const camel = camelCase(key);
  if (known.includes(camel)) return camel;
  const lower = camel.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** The message for an unknown key: with "did you mean" when a known key is close, else the known keys. */
export function unknownKeyMessage(what: string, key: string, known: readonly string[], prefix = ''): string {
  const suggestion = closestKey(key, known);
  const hint = suggestion
    ? `did you mean "${prefix}${suggestion}"?`
    : `expected ${known.length === 1 ? '' : 'one of '}${known.map((k) => `${prefix}${k}`).join(', ')}`;
  return `unknown ${what} "${prefix}${key}"; ${hint}`;
}

/**
 * Throws when `options` has an own enumerable key outside `known`: `what` names the
 * object in the message ('optimizer' → `unknown optimizer option "lr"`). Does nothing
 * for undefined, null or non-objects (their own checks report those).
 */
export function checkOptionKeys(options: unknown, known: readonly string[], what: string): void {
  if (typeof options !== 'object' || options === null) return;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`simdnet: ${unknownKeyMessage(`${what} option`, key, known)}`);
  }
}

/**
 * Every key of an options interface, from an object literal naming each one: the
 * compiler rejects a missing or an extra key, so the list cannot drift from the type.
 */
export function keysOf<T>(keys: Record<keyof T, true>): readonly string[] {
  return Object.keys(keys);
}
