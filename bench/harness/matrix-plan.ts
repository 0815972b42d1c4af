/**
 * The workload matrix's runs: for every data kind × model × batch size, simdnet (its eight
 * configurations: default, baseline, relaxed and revectorized (init({ revectorize: true }))
 * on 1 and 2 threads, in one runner),
 * PyTorch on 1 and 2 threads, tfjs-wasm and jax-js (1 thread: neither has threads under
 * Node); the Node runners once per --node binary, PyTorch once. Inference (1000 rows) is timed
 * properly only in the dense batch-64 cells (elsewhere its minimum of 3 calls).
 */
import path from 'node:path';
import { mnistDataDir } from '../common';
import type { NodeBinary } from './nodes';
import type { HarnessOptions } from './options';
import type { PythonInfo } from './python';
import type { Cell, PlannedRun } from './types';

/** simdnet's configurations in the matrix (bench/simdnet.ts). */
export const SIMDNET_CONFIGS = [
  'default',
  'default-threads',
  'baseline',
  'baseline-threads',
  'relaxed',
  'relaxed-threads',
  'revec',
  'revec-threads',
];

/** The cell whose runs time inference for the inference table (per model). */
export function isInferenceCell(cell: Cell, options: HarnessOptions): boolean {
  return cell.data === 'dense' && cell.batch === Math.min(...options.batches);
}

/** The runner contract's flags for one cell. */
function cellArgs(options: HarnessOptions, cell: Cell, slow: boolean): string[] {
  const warmup = slow ? (options.quick ? 2 : 5) : options.quick ? 5 : 20;
  const inferSeconds = isInferenceCell(cell, options) ? (options.quick ? 0.5 : 2) : 0;
  return [
    '--batch',
    String(cell.batch),
    '--warmup',
    String(warmup),
    '--seconds',
    String(options.seconds),
    '--infer-batch',
    '1000',
    '--infer-seconds',
    String(inferSeconds),
    '--data',
    cell.data,
    '--model',
    cell.model,
  ];
}

/** The matrix's training runs, cell by cell. */
export function planMatrix(
  options: HarnessOptions,
  root: string,
  nodeEntries: Record<string, string>,
  python: PythonInfo | null,
  nodes: NodeBinary[],
  wanted: (id: string) => boolean,
): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (const data of options.data)
    for (const model of options.models)
      for (const batch of options.batches) {
        for (const node of nodes) {
          const cell: Cell = { node: node.version, data, model, batch };
          const key = (id: string): string => `${id}@${node.version}/${data}/${model}/${batch}`;
          const env = { ...process.env };
          if (nodeEntries.simdnet)
            plan.push({
              id: 'simdnet',
              key: key('simdnet'),
              cell,
              label: 'simdnet',
              batch,
              command: node.executable,
              args: [nodeEntries.simdnet, ...cellArgs(options, cell, false), '--configs', SIMDNET_CONFIGS.join(',')],
              env,
            });
          if (nodeEntries.tfjs && wanted('tfjs-wasm'))
            plan.push({
              id: 'tfjs-wasm',
              key: key('tfjs-wasm'),
              cell,
              label: 'tfjs-wasm',
              batch,
              command: node.executable,
              args: [nodeEntries.tfjs, ...cellArgs(options, cell, true), '--backend', 'wasm'],
              env,
            });
          if (nodeEntries.jax && wanted('jax'))
            plan.push({
              id: 'jax',
              key: key('jax'),
              cell,
              label: 'jax-js',
              batch,
              command: node.executable,
              args: [nodeEntries.jax, ...cellArgs(options, cell, true)],
              env,
            });
        }
        if (python) {
          const cell: Cell = { node: null, data, model, batch };
          for (const threads of [1, 2]) {
            const id = `torch-${threads}t`;
            if (!wanted(id)) continue;
            plan.push({
              id,
              key: `${id}@${data}/${model}/${batch}`,
              cell,
              label: `PyTorch ${threads}t`,
              batch,
              command: python.executable,
              args: [
                path.join(root, 'bench', 'peers', 'torch_mlp.py'),
                ...cellArgs(options, cell, false),
                '--threads',
                String(threads),
                '--mnist-dir',
                mnistDataDir(),
              ],
              env: python.env,
            });
          }
        }
      }
  return plan;
}

/** One run of a tool that prints its own JSON line (the peak, time to accuracy). */
export interface ToolRun {
  id: string;
  label: string;
  /** The Node version (null: PyTorch). */
  node: string | null;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * The FMA peak (bench/kernels.ts --peak-only --relaxed), once per Node; with --wide also the
 * 256-bit peak with V8's revectorizer on, where that Node has it (the revectorized targets' ceiling).
 */
export function planPeaks(
  options: HarnessOptions,
  nodeEntries: Record<string, string>,
  nodes: NodeBinary[],
): ToolRun[] {
  if (!nodeEntries.kernels) return [];
  return nodes.map((node) => ({
    id: 'peak',
    label: 'peak',
    node: node.version,
    command: node.executable,
    args: [nodeEntries.kernels, '--peak-only', '--relaxed', '--wide', '--json', ...(options.quick ? ['--quick'] : [])],
    env: { ...process.env },
  }));
}

/**
 * Time to accuracy: simdnet (default core, 1 thread, on the first --node) and PyTorch (1
 * thread), the CLI's MNIST recipe without its dropout (PyTorch's runner has none): 784-512-256-10, batch 128, Adam 1e-3, lr · 0.8^epoch.
 * --quick: the target at most 0.9 and at most 2 epochs (a smoke test of the path).
 */
export function planTimeToAccuracy(
  options: HarnessOptions,
  root: string,
  nodeEntries: Record<string, string>,
  python: PythonInfo | null,
  node: NodeBinary,
  wanted: (id: string) => boolean,
): ToolRun[] {
  if (!options.tta || !wanted('tta')) return [];
  const target = options.quick ? Math.min(options.ttaTarget, 0.9) : options.ttaTarget;
  const epochs = options.quick ? Math.min(options.ttaEpochs, 2) : options.ttaEpochs;
  const common = [
    '--model',
    '784-512-256-10',
    '--batch',
    '128',
    '--lr',
    '0.001',
    '--lr-decay',
    '0.8',
    '--data',
    'bytes',
    '--epochs',
    String(epochs),
  ];
  const runs: ToolRun[] = [];
  if (nodeEntries.tta)
    runs.push({
      id: 'tta-simdnet',
      label: 'simdnet (default core, 1 thread)',
      node: node.version,
      command: node.executable,
      args: [nodeEntries.tta, '--target', String(target), ...common],
      env: { ...process.env },
    });
  if (python)
    runs.push({
      id: 'tta-torch',
      label: 'PyTorch (1 thread)',
      node: null,
      command: python.executable,
      args: [
        path.join(root, 'bench', 'peers', 'torch_mlp.py'),
        '--time-to-accuracy',
        String(target),
        ...common,
        '--threads',
        '1',
        '--mnist-dir',
        mnistDataDir(),
      ],
      env: python.env,
    });
  return runs;
}
