// -----------------------------------------------------------------------------
// Data-parallel training support. A threaded batch is two rounds:
//
//   1. shareDeltas: the threads take chunks of the batch's rows from a counter as they
//      go and run gradientStep(deltasOnly) on each, in their own context pointed at
//      those rows of the main buffers (X, T, A, D; their own GEMM scratch), over the
//      shared parameters: forward, loss and the deltas δ of every layer, no weight
//      gradients; each chunk's δ rows go into each layer's shared packed copy. Rows are
//      independent here, so whoever computes a row computes the same numbers;
//   2. splitUpdate: the threads compute every layer's weight gradient over the WHOLE
//      batch, split by input rows (gW[i₀..i₁, :] = A_prev[:, i₀..i₁]ᵀ · δ: those rows of
//      gW are complete, no reduction), straight into the optimizer's buffer, and update
//      them (and pack the updated rows for the next forward: PW); then each bias gradient
//      (a column sum of δ) and its update. They take the work from counters in shared
//      memory as they go, so a slower thread takes less.
//
// Dropout draws each row's mask from its position in the whole batch (CTX_FIRST_ROW), so a
// chunk's masks are the one-thread masks; the L1/L2 gradients are added to the rows of gW
// where they are computed. Batch norm needs the whole batch's statistics per unit: with it,
// the first round gives each thread a fixed share of the rows and meets at a barrier around
// each batch-norm layer, where the threads split the layer's units and run batch norm's
// training forward (and later its backward) over all the batch's rows (batchNormDeltas).
// A unit's statistics are the same sums in the same order whoever computes them: the
// one-thread bits. γ and β are updated with the layer's bias item in the second round.
//
// Every gradient is the one-thread gradient bit for bit (each element is the same sum
// in the same order, whoever computes it), and Adam/SGD act element by element: a
// threaded step gives exactly the single-thread parameters.
//
// splitUpdate needs the threads' rows of X, A and δ to lie one after another (the
// host points each helper context at its rows of the main context's buffers). With
// clipping or gradient-norm tracking the whole gradient's norm is needed before any
// update: splitUpdate then only computes the gradients (step 0) and the host runs
// the optimizer step (network.ts optimizerStep), the one-thread step exactly.
// -----------------------------------------------------------------------------

import { gemmPacked, columnSums, packPanels, GEMM_SPARSE_A, GEMM_PREPACKED_B, FINISH_NONE } from './gemm';
import {
  layerRecord, field, pointer, updateRange, gradientStep, layerInput, gatherBatch, forwardDense, forwardActivation, preActivations,
  batchNormTrainingUnits, batchNormBackwardUnits, backwardLayer, outputLoss,
} from './network';
import { penalizeWeights } from './regularize';
import {
  WORK_NEXT_ROW, WORK_NEXT_ITEM, WORK_NEXT_BATCH_ROW, CTX_NUM_LAYERS, CTX_INPUT_SIZE, CTX_OUTPUT_SIZE, CTX_X, CTX_T,
  CTX_SCRATCH, CTX_FIRST_ROW, CTX_STAT_CORRECT, CTX_ROW_WEIGHTS, DATA_WEIGHTS, LAYER_IN, LAYER_OUT, LAYER_A, LAYER_D, LAYER_PD, LAYER_PW, LAYER_W, LAYER_GW,
  LAYER_GB, LAYER_Z, LAYER_DROPPED, LAYER_L1, LAYER_L2, LAYER_BN_GAMMA, LAYER_BN_GRAD_GAMMA, OPT_GRADS, WORK_BARRIER,
} from './abi';

// --- the first round, shared out as it goes --------------------------------------


/**
 * A thread's part of the first round: chunks of rows [r₀, r₁) of the batch of `batchRows`
 * (gathered through `indices`), taken from the counter at `work` + WORK_NEXT_BATCH_ROW
 * (zeroed by the host) until none is left, each run by gradientStep with deltasOnly in
 * `ownCtx` moved to those rows. Returns the thread's share of the batch's mean loss; its
 * count of correct rows is left in CTX_STAT_CORRECT and `ownCtx` is moved back to row 0.
 */
export function shareDeltas(ownCtx: usize, data: usize, indices: usize, batchRows: i32, work: usize, threads: i32): f64 {
  if (hasBatchNorm(ownCtx)) return batchNormDeltas(ownCtx, data, indices, batchRows, work, threads);
  let loss: f64 = 0;
  let correct = 0;
  const counter = work + <usize>WORK_NEXT_BATCH_ROW;
  for (;;) {
    const start = takeRows(0, counter, batchRows, threads);
    if (start >= batchRows) break;
    const end = chunkEnd(0, start, batchRows, threads);
    moveRows(ownCtx, start);
    loss += gradientStep(ownCtx, data, indices + (<usize>start << 2), end - start, batchRows, 1);
    correct += field(ownCtx, CTX_STAT_CORRECT);
  }
  moveRows(ownCtx, 0);
  store<i32>(ownCtx + <usize>CTX_STAT_CORRECT, correct);
  return loss;
}

