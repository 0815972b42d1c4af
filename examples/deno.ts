// Deno, in TypeScript with no build step: three classes of points on concentric
// rings, a 2-32-32-3 softmax network, then save -> load with identical predictions.
//   deno run --allow-read examples/deno.ts
// --allow-read lets simdnet fetch its WebAssembly core (a file next to the module).
// In this repository 'simdnet' resolves to the package itself (after `npm run build`);
// elsewhere import from 'npm:simdnet' or add it with `deno add npm:simdnet`.
import { createModel, loadModel, type ModelSpec } from 'simdnet';

/** `perClass` points on each of three rings (radius 0.3, 0.6, 0.9) with a little noise. */
function rings(perClass: number): { inputs: Float32Array; labels: Int32Array } {
  const inputs = new Float32Array(perClass * 3 * 2);
  const labels = new Int32Array(perClass * 3);
  let seed = 2024;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < perClass * 3; i++) {
    const ring = i % 3;
    const angle = 2 * Math.PI * random();
    const radius = 0.3 * (ring + 1) + 0.08 * (random() - 0.5);
    inputs[2 * i] = radius * Math.cos(angle);
    inputs[2 * i + 1] = radius * Math.sin(angle);
    labels[i] = ring;
  }
  return { inputs, labels };
}

const spec: ModelSpec = {
  inputSize: 2,
  layers: [
    { units: 32, activation: 'relu' },
    { units: 32, activation: 'relu' },
    { units: 3, activation: 'softmax' },
  ],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 5,
};

const train = rings(200);
const test = rings(100);
const model = await createModel(spec);
const history = await model.fit(train, { epochs: 60, batchSize: 32, validationData: test });
const last = history.epochs[history.epochs.length - 1];
console.log(
  `${navigator.userAgent}: ${last.epoch} epochs, train accuracy ${last.accuracy}, test accuracy ${last.valAccuracy}`,
);

const bytes = model.save();
const copy = await loadModel(bytes);
const before = model.predict(test.inputs);
const after = copy.predict(test.inputs);
const same = after.every((value, i) => Object.is(value, before[i]));
console.log(`saved ${bytes.length} bytes; loaded copy predicts identically: ${same}`);
