/**
 * Wide CSV files through the CLI: wall time of `train`, `predict` and `evaluate` on files of
 * 6 rows and 1k, 10k and 100k feature columns (plus a label), each command one child process
 * of the built CLI (dist/cli.js). Parsing, predict and evaluate should grow linearly with the
 * column count: the `per 1k cols` columns should stay roughly flat as the width grows.
 *
 *   npm run build
 *   npx esbuild bench/csv-columns.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/bench/csv-columns.mjs && node build/bench/csv-columns.mjs [--columns 1000,10000,100000]
 *
 * The model is one hidden layer of 4 units, 1 epoch, 1 thread: the time is the CLI's own
 * (reading, checking, standardising, writing), not training. *
 * Measured 2026-12-03 on the 2-core dev machine (shared, Node 20.20.2), seconds:
 *   columns   train  predict  evaluate
 *   100,000    1.79    60.61    151.17   at 0ea1e03 (a name lookup by indexOf per column)
 *     1,000    0.16     0.14      0.13   at edbe821 (one Map from the header)
 *    10,000    0.20     0.15      0.17
 *   100,000    0.46     0.38      0.40
 * 1,000,000    3.00     3.59      4.68
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const ROWS = 6;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

/** A CSV of `rows` rows: columns f0..f{width-1} of small integers, then label y in {a, b}. */
function wideCsv(width: number, rows: number): string {
  const header = [...Array.from({ length: width }, (_, j) => `f${j}`), 'y'].join(',');
  const lines = [header];
  for (let r = 0; r < rows; r++) {
    const cells = Array.from({ length: width }, (_, j) => String((r * 7 + j * 13) % 10));
    lines.push([...cells, r % 2 === 0 ? 'a' : 'b'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI, returns its wall time in seconds; throws with its stderr on failure. */
function time(args: string[], cwd: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`simdnet ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return seconds;
}

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
const widths = argument('columns', '1000,10000,100000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'simdnet-csv-columns-'));
try {
  console.log(`node ${process.version}, ${ROWS} rows, seconds per command (per 1k columns)`);
  console.log('columns   file MB   train            predict          evaluate');
  for (const width of widths) {
    const csv = join(dir, `wide-${width}.csv`);
    const text = wideCsv(width, ROWS);
    writeFileSync(csv, text);
    const model = join(dir, `wide-${width}.sdnt`);
    const train = time(
      [
        'train',
        '--csv',
        csv,
        '--label',
        'y',
        '--layers',
        '4',
        '--epochs',
        '1',
        '--threads',
        '1',
        '--quiet',
        '--save',
        model,
      ],
      dir,
    );
    const predict = time(['predict', model, '--csv', csv], dir);
    const evaluate = time(['evaluate', model, '--csv', csv], dir);
    const cell = (seconds: number) =>
      `${seconds.toFixed(2).padStart(6)} (${((seconds / width) * 1000).toFixed(3)})`.padEnd(17);
    console.log(
      `${String(width).padStart(7)}   ${(text.length / 1e6).toFixed(1).padStart(7)}   ${cell(train)}${cell(predict)}${cell(evaluate)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
