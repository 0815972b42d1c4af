/**
 * The threaded mode: data-parallel training of one model on one shared
 * WebAssembly.Memory.
 *
 * The main thread and N-1 helper threads (worker_threads in Node and Bun, Web
 * Workers in browsers and Deno) each work in their own context (its rows of the
 * shared row buffers, its GEMM scratch) over the shared parameters, gradients and
 * optimizer state. One batch costs two WebAssembly calls per thread and no
 * message passing: jobs and completions go through a control block in the shared
 * memory, with Atomics.
 *
 * Waiting: a helper spins briefly on the control word, then sleeps in
 * Atomics.wait, so a helper that finds the CPU busy gives it up instead of
 * burning its time slice; the main thread spins, then waits (where the runtime
 * lets a main thread wait: Node, Deno, Bun; a browser page's main thread only spins).
 *
 * How the threads share a batch (two rounds, work taken from shared counters, each
 * gradient the one-thread gradient bit for bit) is told once, in assembly/parallel.ts;
 * the main thread's side of each round is src/model/rounds.ts. Predict and evaluate
 * hand each helper a slice of the rows (one round).
 *
 * Control block (i32 words at `control`):
 *   0 generation   bumped by the main thread to hand out a round of jobs
 *   1 done         incremented by each helper when its job is finished
 *   2 stop         non-zero: helpers exit
 *   3 failed       h + 1 for the first helper whose job threw (it counts itself done, then ends)
 *   4 .. 7         the rounds' work counters (the core's WORK_* offsets from word 4), zeroed per round
 *   8 + 16·h ...   helper h's job: up to 13 arguments, kind (word 13), loss (f64, words 14-15)
 */

import type { Layout } from './core.js';
import { wideTiles } from './load.js';

const GENERATION = 0;
const DONE = 1;
const STOP = 2;
const FAILED = 3;
const WORK = 4;
const JOBS = 8;
/** Room for the work counters, in bytes (the core's WORK_BYTES must fit). */
const WORK_ROOM = (JOBS - WORK) * 4;
const JOB_WORDS = 16;
const JOB_KIND = 13;
const JOB_LOSS = 14;
const KIND_DELTAS = 0;
const KIND_SPLIT_UPDATE = 1;
/** Inference over a slice of rows (predict, evaluate): the core's forward, predictRows, evaluateRows. */
const KIND_FORWARD = 2;
const KIND_PREDICT_ROWS = 3;
const KIND_EVALUATE_ROWS = 4;

export const controlBytes = (helpers: number): number => (JOBS + JOB_WORDS * helpers) * 4;
/**
 * How long the main thread waits for the helpers after its own part of a round before it
 * declares the pool broken: JOIN_TIMEOUT_MS, plus JOIN_TIMEOUT_FACTOR times its own part
 * (the helpers' parts are about as long, or at most one chunk longer). Only a helper killed
 * from outside in the middle of a round needs it: one whose job throws says so at once
 * (the control block's failed word), and one that exits between rounds is seen by its
 * exit event before the next round starts.
 */
const JOIN_TIMEOUT_MS = 10_000;
const JOIN_TIMEOUT_FACTOR = 50;
/**
 * How long a waiting thread spins before it sleeps in Atomics.wait, in ms: long
 * enough to bridge the host's work between two rounds and between batches (a few
 * to tens of µs), since waking a sleeping thread costs tens of µs here (a futex
 * wake-up through the hypervisor), against about 1 µs for a spinning one (the
 * median measured hand-over, both ways); short next to a scheduler time slice,
 * so a thread that finds its core taken by another process soon gives it up.
 * The clock is read once every SPIN_CHECK spins.
 */
const SPIN_MS = 0.5;
const SPIN_CHECK = 256;