/** Whether a layer of the context has batch norm. */
function hasBatchNorm(ctx: usize): bool {
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  for (let l = 0; l < numLayers; l++) if (pointer(layerRecord(ctx, l), LAYER_BN_GAMMA)) return true;
  return false;
}

/**
 * The first round for a network with batch norm. Each thread takes a ticket (its index i,
 * from the WORK_NEXT_BATCH_ROW counter) and the rows [i·s, (i+1)·s) of the batch, s =
 * ⌈batchRows/threads⌉ (perhaps none), and runs gradientStep's steps on them in `ownCtx`;
 * around each batch-norm layer every thread waits at the barrier, then takes units
 * [i·u, (i+1)·u) (u = ⌈units/threads⌉ rounded up to 4) over ALL the rows for batch norm's
 * training forward (on the way down) and backward (on the way up), and waits again.
 * Returns the thread's share of the batch's mean loss; its correct count in CTX_STAT_CORRECT.
 */
function batchNormDeltas(ownCtx: usize, data: usize, indices: usize, batchRows: i32, work: usize, threads: i32): f64 {
  const index = fetchAdd(work + <usize>WORK_NEXT_BATCH_ROW, 1);
  const barrier = work + <usize>WORK_BARRIER;
  const share = (batchRows + threads - 1) / threads;
  const r0 = min(batchRows, index * share);
  const count = min(batchRows, r0 + share) - r0;
  const numLayers = field(ownCtx, CTX_NUM_LAYERS);
  moveRows(ownCtx, r0);
  if (count > 0) gatherBatch(ownCtx, data, indices + (<usize>r0 << 2), 0, count);
  let input = pointer(ownCtx, CTX_X);
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ownCtx, l);
    const outSize = field(layer, LAYER_OUT);
    if (count > 0) forwardDense(ownCtx, l, count, input);
    const z = preActivations(ownCtx, l);
    if (pointer(layer, LAYER_BN_GAMMA)) {
      waitAtBarrier(barrier, threads);
      const units = unitsShare(outSize, threads);
      const c0 = min(outSize, index * units);
      const c1 = min(outSize, c0 + units);
      // z of the whole batch: the main buffer from row 0.
      if (c1 > c0) batchNormTrainingUnits(layer, z - (<usize>(r0 * outSize) << 2), batchRows, c0, c1);
      waitAtBarrier(barrier, threads);
    }
    if (count > 0) input = forwardActivation(ownCtx, l, count, z, true);
  }
  let loss: f64 = 0;
  let correct = 0;
  if (count > 0) {
    loss = outputLoss(ownCtx, count, batchRows, true, pointer(data, DATA_WEIGHTS) != 0);
    correct = field(ownCtx, CTX_STAT_CORRECT);
  }
  for (let l = numLayers - 1; l >= 0; l--) {
    const layer = layerRecord(ownCtx, l);
    const outSize = field(layer, LAYER_OUT);
    if (pointer(layer, LAYER_BN_GAMMA)) {
      waitAtBarrier(barrier, threads);
      const units = unitsShare(outSize, threads);
      const c0 = min(outSize, index * units);
      const c1 = min(outSize, c0 + units);
      if (c1 > c0) batchNormBackwardUnits(layer, pointer(layer, LAYER_D) - (<usize>(r0 * outSize) << 2), batchRows, c0, c1);
      waitAtBarrier(barrier, threads);
    }
    if (count > 0) backwardLayer(ownCtx, l, count, true);
  }
  if (count > 0) {
    for (let l = 0; l < numLayers; l++) {
      const layer = layerRecord(ownCtx, l);
      const packed = pointer(layer, LAYER_PD);
      if (packed) packPanels(pointer(layer, LAYER_D), count, field(layer, LAYER_OUT), packed, batchRows, r0);
    }
  }
  moveRows(ownCtx, 0);
  store<i32>(ownCtx + <usize>CTX_STAT_CORRECT, correct);
  return loss;
}

/** Units per thread in batch norm's steps: ⌈units/threads⌉ rounded up to 4 (a SIMD group). */
// @ts-ignore: decorator
@inline function unitsShare(units: i32, threads: i32): i32 {
  return (((units + threads - 1) / threads) + 3) & ~3;
}

/**
 * Waits until all `threads` threads have arrived at the barrier at `p` (arrivals in the low
 * 16 bits, the generation above): the last to arrive starts the next generation with 0
 * arrivals, the others spin until the generation changes.
 */
