/**
 * Export conformance: the same model cases go through every exporter, each export runs in
 * that format's own runtime, and its outputs must equal the float64 reference forward pass
 * (and, for trained models, simdnet's own predict()) within an absolute 1e-5:
 *
 *   ONNX          toOnnx        -> onnxruntime-web (its wasm backend, one thread, loaded
 *                                  offline from node_modules/onnxruntime-web/dist)
 *   TF.js layers  toTfjsLayers  -> @tensorflow/tfjs (cpu backend), after a JSON text round
 *                                  trip as a file would make
 *
 * The activations are every one simdnet has (ACTIVATIONS in src/model/description.ts), with
 * alpha, batch norm (inference form, running statistics) and dropout (the identity at
 * inference). The last block shows the comparison would catch a wrong export: a weight,
 * an activation, a transpose, an alpha, an epsilon, running statistics swapped. Format details (names, model.json layout, options, rejected
 * descriptions) are in onnx.test.ts and tfjs-layers-export.test.ts.
 */
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toOnnx } from '../../src/io/onnx.js';
import { toTfjsLayers } from '../../src/io/tfjs-layers.js';
import { ACTIVATIONS, type Activation, type ModelDescription } from '../../src/model/description.js';
import { createModel, type Model } from '../../src/index.js';
import {
  cloneDescription,
  type LayerSpec,
  maxAbsDifference,
  randomDescription,
  randomFloats,
  referenceForward,
  seededRandom,
} from './reference-model.js';
import { loadExportInTfjs, predict, useCpuBackend } from './tfjs-helpers.js';

const TOLERANCE = 1e-5;
const BATCH_SIZES = [1, 7];

/** An export loaded in its runtime: predicts [batch, inputSize] rows. */
interface LoadedExport {
  predict(input: Float32Array, batch: number): Promise<Float32Array>;
  release(): Promise<void>;
}

interface Exporter {
  name: string;
  runtime: string;
  /** Whether the format (as its runtime loads it) has every layer of `desc`. */
  supports(desc: ModelDescription): boolean;
  /** Exports `desc` and loads the result in the runtime. */
  load(desc: ModelDescription): Promise<LoadedExport>;
}

/** An ONNX exporter at the given opset (13: gelu as Erf/Tanh arithmetic; 20: the Gelu node). */
function onnxExporter(opset: 13 | 20): Exporter {
  return {
    name: opset === 13 ? 'ONNX' : `ONNX opset ${opset}`,
    runtime: 'onnxruntime-web',
    supports: () => true,
    async load(desc) {
      const session = await ort.InferenceSession.create(toOnnx(desc, { opset }));
      return {
        async predict(input, batch) {
          const results = await session.run({ input: new ort.Tensor('float32', input, [batch, desc.inputSize]) });
          return results.output.data as Float32Array;
        },
        release: () => session.release(),
      };
    },
  };
}

const EXPORTERS: Exporter[] = [
  onnxExporter(13),
  onnxExporter(20),
  {
    name: 'TF.js layers',
    runtime: '@tensorflow/tfjs',
    // tfjs 4.22 cannot load geluTanh ('gelu_new') or an ELU with α ≠ 1; toTfjsLayers refuses them
    // (tfjs-layers-export.test.ts checks the errors).
    supports: (desc) =>
      desc.layers.every((l) => l.activation !== 'geluTanh' && !(l.activation === 'elu' && (l.alpha ?? 1) !== 1)),
    async load(desc) {
      const model = await loadExportInTfjs(toTfjsLayers(desc));
      return {
        predict: async (input, batch) => predict(model, input, [batch, desc.inputSize]),
        release: async () => {
          model.dispose();
        },
      };
    },
  },
];

beforeAll(async () => {
  // One thread: no worker threads in the test process.
  ort.env.wasm.numThreads = 1;
  await useCpuBackend();
});

