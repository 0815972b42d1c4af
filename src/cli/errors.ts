/** An error the CLI prints as one line (no stack trace) before exiting non-zero. */
export class UsageError extends Error {}
