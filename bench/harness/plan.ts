/**
 * The workloads: which child runs with which flags, per batch size (simdnet, tfjs-wasm,
 * tfjs-cpu, PyTorch on 1 and 2 threads), and brain.js once (it trains per sample).
 */
import path from 'node:path';
import { mnistDataDir } from '../common';
import type { HarnessOptions } from './options';
import type { PythonInfo } from './python';
import type { PlannedRun } from './types';

/** The runner contract's timing flags (bench/common.ts) for one batch size. */
export function timingArgs(options: HarnessOptions, batch: number): string[] {
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

/** The runs, in order: per batch size simdnet, then each wanted peer; brain.js once, last. */
export function planRuns(
  options: HarnessOptions,
  root: string,
  nodeEntries: Record<string, string>,
  python: PythonInfo | null,
  wanted: (id: string) => boolean,
): PlannedRun[] {
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
  return plan;
}
