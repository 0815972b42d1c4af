/**
 * Runs that got clearly less CPU time than their threads could use (another process held
 * a core), and the warning printed and written into RESULTS.md about them.
 */
import os from 'node:os';
import type { Measured } from './types';

/** Runs whose process got clearly less CPU time than its threads could use: the machine was shared. */
export function contended(measured: Measured[]): Measured[] {
  const cores = os.cpus().length;
  return measured.filter((m) => {
    const cpu = m.result.extra?.cpuPerWall;
    return typeof cpu === 'number' && cpu < 0.85 * Math.min(m.result.threads, cores);
  });
}

/** The warning about contended runs (null: none), for the console and RESULTS.md. */
export function contentionWarning(measured: Measured[]): string | null {
  const busy = contended(measured);
  if (busy.length === 0) return null;
  const list = busy
    .map(
      (m) => `${m.label}${m.tableBatch ? ` @${m.tableBatch}` : ''} (${Number(m.result.extra?.cpuPerWall).toFixed(2)})`,
    )
    .join(', ');
  return (
    `WARNING: ${busy.length} of ${measured.length} runs got less than 85% of the CPU time their threads could use ` +
    `(CPU/wall): other processes were running, and these rates are understated: ${list}. Re-run on an idle machine (or with --repeat 3).`
  );
}