/** Exports `desc`, runs the batches in the runtime; returns each batch's outputs and inputs. */
async function runExport(exporter: Exporter, desc: ModelDescription, batches: number[], seed: number, inputScale = 1) {
  const loaded = await exporter.load(desc);
  try {
    const runs: { batch: number; input: Float32Array; actual: Float32Array }[] = [];
    for (const batch of batches) {
      const input = randomFloats(seededRandom(seed + batch), batch * desc.inputSize, inputScale);
      runs.push({ batch, input, actual: await loaded.predict(input, batch) });
    }
    return runs;
  } finally {
    await loaded.release();
  }
}

/**
 * A trained model: 6 -> 9 `hidden` -> 7 tanh -> 3 `output`, three epochs on 64 rows
 * (cross-entropy on labels for a softmax output, MSE on targets otherwise).
 */
async function trainedModel(hidden: Activation, output: Activation): Promise<Model> {
  const model = await createModel({
    inputSize: 6,
    layers: [
      { units: 9, activation: hidden },
      { units: 7, activation: 'tanh' },
      { units: 3, activation: output },
    ],
    loss: output === 'softmax' ? 'crossEntropy' : 'mse',
    seed: 4,
  });
  const inputs = randomFloats(seededRandom(1), 64 * 6, 2);
  const labels = Int32Array.from(
    { length: 64 },
    (_, i) => (inputs[i * 6] > 0 ? 1 : 0) + (inputs[i * 6 + 1] > 0 ? 1 : 0),
  );
  const data =
    output === 'softmax' ? { inputs, labels } : { inputs, targets: randomFloats(seededRandom(9), 64 * 3, 2) };
  await model.fit(data, { epochs: 3, batchSize: 16 });
  return model;
}

/** Hidden layers of every activation (all but softmax), then a softmax output. */
const EVERY_ACTIVATION: LayerSpec[] = [
  ...ACTIVATIONS.filter((activation) => activation !== 'softmax').map((activation, i) => ({
    units: 26 - 2 * i,
    activation,
  })),
  { units: 3, activation: 'softmax' },
];

/** Layers with a non-default alpha, batch norm (one with a large epsilon) and dropout. */
const TOOLBOX_LAYERS: [string, LayerSpec[]][] = [
  ['leakyRelu alpha 0.2', [{ units: 6, activation: 'leakyRelu', alpha: 0.2 }]],
  ['elu alpha 0.7', [{ units: 6, activation: 'elu', alpha: 0.7 }]],
  [
    'leakyRelu and elu with the default alpha',
    [
      { units: 6, activation: 'leakyRelu' },
      { units: 5, activation: 'elu' },
    ],
  ],
  ['batch norm then relu', [{ units: 6, activation: 'relu', batchNorm: true }]],
  ['batch norm on a linear output', [{ units: 4, activation: 'linear', batchNorm: { epsilon: 0.3 } }]],
  [
    'batch norm, gelu, dropout, then batch norm and softmax',
    [
      { units: 9, activation: 'gelu', batchNorm: { epsilon: 1e-3, momentum: 0.2 }, dropout: 0.5 },
      { units: 7, activation: 'silu', dropout: 0.2 },
      { units: 3, activation: 'softmax', batchNorm: true },
    ],
  ],
];

