// -----------------------------------------------------------------------------
// Data-parallel training support. Each thread runs gradientStep() on its slice of
// the batch with its own context (its own gradient buffer and GEMM scratch; its
// rows of X, T, A and D), over shared parameters. Then each thread updates a
// share of the parameters:
//
//   reduceAndUpdate  adds the helpers' gradients for a range of the flat buffers
//                    into the optimizer's, then applies the optimizer to it;
//   splitUpdate      the same, plus the first layer's weight gradient computed
//                    over the whole batch for a range of input rows (its rows of
//                    gW are whole without any reduction) and their update.
//
// splitUpdate needs the threads' rows of X and of the first layer's δ to lie
// one after another (the host points each helper context at its rows of the
// main context's buffers). The first layer holds most parameters of a typical
// MLP (100,352 of 109,386 for 784-128-64-10), so its gradient is then neither
// written once per thread nor added up: that is most of the reduction's traffic.
// -----------------------------------------------------------------------------

import { gemmPacked, columnSums, GEMM_SPARSE_A, FINISH_NONE } from './gemm';
import {
  layerRecord, field, pointer, CTX_X, CTX_SCRATCH, LAYER_IN, LAYER_OUT, LAYER_D, LAYER_GW, LAYER_GB,
  updateRange, OPT_GRADS, OPT_PARAMS, OPT_MOMENT1, OPT_MOMENT2, OPT_KIND, OPT_LEARNING_RATE, OPT_BETA1, OPT_BETA2,
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

/**
 * One thread's share of the update when the first layer's gradient is split by input
 * rows (the gradient steps ran with skipFirstLayer):
 *
 *   gW₀[inStart .. inStart+inCount, :] = X[0..rows, inStart ..]ᵀ · δ₀[0..rows, :]
 *
 * over the whole batch (`rows`: every thread's rows of X and δ₀, one after another from
 * the main context's), straight into the optimizer's gradient buffer; then the optimizer
 * on those `weightCount` floats of W₀ (the last share also covers W₀'s padding). With
 * `withBias`, also gb₀ = Σ_rows δ₀ and its update. Then reduceAndUpdate for the floats
 * [restStart, restStart + restCount) of the later layers. `ownCtx` supplies the scratch.
 * The first layer's gradient is the single-thread one bit for bit (same sums, same order).
 */
export function splitUpdate(
  ownCtx: usize, mainCtx: usize, opt: usize, sources: usize, sourceCount: i32, rows: i32,
  inStart: i32, inCount: i32, weightCount: i32, withBias: i32, restStart: i32, restCount: i32, step: i32,
): void {
  const layer = layerRecord(mainCtx, 0);
  const inSize = field(layer, LAYER_IN);
  const outSize = field(layer, LAYER_OUT);
  const delta = pointer(layer, LAYER_D);
  const grads = <usize>load<u32>(opt + <usize>OPT_GRADS);
  const weightGrads = pointer(layer, LAYER_GW);
  if (inCount > 0) {
    const rowsGrads = weightGrads + (<usize>(inStart * outSize) << 2);
    const inputs = pointer(mainCtx, CTX_X) + (<usize>inStart << 2);
    gemmPacked(inCount, outSize, rows, inputs, 1, inSize, delta, outSize, 1, rowsGrads, outSize, 0, FINISH_NONE, 0, GEMM_SPARSE_A, pointer(ownCtx, CTX_SCRATCH));
    updateRange(opt, <i32>((rowsGrads - grads) >> 2), weightCount, step, 1);
  }
  if (withBias) {
    const biasGrads = pointer(layer, LAYER_GB);
    columnSums(delta, rows, outSize, biasGrads);
    updateRange(opt, <i32>((biasGrads - grads) >> 2), (outSize + 3) & ~3, step, 1);
  }
  if (restCount > 0) reduceAndUpdate(opt, sources, sourceCount, restStart, restCount, step);
}
