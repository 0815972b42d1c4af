/**
 * Running the plan: one child at a time; with --repeat, round-robin over the plan, keeping
 * per runner, batch and result index the run with the best training rate.
 */
import path from 'node:path';
import { runChild } from './child';
import type { HarnessOptions } from './options';
import { fmtRate } from './table';
import type { Measured, PlannedRun, Skipped } from './types';

/**
 * Runs every planned run `options.repeat` times and returns the best of each. A run that
 * never succeeded is added to `skipped` with its last failure.
 */
export async function runPlan(
  plan: PlannedRun[],
  options: HarnessOptions,
  root: string,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<Measured[]> {
  const best = new Map<string, Measured>();
  const failures = new Map<string, Skipped>();
  for (let round = 1; round <= options.repeat; round++)
    for (const run of plan) {
      const key = run.key ?? `${run.id}@${run.batch}`;
      log(
        `run ${run.id}${run.cell ? ` [${run.cell.node ? `Node ${run.cell.node}, ` : ''}${run.cell.data}, ${run.cell.model}]` : ''}${run.batch ? ` batch ${run.batch}` : ''}${options.repeat > 1 ? ` (round ${round}/${options.repeat})` : ''}: ${path.basename(run.command)} ${run.args
          .map((a) => path.relative(root, a) || a)
          .map((a) => (a.startsWith('..') ? path.basename(a) : a))
          .join(' ')}`,
      );
      const outcome = await runChild(run.command, run.args, run.env, root, 10 * 60_000);
      if (outcome.error) {
        failures.set(key, { id: run.id, batch: run.batch, reason: outcome.error });
        log(`  failed: ${outcome.error}`);
        continue;
      }
      outcome.results.forEach((result, index) => {
        const label = run.cell
          ? run.id === 'simdnet'
            ? `simdnet ${String(result.extra?.config ?? '?')}`
            : run.label
          : run.id === 'simdnet' && outcome.results.length > 1
            ? `simdnet (${result.backend}, ${result.threads}t)`
            : run.label;
        const candidate: Measured = {
          id: run.id,
          cell: run.cell,
          label,
          tableBatch: run.batch,
          result,
          loadAverageBefore: outcome.loadAverageBefore,
          cpuBusyDuring: outcome.cpuBusyDuring,
          wallSeconds: outcome.seconds,
          rounds: 1,
        };
        const previous = best.get(`${key}#${index}`);
        if (previous) candidate.rounds = previous.rounds + 1;
        if (!previous || result.trainSamplesPerSec > previous.result.trainSamplesPerSec)
          best.set(`${key}#${index}`, candidate);
        else previous.rounds = candidate.rounds;
        const cpu = typeof result.extra?.cpuPerWall === 'number' ? `, CPU/wall ${result.extra.cpuPerWall}` : '';
        log(
          `  train ${fmtRate(result.trainSamplesPerSec)} samples/s, infer ${fmtRate(result.inferSamplesPerSec)} samples/s, peak RSS ${Math.round(result.peakRssMB)} MB (load ${outcome.loadAverageBefore}, busy CPUs ${outcome.cpuBusyDuring ?? '?'}${cpu})`,
        );
      });
    }
  for (const [key, failure] of failures)
    if (![...best.keys()].some((k) => k.startsWith(`${key}#`))) skipped.push(failure);
  return [...best.values()];
}
