// The example's data set, the same on every run: 3000 rows of 6 features in [-1, 1) and a
// class 0..2 from a fixed rule, (x0·x1 > 0) + (x2 > 0.3). In a real run the data lives where
// the cluster reads it; here each DDP rank reads its share of data.csv.
export const FEATURES = 6;
export const CLASSES = 3;

export function makeData(rows = 3000, seed = 2024) {
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const inputs = new Float32Array(rows * FEATURES);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < FEATURES; j++) inputs[r * FEATURES + j] = random() * 2 - 1;
    const x = inputs.subarray(r * FEATURES, (r + 1) * FEATURES);
    labels[r] = (x[0] * x[1] > 0 ? 1 : 0) + (x[2] > 0.3 ? 1 : 0);
  }
  return { inputs, labels };
}

/** CSV with a header, features as the shortest decimal of each f32 (read back exactly), label last. */
export function toCsv({ inputs, labels }) {
  const header = [...Array.from({ length: FEATURES }, (_, j) => `x${j}`), 'label'].join(',');
  const lines = [header];
  for (let r = 0; r < labels.length; r++) {
    lines.push([...inputs.subarray(r * FEATURES, (r + 1) * FEATURES)].map(String).concat(String(labels[r])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function accuracy(model, { inputs, labels }) {
  const predicted = model.predictClasses(inputs);
  let correct = 0;
  for (let r = 0; r < labels.length; r++) correct += predicted[r] === labels[r] ? 1 : 0;
  return correct / labels.length;
}
