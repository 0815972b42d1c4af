/**
 * The end of a run on the console: the tables, the tools' text, what was skipped, the
 * contention warning; and with --json, the whole run as one JSON object on stdout.
 */
import { contentionWarning } from './contention';
import type { MachineInfo } from './machine';
import type { HarnessOptions } from './options';
import { type TableRow, textTable } from './table';
import type { Measured, Skipped, ToolOutput } from './types';

/** What a finished run reports. */
export interface Report {
  options: HarnessOptions;
  machine: MachineInfo;
  command: string;
  startedAt: Date;
  tables: { batch: number; rows: TableRow[]; ratios: Record<string, { train: number | null; infer: number | null }> }[];
  measured: Measured[];
  skipped: Skipped[];
  kernels: ToolOutput | null;
  paired: ToolOutput | null;
}

/** The tables and notes, one line at a time through `print` (stdout, or stderr with --json). */
export function printSummary(report: Report, print: (s: string) => void): void {
  const { options, machine, startedAt, tables, measured, skipped, kernels, paired } = report;
  const hasSimdnet = measured.some((m) => m.id === 'simdnet');
  print('');
  print(`simdnet benchmark: MNIST MLP 784-128-64-10, Adam 1e-3 (${startedAt.toISOString()})`);
  print(
    `${machine.cpuModel}, ${machine.logicalCores} logical cores, Node ${machine.node}${machine.python ? `, ${machine.python}` : ''}`,
  );
  for (const t of tables) {
    if (t.rows.length === 0) continue;
    print('');
    print(`batch ${t.batch}${hasSimdnet ? '' : ' (no simdnet result: ratios are blank)'}`);
    print(textTable(t.rows));
  }
  if (kernels?.stdout && !options.json) {
    print('');
    print('kernels:');
    print(kernels.stdout);
  }
  if (paired?.stdout && !options.json) {
    print('');
    print(paired.stdout);
  }
  for (const s of skipped) print(`skipped ${s.id}${s.batch ? ` (batch ${s.batch})` : ''}: ${s.reason}`);
  const warning = contentionWarning(measured);
  if (warning) print(warning);
}

/** --json: the whole run as one JSON object (one line, no newline). */
export function jsonSummary(report: Report): string {
  const { options, machine, command, startedAt, tables, measured, skipped, kernels, paired } = report;
  return JSON.stringify({
    date: startedAt.toISOString(),
    command,
    machine,
    options: {
      quick: options.quick,
      batches: options.batches,
      seconds: options.seconds,
      only: options.only ? [...options.only] : null,
    },
    results: measured.map((m) => ({
      id: m.id,
      label: m.label,
      tableBatch: m.tableBatch,
      loadAverageBefore: m.loadAverageBefore,
      cpuBusyDuring: m.cpuBusyDuring,
      ...m.result,
    })),
    ratios: Object.fromEntries(tables.map((t) => [String(t.batch), t.ratios])),
    skipped,
    kernels: kernels
      ? { json: kernels.json, stdout: kernels.json ? undefined : kernels.stdout, error: kernels.error }
      : null,
    paired: paired ? { json: paired.json, error: paired.error } : null,
  });
}