function waitAtBarrier(p: usize, threads: i32): void {
  if (threads <= 1) return;
  const arrived = <u32>fetchAdd(p, 1);
  const generation = arrived >>> 16;
  if (<i32>(arrived & 0xffff) == threads - 1) {
    atomicStore(p, <i32>((generation + 1) << 16));
    return;
  }
  while ((<u32>atomicLoad(p) >>> 16) == generation) {
    // spin: the others are computing their rows or units
  }
}

/** Points a context's X, T and every layer's A and D at batch row `row` (from the row its CTX_FIRST_ROW names). */
function moveRows(ctx: usize, row: i32): void {
  const shift = row - field(ctx, CTX_FIRST_ROW);
  if (shift == 0) return;
  store<i32>(ctx + <usize>CTX_X, field(ctx, CTX_X) + shift * (field(ctx, CTX_INPUT_SIZE) << 2));
  store<i32>(ctx + <usize>CTX_T, field(ctx, CTX_T) + shift * (field(ctx, CTX_OUTPUT_SIZE) << 2));
  // The rows' loss weights (sample and class weights) move with the rows too.
  if (field(ctx, CTX_ROW_WEIGHTS)) store<i32>(ctx + <usize>CTX_ROW_WEIGHTS, field(ctx, CTX_ROW_WEIGHTS) + (shift << 2));
  const numLayers = field(ctx, CTX_NUM_LAYERS);
  for (let l = 0; l < numLayers; l++) {
    const layer = layerRecord(ctx, l);
    const rowBytes = field(layer, LAYER_OUT) << 2;
    store<i32>(layer + <usize>LAYER_A, field(layer, LAYER_A) + shift * rowBytes);
    store<i32>(layer + <usize>LAYER_D, field(layer, LAYER_D) + shift * rowBytes);
    // The optional row buffers (0: none) move with the rows.
    if (field(layer, LAYER_Z)) store<i32>(layer + <usize>LAYER_Z, field(layer, LAYER_Z) + shift * rowBytes);
    if (field(layer, LAYER_DROPPED)) store<i32>(layer + <usize>LAYER_DROPPED, field(layer, LAYER_DROPPED) + shift * rowBytes);
  }
  store<i32>(ctx + <usize>CTX_FIRST_ROW, row);
}

// --- the second round, shared out as it goes ------------------------------------


/**
 * A thread's part of the second round (the gradient steps ran with deltasOnly). Every
 * thread runs this at once with the same arguments but its own context (`ownCtx`: its
 * scratch), and takes work from the counters at `work` (zeroed by the host before the
 * round) until none is left:
 *
 *   1. weight rows: the input rows of all layers, first layer first, in guided chunks (half
 *      the remaining rows per thread, at least MIN_ROWS_TAKEN, never across a layer's end):
 *      for rows i₀..i₁ of layer l, over the whole batch (`rows`: every thread's rows, one
 *      after another from the main context's)
 *        gW_l[i₀..i₁, :] = A_{l-1}[0..rows, i₀..i₁]ᵀ · δ_l[0..rows, :]     (A_{-1} = X)
 *      straight into the optimizer's gradient buffer, then the optimizer on those rows
 *      (a layer's last chunk also covers its padding);
 *   2. bias items, one per layer: gb_l = Σ_rows δ_l and its update.
 *
 * `step` 0: compute the gradients only, no update (the host's optimizerStep follows).
 */
export function splitUpdate(ownCtx: usize, mainCtx: usize, opt: usize, rows: i32, work: usize, threads: i32, step: i32): void {
  const numLayers = field(mainCtx, CTX_NUM_LAYERS);
  const grads = <usize>load<u32>(opt + <usize>OPT_GRADS);
  const scratch = pointer(ownCtx, CTX_SCRATCH);
  let totalRows = 0;
  for (let l = 0; l < numLayers; l++) totalRows += field(layerRecord(mainCtx, l), LAYER_IN);
  for (;;) {
    const start = takeRows(mainCtx, work + <usize>WORK_NEXT_ROW, totalRows, threads);
    if (start >= totalRows) break;
    const end = chunkEnd(mainCtx, start, totalRows, threads);
    // The chunk's layer, and its rows there.
    let l = 0;
    let layerStart = 0;
    while (start >= layerStart + field(layerRecord(mainCtx, l), LAYER_IN)) layerStart += field(layerRecord(mainCtx, l++), LAYER_IN);
    weightRows(mainCtx, opt, grads, l, start - layerStart, end - layerStart, rows, step, scratch);
  }
  for (;;) {
    const l = fetchAdd(work + <usize>WORK_NEXT_ITEM, 1);
    if (l >= numLayers) break;
    const layer = layerRecord(mainCtx, l);
    const outSize = field(layer, LAYER_OUT);
    const biasGrads = pointer(layer, LAYER_GB);
    columnSums(pointer(layer, LAYER_D), rows, outSize, biasGrads);
    if (step != 0) updateRange(opt, <i32>((biasGrads - grads) >> 2), (outSize + 3) & ~3, step, 1);
    // Batch norm's γ and β (one after the other, each padded to 4), their gradients from the first round.
    const gammaGrads = pointer(layer, LAYER_BN_GRAD_GAMMA);
    if (step != 0 && gammaGrads) updateRange(opt, <i32>((gammaGrads - grads) >> 2), 2 * ((outSize + 3) & ~3), step, 1);
  }
}

