// Step 1 (Node): define the model in simdnet, train it a little on one machine, and export it
// as safetensors for PyTorch, with the data the cluster will train on.
//   node examples/pytorch-ddp/train.mjs [DIR]      writes DIR/model.safetensors and DIR/data.csv
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, toSafetensors } from 'simdnet';
import { accuracy, CLASSES, FEATURES, makeData, toCsv } from './data.mjs';

const dir = process.argv[2] ?? 'ddp-run';
mkdirSync(dir, { recursive: true });
const data = makeData();

const model = await createModel({
  inputSize: FEATURES,
  layers: [
    { units: 32, activation: 'relu' },
    { units: 16, activation: 'tanh' },
    { units: CLASSES, activation: 'softmax' },
  ],
  optimizer: { type: 'adam', learningRate: 0.01 },
  seed: 3,
});
await model.fit(data, { epochs: 2, batchSize: 64 });
console.log(`simdnet: 2 epochs on one machine, accuracy ${accuracy(model, data).toFixed(3)}`);

// 0.weight [32, 6], 0.bias, 2.weight [16, 32], ... as nn.Sequential names them; the architecture
// travels in the file's metadata, so train_ddp.py builds the same network from it.
writeFileSync(join(dir, 'model.safetensors'), toSafetensors(model));
writeFileSync(join(dir, 'data.csv'), toCsv(data));
console.log(`wrote ${join(dir, 'model.safetensors')} and ${join(dir, 'data.csv')}`);
