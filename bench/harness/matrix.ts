/**
 * `npm run bench` (the workload matrix): build, plan, run one child at a time, the peak and
 * time to accuracy, then the tables on the console and in bench/RESULTS.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageVersion } from '../common';
import { buildRunners } from './build';
import { runChild } from './child';
import { contentionWarning } from './contention';
import { describeMachine } from './machine';
import { isInferenceCell, planMatrix, planPeaks, planTimeToAccuracy, type ToolRun } from './matrix-plan';
import {
  inferenceTable,
  type MatrixAxes,
  matrixTables,
  peakFor,
  widePeakFor,
  targetLines,
  type ToolResult,
  timeToAccuracyTable,
} from './matrix-tables';
import { resolveNode } from './nodes';
import type { HarnessOptions } from './options';
import { findPythonWithTorch, type PythonInfo } from './python';
import { runPlan } from './rounds';
import { runToolboxCost } from './tools';
import type { Measured, Skipped, ToolOutput } from './types';

/** Runs a tool that prints one JSON object as its last stdout line. */
async function runTool(run: ToolRun, root: string, log: (s: string) => void): Promise<ToolResult> {
  log(`run ${run.id}${run.node ? ` (Node ${run.node})` : ''}`);
  const outcome = await runChild(run.command, run.args, run.env, root, 20 * 60_000, false);
  const last = outcome.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> | null = null;
  try {
    json = last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : null;
  } catch {
    json = null;
  }
  const error = outcome.error ?? (json ? null : `no JSON line: ${last.slice(0, 200)}`);
  if (error) log(`  failed: ${error}`);
  else log(`  ${last.slice(0, 160)}`);
  return { run, json, error };
}

