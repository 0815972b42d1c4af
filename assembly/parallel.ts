// -----------------------------------------------------------------------------
// Data-parallel training support. Each thread runs gradientStep() on its slice of
// the batch with its own context (its own gradient buffer and GEMM scratch; its
// rows of X, T, A and D), over shared parameters. Then each thread updates a
// share of the parameters:
//
//   reduceAndUpdate  adds the helpers' gradients for a range of the flat buffers
//                    into the optimizer's, then applies the optimizer to it;
//   splitUpdate      the same, plus the first layer's weight gradient computed
//                    over the whole batch by input rows (its rows of gW are whole
//                    without any reduction) and their update; the threads share the
//                    work out through counters as they go, so none waits on a slower one.
//
// splitUpdate needs the threads' rows of X and of the first layer's δ to lie
// one after another (the host points each helper context at its rows of the
// main context's buffers). The first layer holds most parameters of a typical
// MLP (100,352 of 109,386 for 784-128-64-10), so its gradient is then neither
// written once per thread nor added up: that is most of the reduction's traffic.
// -----------------------------------------------------------------------------

import { gemmPacked, columnSums, GEMM_SPARSE_A, GEMM_PREPACKED_B, FINISH_NONE } from './gemm';
import {
  layerRecord, field, pointer, CTX_X, CTX_SCRATCH, CTX_PACKED_DELTA, LAYER_IN, LAYER_OUT, LAYER_D, LAYER_GW, LAYER_GB,
  updateRange, OPT_GRADS, OPT_LENGTH, OPT_PARAMS, OPT_MOMENT1, OPT_MOMENT2, OPT_KIND, OPT_LEARNING_RATE, OPT_BETA1, OPT_BETA2,
  OPT_EPSILON, OPT_WEIGHT_DECAY, OPTIMIZER_ADAM, OPTIMIZER_ADAMW,
} from './network';
import { adamStepSum } from './optimizers';

/** dst[n] += src[n]: the gradient reduction. */
export function accumulate(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
  }
}

/**
 * A thread's share of the update after the gradient steps: adds every helper's
 * gradients for parameters [start, start + count) into the main gradient buffer
 * (the optimizer's), then applies the optimizer to that range. `sources` points
 * to `sourceCount` i32 addresses of the helpers' gradient buffers.
 */
export function reduceAndUpdate(opt: usize, sources: usize, sourceCount: i32, start: i32, count: i32, step: i32): void {
  const offset = <usize>start << 2;
  const grads = <usize>load<u32>(opt + <usize>OPT_GRADS) + offset;
  const kind = load<i32>(opt + <usize>OPT_KIND);
  if (sourceCount == 1 && (kind == OPTIMIZER_ADAM || kind == OPTIMIZER_ADAMW)) {
    // Two threads, Adam: the two gradients are added inside Adam's pass (the sum is not
    // stored), one pass over the buffers instead of two. Same arithmetic, same results.
    adamStepSum(
      <usize>load<u32>(opt + <usize>OPT_PARAMS) + offset, grads, <usize>load<u32>(sources) + offset,
      <usize>load<u32>(opt + <usize>OPT_MOMENT1) + offset, <usize>load<u32>(opt + <usize>OPT_MOMENT2) + offset, count,
      load<f32>(opt + <usize>OPT_LEARNING_RATE), load<f32>(opt + <usize>OPT_BETA1), load<f32>(opt + <usize>OPT_BETA2),
      load<f32>(opt + <usize>OPT_EPSILON), load<f32>(opt + <usize>OPT_WEIGHT_DECAY), kind == OPTIMIZER_ADAMW, step, 1,
    );
    return;
  }
  for (let s = 0; s < sourceCount; s++) {
    accumulate(grads, <usize>load<u32>(sources + (<usize>s << 2)) + offset, count);
  }
  updateRange(opt, start, count, step, 1);
}

// --- the second round, shared out as it goes ------------------------------------

/** Work counters of splitUpdate: next input row of W₀, next item of the later layers (i32 each). */
export const WORK_NEXT_ROW: i32 = 0;
export const WORK_NEXT_ITEM: i32 = 4;
/** Fewest input rows a thread takes at once (a multiple of 4: shares of W₀ then start on a SIMD lane). */
const MIN_ROWS_TAKEN: i32 = 16;
/** Floats of the later layers' parameters per item. */
const REST_ITEM_FLOATS: i32 = 4096;

