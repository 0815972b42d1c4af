/**
 * A CSV larger than memory, through the CLI's streaming path: writes a ~2 GB CSV to /tmp
 * (20 numeric columns and a 0/1 label, written as a stream), trains a 20-32-2 model on it for
 * one epoch with `simdnet train --stream` (a first pass for the statistics, then the epoch),
 * and reports the child's peak RSS (/usr/bin/time -v), wall and CPU time; with --all, also
 * `evaluate --stream` and `predict --stream --out /dev/null` on the same file. The file is
 * deleted at the end unless --keep.
 *
 *   npm run build && node bench/stream-rss.mjs [--gb 2] [--all] [--keep]
 *
 * A measurement script, not a test: it is I/O- and CPU-heavy (minutes).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const FILE = '/tmp/simdnet-stream-rss.csv';
const MODEL = '/tmp/simdnet-stream-rss.simdnet';
const COLUMNS = 20;

const argument = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
};
const flag = (name) => process.argv.includes(`--${name}`);

/** Writes `bytes` of CSV: values from a pool of 4096 decimals, label = (x0 + x1 > 0). */
async function writeCsv(path, bytes) {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 20; // 0..4095
  };
  const values = Array.from({ length: 4096 }, (_, i) => ((i - 2048) / 512 + ((i * 7919) % 1000) / 1e6).toFixed(5));
  const numbers = values.map(Number);
  const out = createWriteStream(path, { highWaterMark: 1 << 22 });
  const header = `${Array.from({ length: COLUMNS }, (_, j) => `x${j}`).join(',')},y\n`;
  out.write(header);
  let written = header.length;
  let rows = 0;
  while (written < bytes) {
    const lines = [];
    for (let r = 0; r < 20000; r++) {
      const cells = new Array(COLUMNS + 1);
      let a = 0;
      for (let j = 0; j < COLUMNS; j++) {
        const k = next();
        cells[j] = values[k];
        if (j < 2) a += numbers[k];
      }
      cells[COLUMNS] = a > 0 ? '1' : '0';
      lines.push(cells.join(','));
    }
    const text = `${lines.join('\n')}\n`;
    written += text.length;
    rows += lines.length;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

/** Runs the CLI under /usr/bin/time -v: wall and CPU (user + system) seconds, peak RSS in MB, stdout. */
function measure(args) {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = (performance.now() - started) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(result.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(result.stderr);
  if (result.status !== 0) throw new Error(`simdnet ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return {
    seconds,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : Number.NaN,
    peakMB: rss ? Number(rss[1]) / 1024 : Number.NaN,
    stdout: result.stdout,
  };
}

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
const gb = Number(argument('gb', '2'));
try {
  let started = performance.now();
  const rows = await writeCsv(FILE, gb * 1e9);
  const size = statSync(FILE).size;
  console.log(
    `wrote ${FILE}: ${(size / 1e9).toFixed(2)} GB, ${rows.toLocaleString('en-US')} rows x ${COLUMNS} features + label in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const trainArgs = [
    'train',
    '--csv',
    FILE,
    '--label',
    'y',
    '--layers',
    '32',
    '--epochs',
    '1',
    '--batch-size',
    '256',
    '--threads',
    '1',
    '--stream',
    '--save',
    MODEL,
    '--json',
    '--quiet',
  ];
  const train = measure(trainArgs);
  const result = JSON.parse(train.stdout);
  console.log(
    `train (stats pass + 1 epoch, 20-32-2, batch 256, 1 thread): ${train.seconds.toFixed(1)} s wall, ${train.cpuSeconds.toFixed(1)} s CPU, peak RSS ${train.peakMB.toFixed(0)} MB; epoch ${result.trainSeconds.toFixed(1)} s, loss ${result.history[0].loss.toFixed(4)}, acc ${(result.history[0].accuracy * 100).toFixed(2)}%`,
  );
  console.log(`  node ${['dist/cli.js', ...trainArgs].join(' ')}`);
  if (flag('all')) {
    started = performance.now();
    const evaluate = measure(['evaluate', MODEL, '--csv', FILE, '--stream', '--json']);
    console.log(
      `evaluate --stream: ${evaluate.seconds.toFixed(1)} s wall, ${evaluate.cpuSeconds.toFixed(1)} s CPU, peak RSS ${evaluate.peakMB.toFixed(0)} MB: ${evaluate.stdout.trim()}`,
    );
    const predict = measure(['predict', MODEL, '--csv', FILE, '--stream', '--out', '/dev/null']);
    console.log(
      `predict --stream --out /dev/null: ${predict.seconds.toFixed(1)} s wall, ${predict.cpuSeconds.toFixed(1)} s CPU, peak RSS ${predict.peakMB.toFixed(0)} MB`,
    );
  }
} finally {
  if (!flag('keep')) rmSync(FILE, { force: true });
  rmSync(MODEL, { force: true });
}
