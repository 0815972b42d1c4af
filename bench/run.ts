/**
 * The benchmark harness behind `npm run bench`: trains the same MNIST MLP (784-128-64-10, ReLU,
 * softmax + cross-entropy, Adam 1e-3) on the same data with simdnet and with its peers, each in
 * its OWN child process (so each peak RSS is that framework's own), one after the other (never
 * two at once on this 2-core machine), for each batch size, then prints a table of
 * samples/second with simdnet/peer ratios and writes bench/RESULTS.md.
 *
 *   npx esbuild bench/run.ts --bundle --platform=node --format=esm --packages=external \
 *       --outfile=build/bench/run.mjs && node build/bench/run.mjs [flags]
 *
 *   --quick            shorter timings (smoke test; numbers are noisier)
 *   --only a,b         run only these runners: simdnet, tfjs-wasm, tfjs-cpu, brain-sgd, brain-adam,
 *                      torch-1t, torch-2t, kernels, paired; groups tfjs, brain, torch also work.
 *                      simdnet runs whenever it is built, as the numerator of every ratio.
 *   --batch 64,256     training batch sizes (default 64,256)
 *   --seconds S        timed seconds per training measurement (default 5, --quick 1.5)
 *   --repeat N         run the whole plan N times, round-robin, and keep each runner's run with the
 *                      highest training rate (for a shared, noisy machine; default 1)
 *   --json             print the table to stderr and one JSON object as the last stdout line
 *   --no-write         do not write bench/RESULTS.md
 *
 * After the table: bench/kernels.ts (GEMMs against the arithmetic peak) and bench/paired.ts
 * (2 threads against 1, and simdnet's inference against tfjs-wasm's, in one process in
 * alternating blocks: ratios that this VM's swings in speed do not move).
 *
 * The harness bundles the TypeScript runners itself with esbuild (bench/simdnet.ts,
 * bench/kernels.ts, bench/paired.ts, bench/peers/*.ts -> build/bench/*.mjs, packages left external so tfjs finds
 * its .wasm files in node_modules). A runner that is missing or fails to build or run is
 * skipped with the reason printed; so is the PyTorch column when no python3 with torch exists.
 * The runner contract (flags in, one JSON line out) is in bench/common.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { mnistDataDir, packageVersion, type RunnerResult } from './common';

// ---------------------------------------------------------------------------------------------
// Flags

interface HarnessOptions {
  quick: boolean;
  only: Set<string> | null;
  batches: number[];
  seconds: number;
  json: boolean;
  write: boolean;
  repeat: number;
}

const USAGE = `node build/bench/run.mjs [--quick] [--only ids] [--batch 64,256] [--seconds S] [--repeat N] [--json] [--no-write]
  runner ids: simdnet, tfjs-wasm, tfjs-cpu, brain-sgd, brain-adam, torch-1t, torch-2t, kernels, paired
  (groups: tfjs, brain, torch); simdnet always runs when bench/simdnet.ts builds.
`;

const RUNNER_IDS = [
  'simdnet',
  'tfjs-wasm',
  'tfjs-cpu',
  'brain-sgd',
  'brain-adam',
  'torch-1t',
  'torch-2t',
  'kernels',
  'paired',
];
const GROUPS: Record<string, string[]> = {
  tfjs: ['tfjs-wasm', 'tfjs-cpu'],
  brain: ['brain-sgd', 'brain-adam'],
  'brain.js': ['brain-sgd', 'brain-adam'],
  torch: ['torch-1t', 'torch-2t'],
  pytorch: ['torch-1t', 'torch-2t'],
};

function parseHarnessArgs(argv: string[]): HarnessOptions {
  const options: HarnessOptions = {
    quick: false,
    only: null,
    batches: [64, 256],
    seconds: NaN,
    json: false,
    write: true,
    repeat: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--json':
        options.json = true;
        break;
      case '--no-write':
        options.write = false;
        break;
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        options.only = new Set();
        for (const name of names) {
          const ids = GROUPS[name] ?? (RUNNER_IDS.includes(name) ? [name] : null);
          if (!ids)
            throw new Error(
              `--only: unknown runner ${name} (known: ${[...RUNNER_IDS, ...Object.keys(GROUPS)].join(', ')})`,
            );
          for (const id of ids) options.only.add(id);
        }
        break;
      }
      case '--batch':
        options.batches = value()
          .split(',')
          .map((s) => {
            const n = Number(s);
            if (!Number.isInteger(n) || n < 1) throw new Error(`--batch: bad batch size ${s}`);
            return n;
          });
        break;
      case '--seconds':
        options.seconds = Number(value());
        if (!(options.seconds > 0)) throw new Error('--seconds needs a positive number');
        break;
      case '--repeat':
        options.repeat = Number(value());
        if (!Number.isInteger(options.repeat) || options.repeat < 1)
          throw new Error('--repeat needs a positive integer');
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${argv[i]} (see the header of bench/run.ts)`);
    }
  }
  if (Number.isNaN(options.seconds)) options.seconds = options.quick ? 1.5 : 5;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Paths and building

/** The repository root: build/bench/run.mjs -> ../.., checked by looking for bench/run.ts. */
function findRepoRoot(): string {
  const fromBundle = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (existsSync(path.join(fromBundle, 'bench', 'run.ts'))) return fromBundle;
  if (existsSync(path.join(process.cwd(), 'bench', 'run.ts'))) return process.cwd();
  throw new Error('cannot find the repository root (bench/run.ts); run from the repository root');
}

