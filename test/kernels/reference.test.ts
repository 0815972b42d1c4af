/**
 * The float64 oracle (test/helpers/reference.ts) on values worked out by hand, so that the
 * conventions every other test relies on are pinned down independently of the core:
 * MSE is a mean over elements, L2 is ½Σ over outputs averaged over rows, cross-entropy
 * is fused with softmax, BCE is fused with sigmoid and averaged over elements. And a name
 * from src/ the test helpers do not know yet fails with a message that says what to add.
 */
import { describe, expect, it } from 'vitest';

import type { Activation } from '../../src/model/description.js';
import type { Loss, NormalizedOptimizer } from '../../src/model/spec.js';
import { CORE_BUILDS, instantiateBuild } from '../helpers/cores.js';
import { activationKind, lossKind, optimizerKind } from '../helpers/kinds.js';

import {
  activate,
  centralDifferences,
  logSumExp,
  lossOfLogits,
  networkLoss,
  optimizerSteps,
  predict,
  sigmoid,
  softplus,
} from '../helpers/reference.js';

describe('the float64 reference', () => {
  it('activations: closed forms at simple points', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(softplus(Math.log(Math.E - 1))).toBeCloseTo(1, 15);
    expect(Array.from(activate('relu', [-2, 0, 3], 1, 3))).toEqual([0, 0, 3]);
    expect(Array.from(activate('softmax', [0, Math.log(3)], 1, 2))).toEqual([0.25, 0.75]);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
  });

  it('mse = Σ(a - t)² / (rows·n) and l2 = ½Σ(a - t)² / rows: a = [[1, 2, 2]], t = 0 gives 3 and 4.5', () => {
    expect(lossOfLogits('mse', 'linear', [1, 2, 2], [0, 0, 0], 1, 3)).toBe(3);
    expect(lossOfLogits('l2', 'linear', [1, 2, 2], [0, 0, 0], 1, 3)).toBe(4.5);
    // Two rows: both average over rows.
    expect(lossOfLogits('mse', 'linear', [1, 2, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0], 2, 3)).toBe(1.5);
    expect(lossOfLogits('l2', 'linear', [1, 2, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0], 2, 3)).toBe(2.25);
  });

  it('crossEntropy of equal logits over k classes is log k; of the right class with a gap d it is log(1 + e^-d)', () => {
    expect(lossOfLogits('crossEntropy', 'softmax', [0, 0, 0, 0], [0, 1, 0, 0], 1, 4)).toBeCloseTo(Math.log(4), 15);
    expect(lossOfLogits('crossEntropy', 'softmax', [5, 2], [1, 0], 1, 2)).toBeCloseTo(Math.log1p(Math.exp(-3)), 15);
  });

  it('binaryCrossEntropy at z = 0 is log 2 whatever the target; at z = log 3, t = 1 it is -log 0.75', () => {
    expect(lossOfLogits('binaryCrossEntropy', 'sigmoid', [0, 0], [0, 1], 1, 2)).toBeCloseTo(Math.LN2, 15);
    expect(lossOfLogits('binaryCrossEntropy', 'sigmoid', [Math.log(3)], [1], 1, 1)).toBeCloseTo(-Math.log(0.75), 15);
  });

  it('a network: one layer 2 -> 1 with W = [2, -1], b = 0.5 maps [3, 4] to 2.5', () => {
    const network = {
      inputSize: 2,
      layers: [
        {
          inSize: 2,
          units: 1,
          activation: 'linear' as const,
          weights: Float64Array.of(2, -1),
          bias: Float64Array.of(0.5),
        },
      ],
    };
    expect(Array.from(predict(network, [3, 4], 1))).toEqual([2.5]);
    expect(networkLoss(network, 'mse', [3, 4], [0.5], 1)).toBe(4);
  });

  it('central differences of x³ at 2 give 12 to 1e-8', () => {
    const x = Float64Array.of(2);
    expect(centralDifferences(() => x[0] ** 3, x)[0]).toBeCloseTo(12, 8);
    expect(x[0]).toBe(2);
  });
});

describe('a name from src/ that the helpers do not know fails clearly', () => {
  // Stand-ins for a name added to ACTIVATIONS, LOSSES or OPTIMIZERS before its test support.
  const swish = 'swish' as Activation;
  const hinge = 'hinge' as Loss;
  const lion = 'lion' as NormalizedOptimizer['type'];

  it('the float64 oracle names the missing activation, loss or optimizer and the file to edit', () => {
    expect(() => activate(swish, [0], 1, 1)).toThrow(
      "test/helpers/reference.ts has no float64 activation 'swish': add one, and the op suite checks the core's against it",
    );
    expect(() => lossOfLogits(hinge, 'linear', [0], [0], 1, 1)).toThrow(/no float64 loss 'hinge'/);
    const rule: NormalizedOptimizer = {
      type: lion,
      learningRate: 0.1,
      momentum: 0,
      nesterov: false,
      beta1: 0.9,
      beta2: 0.99,
      epsilon: 1e-8,
      weightDecay: 0,
      clipNorm: 0,
    };
    expect(() => optimizerSteps(rule, [1], [[1]])).toThrow(/no float64 optimizer 'lion'/);
  });

  it("the core's code for a name is read from its layout, and a missing one is named", async () => {
    const { layout } = await instantiateBuild(CORE_BUILDS[0]);
    expect(activationKind(layout, 'softplus')).toBe(layout.SOFTPLUS);
    expect(lossKind(layout, 'binaryCrossEntropy')).toBe(layout.BINARY_CROSS_ENTROPY);
    expect(optimizerKind(layout, 'adamw')).toBe(layout.OPTIMIZER_ADAMW);
    expect(optimizerKind(layout, 'nesterov')).toBe(layout.OPTIMIZER_NESTEROV);
    expect(() => activationKind(layout, swish)).toThrow(/activation 'swish' has no code: the core's layout has no SWISH/);
    expect(() => lossKind(layout, hinge)).toThrow(/no HINGE/);
  });
});
