/**
 * The workload matrix as Markdown: one table per (Node, data, model), rows batch × threads,
 * a column per runner (simdnet's cells with GFLOP/s and % of the FMA peak), and simdnet
 * default's ratios over PyTorch (same threads), jax-js and tfjs-wasm (1 thread); the
 * inference table per model; time to accuracy.
 */
import { inferWorkFlops, parseModelSpec, trainGflops, trainWorkFlops } from '../common';
import type { ToolRun } from './matrix-plan';
import { fmtRate, fmtRatio } from './table';
import type { Measured } from './types';

/** A tool's parsed JSON line (the peak; time to accuracy), or its failure. */
export interface ToolResult {
  run: ToolRun;
  json: Record<string, unknown> | null;
  error: string | null;
}

/** The matrix's axes, in table order. */
export interface MatrixAxes {
  nodes: string[];
  data: string[];
  models: string[];
  batches: number[];
}

const THREADS = [1, 2];

/** The FMA peak measured on `node` (GFLOP/s of one thread), or null. */
export function peakFor(peaks: ToolResult[], node: string): number | null {
  const found = peaks.find((p) => p.run.node === node && typeof p.json?.peakGflops === 'number');
  return found ? (found.json?.peakGflops as number) : null;
}

/** The 256-bit FMA peak measured on `node` with V8's revectorizer (GFLOP/s of one thread), or null. */
export function widePeakFor(peaks: ToolResult[], node: string): number | null {
  const found = peaks.find((p) => p.run.node === node && typeof p.json?.widePeakGflops === 'number');
  return found ? (found.json?.widePeakGflops as number) : null;
}