for (const exporter of EXPORTERS) {
  describe(`${exporter.name} export in ${exporter.runtime}`, () => {
    let largestDifferenceSeen = 0;
    afterAll(() => {
      console.log(
        `${exporter.name}: largest |${exporter.runtime} - reference| in passing checks: ${largestDifferenceSeen.toExponential(2)}`,
      );
    });

    /** Runs `desc` at each batch size and checks every output against the float64 reference. */
    async function expectMatchesReference(
      desc: ModelDescription,
      batches: number[],
      seed: number,
      inputScale = 1,
    ): Promise<void> {
      if (!exporter.supports(desc)) {
        await expect(exporter.load(desc)).rejects.toThrow(/toTfjsLayers: layer \d+: .* no (loadable )?TF.js form/);
        return;
      }
      const outputUnits = desc.layers[desc.layers.length - 1].units;
      for (const { batch, input, actual } of await runExport(exporter, desc, batches, seed, inputScale)) {
        expect(actual.length, `batch ${batch}: output length`).toBe(batch * outputUnits);
        const difference = maxAbsDifference(actual, referenceForward(desc, input, batch));
        expect(difference, `batch ${batch}: largest difference from the reference`).toBeLessThan(TOLERANCE);
        largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
      }
    }

    describe.each(ACTIVATIONS)('one Dense layer with %s', (activation) => {
      it.each(BATCH_SIZES)('matches the reference at batch %i', async (batch) => {
        await expectMatchesReference(randomDescription(11, 5, [{ units: 4, activation }]), [batch], 100);
      });
    });

    describe.each(TOOLBOX_LAYERS)('%s', (_name, layers) => {
      it.each(BATCH_SIZES)('matches the reference at batch %i', async (batch) => {
        await expectMatchesReference(randomDescription(13, 5, layers), [batch], 150, 3);
      });
    });

    it.each(BATCH_SIZES)(
      `a ${EVERY_ACTIVATION.length}-layer net with every activation matches at batch %i`,
      async (batch) => {
        // Every activation the format has (all of them but TF.js' geluTanh).
        const layers = EVERY_ACTIVATION.filter((layer) => exporter.supports(randomDescription(1, 2, [layer])));
        await expectMatchesReference(randomDescription(23, 6, layers), [batch], 200);
      },
    );

    it('a wider 32-64-48-10 net matches at batch 7', async () => {
      const desc = randomDescription(29, 32, [
        { units: 64, activation: 'relu' },
        { units: 48, activation: 'relu' },
        { units: 10, activation: 'softmax' },
      ]);
      await expectMatchesReference(desc, [7], 300);
    });

    it('an MNIST-sized 784-300-100-10 net (about 1 MB of weights) matches at batch 7', async () => {
      const desc = randomDescription(33, 784, [
        { units: 300, activation: 'relu' },
        { units: 100, activation: 'relu' },
        { units: 10, activation: 'softmax' },
      ]);
      await expectMatchesReference(desc, [7], 350);
    });

    it('saturated sigmoid, tanh and softmax (logits in the hundreds) stay finite and match', async () => {
      for (const activation of ['sigmoid', 'tanh', 'softmax'] as const) {
        const desc = randomDescription(31, 4, [{ units: 6, activation }], 60);
        await expectMatchesReference(desc, [7], 400, 10);
      }
    });

    it('the batch dimension is dynamic: one loaded model runs batches of 1, 7 and 64', async () => {
      await expectMatchesReference(randomDescription(37, 3, [{ units: 2, activation: 'tanh' }]), [1, 7, 64], 450);
    });

    it.each([
      ['relu', 'softmax'],
      ['sigmoid', 'linear'],
      ['softplus', 'sigmoid'],
    ] as [Activation, Activation][])(
      "a trained simdnet model (%s hidden, %s output): the runtime's outputs equal simdnet's predict()",
      async (hidden, output) => {
        const model = await trainedModel(hidden, output);
        const [{ input, actual }] = await runExport(exporter, model.describe(), [11], 7, 2);
        const difference = maxAbsDifference(actual, model.predict(input));
        expect(difference).toBeLessThan(TOLERANCE);
        largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
        model.dispose();
      },
    );

    it("a trained model with batch norm, dropout, gelu and leakyRelu: the runtime's outputs equal simdnet's predict()", async () => {
      const model = await createModel({
        inputSize: 6,
        layers: [
          { units: 10, activation: 'gelu', batchNorm: true, dropout: 0.3 },
          { units: 8, activation: 'leakyRelu', alpha: 0.2, batchNorm: { momentum: 0.3, epsilon: 1e-3 } },
          { units: 3, activation: 'softmax' },
        ],
        loss: 'crossEntropy',
        seed: 5,
      });
      const inputs = randomFloats(seededRandom(2), 64 * 6, 2);
      const labels = Int32Array.from(
        { length: 64 },
        (_, i) => (inputs[i * 6] > 0 ? 1 : 0) + (inputs[i * 6 + 1] > 0 ? 1 : 0),
      );
      await model.fit({ inputs, labels }, { epochs: 3, batchSize: 16 });
      const description = model.describe();
      // Training moved the running statistics away from their initial 0 and 1.
      expect(description.layers[0].batchNorm?.runningMean.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      const [{ input, actual }] = await runExport(exporter, description, [11], 8, 2);
      const difference = maxAbsDifference(actual, model.predict(input));
      expect(difference).toBeLessThan(TOLERANCE);
      largestDifferenceSeen = Math.max(largestDifferenceSeen, difference);
      model.dispose();
    });

    describe('the comparison would catch a wrong toolbox export', () => {
      const desc = randomDescription(53, 5, [
        { units: 6, activation: 'leakyRelu', alpha: 0.2, batchNorm: { epsilon: 0.1 } },
        { units: 4, activation: 'leakyRelu', alpha: 0.05 },
      ]);
      const differenceFrom = async (changed: ModelDescription) => {
        const [{ input, actual }] = await runExport(exporter, desc, [7], 550, 3);
        return maxAbsDifference(actual, referenceForward(changed, input, 7));
      };

      it('a wrong alpha breaks equality', async () => {
        for (const layer of [0, 1]) {
          const changed = cloneDescription(desc);
          changed.layers[layer].alpha = (changed.layers[layer].alpha as number) + 0.05;
          expect(await differenceFrom(changed)).toBeGreaterThan(TOLERANCE);
        }
      });

      it('a wrong epsilon breaks equality', async () => {
        const changed = cloneDescription(desc);
        changed.layers[0].batchNorm!.epsilon = 1e-5;
        expect(await differenceFrom(changed)).toBeGreaterThan(TOLERANCE);
      });

      it('running mean and variance swapped break equality', async () => {
        const changed = cloneDescription(desc);
        const bn = changed.layers[0].batchNorm!;
        [bn.runningMean, bn.runningVar] = [bn.runningVar.map(Math.abs), bn.runningMean.map(Math.abs)];
        expect(await differenceFrom(changed)).toBeGreaterThan(TOLERANCE);
      });

      it('gamma and beta swapped break equality', async () => {
        const changed = cloneDescription(desc);
        const bn = changed.layers[0].batchNorm!;
        [bn.gamma, bn.beta] = [bn.beta, bn.gamma];
        expect(await differenceFrom(changed)).toBeGreaterThan(TOLERANCE);
      });
    });

    describe('the comparison would catch a wrong export', () => {
      const desc = randomDescription(43, 5, [
        { units: 8, activation: 'tanh' },
        { units: 4, activation: 'sigmoid' },
      ]);
      const differenceFrom = async (changed: ModelDescription, original = desc) => {
        const [{ input, actual }] = await runExport(exporter, original, [7], 500);
        return maxAbsDifference(actual, referenceForward(changed, input, 7));
      };

      it('a weight perturbed by 1e-3 breaks equality', async () => {
        const perturbed = cloneDescription(desc);
        perturbed.layers[1].weights[3] += 1e-3;
        expect(await differenceFrom(perturbed)).toBeGreaterThan(TOLERANCE);
      });

      it('a swapped activation breaks equality', async () => {
        const swapped = cloneDescription(desc);
        swapped.layers[0].activation = 'relu';
        expect(await differenceFrom(swapped)).toBeGreaterThan(TOLERANCE);
      });

      it('a transposed weight matrix breaks equality', async () => {
        const square = randomDescription(47, 4, [{ units: 4, activation: 'linear' }]);
        const transposed = cloneDescription(square);
        for (let i = 0; i < 4; i++)
          for (let o = 0; o < 4; o++) transposed.layers[0].weights[o * 4 + i] = square.layers[0].weights[i * 4 + o];
        expect(await differenceFrom(transposed, square)).toBeGreaterThan(TOLERANCE);
      });

      it("a trained model's export with one bias moved by 0.5 differs from simdnet's predict()", async () => {
        const model = await trainedModel('relu', 'softmax');
        const description = model.describe();
        description.layers[0].bias[0] += 0.5;
        const [{ input, actual }] = await runExport(exporter, description, [11], 7, 2);
        expect(maxAbsDifference(actual, model.predict(input))).toBeGreaterThan(TOLERANCE);
        model.dispose();
      });
    });
  });
}
