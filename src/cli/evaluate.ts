/**
 * `simdnet evaluate MODEL`: loss and accuracy (classification) or error metrics
 * in target units (regression) of a saved model on labelled data: a CSV file,
 * the test split of MNIST / Fashion-MNIST, or a pair of IDX files.
 */
import type { Dataset } from '../data/dataset.js';
import {
  choiceFlag,
  exclusiveFlags,
  intFlag,
  namesFlag,
  parseFlags,
  positionalArgs,
  stringFlag,
  type Flags,
} from './args.js';
import { UsageError, withContext } from './errors.js';
import {
  BUILTIN_DATASETS,
  firstRows,
  loadBuiltin,
  readIdxPair,
  readLabelledCsv,
  type BuiltinDataset,
} from './inputs.js';
import { classificationReport, labelsAsValues, metricsFlag, metricsText } from './fit-flags.js';
import { classNamesOf } from './metadata.js';
import { percent, regressionMetrics, shortNumber, thousands } from './metrics.js';
import { standardizeTargets, unstandardizeOutputs } from './preprocess.js';
import { asModelInput, openModel, type SavedModel } from './saved-model.js';
import { csvSource } from '../data/node-source.js';
import type { DataSource } from '../data/source.js';
import type { MetricSpec } from '../train/metrics.js';
import { requireFile } from './args.js';
import {
  countedSource,
  shouldStream,
  standardizedSource,
  streamedRegressionMetrics,
  withErrorContext,
} from './stream-data.js';

export const EVALUATE_USAGE = `usage: simdnet evaluate MODEL [flags]     loss and accuracy (or regression errors) of a saved model

data (one of):
  --csv FILE           a CSV file with a header row and the label column
    --label COLUMN     the label / target column                    [the one the model was trained on]
    --features A,B,... feature columns, in order                    [the model's, else all but the label]
  --dataset NAME       the test split of ${BUILTIN_DATASETS.join(' | ')}
    --data-dir DIR     read the dataset's IDX files (plain or .gz) from DIR
  --images FILE        IDX images (u8 pixels are scaled by 1/255, as in MNIST training)
    --labels FILE      IDX labels (u8) for those images

  --limit N            evaluate only the first N samples
  --metrics A,B,...    classification: accuracy, precision, recall, f1, top<k>   [precision,recall,f1]
  --stream             read the CSV as a stream instead of whole (automatic above 256 MiB)
  --json               print one JSON object instead of text

Classifiers also print the confusion matrix (rows: true class, columns: predicted) and
precision, recall, f1 and support per class (a 0/0 counts as 0).`;

