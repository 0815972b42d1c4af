// -----------------------------------------------------------------------------
// Data-parallel training support. Each thread runs gradientStep() on its slice of
// the batch with its own context (its own X, T, A, D and gradient buffers, shared
// parameters); then one thread adds the gradient buffers and steps the optimizer.
// -----------------------------------------------------------------------------

import {
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