/** The Markdown tables of the matrix (one per Node, data, model), Node by Node within each (data, model). */
export function matrixTables(measured: Measured[], axes: MatrixAxes, peaks: ToolResult[]): string[] {
  const out: string[] = [];
  for (const data of axes.data)
    for (const model of axes.models)
      axes.nodes.forEach((node, n) => {
        const sizes = parseModelSpec(model);
        const peak = peakFor(peaks, node);
        const inCell = (batch: number) =>
          measured.filter(
            (m) =>
              m.cell &&
              m.cell.data === data &&
              m.cell.model === model &&
              m.cell.batch === batch &&
              (m.cell.node === node || m.cell.node === null),
          );
        const pick = (batch: number, label: string, threads?: number): Measured | undefined =>
          inCell(batch).find((m) => m.label === label && (threads === undefined || m.result.threads === threads));
        const defaults = measured.filter(
          (m) =>
            m.cell?.node === node &&
            m.cell.data === data &&
            m.cell.model === model &&
            m.label.startsWith('simdnet default'),
        );
        const cores = [...new Set(defaults.map((m) => m.result.backend.replace('wasm-', '')))].join('/') || '?';
        out.push(
          `### ${data === 'bytes' ? 'MNIST bytes' : 'dense float inputs'}, ${model} (${(6 * paramCount(sizes)).toLocaleString('en-US')} flops per sample), Node ${node}${n > 0 ? ` (beside Node ${axes.nodes[0]} above; PyTorch: the same runs)` : ''}`,
          '',
        );
        out.push(
          `| batch | threads | simdnet default (${cores} core) | simdnet baseline | simdnet relaxed | simdnet revectorized | PyTorch | jax-js | tfjs-wasm | default / PyTorch | revectorized / PyTorch | default / jax-js | default / tfjs-wasm |`,
          '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        );
        for (const batch of axes.batches)
          for (const threads of THREADS) {
            const suffix = threads > 1 ? '-threads' : '';
            const simd = (config: string): Measured | undefined => pick(batch, `simdnet ${config}${suffix}`);
            const simdCell = (m: Measured | undefined): string => {
              if (!m) return '-';
              const gflops = trainGflops(sizes, m.result.trainSamplesPerSec);
              const percent = peak ? ` · ${((100 * gflops) / (peak * m.result.threads)).toFixed(0)}%` : '';
              return `${fmtRate(m.result.trainSamplesPerSec)} (${gflops.toFixed(1)} GF/s${percent})`;
            };
            const torch = pick(batch, `PyTorch ${threads}t`);
            const jax = threads === 1 ? pick(batch, 'jax-js') : undefined;
            const tfjs = threads === 1 ? pick(batch, 'tfjs-wasm') : undefined;
            const def = simd('default');
            const revec = simd('revec');
            const ratio = (peer: Measured | undefined, own = def): string =>
              own && peer ? fmtRatio(own.result.trainSamplesPerSec / peer.result.trainSamplesPerSec) : '-';
            out.push(
              `| ${batch} | ${threads} | ${simdCell(def)} | ${simdCell(simd('baseline'))} | ${simdCell(simd('relaxed'))} | ${simdCell(revec)} | ${
                torch
                  ? `${fmtRate(torch.result.trainSamplesPerSec)} (${trainGflops(sizes, torch.result.trainSamplesPerSec).toFixed(1)} GF/s)`
                  : '-'
              } | ${jax ? fmtRate(jax.result.trainSamplesPerSec) : '-'} | ${tfjs ? fmtRate(tfjs.result.trainSamplesPerSec) : '-'} | ${ratio(torch)} | ${ratio(torch, revec)} | ${ratio(jax)} | ${ratio(tfjs)} |`,
            );
          }
        out.push('');
      });
  return out;
}

function paramCount(sizes: number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += (sizes[l - 1] + 1) * sizes[l];
  return n;
}

/** Inference on 1000 rows, 1 thread, per model and Node: simdnet default against PyTorch (the dense batch-64 cells' runs). */
export function inferenceTable(measured: Measured[], axes: MatrixAxes, inferenceBatch: number): string[] {
  const out = [
    '| Node | model | simdnet default (rows/s) | simdnet revectorized (rows/s) | PyTorch 1 thread (rows/s) | default / PyTorch | revectorized / PyTorch |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const node of axes.nodes)
    for (const model of axes.models) {
      const find = (label: string, nodeOf: string | null) =>
        measured.find(
          (m) =>
            m.label === label &&
            m.cell?.model === model &&
            m.cell.data === 'dense' &&
            m.cell.batch === inferenceBatch &&
            m.cell.node === nodeOf,
        );
      const simdnet = find('simdnet default', node);
      const revec = find('simdnet revec', node);
      const torch = find('PyTorch 1t', null);
      const rate = (m: Measured | undefined): string => (m ? fmtRate(m.result.inferSamplesPerSec) : '-');
      const over = (m: Measured | undefined): string =>
        m && torch ? fmtRatio(m.result.inferSamplesPerSec / torch.result.inferSamplesPerSec) : '-';
      out.push(
        `| ${node} | ${model} | ${rate(simdnet)} | ${rate(revec)} | ${rate(torch)} | ${over(simdnet)} | ${over(revec)} |`,
      );
    }
  return out;
}

/** Time to accuracy: one row per runner. */
export function timeToAccuracyTable(results: ToolResult[]): string[] {
  if (results.length === 0) return [];
  const out = [
    '| runner | Node | model | batch | target | epochs to target | seconds to target | test accuracy after each epoch (seconds since start) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const j = r.json;
    if (!j) {
      out.push(`| ${r.run.label} | ${r.run.node ?? '-'} | - | - | - | failed: ${r.error ?? '?'} | - | - |`);
      continue;
    }
    const epochs = (j.epochs as { epoch: number; seconds: number; testAccuracy: number }[]) ?? [];
    out.push(
      `| ${r.run.label} | ${r.run.node ?? '-'} | ${j.model} | ${j.batchSize} | ${j.target} | ${j.epochsToTarget ?? `not reached in ${epochs.length}`} | ${
        typeof j.secondsToTarget === 'number' ? j.secondsToTarget.toFixed(1) : '-'
      } | ${epochs.map((e) => `${(100 * e.testAccuracy).toFixed(2)}% (${e.seconds.toFixed(1)} s)`).join(', ')} |`,
    );
  }
  return out;
}

/**
 * Issue 14's targets, checked on one Node's tables: simdnet default ≥ 1.0× PyTorch in every
 * cell and ≥ 1.5× in batch-64 cells (same threads); ≥ 5× jax-js and ≥ 15× tfjs-wasm (1 thread);
 * inference ≥ 1.2× PyTorch; dense training ≥ 80% of the FMA peak × threads; MNIST bytes (zero
 * skipping) never slower than dense inputs for the same model, batch and threads.
 */
export function targetLines(
  measured: Measured[],
  axes: MatrixAxes,
  peaks: ToolResult[],
  node: string,
  config: 'default' | 'revec' = 'default',
): string[] {
  const onNode = (m: Measured): boolean => m.cell?.node === node || m.cell?.node === null;
  const find = (label: string, data: string, model: string, batch: number, threads?: number) =>
    measured.find(
      (m) =>
        onNode(m) &&
        m.label === label &&
        m.cell?.data === data &&
        m.cell.model === model &&
        m.cell.batch === batch &&
        (threads === undefined || m.result.threads === threads),
    );
  const rate = (m: Measured | undefined): number | null => (m ? m.result.trainSamplesPerSec : null);
  // The ceiling: the ratio a step (or predict) would give at 100% of the FMA peak × threads,
  // doing only the work it cannot avoid on dense inputs (bench/common.ts trainWorkFlops):
  // the 128-bit peak for init(), the 256-bit peak (revectorized) for the revec configuration.
  const ceilingPeak = config === 'default' ? peakFor(peaks, node) : widePeakFor(peaks, node);
  type Value = { value: number; where: string; ceiling?: number };
  type Check = { name: string; worst: Value | null; ceiling: Value | null; goal: number; unit: string };
  const checks: Check[] = [];
  const lowest = (values: Value[]): Value | null =>
    values.reduce<Value | null>((a, b) => (a === null || b.value < a.value ? b : a), null);
  const worst = (name: string, goal: number, unit: string, values: Value[]): void => {
    const ceilings = values.flatMap((v) => (v.ceiling === undefined ? [] : [{ value: v.ceiling, where: v.where }]));
    checks.push({ name, worst: lowest(values), ceiling: lowest(ceilings), goal, unit });
  };
  const ratios = (peerLabel: (threads: number) => string, filter: (batch: number, threads: number) => boolean) => {
    const values: Value[] = [];
    for (const data of axes.data)
      for (const model of axes.models)
        for (const batch of axes.batches)
          for (const threads of THREADS) {
            if (!filter(batch, threads)) continue;
            const def = rate(find(`simdnet ${config}${threads > 1 ? '-threads' : ''}`, data, model, batch));
            const peer = rate(find(peerLabel(threads), data, model, batch));
            if (!def || !peer) continue;
            const reachable =
              ceilingPeak && data === 'dense'
                ? (ceilingPeak * 1e9 * threads) / trainWorkFlops(parseModelSpec(model))
                : undefined;
            values.push({
              value: def / peer,
              where: `${data}, ${model}, batch ${batch}, ${threads}t`,
              ...(reachable ? { ceiling: reachable / peer } : {}),
            });
          }
    return values;
  };
  worst(
    'training / PyTorch, every cell',
    1,
    'x',
    ratios(
      (t) => `PyTorch ${t}t`,
      () => true,
    ),
  );
  worst(
    'training / PyTorch, batch-64 cells',
    1.5,
    'x',
    ratios(
      (t) => `PyTorch ${t}t`,
      (b) => b === 64,
    ),
  );
  worst(
    'training / jax-js (1 thread)',
    5,
    'x',
    ratios(
      () => 'jax-js',
      (_, t) => t === 1,
    ),
  );
  worst(
    'training / tfjs-wasm (1 thread)',
    15,
    'x',
    ratios(
      () => 'tfjs-wasm',
      (_, t) => t === 1,
    ),
  );
  const inference: Value[] = [];
  const inferBatch = Math.min(...axes.batches);
  for (const model of axes.models) {
    const s = find(`simdnet ${config}`, 'dense', model, inferBatch);
    const t = find('PyTorch 1t', 'dense', model, inferBatch);
    if (!s || !t) continue;
    const torchRows = t.result.inferSamplesPerSec;
    inference.push({
      value: s.result.inferSamplesPerSec / torchRows,
      where: model,
      ...(ceilingPeak ? { ceiling: (ceilingPeak * 1e9) / inferWorkFlops(parseModelSpec(model)) / torchRows } : {}),
    });
  }
  worst('inference / PyTorch (1000 rows, 1 thread)', 1.2, 'x', inference);
  const peak = peakFor(peaks, node);
  const ofPeak: Value[] = [];
  if (peak)
    for (const model of axes.models)
      for (const batch of axes.batches)
        for (const threads of THREADS) {
          const m = find(`simdnet ${config}${threads > 1 ? '-threads' : ''}`, 'dense', model, batch);
          if (m)
            ofPeak.push({
              value: (100 * trainGflops(parseModelSpec(model), m.result.trainSamplesPerSec)) / (peak * threads),
              where: `dense, ${model}, batch ${batch}, ${threads}t`,
            });
        }
  worst('dense training, % of the FMA peak × threads', 80, '%', ofPeak);
  const skipping: Value[] = [];
  for (const model of axes.models)
    for (const batch of axes.batches)
      for (const threads of THREADS) {
        const label = `simdnet ${config}${threads > 1 ? '-threads' : ''}`;
        const bytes = rate(find(label, 'bytes', model, batch));
        const dense = rate(find(label, 'dense', model, batch));
        if (bytes && dense) skipping.push({ value: bytes / dense, where: `${model}, batch ${batch}, ${threads}t` });
      }
  worst('MNIST bytes / dense inputs (zero skipping never slower)', 1, 'x', skipping);
  const peakName = config === 'default' ? '128-bit' : '256-bit (revectorized)';
  const out = [
    `Node ${node}, simdnet ${config === 'default' ? 'default (init())' : 'revectorized (init({ revectorize: true }), as the CLI)'}; the worst cell of each target (one run: on a shared machine a single noisy cell decides). ` +
      `**Ceiling**: the ratio at 100% of the ${peakName} FMA peak × threads${ceilingPeak ? ` (${ceilingPeak.toFixed(1)} GFLOP/s per thread)` : ' (not measured)'}, doing only the work a step cannot avoid on dense inputs, in the cell where it is lowest; a ceiling under the goal is out of reach for any kernel on this engine and CPU:`,
    '',
    '| target | goal | worst cell | where | met | ceiling | where (ceiling) |',
    '| --- | ---: | ---: | --- | --- | ---: | --- |',
  ];
  for (const c of checks) {
    const show = (v: number): string => (c.unit === '%' ? `${v.toFixed(0)}%` : fmtRatio(v));
    const goal = c.unit === '%' ? `≥ ${c.goal}%` : `≥ ${c.goal}x`;
    const met = c.worst === null ? 'not measured' : c.worst.value >= c.goal ? 'yes' : '**no**';
    const ceiling =
      c.ceiling === null ? '-' : c.ceiling.value < c.goal ? `**${show(c.ceiling.value)}**` : show(c.ceiling.value);
    out.push(
      `| ${c.name} | ${goal} | ${c.worst ? show(c.worst.value) : '-'} | ${c.worst?.where ?? 'no cell measured'} | ${met} | ${ceiling} | ${c.ceiling?.where ?? '-'} |`,
    );
  }
  return out;
}
