/**
 * `simdnet predict MODEL`: runs a saved model on a CSV file or IDX images and
 * writes one row per sample:
 *
 *   classification  class, then one probability per class    CSV: class,p_<name>,...
 *                                                             JSON: {"class", "probabilities": {name: p}}
 *   regression      the predicted value(s) in target units    CSV: <label> (or value_0, ...)
 *                                                             JSON: {"<label>": value}
 *
 * CSV (default) or JSON (an array), to stdout or --out FILE.
 */
import { writeFile } from 'node:fs/promises';
import type { Dataset } from '../data/dataset.js';
import { choiceFlag, exclusiveFlags, intFlag, parseFlags, positionalArgs, stringFlag, type Flags } from './args.js';
import { UsageError, withContext } from './errors.js';
import { firstRows, readFeatureCsv, readIdxImages } from './inputs.js';
import { classNamesOf } from './metadata.js';
import { shortNumber } from './metrics.js';
import { unstandardizeOutputs } from './preprocess.js';
import { asModelInput, openModel, type SavedModel } from './saved-model.js';

export const PREDICT_USAGE = `usage: simdnet predict MODEL [flags]     predictions of a saved model, as CSV or JSON

input (one of):
  --csv FILE           a CSV file with a header row; the model's feature columns are read by
                       name (other columns, such as the label, are ignored)
    --label COLUMN     for a model without recorded feature names: the column to ignore
  --images FILE        IDX images (plain or .gz); u8 pixels are scaled by 1/255 as in MNIST training

  --limit N            predict only the first N samples
  --format NAME        csv | json                                   [csv]
  --out FILE           write to FILE                                [stdout]

Classifiers write the class and one probability per class; regression models the value.`;

const FLAGS = {
  csv: { type: 'string' },
  label: { type: 'string' },
  images: { type: 'string' },
  limit: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;

async function readInputs(saved: SavedModel, flags: Flags): Promise<{ dataset: Dataset; source: string }> {
  exclusiveFlags(flags, ['csv', 'images']);
  const csv = stringFlag(flags, 'csv');
  const images = stringFlag(flags, 'images');
  if (csv !== undefined) {
    const label = stringFlag(flags, 'label') ?? saved.meta.label;
    return {
      dataset: await readFeatureCsv(
        csv,
        saved.model.inputSize,
        saved.meta.features,
        label === undefined ? [] : [label],
      ),
      source: csv,
    };
  }
  if (flags.label !== undefined) throw new UsageError('--label applies to --csv only');
  if (images !== undefined) return { dataset: await readIdxImages(images), source: images };
  throw new UsageError("predict needs input: --csv FILE or --images FILE (see 'simdnet predict --help')");
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export async function predictCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'predict');
  const [modelPath] = positionalArgs(positionals, ['MODEL'], 'predict');
  const format = choiceFlag(flags, 'format', ['csv', 'json'] as const, 'csv');
  const limit = flags.limit === undefined ? undefined : intFlag(flags, 'limit', 0, 1);
  const outPath = stringFlag(flags, 'out');
  const saved = await openModel(modelPath);
  const { model, meta } = saved;
  const read = await readInputs(saved, flags);
  const data = asModelInput(saved, firstRows(read.dataset, limit), read.source);
  const outputs = await withContext(read.source, () => model.predict(data, { batchSize: 1000 }));
  const width = model.outputSize;

  const lines: string[] = [];
  const rows: unknown[] = [];
  if (meta.task === 'classification') {
    const names = classNamesOf(model, meta);
    // One sigmoid output p is the probability of class 1: [1 - p, p].
    const probabilities = (r: number): number[] =>
      width === 1 ? [1 - outputs[r], outputs[r]] : Array.from(outputs.subarray(r * width, (r + 1) * width));
    if (format === 'csv') lines.push(['class', ...names.map((name) => `p_${name}`)].map(csvField).join(','));
    for (let r = 0; r < data.count; r++) {
      const p = probabilities(r);
      let best = 0;
      for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
      if (format === 'csv') lines.push([csvField(names[best]), ...p.map((x) => shortNumber(x, 6))].join(','));
      else
        rows.push({
          class: names[best],
          probabilities: Object.fromEntries(names.map((name, j) => [name, Number(shortNumber(p[j], 6))])),
        });
    }
  } else {
    if (meta.targetStandardize) unstandardizeOutputs(outputs, meta.targetStandardize);
    const columns = width === 1 ? [meta.label ?? 'value'] : Array.from({ length: width }, (_, j) => `value_${j}`);
    if (format === 'csv') lines.push(columns.map(csvField).join(','));
    for (let r = 0; r < data.count; r++) {
      const values = Array.from(outputs.subarray(r * width, (r + 1) * width), (x) => shortNumber(x));
      if (format === 'csv') lines.push(values.join(','));
      else rows.push(Object.fromEntries(columns.map((name, j) => [name, Number(values[j])])));
    }
  }
  const text =
    format === 'csv' ? `${lines.join('\n')}\n` : `[\n${rows.map((row) => JSON.stringify(row)).join(',\n')}\n]\n`;
  if (outPath === undefined) {
    process.stdout.write(text);
  } else {
    await withContext(`cannot write ${outPath}`, () => writeFile(outPath, text));
    console.error(`simdnet: wrote ${data.count} predictions to ${outPath}`);
  }
}
