// A Cloudflare Worker that trains a network when asked and answers with JSON.
//   GET /            train a 2-16-16-2 ReLU network on two interleaved spirals
//   GET /?epochs=N   ... for N epochs (1-1000, default 200)
// The answer: epochs, loss, accuracy, milliseconds, the saved model's size, and
// the class predicted for a few points.
//
// 'simdnet' resolves to the package's `workerd` export, which imports the
// WebAssembly core as a compiled module (Workers forbid compiling bytes at run time).
// Run it with workerd (this directory's config.capnp) or Wrangler (wrangler.toml).
import { createModel, loadModel } from 'simdnet';

/** Two spirals of `perArm` points each in [-1, 1]², labels 0 and 1. */
function twoSpirals(perArm) {
  const inputs = new Float32Array(perArm * 4);
  const labels = new Int32Array(perArm * 2);
  for (let i = 0; i < perArm; i++) {
    const radius = (i + 4) / (perArm + 4);
    const angle = 3.5 * Math.PI * radius;
    for (let arm = 0; arm < 2; arm++) {
      const row = 2 * i + arm;
      const sign = arm === 0 ? 1 : -1;
      inputs[2 * row] = sign * radius * Math.cos(angle);
      inputs[2 * row + 1] = sign * radius * Math.sin(angle);
      labels[row] = arm;
    }
  }
  return { inputs, labels };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== '/') return new Response('not found', { status: 404 });
    const epochs = Math.min(1000, Math.max(1, Number(url.searchParams.get('epochs') ?? 200) || 200));

    const started = Date.now();
    const data = twoSpirals(96);
    const model = await createModel({
      inputSize: 2,
      layers: [
        { units: 16, activation: 'relu' },
        { units: 16, activation: 'relu' },
        { units: 2, activation: 'softmax' },
      ],
      optimizer: { type: 'adam', learningRate: 0.01 },
      seed: 3,
    });
    const history = await model.fit(data, { epochs, batchSize: 32 });
    const { loss, accuracy } = model.evaluate(data);

    // A saved model is bytes: store it in KV/R2, or send it to the client, and load it anywhere.
    const saved = model.save();
    const loaded = await loadModel(saved);
    const points = [
      [0, 0.5],
      [0.5, 0],
      [-0.25, -0.25],
    ];
    const classes = Array.from(loaded.predictClasses(points));

    return Response.json({
      epochs: history.epochs.length,
      loss,
      accuracy,
      milliseconds: Date.now() - started, // on Cloudflare the clock advances only on I/O, so this may read 0
      savedBytes: saved.length,
      predictions: points.map((point, i) => ({ point, class: classes[i] })),
    });
  },
};