/** The helper's whole program. A string, so it needs no file or bundler support: it becomes a Blob URL or an eval'd worker. */
const HELPER_SOURCE = `'use strict';
async function start(message, post) {
  const { module, memory, control, index, wideTiles } = message;
  const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
  if (wideTiles) exports.setWideTiles(1);
  serve(exports, memory, control >>> 2, index, post);
}
// The job loop, in a plain function (not the async one above) so that V8 optimizes it.
function serve(exports, memory, base, index, post) {
  const slot = base + ${JOBS} + index * ${JOB_WORDS};
  let words = new Int32Array(memory.buffer);
  // Read the generation before saying ready: the main thread may hand out the first
  // job as soon as it hears 'ready', and that job must look new to this loop.
  let seen = Atomics.load(words, base + ${GENERATION});
  post('ready');
  for (;;) {
    for (let spins = 0, since = 0; Atomics.load(words, base + ${GENERATION}) === seen; ) {
      if ((++spins & ${SPIN_CHECK - 1}) !== 0) continue;
      const now = performance.now();
      since ||= now;
      if (now - since < ${SPIN_MS}) continue;
      Atomics.wait(words, base + ${GENERATION}, seen);
      since = 0;
    }
    seen = Atomics.load(words, base + ${GENERATION});
    if (Atomics.load(words, base + ${STOP})) return;
    // The memory may have grown since the last job: views are re-made when its size changed.
    if (words.buffer !== memory.buffer || words.length * 4 !== memory.buffer.byteLength) words = new Int32Array(memory.buffer);
    try {
      job(exports, words, slot);
    } catch (error) {
      // Say so at once (the main thread may be blocked in join), then end with the error.
      Atomics.compareExchange(words, base + ${FAILED}, 0, index + 1);
      Atomics.add(words, base + ${DONE}, 1);
      Atomics.notify(words, base + ${DONE});
      throw error;
    }
    Atomics.add(words, base + ${DONE}, 1);
    Atomics.notify(words, base + ${DONE});
  }
}
function job(exports, words, slot) {
  const kind = words[slot + ${JOB_KIND}];
  if (kind === ${KIND_DELTAS}) {
    const loss = exports.shareDeltas(words[slot], words[slot + 1], words[slot + 2], words[slot + 3], words[slot + 4], words[slot + 5]);
    new Float64Array(words.buffer)[(slot + ${JOB_LOSS}) >>> 1] = loss;
  } else if (kind === ${KIND_SPLIT_UPDATE}) {
    exports.splitUpdate(words[slot], words[slot + 1], words[slot + 2], words[slot + 3], words[slot + 4], words[slot + 5], words[slot + 6]);
  } else if (kind === ${KIND_FORWARD}) {
    exports.forward(words[slot], words[slot + 3]);
  } else if (kind === ${KIND_PREDICT_ROWS}) {
    exports.predictRows(words[slot], words[slot + 1], words[slot + 2], words[slot + 3]);
  } else if (kind === ${KIND_EVALUATE_ROWS}) {
    const loss = exports.evaluateRows(words[slot], words[slot + 1], words[slot + 2], words[slot + 3]);
    new Float64Array(words.buffer)[(slot + ${JOB_LOSS}) >>> 1] = loss;
  } else {
    throw new Error('unknown job kind ' + kind);
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (message) => start(message, (reply) => parentPort.postMessage(reply)));
} else {
  self.onmessage = (event) => start(event.data, (reply) => self.postMessage(reply));
}
`;

export type ThreadSupport = { ok: true } | { ok: false; reason: string };

type GetBuiltinModule = (name: string) => unknown;

/**
 * Node's (and Bun's) built-in modules without an import statement, so the
 * bundles for browsers and Workers carry no `node:` import. Deno has it too, but
 * there Web Workers are the native way, so Deno takes the web path.
 */
function nodeBuiltins(): GetBuiltinModule | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: GetBuiltinModule }; Deno?: unknown };
  return host.Deno === undefined ? host.process?.getBuiltinModule : undefined;
}

