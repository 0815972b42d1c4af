/**
 * The threaded mode's rounds, as the main thread runs them: it hands each helper
 * its job through the pool, runs its own part, joins, and sums what the threads
 * report. How the threads share a batch is told in assembly/parallel.ts; the
 * control block and the helpers' loop in src/runtime/threads.ts.
 */
import type { Core } from '../runtime/core.js';
import type { RowsKind, ThreadPool } from '../runtime/threads.js';
import type { LoadedData } from '../train/types.js';
import type { MemoryPlan } from './plan.js';

/** What a round needs: the core, the plan, the helper threads and their contexts. */
export interface Threads {
  core: Core;
  plan: MemoryPlan;
  pool: ThreadPool;
  /** The helpers' contexts, in pool order. */
  helperContexts: number[];
}

/**
 * First round: the threads take chunks of the batch's rows as they go (shareDeltas),
 * each running forward, loss and backward on its chunks in its own context and
 * computing their deltas of every layer (packed for the second round), no gradients.
 * Returns the batch's mean loss (the threads' shares summed) and its correct count.
 */
export function deltasRound(
  threads: Threads,
  data: LoadedData,
  offset: number,
  count: number,
): { loss: number; correct: number } {
  const { core, plan, pool } = threads;
  const { fn, layout } = core;
  const round = { data: data.descriptor, indices: data.order + offset * 4, batchRows: count };
  pool.dispatchDeltas(round, threads.helperContexts);
  let loss = fn.shareDeltas(...pool.shareDeltasArgs(round, plan.context));
  const helperLosses = pool.join();
  const { i32 } = core.view();
  let correct = i32[(plan.context + layout.CTX_STAT_CORRECT) >>> 2];
  plan.helpers.forEach((helper, h) => {
    loss += helperLosses[h];
    correct += i32[(helper.context + layout.CTX_STAT_CORRECT) >>> 2];
  });
  return { loss, correct };
}

/**
 * Second round: the threads compute every layer's weight gradient by input rows over
 * the whole batch (no reduction: each row of gW is complete, the one-thread row bit for
 * bit) and, with `update`, update those rows, then the biases (splitUpdate). Without
 * `update` (step 0) only the gradients are computed: the caller's optimizerStep follows.
 */
export function updateRound(threads: Threads, rows: number, update: boolean): void {
  const { core, plan, pool } = threads;
  const { layout } = core;
  const { i32, f64 } = core.view();
  let step = 0;
  if (update) {
    step = i32[(plan.optimizer + layout.OPT_STEP) >>> 2] + 1;
    i32[(plan.optimizer + layout.OPT_STEP) >>> 2] = step;
    f64[(plan.context + layout.CTX_STAT_GRAD_NORM) >>> 3] = -1;
  }
  const round = { mainContext: plan.context, optimizer: plan.optimizer, rows, step };
  pool.dispatchSplitUpdate(round, threads.helperContexts);
  core.fn.splitUpdate(...pool.splitUpdateArgs(round, plan.context));
  pool.join();
}

/**
 * Inference over `rows` rows from dataset row `start`, split in contiguous slices, one
 * per thread (the main thread takes the first), each in its own context pointed at its
 * rows of the main buffers by `pointRows` (the outputs land where one thread would put
 * them; rows are independent, so every row's result is the one-thread result). For
 * 'forward', each context's X is aimed at its rows from `inputRowsAt`. `run` runs one
 * slice on the main context and returns its mean loss. Returns evaluate's loss summed
 * over rows and its correct count.
 */
export function inferenceRound(
  threads: Threads,
  kind: RowsKind,
  rows: number,
  data: LoadedData,
  start: number,
  inputRowsAt: number,
  inputSize: number,
  pointRows: (context: number, firstRow: number) => void,
  run: (first: number, count: number) => number,
): { lossSum: number; correct: number } {
  const { core, plan, pool } = threads;
  const { layout } = core;
  const share = Math.ceil(rows / (pool.size + 1));
  const jobs = plan.helpers.map((helper, h) => {
    const first = Math.min(rows, share * (h + 1));
    const count = Math.min(share, rows - first);
    pointRows(helper.context, first);
    if (kind === 'forward')
      core.view().i32[(helper.context + layout.CTX_X) >>> 2] = inputRowsAt + (start + first) * inputSize * 4;
    return { context: helper.context, data: data.descriptor, start: start + first, rows: count };
  });
  pool.dispatchRows(kind, jobs);
  let lossSum = run(start, share) * share;
  const losses = pool.join();
  // Back to row 0 of the row buffers, where training expects every context.
  plan.helpers.forEach((helper) => pointRows(helper.context, 0));
  const correctAt = (context: number): number => core.view().i32[(context + layout.CTX_STAT_CORRECT) >>> 2];
  let correct = kind === 'evaluate' ? correctAt(plan.context) : 0;
  jobs.forEach((job, h) => {
    if (kind !== 'evaluate' || job.rows === 0) return;
    lossSum += losses[h] * job.rows;
    correct += correctAt(job.context);
  });
  return { lossSum, correct };
}
