/**
 * The results table, per batch size: one row per runner, simdnet's rate over each peer's,
 * as aligned text (the console) or Markdown (RESULTS.md).
 */
import type { Measured } from './types';

/** A rate rounded, with thousands separators. */
export const fmtRate = (x: number): string => Math.round(x).toLocaleString('en-US');
/** A ratio as "2.00x" ("12.3x" from 10 up; "-" when unknown). */
export const fmtRatio = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? '-' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;

/** One row of a results table, every cell formatted. */
export interface TableRow {
  framework: string;
  threads: string;
  batch: string;
  train: string;
  trainRatio: string;
  infer: string;
  inferRatio: string;
  rss: string;
  cpu: string;
  perCpu: string;
  timed: string;
}

/** simdnet's result to divide by: the one with the same thread count, else the first one. */
export function referenceFor(simdnet: Measured[], threads: number): Measured | null {
  return simdnet.find((m) => m.result.threads === threads) ?? simdnet[0] ?? null;
}

/** The table of one batch size (batch-independent runners included), and each peer's simdnet/peer ratios. */
export function rowsForBatch(
  measured: Measured[],
  batch: number,
): { rows: TableRow[]; ratios: Record<string, { train: number | null; infer: number | null }> } {
  const inTable = measured.filter((m) => m.tableBatch === batch || m.tableBatch === null);
  const simdnet = inTable.filter((m) => m.id === 'simdnet');
  const rows: TableRow[] = [];
  const ratios: Record<string, { train: number | null; infer: number | null }> = {};
  for (const m of inTable) {
    const r = m.result;
    const ref = m.id === 'simdnet' ? null : referenceFor(simdnet, r.threads);
    const trainRatio = ref ? ref.result.trainSamplesPerSec / r.trainSamplesPerSec : null;
    const inferRatio = ref ? ref.result.inferSamplesPerSec / r.inferSamplesPerSec : null;
    if (m.id !== 'simdnet') ratios[m.label] = { train: trainRatio, infer: inferRatio };
    rows.push({
      framework: m.label,
      threads: String(r.threads),
      batch: String(r.batchSize),
      train: fmtRate(r.trainSamplesPerSec),
      trainRatio: m.id === 'simdnet' ? 'ref' : fmtRatio(trainRatio),
      infer: fmtRate(r.inferSamplesPerSec),
      inferRatio: m.id === 'simdnet' ? 'ref' : fmtRatio(inferRatio),
      rss: String(Math.round(r.peakRssMB)),
      cpu: typeof r.extra?.cpuPerWall === 'number' ? (r.extra.cpuPerWall as number).toFixed(2) : '-',
      perCpu:
        typeof r.extra?.cpuPerWall === 'number' && (r.extra.cpuPerWall as number) > 0
          ? fmtRate(r.trainSamplesPerSec / (r.extra.cpuPerWall as number))
          : '-',
      timed: `${r.trainSamplesTimed.toLocaleString('en-US')} samples`,
    });
  }
  return { rows, ratios };
}

/** Column headers, in column order. */
export const HEADERS: Record<keyof TableRow, string> = {
  framework: 'framework',
  threads: 'threads',
  batch: 'batch',
  train: 'train samples/s',
  trainRatio: 'simdnet/peer',
  infer: 'infer samples/s (x1000)',
  inferRatio: 'simdnet/peer',
  rss: 'peak RSS MB',
  cpu: 'CPU/wall',
  perCpu: 'train samples/CPU-s',
  timed: 'train timed',
};
/** The numeric columns. */
export const RIGHT_ALIGNED = new Set<keyof TableRow>([
  'threads',
  'batch',
  'train',
  'trainRatio',
  'infer',
  'inferRatio',
  'rss',
  'cpu',
  'perCpu',
  'timed',
]);

/** The table as aligned text (the console). */
export function textTable(rows: TableRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof TableRow)[];
  const widths = keys.map((k) => Math.max(HEADERS[k].length, ...rows.map((r) => r[k].length)));
  const cell = (k: keyof TableRow, s: string, i: number): string =>
    RIGHT_ALIGNED.has(k) ? s.padStart(widths[i]) : s.padEnd(widths[i]);
  const lines = [keys.map((k, i) => cell(k, HEADERS[k], i)).join('  '), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) lines.push(keys.map((k, i) => cell(k, r[k], i)).join('  '));
  return lines.join('\n');
}

/** The table as Markdown (RESULTS.md). */
export function markdownTable(rows: TableRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof TableRow)[];
  const lines = [
    `| ${keys.map((k) => HEADERS[k]).join(' | ')} |`,
    `| ${keys.map((k) => (RIGHT_ALIGNED.has(k) ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const r of rows) lines.push(`| ${keys.map((k) => r[k]).join(' | ')} |`);
  return lines.join('\n');
}
