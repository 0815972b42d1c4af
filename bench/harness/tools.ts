/**
 * The tools run once after the training runs, each with --json: bench/kernels.ts (GEMMs
 * against the arithmetic peak; its table is kept verbatim for RESULTS.md), bench/paired.ts
 * (two contenders in one process, alternating blocks) and bench/toolbox-cost.ts (what the
 * layer options cost).
 */
import { runChild } from './child';
import type { HarnessOptions } from './options';
import type { Skipped, ToolOutput } from './types';

/** The object on the last line of `stdout`, or null when that line is not JSON. */
function lastJsonLine(stdout: string): unknown {
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  try {
    return lastLine.startsWith('{') ? JSON.parse(lastLine) : null;
  } catch {
    return null;
  }
}

/**
 * bench/kernels.ts (its bundle at `entry`): prints its table to stderr and one JSON object as
 * the last stdout line. A failure is added to `skipped` and logged.
 */
export async function runKernels(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  log('run kernels');
  const outcome = await runChild(
    process.execPath,
    [entry, '--json', ...(options.quick ? ['--quick'] : [])],
    { ...process.env },
    root,
    10 * 60_000,
  );
  const json = lastJsonLine(outcome.stdout);
  const stdoutLines = outcome.stdout.trim().split('\n');
  const text = [json ? stdoutLines.slice(0, -1).join('\n') : outcome.stdout, outcome.stderr]
    .map((t) => t.trim())
    .filter(Boolean)
    .join('\n');
  if (outcome.error) {
    skipped.push({ id: 'kernels', batch: null, reason: outcome.error });
    log(`  failed: ${outcome.error}`);
  }
  return { stdout: text, json, error: outcome.error };
}

/**
 * bench/paired.ts (its bundle at `entry`) at the options' batch sizes: text to stderr, one
 * JSON line on stdout. A failure is added to `skipped` and logged.
 */
export async function runPaired(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  log('run paired');
  const outcome = await runChild(
    process.execPath,
    [entry, '--json', '--batches', options.batches.join(','), ...(options.quick ? ['--quick'] : [])],
    { ...process.env },
    root,
    15 * 60_000,
  );
  if (outcome.error) {
    skipped.push({ id: 'paired', batch: null, reason: outcome.error });
    log(`  failed: ${outcome.error}`);
  }
  return { stdout: outcome.stderr.trim(), json: lastJsonLine(outcome.stdout), error: outcome.error };
}

/**
 * bench/toolbox-cost.ts (its bundle at `entry`): what the toolbox's layer options cost in
 * training time, as paired ratios against no option; its table (stderr) is kept verbatim.
 */
export async function runToolboxCost(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  log('run toolbox-cost');
  const outcome = await runChild(
    process.execPath,
    [entry, '--json', ...(options.quick ? ['--rounds', '4', '--block-ms', '100'] : [])],
    { ...process.env },
    root,
    15 * 60_000,
  );
  if (outcome.error) {
    skipped.push({ id: 'toolbox', batch: null, reason: outcome.error });
    log(`  failed: ${outcome.error}`);
  }
  return { stdout: outcome.stderr.trim(), json: lastJsonLine(outcome.stdout), error: outcome.error };
}
