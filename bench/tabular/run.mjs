// Small-tabular comparison: simdnet's CLI with its defaults against scikit-learn's
// MLPClassifier / MLPRegressor with theirs, on the same fixed 75/25 splits of the datasets that
// Debian's python3-sklearn ships (bench/tabular/compare.py says which and how).
//
//   npm run build && node bench/tabular/run.mjs [--seeds 1,2,3,4,5] [--out DIR] [--only NAME,...]
//
// 1. `python3 compare.py split DIR` writes DIR/<name>.{train,test}.csv (label column 'label', last)
// 2. `python3 compare.py sklearn DIR seeds...`: scikit-learn's test scores (JSON lines)
// 3. per dataset and seed:  simdnet train --csv <train> --label label --seed S --save <model>
//    (+ --task regression for a regression dataset, --json --quiet to read the results), then
//    simdnet evaluate <model> --csv <test> --json
// 4. a markdown table on stdout: mean ± sample std over the seeds of test accuracy (classification)
//    or test R² (regression); simdnet's training time is the CLI's own trainSeconds (fit only).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const python = '/usr/bin/python3'; // Debian's, with python3-sklearn

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}
const seeds = option('seeds', '1,2,3,4,5').split(',').map(Number);
const out = option('out', join(tmpdir(), 'simdnet-tabular'));
const only = option('only', undefined)?.split(',');
mkdirSync(out, { recursive: true });

const run = (command, args) => execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
const jsonLines = (text) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

run(python, [join(here, 'compare.py'), 'split', out]);
const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).filter(
  (d) => !only || only.includes(d.name),
);

console.error('scikit-learn ...');
const sklearn = jsonLines(run(python, [join(here, 'compare.py'), 'sklearn', out, ...seeds.map(String)]));

const simdnet = [];
for (const d of manifest) {
  for (const seed of seeds) {
    const model = join(out, `${d.name}.seed${seed}.simdnet`);
    const train = ['train', '--csv', join(out, `${d.name}.train.csv`), '--label', 'label', '--seed', String(seed)];
    if (d.task === 'regression') train.push('--task', 'regression');
    const trained = jsonLines(run('node', [cli, ...train, '--save', model, '--json', '--quiet'])).at(-1);
    const evaluated = jsonLines(
      run('node', [cli, 'evaluate', model, '--csv', join(out, `${d.name}.test.csv`), '--json']),
    ).at(-1);
    const score = d.task === 'regression' ? evaluated.r2 : evaluated.accuracy;
    const steps = trained.epochs * Math.ceil(trained.trainSamples / trained.batchSize);
    simdnet.push({ name: d.name, seed, score, seconds: trained.trainSeconds, epochs: trained.epochs, steps });
    console.error(
      `${d.name} seed ${seed}: simdnet ${score.toFixed(4)} (${trained.epochs} epochs, ${steps} steps, ${trained.trainSeconds.toFixed(2)} s)`,
    );
  }
}

function stats(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
const pct = (d) => d.task === 'classification';
function cell(d, values) {
  const { mean, std } = stats(values);
  return pct(d) ? `${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}%` : `${mean.toFixed(3)} ± ${std.toFixed(3)}`;
}
const mean = (values) => stats(values).mean;

console.log(
  `seeds ${seeds.join(', ')}; fixed 75/25 split (seed 0); accuracy for classification, R² for regression, on the test rows\n`,
);
console.log(
  '| dataset | rows × features | task | train / test rows | scikit-learn (defaults) | simdnet CLI (defaults) | simdnet epochs (steps) | simdnet train time | scikit-learn fit time (iterations) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const d of manifest) {
  const mine = simdnet.filter((r) => r.name === d.name);
  const variants = [...new Set(sklearn.filter((r) => r.name === d.name).map((r) => r.variant))];
  for (const variant of variants) {
    const theirs = sklearn.filter((r) => r.name === d.name && r.variant === variant);
    const first = variant === variants[0];
    const task = d.task === 'classification' ? `${d.classes} classes` : 'regression';
    const label = variant === 'default' ? 'scikit-learn (defaults)' : `scikit-learn, ${variant}`;
    const converged = theirs.filter((r) => r.converged).length;
    console.log(
      [
        '',
        first ? d.name : `${d.name} (${variant})`,
        `${d.rows} × ${d.features}`,
        task,
        `${d.trainRows} / ${d.testRows}`,
        `${cell(
          d,
          theirs.map((r) => r.score),
        )}${variant === 'default' ? '' : ` (${label})`}`,
        first
          ? cell(
              d,
              mine.map((r) => r.score),
            )
          : '″',
        first ? `${mean(mine.map((r) => r.epochs)).toFixed(0)} (${mean(mine.map((r) => r.steps)).toFixed(0)})` : '″',
        first ? `${mean(mine.map((r) => r.seconds)).toFixed(2)} s` : '″',
        `${mean(theirs.map((r) => r.seconds)).toFixed(2)} s (${mean(theirs.map((r) => r.iterations)).toFixed(0)}; ${converged}/${theirs.length} converged)`,
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
}
console.log('\nper seed (JSON):');
console.log(JSON.stringify({ sklearn, simdnet }));
