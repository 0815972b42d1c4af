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
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { csvSource } from '../data/node-source.js';
import { rowChunks } from '../data/source.js';
import { standardizeInputs } from './preprocess.js';
import { csvHeader, shouldStream } from './stream-data.js';
import type { Dataset } from '../data/dataset.js';
import {
  choiceFlag,
  exclusiveFlags,
  intFlag,
  parseFlags,
  positionalArgs,
  requireFile,
  stringFlag,
  type Flags,
} from './args.js';
import { CliError, UsageError, withContext } from './errors.js';
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
  --stream             read the CSV as a stream and write predictions as they come (automatic above 256 MiB)
  --format NAME        csv | json                                   [csv]
  --out FILE           write to FILE                                [stdout]

Classifiers write the class and one probability per class; regression models the value.`;

const FLAGS = {
  csv: { type: 'string' },
  label: { type: 'string' },
  images: { type: 'string' },
  limit: { type: 'string' },
  stream: { type: 'boolean' },
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

/** Turns outputs [rows, outputSize] into one CSV line or JSON object text per row. */
interface OutputFormatter {
  /** The CSV header line (csv format only). */
  header: string | undefined;
  /** One string per row: a CSV line, or a JSON object. Regression outputs are mapped back to target units in place. */
  rows(outputs: Float32Array): string[];
}

function outputFormatter(saved: SavedModel, format: 'csv' | 'json'): OutputFormatter {
  const { model, meta } = saved;
  const width = model.outputSize;
  if (meta.task === 'classification') {
    const names = classNamesOf(model, meta);
    return {
      header: format === 'csv' ? ['class', ...names.map((name) => `p_${name}`)].map(csvField).join(',') : undefined,
      rows(outputs) {
        // One sigmoid output p is the probability of class 1: [1 - p, p].
        const probabilities = (r: number): number[] =>
          width === 1 ? [1 - outputs[r], outputs[r]] : Array.from(outputs.subarray(r * width, (r + 1) * width));
        const out: string[] = [];
        for (let r = 0; r < outputs.length / width; r++) {
          const p = probabilities(r);
          let best = 0;
          for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
          if (format === 'csv') out.push([csvField(names[best]), ...p.map((x) => shortNumber(x, 6))].join(','));
          else
            out.push(
              JSON.stringify({
                class: names[best],
                probabilities: Object.fromEntries(names.map((name, j) => [name, Number(shortNumber(p[j], 6))])),
              }),
            );
        }
        return out;
      },
    };
  }
  const columns = width === 1 ? [meta.label ?? 'value'] : Array.from({ length: width }, (_, j) => `value_${j}`);
  return {
    header: format === 'csv' ? columns.map(csvField).join(',') : undefined,
    rows(outputs) {
      if (meta.targetStandardize) unstandardizeOutputs(outputs, meta.targetStandardize);
      const out: string[] = [];
      for (let r = 0; r < outputs.length / width; r++) {
        const values = Array.from(outputs.subarray(r * width, (r + 1) * width), (x) => shortNumber(x));
        out.push(
          format === 'csv'
            ? values.join(',')
            : JSON.stringify(Object.fromEntries(columns.map((name, j) => [name, Number(values[j])]))),
        );
      }
      return out;
    },
  };
}

export async function predictCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'predict');
  const [modelPath] = positionalArgs(positionals, ['MODEL'], 'predict');
  const format = choiceFlag(flags, 'format', ['csv', 'json'] as const, 'csv');
  const limit = flags.limit === undefined ? undefined : intFlag(flags, 'limit', 0, 1);
  const outPath = stringFlag(flags, 'out');
  const saved = await openModel(modelPath);
  const { model } = saved;
  if (flags.stream && flags.csv === undefined) throw new UsageError('--stream applies to --csv only');
  const csv = stringFlag(flags, 'csv');
  if (csv !== undefined && flags.images === undefined && shouldStream(flags, requireFile(csv, 'CSV file')))
    return predictStreamed(saved, csv, flags, format, limit, outPath);
  const read = await readInputs(saved, flags);
  const data = asModelInput(saved, firstRows(read.dataset, limit), read.source);
  const outputs = await withContext(read.source, () => model.predict(data, { batchSize: 1000 }));
  const formatter = outputFormatter(saved, format);
  const rows = formatter.rows(outputs);
  const text = format === 'csv' ? `${[formatter.header, ...rows].join('\n')}\n` : `[\n${rows.join(',\n')}\n]\n`;
  if (outPath === undefined) {
    process.stdout.write(text);
  } else {
    await withContext(`cannot write ${outPath}`, () => writeFile(outPath, text));
    console.error(`simdnet: wrote ${data.count} predictions to ${outPath}`);
  }
}

/**
 * predict over a streamed CSV: the header is checked first, then the rows are read, predicted
 * and written chunk by chunk (the same text as a whole read gives).
 */
async function predictStreamed(
  saved: SavedModel,
  csv: string,
  flags: Flags,
  format: 'csv' | 'json',
  limit: number | undefined,
  outPath: string | undefined,
): Promise<void> {
  const { model, meta } = saved;
  const label = stringFlag(flags, 'label') ?? meta.label;
  const ignore = label === undefined ? [] : [label];
  const header = await withContext(csv, () => csvHeader(csv));
  if (!meta.features) {
    const columns = header.filter((name) => !ignore.includes(name)).length;
    if (columns !== model.inputSize)
      throw new CliError(
        `${csv}: CSV line 1: the model takes ${model.inputSize} features but the file has ${columns} columns${ignore.length ? ` besides ${ignore.join(', ')}` : ''}`,
      );
  }
  const source = csvSource(csv, { featureColumns: meta.features, ignoreColumns: meta.features ? undefined : ignore });
  const chunks = rowChunks(source, {
    inputSize: model.inputSize,
    outputSize: model.outputSize,
    chunkRows: 8192,
    needTargets: false,
    what: 'inputs',
    limit,
  });
  const out = outPath === undefined ? process.stdout : createWriteStream(outPath);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const formatter = outputFormatter(saved, format);
  let count = 0;
  await withContext(csv, async () => {
    for await (const chunk of chunks) {
      const inputs = meta.standardize ? standardizeInputs(chunk, meta.standardize) : chunk;
      const rows = formatter.rows(model.predict(inputs, { batchSize: 1000 }));
      const start = count === 0 ? (format === 'csv' ? `${formatter.header}\n` : '[\n') : format === 'csv' ? '' : ',\n';
      await write(start + rows.join(format === 'csv' ? '\n' : ',\n') + (format === 'csv' ? '\n' : ''));
      count += chunk.count;
    }
    if (count === 0) throw new CliError('the file has a header row but no data rows');
    if (format === 'json') await write('\n]\n');
  });
  if (outPath !== undefined) {
    await withContext(
      `cannot write ${outPath}`,
      () =>
        new Promise<void>((resolve, reject) => {
          out.once('error', reject);
          (out as ReturnType<typeof createWriteStream>).end(resolve);
        }),
    );
    console.error(`simdnet: wrote ${count} predictions to ${outPath}`);
  }
}