/** The whole matrix run; returns the report's Markdown (also written to bench/RESULTS.md unless --no-write). */
export async function runMatrix(
  options: HarnessOptions,
  root: string,
  command: string,
  log: (s: string) => void,
  print: (s: string) => void,
): Promise<void> {
  const startedAt = new Date();
  const wanted = (id: string): boolean => id === 'simdnet' || !options.only || options.only.has(id);
  const skipped: Skipped[] = [];
  const nodes = options.nodes
    .map((choice) => resolveNode(choice, root))
    .filter((node, i, all) => {
      const first = all.findIndex((n) => n.version === node.version) === i;
      if (!first) log(`--node ${node.choice} is Node ${node.version} again (${node.executable}): run once`);
      return first;
    });
  const nodeEntries = await buildRunners(root, wanted, skipped, log);
  let python: PythonInfo | null = null;
  if (wanted('torch-1t') || wanted('torch-2t') || wanted('tta')) {
    const found = findPythonWithTorch();
    python = found.python;
    if (!python) {
      skipped.push({ id: 'torch', batch: null, reason: found.reason });
      log(`skip PyTorch: ${found.reason}`);
    }
  }

  const plan = planMatrix(options, root, nodeEntries, python, nodes, wanted);
  log(`matrix: ${plan.length} runs on Node ${nodes.map((n) => n.version).join(' and ')}`);
  const measured = await runPlan(plan, options, root, skipped, log);
  const peaks: ToolResult[] = [];
  if (wanted('peak'))
    for (const run of planPeaks(options, nodeEntries, nodes)) peaks.push(await runTool(run, root, log));
  const tta: ToolResult[] = [];
  for (const run of planTimeToAccuracy(options, root, nodeEntries, python, nodes[0], wanted))
    tta.push(await runTool(run, root, log));
  const toolbox =
    nodeEntries.toolbox && wanted('toolbox')
      ? await runToolboxCost(nodeEntries.toolbox, options, root, skipped, log)
      : null;

  const markdown = matrixMarkdown({
    options,
    command,
    startedAt,
    machine: describeMachine(python),
    python,
    axes: {
      nodes: nodes.map((n) => n.version),
      data: options.data,
      models: options.models,
      batches: options.batches,
    },
    measured,
    peaks,
    tta,
    toolbox,
    skipped,
  });
  print(markdown);
  if (options.write) {
    const file = path.join(root, 'bench', 'RESULTS.md');
    writeFileSync(file, markdown);
    log(`wrote ${path.relative(root, file)}`);
  }
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({
        date: startedAt.toISOString(),
        command,
        nodes,
        results: measured.map((m) => ({ id: m.id, label: m.label, cell: m.cell, ...m.result })),
        peaks: peaks.map((p) => ({ node: p.run.node, ...p.json, error: p.error })),
        timeToAccuracy: tta.map((t) => ({ id: t.run.id, node: t.run.node, ...t.json, error: t.error })),
        toolbox: toolbox ? { json: toolbox.json, error: toolbox.error } : null,
        skipped,
      })}\n`,
    );
}

/** bench/RESULTS.md for a matrix run. */
function matrixMarkdown(report: {
  options: HarnessOptions;
  command: string;
  startedAt: Date;
  machine: ReturnType<typeof describeMachine>;
  python: PythonInfo | null;
  axes: MatrixAxes;
  measured: Measured[];
  peaks: ToolResult[];
  tta: ToolResult[];
  toolbox: ToolOutput | null;
  skipped: Skipped[];
}): string {
  const { options, command, startedAt, machine, python, axes, measured, peaks, tta, toolbox, skipped } = report;
  const torch = measured.find((m) => m.result.name === 'pytorch')?.result;
  const versions = [
    `simdnet ${packageVersion('simdnet')}`,
    `@jax-js/jax ${packageVersion('@jax-js/jax')}`,
    `@tensorflow/tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}`,
    ...(torch
      ? Object.entries(torch.versions).map(([k, v]) => `${k === 'blas' ? 'BLAS (mapped by torch)' : k} ${v}`)
      : []),
  ];
  const out: string[] = [];
  out.push('# simdnet benchmark results', '');
  out.push('Generated by `npm run bench` (bench/run.ts, the workload matrix); do not edit by hand, re-run it.', '');
  out.push(`- date: ${startedAt.toISOString()}`);
  out.push(`- command: \`${command}\``);
  out.push(
    `- machine: ${machine.cpuModel}; ${machine.logicalCores} logical cores; ${machine.memoryGiB} GiB; ${machine.os}`,
  );
  out.push(
    `- Node: the simdnet, jax-js, tfjs-wasm runners and the peak ran on Node ${axes.nodes.join(' and ')} (each table names its Node); the harness on Node ${process.versions.node}`,
  );
  out.push(`- versions: ${versions.join(', ')}`);
  if (python) out.push(`- PyTorch: ${python.executable}, LD_LIBRARY_PATH=${python.ldLibraryPath ?? '(unchanged)'}`);
  out.push(
    `- timing: ${options.quick ? '--quick: ' : ''}each training measurement timed for ${options.seconds} s after ${options.quick ? 5 : 20} warm-up batches ` +
      `(tfjs-wasm and jax-js: ${options.quick ? 2 : 5}); ${options.repeat > 1 ? `best of ${options.repeat} round-robin runs; ` : ''}every runner in its own child process, one at a time`,
  );
  for (const node of axes.nodes) {
    const peak = peakFor(peaks, node);
    const wide = widePeakFor(peaks, node);
    out.push(
      `- 128-bit FMA peak on Node ${node} (bench/kernels.ts --peak-only --relaxed: independent relaxed_madd chains, no memory traffic): ${peak ? `${peak.toFixed(1)} GFLOP/s per thread` : 'not measured'}` +
        (wide
          ? `; 256-bit peak with V8's revectorizer (--wide: 24 chains that V8 pairs into 12 ymm chains): ${wide.toFixed(1)} GFLOP/s per thread`
          : ''),
    );
  }
  const warning = contentionWarning(measured);
  if (warning) out.push('', `**${warning}**`);
  out.push('');
  out.push('The model: an MLP of the widths named (ReLU hidden layers, softmax + cross-entropy), Adam lr 1e-3, ');
  out.push('β 0.9/0.999 (ε 1e-8; tfjs 1e-7). Data: **MNIST bytes** are the 60,000 training images as they are ');
  out.push(
    '(simdnet reads the bytes and its first layer skips the ~80% zero pixels; the peers get x / 255 as float32); ',
  );
  out.push('**dense float inputs** are the same pixels mapped to 0.01 + 0.98 · x / 255, Float32, no zeros.', '');
  out.push('Each cell: training samples/s in steady state. In simdnet and PyTorch cells, the effective GFLOP/s is ');
  out.push('**6 · parameters · samples/s** (2 flops per weight and sample forward, 2 for the input delta, 2 for the ');
  out.push("weight gradient; biases counted as weights; the same figure whatever a runner skips, so simdnet's ");
  out.push(
    "MNIST-bytes cells, whose first layer skips zero pixels, can pass 100%), and simdnet's % is of the FMA peak × threads. simdnet **default** is `init()`: the core the library picks on that engine ",
  );
  out.push('(named in the header); **baseline** forces the simd128 core, **relaxed** the relaxed-SIMD core; ');
  out.push(
    "**revectorized** is `init({ revectorize: true })` (what the CLI uses): the default core with V8's 256-bit ",
  );
  out.push('revectorizer turned on where Node has it (x64 with AVX2; not Node 20), see src/runtime/revectorize.ts. ');
  out.push('Ratios: simdnet default over PyTorch at the same thread count, over jax-js and tfjs-wasm on 1 thread ');
  out.push('(neither uses threads under Node: tfjs 4.22 disables wasm threads under Node, jax-js needs a global ');
  out.push('`Worker`, which Node lacks), so their 2-thread cells are empty.', '');
  out.push('## Targets (issue 14)', '');
  out.push(...targetLines(measured, axes, peaks, axes.nodes[0]), '');
  out.push(...targetLines(measured, axes, peaks, axes.nodes[0], 'revec'), '');
  out.push('## Training', '');
  out.push(...matrixTables(measured, axes, peaks));
  out.push('## Inference, 1000 rows, 1 thread', '');
  out.push(
    `From the dense batch-${Math.min(...options.batches)} runs: predict() on 1000 test images (dense mapping), Float32Array in, probabilities out, timed for ${options.quick ? 0.5 : 2} s.`,
    '',
  );
  out.push(...inferenceTable(measured, axes, Math.min(...options.batches)), '');
  if (tta.length) {
    out.push('## Time to accuracy', '');
    out.push(
      "The CLI's MNIST recipe (`simdnet train`) without its dropout: 784-512-256-10, batch 128, Adam lr 1e-3, lr · 0.8^epoch, a new order ",
    );
    out.push(
      'every epoch, MNIST bytes (x / 255 for PyTorch); test accuracy on the 10,000 test images after every epoch, ',
    );
    out.push('inside the timed window; stops at the first epoch at the target. What differs: the initialisation ');
    out.push(
      "(simdnet's own against PyTorch's Kaiming-uniform), the shuffling generator, and simdnet's copy of the data ",
    );
    out.push('into WebAssembly memory, which is timed.', '');
    out.push(...timeToAccuracyTable(tta), '');
  }
  if (toolbox) {
    out.push("## What the toolbox's options cost (bench/toolbox-cost.ts)", '');
    out.push(
      "784-128-64-10 on one thread, the harness's Node; paired ratios against the same model with no option (1.00: free).",
      '',
    );
    if (toolbox.error) out.push(`Failed: ${toolbox.error}`, '');
    if (toolbox.stdout) out.push('```', toolbox.stdout, '```', '');
  }
  const inferenceRuns = measured.filter((m) => m.cell && isInferenceCell(m.cell, options)).length;
  out.push('## Per-run notes', '');
  for (const m of measured) {
    const c = m.cell;
    const loss =
      typeof m.result.extra?.lossAfter === 'number'
        ? `; loss ${Number(m.result.extra.lossBefore).toFixed(3)} -> ${Number(m.result.extra.lossAfter).toFixed(3)}`
        : '';
    out.push(
      `- **${m.label}**${c ? ` [${c.node ? `Node ${c.node}, ` : ''}${c.data}, ${c.model}, batch ${c.batch}]` : ''}: ${m.result.threads} thread(s), CPU/wall ${m.result.extra?.cpuPerWall ?? '?'}${loss}; ${m.result.notes}`,
    );
  }
  out.push('', `(${measured.length} runs, ${inferenceRuns} of them timing inference.)`, '');
  if (skipped.length) {
    out.push('## Skipped', '');
    for (const s of skipped) out.push(`- ${s.id}${s.batch ? ` (batch ${s.batch})` : ''}: ${s.reason}`);
    out.push('');
  }
  return out.map((line) => line.trimEnd()).join('\n');
}
