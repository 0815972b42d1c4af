// How long the calling thread is busy handing 60,000 x 784 bytes (MNIST's training images) to a
// WorkerModel, per way the data can cross (see src/worker/worker-model.ts): the time predict()
// takes to return its promise, median of 5. A measurement, not a test (vitest runs *.test.ts).
//   npm run build && node test/worker/measure-transfer.mjs
import { createWorkerModel } from 'simdnet'; // this package, built (its node export)

const rows = 60_000;
const model = await createWorkerModel({ inputSize: 784, layers: [{ units: 10, activation: 'softmax' }] });
const fresh = () => new Uint8Array(rows * 784).fill(3);
const shared = new Uint8Array(new SharedArrayBuffer(rows * 784)).fill(3);
/** @type {{ name: string, make: () => Uint8Array, options: { transfer?: boolean } }[]} */
const ways = [
  { name: 'owns its buffer, copied (the default)', make: fresh, options: {} },
  { name: 'owns its buffer, transfer: true', make: fresh, options: { transfer: true } },
  { name: 'a view of a larger buffer', make: () => new Uint8Array(rows * 784 + 16).fill(3).subarray(16), options: {} },
  { name: 'on a SharedArrayBuffer', make: () => shared, options: {} },
];
for (const { name, make, options } of ways) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const inputs = make();
    const started = performance.now();
    const pending = model.predict({ count: rows, inputSize: 784, inputs, inputScale: 1 / 255 }, options);
    times.push(performance.now() - started);
    await pending;
  }
  times.sort((a, b) => a - b);
  console.log(`${name}: ${times[2].toFixed(2)} ms on the calling thread`);
}
await model.dispose();