/** Rows i₀..i₁ of layer l's weight gradient over the whole batch, then their update. */
function weightRows(mainCtx: usize, opt: usize, grads: usize, l: i32, i0: i32, i1: i32, rows: i32, step: i32, scratch: usize): void {
  const layer = layerRecord(mainCtx, l);
  const inSize = field(layer, LAYER_IN);
  const outSize = field(layer, LAYER_OUT);
  const inputs = layerInput(mainCtx, l);
  const rowsGrads = pointer(layer, LAYER_GW) + (<usize>(i0 * outSize) << 2);
  // δ packed once by the gradient steps (each its rows), else read (and packed) from D.
  const packed = pointer(layer, LAYER_PD);
  // The first layer's inputs may be sparse, as in the one-thread backward (same sums either way).
  const flags = (l == 0 ? GEMM_SPARSE_A : 0) | (packed ? GEMM_PREPACKED_B : 0);
  gemmPacked(
    i1 - i0, outSize, rows, inputs + (<usize>i0 << 2), 1, inSize, packed ? packed : pointer(layer, LAYER_D), outSize, 1,
    rowsGrads, outSize, 0, FINISH_NONE, 0, flags, scratch,
  );
  // The weight penalties' gradient on these rows (their loss is the host's: penaltyLoss).
  const l1 = load<f32>(layer + <usize>LAYER_L1);
  const l2 = load<f32>(layer + <usize>LAYER_L2);
  if (l1 != 0 || l2 != 0) {
    penalizeWeights(pointer(layer, LAYER_W) + (<usize>(i0 * outSize) << 2), rowsGrads, (i1 - i0) * outSize, l1, l2);
  }
  if (step == 0) return;
  const paddedWeights = (inSize * outSize + 3) & ~3;
  const weightCount = (i1 == inSize ? paddedWeights : i1 * outSize) - i0 * outSize;
  updateRange(opt, <i32>((rowsGrads - grads) >> 2), weightCount, step, 1);
  // The updated rows into the packed copy the next forward reads (PW), while they are in cache.
  const packedWeights = pointer(layer, LAYER_PW);
  if (packedWeights) packPanels(pointer(layer, LAYER_W) + (<usize>(i0 * outSize) << 2), i1 - i0, outSize, packedWeights, inSize, i0);
}

// --- chunks of rows, claimed from a shared counter -----------------------------------

/** Fewest rows a thread takes at once (a multiple of 4: shares of W then start on a SIMD lane). */
const MIN_ROWS_TAKEN: i32 = 16;

/** Rows to take when `remaining` are left: half of a fair share, at least MIN_ROWS_TAKEN, a multiple of 4. */
// @ts-ignore: decorator
@inline function guidedChunk(remaining: i32, threads: i32): i32 {
  return max(MIN_ROWS_TAKEN, ((remaining + 2 * threads - 1) / (2 * threads) + 3) & ~3);
}

/**
 * The end of the chunk that starts at row `start` of `totalRows`: a guided chunk; with
 * `layersCtx` (weight rows over all layers of that context), cut at its layer's last row.
 */
function chunkEnd(layersCtx: usize, start: i32, totalRows: i32, threads: i32): i32 {
  let end = min(totalRows, start + guidedChunk(totalRows - start, threads));
  if (layersCtx) {
    let layerEnd = 0;
    for (let l = 0; layerEnd <= start; l++) layerEnd += field(layerRecord(layersCtx, l), LAYER_IN);
    end = min(end, layerEnd);
  }
  return end;
}

/** Claims the next chunk (see chunkEnd) from `counter`: returns its first row (totalRows or more: none left). */
function takeRows(layersCtx: usize, counter: usize, totalRows: i32, threads: i32): i32 {
  let start = atomicLoad(counter);
  while (start < totalRows) {
    const seen = compareExchange(counter, start, chunkEnd(layersCtx, start, totalRows, threads));
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
@inline function atomicStore(p: usize, v: i32): void {
  if (ASC_FEATURE_THREADS) atomic.store<i32>(p, v);
  else store<i32>(p, v);
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