/** Bundles bench/<entry>.ts to build/bench/<entry>.mjs; returns an error message or null. */
async function bundle(root: string, entry: string): Promise<string | null> {
  try {
    await build({
      entryPoints: [path.join(root, 'bench', `${entry}.ts`)],
      outfile: path.join(root, 'build', 'bench', `${entry}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return null;
  } catch (error) {
    const messages = (error as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    if (messages?.length) {
      return messages
        .slice(0, 3)
        .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
        .join('; ');
    }
    return String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Machine description

interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  memoryGiB: number;
  os: string;
  node: string;
  python: string | null;
}

function describeMachine(python: PythonInfo | null): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? '?';
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
    const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
    const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
    if (model) cpuModel = `${model.trim()}${simd.length ? ` (${simd.join(', ')})` : ''}`;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    logicalCores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: python ? `${python.executable} (Python ${python.version}, torch ${python.torch})` : null,
  };
}

/** Average number of busy logical CPUs between two /proc/stat samples (all processes). */
function cpuSample(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function loadAverage1m(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}

// ---------------------------------------------------------------------------------------------
// Python + torch discovery

interface PythonInfo {
  executable: string;
  version: string;
  torch: string;
  env: NodeJS.ProcessEnv;
  ldLibraryPath: string | null;
}

/** Debian's OpenBLAS (OpenMP build) folder, if installed: torch's generic libblas.so.3 resolves to it. */
function openblasOpenmpDir(): string | null {
  try {
    for (const dir of readdirSync('/usr/lib')) {
      const candidate = path.join('/usr/lib', dir, 'openblas-openmp');
      if (dir.endsWith('-linux-gnu') && existsSync(path.join(candidate, 'libblas.so.3'))) return candidate;
    }
  } catch {
    // no /usr/lib
  }
  return null;
}

function findPythonWithTorch(): { python: PythonInfo | null; reason: string } {
  const candidates = [process.env.SIMDNET_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  const blasDir = openblasOpenmpDir();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (blasDir) env.LD_LIBRARY_PATH = [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const tried: string[] = [];
  for (const executable of [...new Set(candidates)]) {
    const probe = spawnSync(
      executable,
      [
        '-c',
        'import sys, torch, numpy; print(sys.executable, ".".join(map(str, sys.version_info[:3])), torch.__version__)',
      ],
      { env, encoding: 'utf8', timeout: 60_000 },
    );
    if (probe.status === 0) {
      const [exe, version, torchVersion] = probe.stdout.trim().split(/\s+/);
      return {
        python: { executable: exe || executable, version, torch: torchVersion, env, ldLibraryPath: blasDir },
        reason: '',
      };
    }
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    tried.push(`${executable}: ${why}`);
  }
  return {
    python: null,
    reason: `no python3 with torch and numpy (${tried.join('; ')}); on Debian: apt-get install python3-torch libopenblas0-openmp`,
  };
}

// ---------------------------------------------------------------------------------------------
// Running one child

interface ChildOutcome {
  results: RunnerResult[];
  stdout: string;
  stderr: string;
  error: string | null;
  seconds: number;
  loadAverageBefore: number;
  /** Average busy logical CPUs over the child's run, all processes on the machine included. */
  cpuBusyDuring: number | null;
}

function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const loadAverageBefore = loadAverage1m();
    const cpuBefore = cpuSample();
    const start = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const cpuAfter = cpuSample();
      const cpuBusyDuring =
        cpuBefore && cpuAfter && cpuAfter.total > cpuBefore.total
          ? Math.round(
              ((cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total)) * os.cpus().length * 100,
            ) / 100
          : null;
      const results: RunnerResult[] = [];
      for (const line of stdout.split('\n')) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(trimmed) as RunnerResult;
          if (typeof parsed.trainSamplesPerSec === 'number') results.push(parsed);
        } catch {
          // a banner that happens to start with "{": ignore
        }
      }
      let error: string | null = null;
      if (spawnError) error = spawnError.message;
      else if (signal) error = `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs / 1000} s?)` : ''}`;
      else if (code !== 0) error = `exit ${code}: ${lastLines(stderr || stdout, 3)}`;
      else if (results.length === 0 && !args.some((a) => a.endsWith('kernels.mjs') || a.endsWith('paired.mjs')))
        error = `no result line: ${lastLines(stdout + stderr, 3)}`;
      resolve({
        results,
        stdout,
        stderr,
        error,
        seconds: (performance.now() - start) / 1000,
        loadAverageBefore,
        cpuBusyDuring,
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Runs whose process got clearly less CPU time than its threads could use: the machine was shared. */
function contended(measured: Measured[]): Measured[] {
  const cores = os.cpus().length;
  return measured.filter((m) => {
    const cpu = m.result.extra?.cpuPerWall;
    return typeof cpu === 'number' && cpu < 0.85 * Math.min(m.result.threads, cores);
  });
}

function contentionWarning(measured: Measured[]): string | null {
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

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 600);
}

// ---------------------------------------------------------------------------------------------
// The plan

interface PlannedRun {
  id: string;
  label: string;
  /** null: batch-independent (brain.js trains per sample); run once, shown in every table. */
  batch: number | null;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

interface Measured {
  id: string;
  label: string;
  /** Batch size of the table this belongs to (null for batch-independent runners). */
  tableBatch: number | null;
  result: RunnerResult;
  loadAverageBefore: number;
  cpuBusyDuring: number | null;
  wallSeconds: number;
  /** Successful runs this result was the best of (--repeat). */
  rounds: number;
}

interface Skipped {
  id: string;
  batch: number | null;
  reason: string;
}

function timingArgs(options: HarnessOptions, batch: number): string[] {
  return [
    '--batch',
    String(batch),
    '--warmup',
    String(options.quick ? 5 : 20),
    '--seconds',
    String(options.seconds),
    '--infer-batch',
    '1000',
    '--infer-seconds',
    String(options.quick ? 0.5 : 2),
  ];
}

// ---------------------------------------------------------------------------------------------
// Output

const fmtRate = (x: number): string => Math.round(x).toLocaleString('en-US');
const fmtRatio = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? '-' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;

interface TableRow {
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
function referenceFor(simdnet: Measured[], threads: number): Measured | null {
  return simdnet.find((m) => m.result.threads === threads) ?? simdnet[0] ?? null;
}

function rowsForBatch(
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

const HEADERS: Record<keyof TableRow, string> = {
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
const RIGHT_ALIGNED = new Set<keyof TableRow>([
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

function textTable(rows: TableRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof TableRow)[];
  const widths = keys.map((k) => Math.max(HEADERS[k].length, ...rows.map((r) => r[k].length)));
  const cell = (k: keyof TableRow, s: string, i: number): string =>
    RIGHT_ALIGNED.has(k) ? s.padStart(widths[i]) : s.padEnd(widths[i]);
  const lines = [keys.map((k, i) => cell(k, HEADERS[k], i)).join('  '), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) lines.push(keys.map((k, i) => cell(k, r[k], i)).join('  '));
  return lines.join('\n');
}

function markdownTable(rows: TableRow[]): string {
  const keys = Object.keys(HEADERS) as (keyof TableRow)[];
  const lines = [
    `| ${keys.map((k) => HEADERS[k]).join(' | ')} |`,
    `| ${keys.map((k) => (RIGHT_ALIGNED.has(k) ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const r of rows) lines.push(`| ${keys.map((k) => r[k]).join(' | ')} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const options = parseHarnessArgs(process.argv.slice(2));
  const root = findRepoRoot();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const print = options.json ? log : (s: string): void => void process.stdout.write(`${s}\n`);
  const wanted = (id: string): boolean => id === 'simdnet' || !options.only || options.only.has(id);
  const startedAt = new Date();
  const skipped: Skipped[] = [];

  // --- build the TypeScript runners
  const nodeEntries: Record<string, string> = {};
  for (const [id, entry] of [
    ['simdnet', 'simdnet'],
    ['kernels', 'kernels'],
    ['paired', 'paired'],
    ['tfjs', 'peers/tfjs'],
    ['brain', 'peers/brain'],
  ] as const) {
    const needed =
      id === 'tfjs'
        ? wanted('tfjs-wasm') || wanted('tfjs-cpu')
        : id === 'brain'
          ? wanted('brain-sgd') || wanted('brain-adam')
          : wanted(id);
    if (!needed) continue;
    if (!existsSync(path.join(root, 'bench', `${entry}.ts`))) {
      skipped.push({ id, batch: null, reason: `bench/${entry}.ts does not exist yet` });
      log(`skip ${id}: bench/${entry}.ts does not exist yet`);
      continue;
    }
    const error = await bundle(root, entry);
    if (error) {
      skipped.push({ id, batch: null, reason: `build failed: ${error}` });
      log(`skip ${id}: build of bench/${entry}.ts failed: ${error}`);
      continue;
    }
    nodeEntries[id] = path.join(root, 'build', 'bench', `${entry}.mjs`);
  }

  // --- python + torch
  let python: PythonInfo | null = null;
  if (wanted('torch-1t') || wanted('torch-2t')) {
    const found = findPythonWithTorch();
    python = found.python;
    if (!python) {
      skipped.push({ id: 'torch', batch: null, reason: found.reason });
      log(`skip PyTorch: ${found.reason}`);
    }
  }

  // --- plan: per batch size simdnet, then each peer; brain.js once
  const node = process.execPath;
  const plan: PlannedRun[] = [];
  const nodeEnv = { ...process.env };
  for (const batch of options.batches) {
    const timing = timingArgs(options, batch);
    if (nodeEntries.simdnet)
      plan.push({
        id: 'simdnet',
        label: 'simdnet',
        batch,
        command: node,
        args: [nodeEntries.simdnet, ...timing],
        env: nodeEnv,
      });
    if (nodeEntries.tfjs && wanted('tfjs-wasm'))
      plan.push({
        id: 'tfjs-wasm',
        label: 'tfjs (wasm backend)',
        batch,
        command: node,
        args: [nodeEntries.tfjs, ...timing, '--backend', 'wasm'],
        env: nodeEnv,
      });
    if (nodeEntries.tfjs && wanted('tfjs-cpu'))
      plan.push({
        id: 'tfjs-cpu',
        label: 'tfjs (cpu backend)',
        batch,
        command: node,
        args: [nodeEntries.tfjs, ...timing, '--backend', 'cpu'],
        env: nodeEnv,
      });
    if (python) {
      const mnist = mnistDataDir();
      const script = path.join(root, 'bench', 'peers', 'torch_mlp.py');
      for (const threads of [1, 2]) {
        if (!wanted(`torch-${threads}t`)) continue;
        plan.push({
          id: `torch-${threads}t`,
          label: `PyTorch (${threads} thread${threads > 1 ? 's' : ''})`,
          batch,
          command: python.executable,
          args: [script, ...timing, '--threads', String(threads), '--mnist-dir', mnist],
          env: python.env,
        });
      }
    }
  }
  if (nodeEntries.brain) {
    const timing = timingArgs(options, 1);
    // Per-sample training: a fixed sample count (brain.js's Adam is ~10x slower than its SGD).
    if (wanted('brain-sgd'))
      plan.push({
        id: 'brain-sgd',
        label: 'brain.js (SGD+momentum, per sample)',
        batch: null,
        command: node,
        args: [
          nodeEntries.brain,
          ...timing,
          '--praxis',
          'sgd',
          '--samples',
          options.quick ? '300' : '2000',
          '--passes',
          options.quick ? '1' : '2',
        ],
        env: nodeEnv,
      });
    if (wanted('brain-adam'))
      plan.push({
        id: 'brain-adam',
        label: 'brain.js (Adam, per sample)',
        batch: null,
        command: node,
        args: [
          nodeEntries.brain,
          ...timing,
          '--praxis',
          'adam',
          '--samples',
          options.quick ? '100' : '300',
          '--passes',
          options.quick ? '1' : '2',
        ],
        env: nodeEnv,
      });
  }

  // --- run, one child at a time; with --repeat, round-robin over the plan, keeping per runner,
  //     batch and result index the run with the best training rate
  const best = new Map<string, Measured>();
  const failures = new Map<string, Skipped>();
  for (let round = 1; round <= options.repeat; round++)
    for (const run of plan) {
      const key = `${run.id}@${run.batch}`;
      log(
        `run ${run.id}${run.batch ? ` batch ${run.batch}` : ''}${options.repeat > 1 ? ` (round ${round}/${options.repeat})` : ''}: ${path.basename(run.command)} ${run.args
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
        const label =
          run.id === 'simdnet' && outcome.results.length > 1
            ? `simdnet (${result.backend}, ${result.threads}t)`
            : run.label;
        const candidate: Measured = {
          id: run.id,
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
  const measured = [...best.values()];
  for (const [key, failure] of failures)
    if (![...best.keys()].some((k) => k.startsWith(`${key}#`))) skipped.push(failure);

  // --- kernels (bench/kernels.ts): run with --json, which prints its table to stderr and one
  //     JSON object as the last stdout line; the table is kept verbatim for RESULTS.md.
  let kernels: { stdout: string; json: unknown; error: string | null } | null = null;
  if (nodeEntries.kernels) {
    log('run kernels');
    const outcome = await runChild(
      node,
      [nodeEntries.kernels, '--json', ...(options.quick ? ['--quick'] : [])],
      nodeEnv,
      root,
      10 * 60_000,
    );
    const stdoutLines = outcome.stdout.trim().split('\n');
    const lastLine = stdoutLines[stdoutLines.length - 1] ?? '';
    let json: unknown = null;
    try {
      json = lastLine.startsWith('{') ? JSON.parse(lastLine) : null;
    } catch {
      json = null;
    }
    const text = [json ? stdoutLines.slice(0, -1).join('\n') : outcome.stdout, outcome.stderr]
      .map((t) => t.trim())
      .filter(Boolean)
      .join('\n');
    kernels = { stdout: text, json, error: outcome.error };
    if (outcome.error) {
      skipped.push({ id: 'kernels', batch: null, reason: outcome.error });
      log(`  failed: ${outcome.error}`);
    }
  }

  // --- paired comparisons (bench/paired.ts): text to stderr, one JSON line on stdout
  let paired: { stdout: string; json: unknown; error: string | null } | null = null;
  if (nodeEntries.paired) {
    log('run paired');
    const batches = options.batches.join(',');
    const outcome = await runChild(
      node,
      [nodeEntries.paired, '--json', '--batches', batches, ...(options.quick ? ['--quick'] : [])],
      nodeEnv,
      root,
      15 * 60_000,
    );
    const lastLine = outcome.stdout.trim().split('\n').pop() ?? '';
    let json: unknown = null;
    try {
      json = lastLine.startsWith('{') ? JSON.parse(lastLine) : null;
    } catch {
      json = null;
    }
    paired = { stdout: outcome.stderr.trim(), json, error: outcome.error };
    if (outcome.error) {
      skipped.push({ id: 'paired', batch: null, reason: outcome.error });
      log(`  failed: ${outcome.error}`);
    }
  }

  // --- report
  const machine = describeMachine(python);
  const command = `node ${path.relative(root, fileURLToPath(import.meta.url))}${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const tables = options.batches.map((batch) => ({ batch, ...rowsForBatch(measured, batch) }));
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

  if (options.write) {
    const file = path.join(root, 'bench', 'RESULTS.md');
    writeFileSync(
      file,
      resultsMarkdown({ options, machine, python, command, startedAt, tables, measured, skipped, kernels, paired }),
    );
    log(`wrote ${path.relative(root, file)}`);
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
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
      })}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// bench/RESULTS.md

function resultsMarkdown(report: {
  options: HarnessOptions;
  machine: MachineInfo;
  python: PythonInfo | null;
  command: string;
  startedAt: Date;
  tables: { batch: number; rows: TableRow[] }[];
  measured: Measured[];
  skipped: Skipped[];
  kernels: { stdout: string; json: unknown; error: string | null } | null;
  paired: { stdout: string; json: unknown; error: string | null } | null;
}): string {
  const { options, machine, python, command, startedAt, tables, measured, skipped, kernels, paired } = report;
  const versions: Record<string, string> = {
    node: process.versions.node,
    simdnet: readPackageVersion(findRepoRoot()),
    '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
    '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-backend-cpu': packageVersion('@tensorflow/tfjs-backend-cpu'),
    'brain.js': packageVersion('brain.js'),
    esbuild: packageVersion('esbuild'),
  };
  const torchResult = measured.find((m) => m.result.name === 'pytorch')?.result;
  if (torchResult)
    for (const [k, v] of Object.entries(torchResult.versions))
      versions[k === 'blas' ? 'BLAS (mapped by torch)' : k] = v;

  const out: string[] = [];
  out.push('# simdnet benchmark results', '');
  out.push('Generated by `npm run bench` (bench/run.ts); do not edit by hand, re-run it.', '');
  out.push(`- date: ${startedAt.toISOString()}`);
  out.push(`- command: \`${command}\``);
  out.push(
    `- machine: ${machine.cpuModel}; ${machine.logicalCores} logical cores; ${machine.memoryGiB} GiB; ${machine.os}`,
  );
  out.push(
    `- versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (python)
    out.push(
      `- PyTorch: ${python.executable}, LD_LIBRARY_PATH=${python.ldLibraryPath ?? '(unchanged: no openblas-openmp folder found)'}`,
    );
  if (options.repeat > 1)
    out.push(
      `- repeats: the whole plan ran ${options.repeat} times round-robin; each row is the run with the highest training rate`,
    );
  out.push(
    `- timing: ${options.quick ? '--quick: ' : ''}${options.quick ? 5 : 20} warm-up batches, then each training measurement timed for ${options.seconds} s ` +
      `(the loop stops at the first batch that ends after ${options.seconds} s); inference timed for ${options.quick ? 0.5 : 2} s (at least 3 calls) after 2 warm-up calls; ` +
      `brain.js: a fixed number of samples (see its notes)`,
  );
  const warning = contentionWarning(measured);
  if (warning) out.push('', `**${warning}**`);
  out.push('');
  out.push('The model: 784-128-64-10 MLP, ReLU hidden layers, softmax output with categorical cross-entropy, ');
  out.push('Adam (lr 1e-3, beta 0.9/0.999; eps 1e-7 in tfjs, 1e-8 in PyTorch and brain.js), MNIST training images ');
  out.push(
    'scaled to [0,1] float32, batches in file order. Every framework runs in its own child process, one at a time.',
    '',
  );

  for (const t of tables) {
    if (t.rows.length === 0) continue;
    out.push(`## Batch ${t.batch}`, '');
    if (!measured.some((m) => m.id === 'simdnet'))
      out.push('No simdnet result in this run (see Skipped): the ratio columns are blank.', '');
    out.push(markdownTable(t.rows), '');
  }

  out.push('## What the columns mean', '');
  out.push(
    '- **train samples/s**: training samples per second in steady state: forward, loss, backward and the optimizer ',
  );
  out.push(
    '  update, after the warm-up batches, over the timed window (`train timed` samples). Each step has finished ',
  );
  out.push('  (the loss is read back) before the next starts.');
  out.push(
    '- **infer samples/s (x1000)**: forward passes per second when predicting 1000 MNIST test images per call, from ',
  );
  out.push(
    '  a Float32Array in host memory to probabilities read back into host memory (simdnet and tfjs copy the inputs in ',
  );
  out.push(
    '  on every call; PyTorch wraps the NumPy array without a copy; brain.js: 1000 single-sample `run()` calls, it has ',
  );
  out.push('  no batched inference).');
  out.push(
    "- **simdnet/peer**: simdnet's rate at the same batch size (same thread count when simdnet reports several) divided ",
  );
  out.push("  by the peer's: 2.00x means simdnet is twice as fast.");
  out.push(
    "- **peak RSS MB**: the child process's peak resident set size (VmHWM, MiB), including the runtime, the framework ",
  );
  out.push(
    '  and the data it holds: each peer runner keeps all 60,000 training images as float32 (188 MB) while it builds its ',
  );
  out.push('  batches (brain.js: only its training subset, as JS arrays).');
  out.push('- **CPU/wall**: CPU seconds the process used per wall-clock second during the timed training window (all ');
  out.push('  its threads). About 1.00 for a single-threaded runner on an idle machine, up to its thread count for a ');
  out.push(
    '  multi-threaded one; clearly less means other processes took CPU time from it and its rate is understated.',
  );
  out.push('- **train samples/CPU-s**: training samples per CPU-second of the process (train samples/s divided by ');
  out.push(
    '  CPU/wall). For a single-threaded runner on a busy machine this estimates its idle-machine rate (it ignores ',
  );
  out.push(
    '  cache and memory-bandwidth interference); for multi-threaded runners it also counts time spent waiting in ',
  );
  out.push('  thread barriers, so it is not a speed.');
  out.push('- **threads**: compute threads the framework may use (tfjs wasm has no threads under Node; PyTorch via ');
  out.push('  `torch.set_num_threads`).', '');

  out.push('## Per-run notes', '');
  for (const m of measured) {
    const where = m.tableBatch === null ? 'all batches' : `batch ${m.tableBatch}`;
    out.push(
      `- **${m.label}**, ${where}: ${m.result.notes}${m.rounds > 1 ? `; best of ${m.rounds} runs` : ''} (machine load before: ${m.loadAverageBefore}; busy CPUs during the run, all processes: ${m.cpuBusyDuring ?? '?'}` +
        ` of ${machine.logicalCores}; wall ${m.wallSeconds.toFixed(1)} s)`,
    );
  }
  out.push('');
  out.push(
    'A "busy CPUs" figure well above the runner\'s own thread count means other work shared the machine during that ',
  );
  out.push('run, and its numbers are lower than they would be on an idle machine.', '');

  if (skipped.length) {
    out.push('## Skipped', '');
    for (const s of skipped) out.push(`- ${s.id}${s.batch ? ` (batch ${s.batch})` : ''}: ${s.reason}`);
    out.push('');
  }
  if (paired) {
    out.push('## Paired comparisons (bench/paired.ts)', '');
    out.push('Two contenders in one process, timed in alternating blocks of about 250 ms, so that both see the same ');
    out.push(
      "moments of the machine; each ratio is the median over rounds of the two blocks' ratio. Inference runs first, ",
    );
    out.push('in the fresh process.', '');
    if (paired.error) out.push(`Failed: ${paired.error}`, '');
    if (paired.stdout) out.push('```', paired.stdout, '```', '');
  }
  if (kernels) {
    out.push('## Kernel micro-benchmarks (bench/kernels.ts)', '');
    if (kernels.error) out.push(`Failed: ${kernels.error}`, '');
    if (kernels.stdout) out.push('```', kernels.stdout, '```', '');
  }
  return out.map((line) => line.trimEnd()).join('\n');
}

function readPackageVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
