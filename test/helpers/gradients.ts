/**
 * Gradients two ways, for finite-difference checks of whole networks:
 *
 *   coreGradients     the core's analytic gradients: the rows are written into the
 *                     model's memory as a dataset descriptor (layout from the core's
 *                     exports), then one fn.gradientStep over them fills the flat
 *                     gradient buffer at plan.grads. The optimizer is not touched.
 *   numericGradients  central differences of the float64 reference loss, at the
 *                     model's f32 weights converted exactly to float64.
 *
 * Both return per-layer { weights [in, units], bias [units] } plus the loss.
 */
import type { Model } from '../../src/model/model.js';
import { centralDifferences, networkLoss, referenceNetwork } from './reference.js';
import { engineOf } from '../../src/model/model.js';

export interface LayerGradients {
  weights: Float64Array;
  bias: Float64Array;
}

export interface Gradients {
  loss: number;
  layers: LayerGradients[];
}

/**
 * The core's loss and gradients of the mean loss over `count` rows: inputs
 * [count, inputSize], targets [count, outputSize] (one-hot rows for classification).
 */
export function coreGradients(model: Model, inputs: Float32Array, targets: Float32Array, count: number): Gradients {
  const engine = engineOf(model);
  const { core } = engine;
  const { layout, fn } = core;
  engine.ensureCapacity(count);
  const { plan } = engine;
  // The data region after the plan: descriptor, inputs, targets.
  const descriptor = plan.dataStart;
  const inputsAt = descriptor + 64;
  const targetsAt = inputsAt + Math.ceil(inputs.byteLength / 16) * 16;
  core.ensureBytes(targetsAt + targets.byteLength);
  const { i32, f32 } = core.view();
  f32.set(inputs, inputsAt >> 2);
  f32.set(targets, targetsAt >> 2);
  const d = descriptor >> 2;
  i32[d + (layout.DATA_INPUTS >> 2)] = inputsAt;
  i32[d + (layout.DATA_INPUT_KIND >> 2)] = layout.INPUT_F32;
  f32[d + (layout.DATA_INPUT_SCALE >> 2)] = 1;
  i32[d + (layout.DATA_TARGETS >> 2)] = targetsAt;
  i32[d + (layout.DATA_TARGET_KIND >> 2)] = layout.TARGET_ROWS;
  i32[d + (layout.DATA_COUNT >> 2)] = count;
  i32[d + (layout.DATA_WEIGHTS >> 2)] = 0; // unweighted
  i32[(plan.context + layout.CTX_ACCURACY) >> 2] = layout.ACCURACY_NONE;
  // indices = 0: rows 0..count in order; batchRows = count: the mean over these rows.
  const loss = fn.gradientStep(plan.context, descriptor, 0, count, count, 0);
  const flat = core.f32(plan.grads, plan.paramLength);
  return {
    loss,
    layers: model.layers.map((shape, l) => {
      const { weightOffset, biasOffset } = plan.layers[l];
      return {
        weights: Float64Array.from(flat.subarray(weightOffset, weightOffset + shape.inSize * shape.units)),
        bias: Float64Array.from(flat.subarray(biasOffset, biasOffset + shape.units)),
      };
    }),
  };
}

/** Central differences (step h) of the float64 reference loss at the model's weights. */
export function numericGradients(
  model: Model,
  inputs: Float32Array,
  targets: Float32Array,
  count: number,
  h = 1e-6,
): Gradients {
  const network = referenceNetwork(model.describe());
  const loss = () => networkLoss(network, model.loss, inputs, targets, count);
  return {
    loss: loss(),
    layers: network.layers.map((layer) => ({
      weights: centralDifferences(loss, layer.weights, h),
      bias: centralDifferences(loss, layer.bias, h),
    })),
  };
}
