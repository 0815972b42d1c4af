/**
 * Finite-difference gradient checks of whole networks (llm.c's test_gpt2.c, with float64
 * central differences on the host as the reference instead of a PyTorch dump).
 *
 * For each case a model is created, its biases set to non-zero values, and one batch
 * goes through fn.gradientStep (gather, forward, loss, backward; no update). Its
 * gradients of every weight and bias are compared with central differences (h = 1e-6)
 * of the float64 reference loss at the same weights.
 *
 * Tolerance, per parameter: |analytic - numeric| <= 1e-6·max|numeric| + 1e-4·|numeric|.
 * The core works in f32 (relative precision 6e-8 per operation), so its gradients carry
 * relative errors around 1e-6 of the largest gradient; the float64 differences are
 * accurate to about 1e-10. A wrong formula, index or scale gives errors of order 1.
 * The loss gradientStep returns must match the reference loss to 2e-6 relative.
 *
 * Activations and losses are src/'s lists: every activation normalizeSpec accepts in a
 * hidden layer, and every loss with an output layer it accepts.
 *
 * The cases run on the one-thread builds as users reach them: init({ relaxed }) picks the
 * baseline or relaxed core. The threads builds are left out (a threaded model starts its
 * workers, ~40 ms a case): their kernels run in the other kernels/ files, and
 * test/model/threads.test.ts trains threaded models to the one-thread weights bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { Activation } from '../../src/model/description.js';
import { coreInfo, createModel, init, type Model } from '../../src/index.js';
import { engineOf } from '../../src/model/model.js';
import { type Loss, normalizeSpec } from '../../src/model/spec.js';
import { expectClose } from '../helpers/compare.js';
import { describeEachCore } from '../helpers/cores.js';
import { coreGradients, numericGradients } from '../helpers/gradients.js';
import { ACTIVATIONS, LOSSES } from '../helpers/kinds.js';
import { forwardPass, oneHot, referenceNetwork } from '../helpers/reference.js';
import { integers, seededRandom, uniform } from '../helpers/random.js';

interface NetworkCase {
  name: string;
  inputSize: number;
  layers: { units: number; activation: Activation }[];
  loss: Loss;
  batch: number;
  seed: number;
}

/** Inputs in [-1, 1), and targets of the loss's kind, for `batch` rows. */
function batchFor(model: Model, batch: number, seed: number): { inputs: Float32Array; targets: Float32Array } {
  const random = seededRandom(seed);
  const inputs = uniform(random, batch * model.inputSize);
  const n = model.outputSize;
  const targets =
    model.loss === 'crossEntropy'
      ? Float32Array.from(oneHot(integers(random, batch, n), n))
      : model.loss === 'binaryCrossEntropy'
        ? Float32Array.from(integers(random, batch * n, 2))
        : uniform(random, batch * n, -1, 1);
  return { inputs, targets };
}

/** A model with its seeded initial weights and biases drawn from [-0.5, 0.5). */
async function modelFor({ inputSize, layers, loss, seed }: NetworkCase): Promise<Model> {
  const model = await createModel({ inputSize, layers, loss, seed });
  const description = model.describe();
  const random = seededRandom(seed + 1);
  for (const layer of description.layers) layer.bias = uniform(random, layer.units, -0.5, 0.5);
  model.setWeights(description);
  return model;
}

/** The smallest |z| over ReLU layers: central differences must not straddle the kink at 0. */
function reluKinkMargin(model: Model, inputs: Float32Array, batch: number): number {
  const network = referenceNetwork(model.describe());
  const { preActivations } = forwardPass(network, inputs, batch);
  let margin = Infinity;
  network.layers.forEach((layer, l) => {
    if (layer.activation === 'relu') for (const z of preActivations[l]) margin = Math.min(margin, Math.abs(z));
  });
  return margin;
}

async function checkGradients(testCase: NetworkCase): Promise<void> {
  const model = await modelFor(testCase);
  try {
    await checkModelGradients(model, testCase);
  } finally {
    model.dispose();
  }
}

async function checkModelGradients(model: Model, testCase: NetworkCase): Promise<void> {
  const { inputs, targets } = batchFor(model, testCase.batch, testCase.seed + 2);
  // A perturbation of h = 1e-6 moves any z by far less than 1e-4.
  expect(reluKinkMargin(model, inputs, testCase.batch), 'distance of ReLU pre-activations from 0').toBeGreaterThan(
    1e-4,
  );
  const analytic = coreGradients(model, inputs, targets, testCase.batch);
  const numeric = numericGradients(model, inputs, targets, testCase.batch);
  expectClose([analytic.loss], [numeric.loss], { atol: 0, rtol: 2e-6 }, `${testCase.name}: loss`);
  const largest = Math.max(...numeric.layers.flatMap((layer) => [...layer.weights, ...layer.bias].map(Math.abs)));
  expect(largest, 'the gradient is not trivially zero').toBeGreaterThan(1e-3);
  const tolerance = { atol: 1e-6 * largest, rtol: 1e-4 };
  numeric.layers.forEach((layer, l) => {
    expectClose(analytic.layers[l].weights, layer.weights, tolerance, `${testCase.name}: layer ${l} weight gradients`);
    expectClose(analytic.layers[l].bias, layer.bias, tolerance, `${testCase.name}: layer ${l} bias gradients`);
  });
}