const isNodeLike = (): boolean => nodeBuiltins() !== undefined;

/** Whether this runtime can run the threaded mode, and if not, why. */
export function threadSupport(): ThreadSupport {
  if (typeof Atomics === 'undefined') return { ok: false, reason: 'Atomics is not available here' };
  if (typeof SharedArrayBuffer === 'undefined') {
    return {
      ok: false,
      reason:
        'SharedArrayBuffer is not available here (a browser page needs cross-origin isolation: COOP/COEP headers)',
    };
  }
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) {
    return {
      ok: false,
      reason:
        'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
    };
  }
  if (!isNodeLike() && typeof Worker === 'undefined')
    return { ok: false, reason: 'this runtime has no Worker (e.g. Cloudflare Workers)' };
  return { ok: true };
}

interface Helper {
  post(message: unknown): void;
  ready: Promise<void>;
  /** Ends the thread; resolves once it has ended (Node) or at once (Web Workers end synchronously). */
  terminate(): Promise<void>;
}

/**
 * A helper thread; `onDeath` hears, once, why it stopped when it stops on its own (an error
 * it threw, or its exit), as an event between calls.
 */
function spawnHelper(onDeath: (reason: string) => void): Helper {
  if (isNodeLike()) {
    const { Worker: NodeWorker } = nodeBuiltins()!('node:worker_threads') as typeof import('node:worker_threads');
    const worker = new NodeWorker(HELPER_SOURCE, { eval: true });
    worker.unref(); // an idle helper must not keep the process alive
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.on('error', (error) => onDeath(`failed: ${(error as Error).message}`));
    worker.on('exit', (code) => onDeath(`exited (code ${code})`));
    return {
      post: (m) => worker.postMessage(m),
      ready,
      terminate: () => worker.terminate().then(() => undefined),
    };
  }
  const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (event) => reject(new Error(`simdnet: a helper thread failed to start: ${event.message}`));
  });
  ready.then(
    () => {
      worker.onerror = (event) => onDeath(`failed: ${event.message}`);
    },
    () => undefined,
  );
  return {
    post: (m) => worker.postMessage(m),
    ready: ready.finally(() => URL.revokeObjectURL(url)),
    terminate: async () => worker.terminate(),
  };
}

/** The first round, run by every thread at once (the core's shareDeltas, see assembly/parallel.ts). */
export interface DeltasRound {
  /** The dataset's descriptor. */
  data: number;
  /** Address of the batch's row indices. */
  indices: number;
  batchRows: number;
}

/**
 * Inference over a slice of rows in the helper's context: 'forward' runs the layers on the
 * rows its context's X already points at; 'predict' and 'evaluate' first gather dataset
 * rows start..start+rows into its X (evaluate also returns the slice's mean loss).
 */
export interface RowsJob {
  context: number;
  data: number;
  start: number;
  rows: number;
}
export type RowsKind = 'forward' | 'predict' | 'evaluate';

/** The core's splitUpdate, run by every thread at once (see assembly/parallel.ts). */
export interface SplitUpdateRound {
  mainContext: number;
  optimizer: number;
  /** Rows of the batch. */
  rows: number;
  step: number;
}

/** The core's work-counter offsets (bytes from the work pointer), as its exports give them. */
export type WorkCounters = Pick<Layout, 'WORK_NEXT_ROW' | 'WORK_NEXT_ITEM' | 'WORK_NEXT_BATCH_ROW' | 'WORK_BYTES'>;

/** Thrown by ThreadPool.join when a helper stopped during the round; the pool is then broken. */
export class HelperThreadError extends Error {}

/**
 * Helper threads attached to one shared memory. A helper that stops on its own (its job
 * threw, it exited, it was killed) breaks the pool for good: `broken` says why, the round
 * running then fails at once with a HelperThreadError, and the model stops using the pool.
 */