const FLAGS = {
  csv: { type: 'string' },
  label: { type: 'string' },
  features: { type: 'string' },
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  images: { type: 'string' },
  labels: { type: 'string' },
  limit: { type: 'string' },
  metrics: { type: 'string' },
  stream: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** The labelled data named by the flags, read as the model expects (its classes, its features). */
async function readLabelledData(
  saved: SavedModel,
  flags: Flags,
): Promise<{ dataset: Dataset; source: string } | { stream: DataSource; source: string }> {
  exclusiveFlags(flags, ['csv', 'dataset', 'images']);
  const { meta } = saved;
  const csv = stringFlag(flags, 'csv');
  if (csv === undefined) {
    for (const name of ['label', 'features'])
      if (flags[name] !== undefined) throw new UsageError(`--${name} applies to --csv only`);
  }
  if (flags['data-dir'] !== undefined && flags.dataset === undefined)
    throw new UsageError('--data-dir applies to --dataset only');
  if (flags.labels !== undefined && flags.images === undefined) throw new UsageError('--labels needs --images');
  if (csv !== undefined) {
    const label = stringFlag(flags, 'label') ?? meta.label;
    if (label === undefined)
      throw new UsageError('--csv needs --label COLUMN (the model does not record its label column)');
    const features = namesFlag(flags, 'features') ?? meta.features;
    const classes = meta.task === 'classification' ? meta.classNames : undefined;
    if (shouldStream(flags, requireFile(csv, 'CSV file')))
      return {
        stream: withErrorContext(
          csv,
          csvSource(csv, {
            labelColumn: label,
            task: meta.task,
            featureColumns: features,
            ignoreColumns: features ? undefined : [label],
            classes,
          }),
        ),
        source: csv,
      };
    const read = await readLabelledCsv(csv, { label, task: meta.task, features, classes });
    return { dataset: read.dataset, source: csv };
  }
  if (flags.dataset !== undefined) {
    const name = choiceFlag(flags, 'dataset', BUILTIN_DATASETS, 'mnist') as BuiltinDataset;
    return { dataset: (await loadBuiltin(name, stringFlag(flags, 'data-dir'))).test, source: `${name} test set` };
  }
  const images = stringFlag(flags, 'images');
  if (images !== undefined) {
    const labels = stringFlag(flags, 'labels');
    if (labels === undefined)
      throw new UsageError('--images needs --labels FILE to evaluate (use predict for images alone)');
    return { dataset: await readIdxPair(images, labels), source: images };
  }
  throw new UsageError(
    "evaluate needs data: --csv FILE, --dataset NAME or --images FILE --labels FILE (see 'simdnet evaluate --help')",
  );
}

export async function evaluateCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'evaluate');
  const [modelPath] = positionalArgs(positionals, ['MODEL'], 'evaluate');
  const limit = flags.limit === undefined ? undefined : intFlag(flags, 'limit', 0, 1);
  const saved = await openModel(modelPath);
  const { model, meta } = saved;
  if (flags.stream && flags.csv === undefined) throw new UsageError('--stream applies to --csv only');
  const read = await readLabelledData(saved, flags);
  const source = read.source;
  const metrics = metricsFlag(flags);
  if ('stream' in read) return evaluateStreamed(saved, read.stream, source, limit, Boolean(flags.json), metrics);
  const raw = firstRows(read.dataset, limit);
  let data = asModelInput(saved, raw, source);

  const report: Record<string, unknown> = { model: modelPath, data: source, task: meta.task, samples: data.count };
  let text: string;
  if (meta.task === 'classification') {
    const result = await withContext(source, () =>
      model.evaluate(labelsAsValues(data, model.classes), {
        batchSize: 1000,
        metrics: metrics ?? ['precision', 'recall', 'f1'],
      }),
    );
    const names = classNamesOf(model, meta);
    Object.assign(report, {
      loss: result.loss,
      accuracy: result.accuracy,
      ...Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v === 'number')),
      classNames: names,
      confusionMatrix: result.confusionMatrix,
      perClass: result.perClass,
    });
    text = `accuracy ${percent(result.accuracy)}, loss ${result.loss.toFixed(4)}${metricsText(result as unknown as Record<string, unknown>, metrics)}\n${classificationReport(result, names)}`;
  } else {
    if (meta.targetStandardize) data = standardizeTargets(data, meta.targetStandardize);
    const result = await withContext(source, () => model.evaluate(data, { batchSize: 1000 }));
    const predictions = model.predict(data, { batchSize: 1000 });
    if (meta.targetStandardize) unstandardizeOutputs(predictions, meta.targetStandardize);
    const metrics = regressionMetrics(predictions, raw.targets!);
    Object.assign(report, { loss: result.loss, ...metrics });
    text = `rmse ${shortNumber(metrics.rmse, 5)}, mae ${shortNumber(metrics.mae, 5)}, r2 ${metrics.r2.toFixed(4)}, loss ${result.loss.toFixed(4)}${meta.targetStandardize ? ' (standardized target)' : ''}`;
  }
  if (flags.json) console.log(JSON.stringify(report));
  else console.log(`${source}: ${thousands(data.count)} samples, ${text}`);
}

/** evaluate over a streamed CSV: one pass for loss and accuracy, a second for regression errors in target units. */
async function evaluateStreamed(
  { path, model, meta }: SavedModel,
  raw: DataSource,
  source: string,
  limit: number | undefined,
  json: boolean,
  metrics: MetricSpec[] | undefined,
): Promise<void> {
  const counter = { rows: 0 };
  const rows = countedSource(raw, model.inputSize, limit, counter);
  const data = standardizedSource(rows, model.inputSize, meta.standardize, meta.targetStandardize);
  const classifier = meta.task === 'classification';
  // The stream's labels are class indices (csvSource maps the label texts with the model's class names).
  const result = await withContext(source, () =>
    model.evaluate(data, {
      batchSize: 1000,
      ...(classifier ? { metrics: metrics ?? ['precision', 'recall', 'f1'] } : {}),
    }),
  );
  const report: Record<string, unknown> = { model: path, data: source, task: meta.task, samples: counter.rows };
  let text: string;
  if (classifier) {
    const names = classNamesOf(model, meta);
    Object.assign(report, {
      loss: result.loss,
      accuracy: result.accuracy,
      ...Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v === 'number')),
      classNames: names,
      confusionMatrix: result.confusionMatrix,
      perClass: result.perClass,
    });
    text = `accuracy ${percent(result.accuracy)}, loss ${result.loss.toFixed(4)}${metricsText(result as unknown as Record<string, unknown>, metrics)}\n${classificationReport(result, names)}`;
  } else {
    const metrics = await withContext(source, () => streamedRegressionMetrics(model, rows, meta));
    Object.assign(report, { loss: result.loss, ...metrics });
    text = `rmse ${shortNumber(metrics.rmse, 5)}, mae ${shortNumber(metrics.mae, 5)}, r2 ${metrics.r2.toFixed(4)}, loss ${result.loss.toFixed(4)}${meta.targetStandardize ? ' (standardized target)' : ''}`;
  }
  if (json) console.log(JSON.stringify(report));
  else console.log(`${source}: ${thousands(counter.rows)} samples, ${text}`);
}
