/**
 * Errors the CLI prints as one line (no stack trace) before exiting non-zero:
 *   UsageError  the command line is wrong (bad flag, missing argument, missing file): exit 2
 *   CliError    the input is wrong (bad CSV, corrupt model, mismatched shapes): exit 1
 * Any other error is also printed as one line, with exit 1.
 */
export class UsageError extends Error {}

export class CliError extends Error {}

/** Runs `action`; an error it throws (other than a UsageError) is re-thrown as a CliError whose message starts with `prefix: `. */
export async function withContext<T>(prefix: string, action: () => Promise<T> | T): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = (error instanceof Error ? error.message : String(error)).replace(/^simdnet: /, '');
    throw new CliError(message.startsWith(prefix) ? message : `${prefix}: ${message}`, { cause: error });
  }
}
