// Regression with mean squared error: learn y = sin(2x) + x²/4 on [-2, 2] from
// 512 noisy samples, then report the error on a clean grid and the R² score.
//   node examples/regression.mjs      (also runs in Bun and Deno)
import { createModel } from 'simdnet';

// A seeded generator, so every run draws the same samples.
let state = 12345;
const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
const curve = (x) => Math.sin(2 * x) + (x * x) / 4;

const count = 512;
const inputs = new Float32Array(count);
const targets = new Float32Array(count);
for (let i = 0; i < count; i++) {
  inputs[i] = -2 + 4 * random();
  targets[i] = curve(inputs[i]) + 0.05 * (random() - 0.5); // noise: ±0.025
}

const model = await createModel({
  inputSize: 1,
  layers: [
    { units: 32, activation: 'tanh' },
    { units: 32, activation: 'tanh' },
    { units: 1 }, // linear output
  ],
  loss: 'mse',
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 7,
});

const history = await model.fit(
  { inputs, targets },
  {
    epochs: 500,
    batchSize: 32,
    schedule: { type: 'plateau', factor: 0.5, patience: 25, minDelta: 0 }, // halve the rate when the loss stalls
    callbacks: {
      onEpochEnd: ({ epoch, loss }) => {
        if (epoch % 50 === 0) console.log(`epoch ${epoch}: mse ${loss.toExponential(3)}`);
      },
    },
  },
);

// Error on a clean grid of 101 points, and R² = 1 - SSE / total sum of squares.
const grid = Float32Array.from({ length: 101 }, (_, i) => -2 + (4 * i) / 100);
const truth = Float32Array.from(grid, curve);
const { loss: gridMse } = model.evaluate({ inputs: grid, targets: truth });
const mean = truth.reduce((sum, y) => sum + y, 0) / truth.length;
const variance = truth.reduce((sum, y) => sum + (y - mean) ** 2, 0) / truth.length;
const r2 = 1 - gridMse / variance;
console.log(`after ${history.epochs.length} epochs: grid mse ${gridMse.toExponential(3)}, R² ${r2.toFixed(5)}`);
for (const x of [-1.5, 0, 1.5])
  console.log(`f(${x}) = ${curve(x).toFixed(4)}, predicted ${model.predict([[x]])[0].toFixed(4)}`);
if (!(r2 > 0.99)) process.exitCode = 1;