/**
 * A thread's part of the update when the first layer's gradient is split by input rows
 * (the gradient steps ran with skipFirstLayer). Every thread runs this at once with the
 * same arguments but its own context (`ownCtx`: its scratch), and takes work from the
 * counters at `work` (zeroed by the host before the round) until none is left, so a thread
 * that finds its core slower or its rows denser simply takes less:
 *
 *   1. input rows of W₀, in guided chunks (half the remaining rows per thread, at least
 *      MIN_ROWS_TAKEN): for rows i₀..i₁ over the whole batch (`rows`: every thread's rows of
 *      X and δ₀, one after another from the main context's)
 *        gW₀[i₀..i₁, :] = X[0..rows, i₀..i₁]ᵀ · δ₀[0..rows, :]
 *      straight into the optimizer's gradient buffer, then the optimizer on those rows of W₀
 *      (the last chunk also covers W₀'s padding);
 *   2. items: the first, gb₀ = Σ_rows δ₀ and its update; then REST_ITEM_FLOATS-float ranges
 *      of the later layers from `restStart` on: reduceAndUpdate (the helpers' gradients
 *      added to the main buffer, then the update).
 *
 * The first layer's gradient is the single-thread one bit for bit (each output is the same
 * sum in the same order, whoever computes it).
 */
export function splitUpdate(
  ownCtx: usize, mainCtx: usize, opt: usize, sources: usize, sourceCount: i32, rows: i32,
  work: usize, threads: i32, restStart: i32, step: i32,
): void {
  const layer = layerRecord(mainCtx, 0);
  const inSize = field(layer, LAYER_IN);
  const outSize = field(layer, LAYER_OUT);
  const delta = pointer(layer, LAYER_D);
  const grads = <usize>load<u32>(opt + <usize>OPT_GRADS);
  const weightGrads = pointer(layer, LAYER_GW);
  const inputs = pointer(mainCtx, CTX_X);
  const scratch = pointer(ownCtx, CTX_SCRATCH);
  // δ₀ packed once by the gradient steps (each its rows) instead of by every chunk's product.
  const packedDelta = pointer(mainCtx, CTX_PACKED_DELTA);
  const deltaB = packedDelta ? packedDelta : delta;
  const flags = packedDelta ? GEMM_SPARSE_A | GEMM_PREPACKED_B : GEMM_SPARSE_A;
  const paddedWeights = (inSize * outSize + 3) & ~3;
  for (;;) {
    const inStart = takeRows(work + <usize>WORK_NEXT_ROW, inSize, threads);
    if (inStart >= inSize) break;
    const inEnd = min(inSize, inStart + guidedChunk(inSize - inStart, threads));
    const rowsGrads = weightGrads + (<usize>(inStart * outSize) << 2);
    gemmPacked(inEnd - inStart, outSize, rows, inputs + (<usize>inStart << 2), 1, inSize, deltaB, outSize, 1, rowsGrads, outSize, 0, FINISH_NONE, 0, flags, scratch);
    const weightCount = (inEnd == inSize ? paddedWeights : inEnd * outSize) - inStart * outSize;
    updateRange(opt, <i32>((rowsGrads - grads) >> 2), weightCount, step, 1);
  }
  const restLength = load<i32>(opt + <usize>OPT_LENGTH) - restStart;
  const restItems = (restLength + REST_ITEM_FLOATS - 1) / REST_ITEM_FLOATS;
  for (;;) {
    const item = fetchAdd(work + <usize>WORK_NEXT_ITEM, 1);
    if (item > restItems) break;
    if (item == 0) {
      const biasGrads = pointer(layer, LAYER_GB);
      columnSums(delta, rows, outSize, biasGrads);
      updateRange(opt, <i32>((biasGrads - grads) >> 2), (outSize + 3) & ~3, step, 1);
    } else {
      const start = restStart + (item - 1) * REST_ITEM_FLOATS;
      reduceAndUpdate(opt, sources, sourceCount, start, min(REST_ITEM_FLOATS, restLength - (item - 1) * REST_ITEM_FLOATS), step);
    }
  }
}

/** Rows to take when `remaining` are left: half of a fair share, at least MIN_ROWS_TAKEN, a multiple of 4. */
// @ts-ignore: decorator
@inline function guidedChunk(remaining: i32, threads: i32): i32 {
  return max(MIN_ROWS_TAKEN, ((remaining + 2 * threads - 1) / (2 * threads) + 3) & ~3);
}

/** Claims the next chunk of input rows: returns its first row (inSize or more: none left). */
function takeRows(counter: usize, inSize: i32, threads: i32): i32 {
  let start = atomicLoad(counter);
  while (start < inSize) {
    const seen = compareExchange(counter, start, start + guidedChunk(inSize - start, threads));
    if (seen == start) break;
    start = seen; // another thread took rows first: try again from where it left the counter
  }
  return start;
}

// Atomics where the core is built with threads (the threaded mode always loads that build);
// plain memory operations in the single-thread builds, where nothing else can race.
// @ts-ignore: decorator
@inline function atomicLoad(p: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.load<i32>(p);
  return load<i32>(p);
}
// @ts-ignore: decorator
@inline function fetchAdd(p: usize, v: i32): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(p, v);
  const old = load<i32>(p);
  store<i32>(p, old + v);
  return old;
}
// @ts-ignore: decorator
@inline function compareExchange(p: usize, expected: i32, replacement: i32): i32 {
  if (ASC_FEATURE_THREADS) return atomic.cmpxchg<i32>(p, expected, replacement);
  const old = load<i32>(p);
  if (old == expected) store<i32>(p, replacement);
  return old;
}
