/**
 * The shapes the harness's steps pass along: a planned run, a measured one, a skipped one,
 * and the output of a tool run once (kernels, paired).
 */
import type { DataKind, RunnerResult } from '../common';

/** One cell of the workload matrix: which Node, data, model and batch a run measured. */
export interface Cell {
  /** The Node version the run used ('20.20.2'); null for runners outside Node (PyTorch). */
  node: string | null;
  data: DataKind;
  model: string;
  batch: number;
}

/** One child to run: a runner at one batch size (classic) or one matrix cell. */
export interface PlannedRun {
  id: string;
  /** What --repeat keeps the best of (default `${id}@${batch}`). */
  key?: string;
  /** The matrix cell (absent in the classic benchmark). */
  cell?: Cell;
  label: string;
  /** null: batch-independent (brain.js trains per sample); run once, shown in every table. */
  batch: number | null;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** One result kept for the tables (the best of its --repeat rounds). */
export interface Measured {
  id: string;
  /** The matrix cell (absent in the classic benchmark). */
  cell?: Cell;
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

/** A runner that did not run or failed, with the reason (printed and written into RESULTS.md). */
export interface Skipped {
  id: string;
  batch: number | null;
  reason: string;
}

/** A tool run once with --json (bench/kernels.ts, bench/paired.ts): its text, its JSON line, its error. */
export interface ToolOutput {
  stdout: string;
  json: unknown;
  error: string | null;
}
