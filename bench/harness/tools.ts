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
 * Runs a tool's bundle at `entry` with `--json` and `args`; a failure is added to `skipped`
 * under `id` and logged. Returns the child's outcome and its last JSON line.
 */
async function runTool(
  id: string,
  entry: string,
  args: string[],
  timeoutMs: number,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
) {
  log(`run ${id}`);
  const outcome = await runChild(process.execPath, [entry, '--json', ...args], { ...process.env }, root, timeoutMs);
  if (outcome.error) {
    skipped.push({ id, batch: null, reason: outcome.error });
    log(`  failed: ${outcome.error}`);
  }
  return { outcome, json: lastJsonLine(outcome.stdout) };
}

/**
 * bench/kernels.ts (its bundle at `entry`): prints its table to stderr and one JSON object as
 * the last stdout line (its other stdout lines are kept with the table).
 */
export async function runKernels(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  const args = options.quick ? ['--quick'] : [];
  const { outcome, json } = await runTool('kernels', entry, args, 10 * 60_000, root, skipped, log);
  const stdoutLines = outcome.stdout.trim().split('\n');
  const text = [json ? stdoutLines.slice(0, -1).join('\n') : outcome.stdout, outcome.stderr]
    .map((t) => t.trim())
    .filter(Boolean)
    .join('\n');
  return { stdout: text, json, error: outcome.error };
}

/** A tool that prints its table to stderr and one JSON line on stdout (bench/paired.ts, bench/toolbox-cost.ts). */
async function runTableTool(
  id: string,
  entry: string,
  args: string[],
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  const { outcome, json } = await runTool(id, entry, args, 15 * 60_000, root, skipped, log);
  return { stdout: outcome.stderr.trim(), json, error: outcome.error };
}

/** bench/paired.ts at the options' batch sizes: two contenders in one process, alternating blocks. */
export function runPaired(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  const args = ['--batches', options.batches.join(','), ...(options.quick ? ['--quick'] : [])];
  return runTableTool('paired', entry, args, root, skipped, log);
}

/** bench/toolbox-cost.ts: what the toolbox's layer options cost, as paired ratios against no option. */
export function runToolboxCost(
  entry: string,
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<ToolOutput> {
  const args = options.quick ? ['--rounds', '4', '--block-ms', '100'] : [];
  return runTableTool('toolbox', entry, args, root, skipped, log);
}
