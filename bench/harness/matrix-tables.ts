/**
 * The workload matrix as Markdown: one table per (Node, data, model), rows batch × threads,
 * a column per runner (simdnet's cells with GFLOP/s and % of the FMA peak), and simdnet
 * default's ratios over PyTorch (same threads), jax-js and tfjs-wasm (1 thread); the
 * inference table per model; time to accuracy.
 */
import { parseModelSpec, trainGflops } from '../common';
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
  type Check = { name: string; worst: number | null; where: string; goal: number; unit: string };
  const checks: Check[] = [];
  const worst = (name: string, goal: number, unit: string, values: { value: number; where: string }[]): void => {
    const min = values.reduce<{ value: number; where: string } | null>(
      (a, b) => (a === null || b.value < a.value ? b : a),
      null,
    );
    checks.push({ name, worst: min ? min.value : null, where: min ? min.where : 'no cell measured', goal, unit });
  };
  const ratios = (peerLabel: (threads: number) => string, filter: (batch: number, threads: number) => boolean) => {
    const values: { value: number; where: string }[] = [];
    for (const data of axes.data)
      for (const model of axes.models)
        for (const batch of axes.batches)
          for (const threads of THREADS) {
            if (!filter(batch, threads)) continue;
            const def = rate(find(`simdnet ${config}${threads > 1 ? '-threads' : ''}`, data, model, batch));
            const peer = rate(find(peerLabel(threads), data, model, batch));
            if (def && peer)
              values.push({ value: def / peer, where: `${data}, ${model}, batch ${batch}, ${threads}t` });
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
  const inference: { value: number; where: string }[] = [];
  const inferBatch = Math.min(...axes.batches);
  for (const model of axes.models) {
    const s = find(`simdnet ${config}`, 'dense', model, inferBatch);
    const t = find('PyTorch 1t', 'dense', model, inferBatch);
    if (s && t) inference.push({ value: s.result.inferSamplesPerSec / t.result.inferSamplesPerSec, where: model });
  }
  worst('inference / PyTorch (1000 rows, 1 thread)', 1.2, 'x', inference);
  const peak = peakFor(peaks, node);
  const ofPeak: { value: number; where: string }[] = [];
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
  const skipping: { value: number; where: string }[] = [];
  for (const model of axes.models)
    for (const batch of axes.batches)
      for (const threads of THREADS) {
        const label = `simdnet ${config}${threads > 1 ? '-threads' : ''}`;
        const bytes = rate(find(label, 'bytes', model, batch));
        const dense = rate(find(label, 'dense', model, batch));
        if (bytes && dense) skipping.push({ value: bytes / dense, where: `${model}, batch ${batch}, ${threads}t` });
      }
  worst('MNIST bytes / dense inputs (zero skipping never slower)', 1, 'x', skipping);
  const out = [
    `Node ${node}, simdnet ${config === 'default' ? 'default (init())' : 'revectorized (init({ revectorize: true }), as the CLI)'}; the worst cell of each target (one run: on a shared machine a single noisy cell decides):`,
    '',
    '| target | goal | worst cell | where | met |',
    '| --- | ---: | ---: | --- | --- |',
  ];
  for (const c of checks) {
    const shown = c.worst === null ? '-' : c.unit === '%' ? `${c.worst.toFixed(0)}%` : fmtRatio(c.worst);
    const goal = c.unit === '%' ? `≥ ${c.goal}%` : `≥ ${c.goal}x`;
    const met = c.worst === null ? 'not measured' : c.worst >= c.goal ? 'yes' : '**no**';
    out.push(`| ${c.name} | ${goal} | ${shown} | ${c.where} | ${met} |`);
  }
  return out;
}
