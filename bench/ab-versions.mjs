// A/B of two builds of simdnet in ONE process, in alternating blocks (this VM's speed swings
// by tens of percent minute to minute, so only paired ratios mean anything):
//
//   node bench/ab-versions.mjs OLD_DIST NEW_DIST [--rounds 8] [--rows 12800] [--batches 64,256]
//
// OLD_DIST and NEW_DIST are the dist/ folders of two checkouts (`npm run build` in each, e.g. a
// `git worktree add ../old <commit>`). Each round trains one epoch of fit() on the first
// --rows MNIST training images with each build (784-128-64-10, ReLU, softmax + cross-entropy,
// Adam, 1 thread, the baseline core in both) and keeps new/old of samples per second.
// Prints the median ratio per batch size (> 1: the new build is faster).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const [oldDist, newDist] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!oldDist || !newDist) throw new Error('usage: node bench/ab-versions.mjs OLD_DIST NEW_DIST [--rounds N]');
const rounds = Number(flag('rounds', 8));
const rows = Number(flag('rows', 12800));
const batches = flag('batches', '64,256').split(',').map(Number);

const load = async (dist) => import(pathToFileURL(path.resolve(dist, 'node.js')).href);
const builds = { old: await load(oldDist), new: await load(newDist) };
await builds.old.init();
await builds.new.init({ relaxed: false });
const { train } = await builds.new.loadMnist();
const subset = {
  inputs: train.inputs.subarray(0, rows * 784),
  labels: train.labels.subarray(0, rows),
  inputScale: train.inputScale,
};

async function epoch(lib, batchSize) {
  const model = await lib.createModel({
    inputSize: 784,
    layers: [
      { units: 128, activation: 'relu' },
      { units: 64, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    seed: 1,
  });
  const start = performance.now();
  await model.fit(subset, { epochs: 1, batchSize });
  const seconds = (performance.now() - start) / 1000;
  model.dispose?.();
  return rows / seconds;
}

for (const batchSize of batches) {
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which build goes first.
    const first = r % 2 ? 'new' : 'old';
    const second = first === 'new' ? 'old' : 'new';
    const a = await epoch(builds[first], batchSize);
    const b = await epoch(builds[second], batchSize);
    ratios.push(first === 'new' ? a / b : b / a);
  }
  ratios.sort((x, y) => x - y);
  const median = (ratios[(rounds - 1) >> 1] + ratios[rounds >> 1]) / 2;
  console.log(
    `batch ${batchSize}: new/old median ${median.toFixed(3)} (rounds: ${ratios.map((x) => x.toFixed(3)).join(' ')})`,
  );
}