/** Whether normalizeSpec accepts `layers` with `loss`. */
function accepted(layers: { units: number; activation: Activation }[], loss?: Loss): boolean {
  try {
    normalizeSpec({ inputSize: 1, layers, loss });
    return true;
  } catch {
    return false;
  }
}

const HIDDEN = ACTIVATIONS.filter((activation) =>
  accepted([
    { units: 2, activation },
    { units: 2, activation: 'linear' },
  ]),
);

describeEachCore(
  (_, build) => {
    beforeAll(async () => {
      await init({ relaxed: build.fused });
    });

    it('models run on this build (coreInfo says which kind)', async () => {
      expect(coreInfo().simd).toBe(build.fused ? 'relaxed' : 'baseline');
      const model = await modelFor({
        name: 'probe',
        inputSize: 2,
        layers: [{ units: 2, activation: 'tanh' }],
        loss: 'mse',
        batch: 1,
        seed: 1,
      });
      try {
        expect(engineOf(model).core.memory.buffer instanceof SharedArrayBuffer).toBe(false);
      } finally {
        model.dispose();
      }
    });

    describe('each activation, as a hidden and as the output layer (MSE)', () => {
      it.each(HIDDEN)('%s: 4 -> 6 -> 3, batch 5', async (activation) => {
        await checkGradients({
          name: activation,
          inputSize: 4,
          batch: 5,
          seed: 11,
          loss: 'mse',
          layers: [
            { units: 6, activation },
            { units: 3, activation },
          ],
        });
      });

      it('softmax as the output layer with MSE (backward through the softmax Jacobian): 4 -> 6 tanh -> 5 softmax', async () => {
        await checkGradients({
          name: 'softmax+mse',
          inputSize: 4,
          batch: 5,
          seed: 12,
          loss: 'mse',
          layers: [
            { units: 6, activation: 'tanh' },
            { units: 5, activation: 'softmax' },
          ],
        });
      });
    });

    describe('each loss: 5 -> 7 tanh -> output, batch 6', () => {
      /** The output layer each loss is checked with; a loss not listed gets the first one src/ accepts. */
      const outputs: Partial<Record<Loss, { units: number; activation: Activation }>> = {
        mse: { units: 3, activation: 'linear' },
        l2: { units: 3, activation: 'sigmoid' },
        crossEntropy: { units: 4, activation: 'softmax' },
        binaryCrossEntropy: { units: 2, activation: 'sigmoid' },
      };
      const outputFor = (loss: Loss) =>
        outputs[loss] ??
        ACTIVATIONS.map((activation) => ({ units: 3, activation })).find((output) => accepted([output], loss));
      it.each(LOSSES)('%s', async (loss) => {
        const output = outputFor(loss);
        if (!output) throw new Error(`no output activation in ACTIVATIONS is accepted with loss '${loss}'`);
        await checkGradients({
          name: loss,
          inputSize: 5,
          batch: 6,
          seed: 21,
          loss,
          layers: [{ units: 7, activation: 'tanh' }, output],
        });
      });
    });

    describe('three-layer networks (every GEMM path: 6-row tiles, row tails, 4- and 1-column panels)', () => {
      it('9 -> 17 tanh -> 10 relu -> 5 softmax, cross-entropy, batch 13', async () => {
        await checkGradients({
          name: '3-layer classifier',
          inputSize: 9,
          batch: 13,
          seed: 31,
          loss: 'crossEntropy',
          layers: [
            { units: 17, activation: 'tanh' },
            { units: 10, activation: 'relu' },
            { units: 5, activation: 'softmax' },
          ],
        });
      });

      it('7 -> 8 sigmoid -> 6 softplus -> 3 linear, MSE, batch 8', async () => {
        await checkGradients({
          name: '3-layer regression',
          inputSize: 7,
          batch: 8,
          seed: 41,
          loss: 'mse',
          layers: [
            { units: 8, activation: 'sigmoid' },
            { units: 6, activation: 'softplus' },
            { units: 3, activation: 'linear' },
          ],
        });
      });

      it('a batch of one row: 3 -> 5 relu -> 4 tanh -> 1 sigmoid, binary cross-entropy', async () => {
        await checkGradients({
          name: 'single row',
          inputSize: 3,
          batch: 1,
          seed: 51,
          loss: 'binaryCrossEntropy',
          layers: [
            { units: 5, activation: 'relu' },
            { units: 4, activation: 'tanh' },
            { units: 1, activation: 'sigmoid' },
          ],
        });
      });
    });
  },
  {
    when: (build) => build.shared,
    reason: 'whole-network gradients on one thread only; threaded training is checked in test/model/threads.test.ts',
  },
);
