// XOR: the smallest problem a linear model cannot solve, learned by a 2-8-1 network.
// Runs as it is in Node, Bun and Deno (from this repo after `npm run build`, or
// anywhere after `npm install simdnet`):
//   node examples/xor.mjs        bun examples/xor.mjs        deno run --allow-read examples/xor.mjs
import { createModel, loadModel } from 'simdnet';

const xor = {
  inputs: [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ],
  labels: [0, 1, 1, 0],
};

const model = await createModel({
  inputSize: 2,
  layers: [
    { units: 8, activation: 'tanh' },
    { units: 1, activation: 'sigmoid' }, // one output: P(xor = 1), trained with binary cross-entropy
  ],
  optimizer: { type: 'adam', learningRate: 0.05 },
  seed: 1,
});

const history = await model.fit(xor, { epochs: 300, batchSize: 4 });
const last = history.epochs.at(-1);
console.log(`after ${last.epoch} epochs: loss ${last.loss.toFixed(5)}, accuracy ${last.accuracy}`);

const outputs = model.predict(xor.inputs);
xor.inputs.forEach(([a, b], i) => console.log(`${a} xor ${b} -> ${outputs[i].toFixed(4)}`));

// Save to bytes and load again: the copy predicts bit for bit the same.
const copy = await loadModel(model.save());
const same = copy.predict(xor.inputs).every((value, i) => Object.is(value, outputs[i]));
console.log(`saved ${model.save().length} bytes; loaded copy predicts identically: ${same}`);
if (last.accuracy !== 1 || !same) process.exitCode = 1;