export class ThreadPool {
  private mainCanWait = isNodeLike() || typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
  /** Why the pool can no longer be used ('helper thread 2 exited (code 1)'), once a helper stopped. */
  broken: string | undefined;
  /** Set by stop(): the helpers' exits are then expected. */
  private stopping = false;
  /** When the current round was handed out (performance.now()), for join's timeout. */
  private roundStart = 0;
  /** Words (i32 index into memory) of the work counters. */
  private readonly nextRowWord: number;
  private readonly nextItemWord: number;
  private readonly nextBatchRowWord: number;

  private readonly helpers: Helper[] = [];

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    work: WorkCounters,
  ) {
    const base = (control >>> 2) + WORK;
    this.nextRowWord = base + (work.WORK_NEXT_ROW >>> 2);
    this.nextItemWord = base + (work.WORK_NEXT_ITEM >>> 2);
    this.nextBatchRowWord = base + (work.WORK_NEXT_BATCH_ROW >>> 2);
  }

  /** Starts `count` helpers, each with its own instance of `module` on `memory`. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    count: number,
    work: WorkCounters,
  ): Promise<ThreadPool> {
    if (work.WORK_BYTES > WORK_ROOM)
      throw new Error(`simdnet: the core's work counters (${work.WORK_BYTES} bytes) do not fit the control block`);
    const pool = new ThreadPool(memory, control, work);
    const helpers = pool.helpers;
    for (let h = 0; h < count; h++) helpers.push(spawnHelper((reason) => pool.markBroken(h, reason)));
    try {
      helpers.forEach((helper, index) => helper.post({ module, memory, control, index, wideTiles: wideTiles() }));
      await Promise.all(helpers.map((helper) => helper.ready));
    } catch (error) {
      pool.stop();
      throw error;
    }
    return pool;
  }

  /** Records the first helper to stop on its own (helper h is 'helper thread h + 1': the main thread is 0). */
  private markBroken(h: number, reason: string): void {
    if (this.stopping || this.broken) return;
    this.broken = `helper thread ${h + 1} ${reason}`;
  }

  /**
   * For tests: ends helper `h` as a crash would (the pool hears its exit as an event, as it
   * would any other). Resolves once the thread has ended.
   */
  terminateHelper(h: number): Promise<void> {
    return this.helpers[h].terminate();
  }

  get size(): number {
    return this.helpers.length;
  }

  private words(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  /**
   * Hands the first round to the helpers (each with its own context) after zeroing its work
   * counter; the caller runs its own part with shareDeltasArgs.
   */
  dispatchDeltas(round: DeltasRound, contexts: number[]): void {
    this.words()[this.nextBatchRowWord] = 0;
    this.dispatch(
      KIND_DELTAS,
      contexts.map((context) => this.shareDeltasArgs(round, context)),
    );
  }

  /** The core's shareDeltas arguments for one thread's context. */
  shareDeltasArgs(round: DeltasRound, context: number): [number, number, number, number, number, number] {
    return [context, round.data, round.indices, round.batchRows, this.control + WORK * 4, this.helpers.length + 1];
  }

  /** Hands one inference job to each helper (jobs.length === size) and returns at once. */
  dispatchRows(kind: RowsKind, jobs: RowsJob[]): void {
    const code = kind === 'forward' ? KIND_FORWARD : kind === 'predict' ? KIND_PREDICT_ROWS : KIND_EVALUATE_ROWS;
    this.dispatch(
      code,
      jobs.map((job) => [job.context, job.data, job.start, job.rows]),
    );
  }

  /**
   * Hands the splitUpdate round to the helpers (each with its own context, for its scratch)
   * after zeroing the work counters; the caller runs its own part with splitUpdateArgs.
   */
  dispatchSplitUpdate(round: SplitUpdateRound, contexts: number[]): void {
    const words = this.words();
    words[this.nextRowWord] = 0;
    words[this.nextItemWord] = 0;
    this.dispatch(
      KIND_SPLIT_UPDATE,
      contexts.map((context) => this.splitUpdateArgs(round, context)),
    );
  }

  /** Writes each helper's job (its arguments and the kind) into its slot, then starts the round. */
  private dispatch(kind: number, args: number[][]): void {
    const words = this.words();
    args.forEach((values, h) => {
      const slot = this.slot(h);
      for (let i = 0; i < values.length; i++) words[slot + i] = values[i];
      words[slot + JOB_KIND] = kind;
    });
    this.startRound(words);
  }

  /** The core's splitUpdate arguments for one thread's context. */
  splitUpdateArgs(round: SplitUpdateRound, context: number): [number, number, number, number, number, number, number] {
    return [
      context,
      round.mainContext,
      round.optimizer,
      round.rows,
      this.control + WORK * 4,
      this.helpers.length + 1,
      round.step,
    ];
  }

  /** Address (in i32 words) of helper h's job slot. */
  private slot(h: number): number {
    return (this.control >>> 2) + JOBS + h * JOB_WORDS;
  }

  private startRound(words: Int32Array): void {
    const base = this.control >>> 2;
    if (this.broken) throw new HelperThreadError(`simdnet: ${this.broken}`);
    this.roundStart = performance.now();
    Atomics.store(words, base + DONE, 0);
    Atomics.add(words, base + GENERATION, 1);
    Atomics.notify(words, base + GENERATION);
  }

  /**
   * Blocks until every helper has finished its job; returns their losses. Throws a
   * HelperThreadError (and the pool is broken from then on) when a helper's job threw, or
   * when the helpers are still not done long after the main thread finished its own part
   * (JOIN_TIMEOUT_MS): a helper killed in the middle of the round.
   */
  join(): number[] {
    const words = this.words();
    const base = this.control >>> 2;
    const count = this.helpers.length;
    let since = 0;
    let timeout = 0;
    for (let spins = 1; ; spins++) {
      const done = Atomics.load(words, base + DONE);
      const failed = Atomics.load(words, base + FAILED);
      if (failed !== 0) {
        this.markBroken(failed - 1, 'failed during a round');
        throw new HelperThreadError(`simdnet: ${this.broken}`);
      }
      if (done === count) break;
      if ((spins & (SPIN_CHECK - 1)) !== 0) continue;
      const now = performance.now();
      since ||= now;
      if (now - since < SPIN_MS) continue;
      if (this.mainCanWait) {
        try {
          Atomics.wait(words, base + DONE, done, 10);
        } catch {
          this.mainCanWait = false; // a browser main thread may not wait: keep spinning
        }
      }
      timeout ||= JOIN_TIMEOUT_MS + JOIN_TIMEOUT_FACTOR * (since - this.roundStart);
      if (now - since > timeout) {
        const late = this.helpers.length - done;
        this.broken ??= `${late} helper thread${late > 1 ? 's' : ''} did not finish a round within ${(timeout / 1000).toFixed(0)} s`;
        throw new HelperThreadError(`simdnet: ${this.broken}`);
      }
    }
    const floats = new Float64Array(this.memory.buffer);
    return this.helpers.map((_, h) => floats[(this.slot(h) + JOB_LOSS) >>> 1]);
  }

  /** Stops and terminates the helpers. */
  stop(): void {
    this.stopping = true;
    const words = this.words();
    const base = this.control >>> 2;
    Atomics.store(words, base + STOP, 1);
    Atomics.add(words, base + GENERATION, 1);
    Atomics.notify(words, base + GENERATION);
    for (const helper of this.helpers) void helper.terminate();
  }
}

/** Cores available to this process (navigator.hardwareConcurrency, or Node's os.availableParallelism). */
export function availableCores(): number {
  const reported = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (reported) return reported;
  const os = nodeBuiltins()?.('node:os') as typeof import('node:os') | undefined;
  return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
}
