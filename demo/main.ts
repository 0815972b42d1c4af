/**
 * The browser demo: train an MNIST classifier live on the page, then draw digits for it.
 *
 *   data     the four MNIST IDX files served by demo/serve.mjs, parsed by mnistFromFiles;
 *            training on the first 10,000 or all 60,000 training images (the page's choice),
 *            test accuracy on the 10,000 test images after every epoch
 *   model    784-128-10, ReLU then softmax, cross-entropy, Adam (learning rate 0.001), batches of 64,
 *            in a Web Worker (createWorkerModel; the worker program is /worker.js, bundled by
 *            serve.mjs from src/worker/entry.ts): the page's thread only draws, so Stop, the chart
 *            and the drawing pad never wait for training; the fit callbacks run here with the
 *            worker's logs, and predict() is answered by the worker between two batches
 *   storage  Save keeps the model in this origin's IndexedDB (indexeddb://simdnet-demo); Load
 *            brings it back (after a reload too) and evaluates it on the test set
 *
 * For the tests (test/demo) the page publishes its state as data attributes on <body>:
 * data-state (loading | ready | training | stopped | error), data-batches, data-epochs,
 * data-stop-input-delay-ms, data-stop-ms, data-test-accuracy (the last test accuracy, a
 * fraction), data-saved-bytes and data-saved-at (after Save), data-loaded (after Load); the
 * chart container has data-points and the prediction panel data-class and data-probabilities.
 */
// The library from source (src/index.ts is the public API, as users import 'simdnet').
import {
  createWorkerModel,
  listModels,
  loadWorkerModel,
  mnistFromFiles,
  MNIST_FILE_NAMES,
  saveModel,
  type Dataset,
  type MnistFiles,
  type WorkerModel,
  type WorkerModelOptions,
} from '../src/index.js';
import { TrainingChart } from './chart.js';
import { DrawPad } from './draw-pad.js';
import './style.css';

const BATCH_SIZE = 64;
const HIDDEN_UNITS = 128;
/** Chart points per epoch (batches are grouped to about this many). */
const POINTS_PER_EPOCH = 40;
/** Where Save keeps the model. */
const SAVED_MODEL = 'indexeddb://simdnet-demo';
/** The worker program and the core, both served by serve.mjs next to the page. */
const WORKER: WorkerModelOptions = {
  workerUrl: new URL('worker.js', location.href),
  init: { source: new URL('simdnet.wasm', location.href) },
};

// --- the page's elements ---------------------------------------------------------------

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  dataNote: $('data-note'),
  progress: $<HTMLProgressElement>('load-progress'),
  subset: $<HTMLSelectElement>('subset'),
  epochs: $<HTMLSelectElement>('epochs'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  reset: $<HTMLButtonElement>('reset'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLButtonElement>('load'),
  storageNote: $('storage-note'),
  epoch: $('stat-epoch'),
  batches: $('stat-batches'),
  speed: $('stat-speed'),
  loss: $('stat-loss'),
  testAccuracy: $('stat-test-accuracy'),
  report: $('report'),
  error: $('error'),
  chart: $('chart'),
  canvas: $<HTMLCanvasElement>('pad'),
  preview: $<HTMLCanvasElement>('preview'),
  clear: $<HTMLButtonElement>('clear'),
  prediction: $('prediction'),
  predictedDigit: $('predicted-digit'),
  predictedConfidence: $('predicted-confidence'),
  bars: $('bars'),
};

type State = 'loading' | 'ready' | 'training' | 'stopped' | 'error';

/** Whether IndexedDB holds a saved model (Load is enabled then). */
let savedModelExists = false;

function setState(state: State): void {
  document.body.dataset.state = state;
  const training = state === 'training';
  ui.train.disabled = !(state === 'ready' || state === 'stopped');
  ui.stop.disabled = !training;
  ui.reset.disabled = !(state === 'ready' || state === 'stopped');
  ui.save.disabled = !(state === 'ready' || state === 'stopped');
  ui.load.disabled = !((state === 'ready' || state === 'stopped') && savedModelExists);
  // The x axis counts passes over one training set: it is fixed until Reset.
  ui.subset.disabled = !(state === 'ready' && session.samplesSeen === 0);
  ui.epochs.disabled = training;
}

function showError(error: unknown): void {
  console.error(error);
  ui.error.textContent = `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  ui.error.hidden = false;
  setState('error');
}

// --- data --------------------------------------------------------------------------------

/** Fetches one file, reporting bytes received so far. */
async function fetchBytes(url: string, onBytes: (received: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onBytes(received);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

async function loadMnist(): Promise<{ train: Dataset; test: Dataset }> {
  const roles = Object.keys(MNIST_FILE_NAMES) as (keyof MnistFiles)[];
  const sizes = await Promise.all(
    roles.map(
      async (role) =>
        Number((await fetch(`data/${MNIST_FILE_NAMES[role]}`, { method: 'HEAD' })).headers.get('content-length')) || 0,
    ),
  );
  const total = sizes.reduce((a, b) => a + b, 0);
  const received = roles.map(() => 0);
  const report = () => {
    const sum = received.reduce((a, b) => a + b, 0);
    ui.progress.max = total || 1;
    ui.progress.value = sum;
    ui.dataNote.textContent = `Loading MNIST: ${(sum / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
  };
  const files = await Promise.all(
    roles.map((role, i) =>
      fetchBytes(`data/${MNIST_FILE_NAMES[role]}`, (bytes) => {
        received[i] = bytes;
        report();
      }),
    ),
  );
  const data = await mnistFromFiles(Object.fromEntries(roles.map((role, i) => [role, files[i]])) as MnistFiles);
  return { train: shared(data.train), test: shared(data.test) };
}

/**
 * The dataset on SharedArrayBuffers (this page is cross-origin isolated): every fit and
 * evaluate then shares the arrays with the worker instead of copying 55 MB on this thread.
 */
function shared(data: Dataset): Dataset {
  if (typeof SharedArrayBuffer === 'undefined') return data;
  const copy = <T extends Uint8Array | Int32Array | Uint16Array | Uint32Array | Float32Array>(array: T): T => {
    const out = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(
      new SharedArrayBuffer(array.byteLength),
    );
    out.set(array as never);
    return out;
  };
  return { ...data, inputs: copy(data.inputs), labels: data.labels && copy(data.labels) };
}

/** The first `count` samples of a dataset (views, no copy). */
function firstSamples(data: Dataset, count: number): Dataset {
  return {
    ...data,
    count,
    inputs: data.inputs.subarray(0, count * data.inputSize),
    labels: data.labels!.subarray(0, count),
  };
}

// --- the session: model, data, counters ------------------------------------------------------

const session = {
  model: undefined as WorkerModel | undefined,
  seed: 1,
  train: undefined as Dataset | undefined,
  test: undefined as Dataset | undefined,
  /** The training set in use (a prefix of train). */
  trainingSet: undefined as Dataset | undefined,
  samplesSeen: 0,
  batches: 0,
  epochsDone: 0,
  /** Batches not yet drawn as a chart point. */
  group: emptyGroup(),
  stopRequested: false,
  stopClickedAt: 0,
  /** The drawing's pixels, re-predicted while the model trains. */
  drawing: undefined as Uint8Array | undefined,
};

function emptyGroup() {
  return { batches: 0, samples: 0, lossSum: 0, correctSum: 0 };
}

async function newModel(): Promise<WorkerModel> {
  return createWorkerModel(
    {
      inputSize: 784,
      layers: [
        { units: HIDDEN_UNITS, activation: 'relu' },
        { units: 10, activation: 'softmax' },
      ],
      optimizer: { type: 'adam', learningRate: 1e-3 },
      seed: session.seed,
    },
    WORKER,
  );
}

function trainingSetSize(): number {
  return Number(ui.subset.value);
}

function publishCounters(): void {
  document.body.dataset.batches = String(session.batches);
  document.body.dataset.epochs = String(session.epochsDone);
  ui.batches.textContent = session.batches.toLocaleString('en');
}

// --- training --------------------------------------------------------------------------

async function train(chart: TrainingChart): Promise<void> {
  const model = session.model!;
  const data = (session.trainingSet ??= firstSamples(session.train!, trainingSetSize()));
  // About POINTS_PER_EPOCH chart points per epoch. A group runs on across epochs (and Stop/Train),
  // so an epoch's short last batch is never a (noisy) point of its own.
  const groupSize = Math.max(1, Math.round(Math.ceil(data.count / BATCH_SIZE) / POINTS_PER_EPOCH));
  const group = session.group;
  // Samples/s over the epoch so far, from the end of its first batch (so without the test-set pauses).
  let epochClock = { startedAt: performance.now(), samples: 0 };
  let lastEpochShown = 0;
  const epochsSeen = () => session.samplesSeen / data.count;

  const flushGroup = () => {
    if (group.samples === 0) return;
    const loss = group.lossSum / group.samples;
    chart.addTrainingPoint({ epochs: epochsSeen(), loss, accuracy: group.correctSum / group.samples });
    ui.loss.textContent = loss.toFixed(3);
    Object.assign(group, emptyGroup());
  };
  const keepGoing = () => (session.stopRequested ? false : undefined);

  session.stopRequested = false;
  ui.report.textContent = '';
  setState('training');
  const history = await model.fit(data, {
    epochs: Number(ui.epochs.value),
    batchSize: BATCH_SIZE,
    validationData: session.test!,
    // The worker never waits for the page's callbacks (Stop calls model.stop(), which the
    // worker reads after every batch): a busy page cannot slow training down.
    maxBatchesAhead: Infinity,
    callbacks: {
      onBatchEnd(log) {
        if (log.batch === 0) epochClock = { startedAt: performance.now(), samples: 0 };
        else epochClock.samples += log.size;
        session.batches++;
        session.samplesSeen += log.size;
        group.batches++;
        group.samples += log.size;
        group.lossSum += log.loss * log.size;
        group.correctSum += (log.accuracy ?? 0) * log.size;
        if (group.batches === groupSize) {
          flushGroup();
          const elapsed = performance.now() - epochClock.startedAt;
          if (epochClock.samples > 0)
            ui.speed.textContent = Math.round((epochClock.samples / elapsed) * 1000).toLocaleString('en');
          ui.epoch.textContent = `${log.epoch} (${Math.floor((100 * (log.batch + 1)) / log.batches)}%)`;
          // The weights just changed: refresh the drawing's prediction (predict is safe inside fit).
          if (session.drawing) showPrediction(session.drawing);
          // The counters too, once per chart point: the page does as little as it can per batch.
          publishCounters();
        }
        return keepGoing();
      },
      onEpochEnd(log) {
        lastEpochShown = log.epoch;
        session.epochsDone++;
        chart.addTestAccuracy(epochsSeen(), log.valAccuracy!);
        showTestAccuracy(log.valAccuracy!);
        ui.epoch.textContent = `${log.epoch} (100%)`;
        ui.speed.textContent = Math.round(log.samplesPerSec).toLocaleString('en');
        ui.report.textContent = `Epoch ${log.epoch}: ${log.seconds.toFixed(1)} s, ${Math.round(log.samplesPerSec).toLocaleString('en')} samples/s, test accuracy ${percent(log.valAccuracy!)}.`;
        publishCounters();
        return keepGoing();
      },
    },
  });

  // An epoch cut short by Stop still ends with a test evaluation of the weights as they are: show it too.
  const last = history.epochs[history.epochs.length - 1];
  if (last && last.epoch !== lastEpochShown && last.valAccuracy !== undefined) {
    chart.addTestAccuracy(epochsSeen(), last.valAccuracy);
    showTestAccuracy(last.valAccuracy);
  }
  if (history.stopReason === 'callback') {
    const stoppedAfter = performance.now() - session.stopClickedAt;
    document.body.dataset.stopMs = stoppedAfter.toFixed(1);
    ui.report.textContent =
      `Stopped. The page handled the click ${document.body.dataset.stopInputDelayMs} ms after it happened; ` +
      `training ended ${stoppedAfter.toFixed(0)} ms later, test set evaluated. Press Train to continue.`;
  }
  if (session.drawing) showPrediction(session.drawing);
  publishCounters();
  setState('stopped');
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

function showTestAccuracy(fraction: number): void {
  ui.testAccuracy.textContent = percent(fraction);
  document.body.dataset.testAccuracy = String(fraction);
}

// --- storage (IndexedDB) --------------------------------------------------------------------

async function refreshSavedModel(): Promise<void> {
  const saved = (await listModels()).find((m) => m.url === SAVED_MODEL);
  savedModelExists = saved !== undefined;
  ui.storageNote.textContent = saved
    ? `Saved in this browser: ${(saved.bytes / 1024).toFixed(0)} KB, ${saved.dateSaved.toLocaleString('en')}.`
    : 'No model saved in this browser yet.';
}

async function save(): Promise<void> {
  const state = document.body.dataset.state as State;
  const model = session.model!;
  model.metadata = { epochs: session.samplesSeen / (session.trainingSet?.count ?? 1) };
  const info = await saveModel(model, SAVED_MODEL);
  document.body.dataset.savedBytes = String(info.bytes);
  document.body.dataset.savedAt = info.dateSaved.toISOString();
  await refreshSavedModel();
  setState(state);
}

async function load(chart: TrainingChart): Promise<void> {
  const loaded = await loadWorkerModel(SAVED_MODEL, WORKER);
  await session.model?.dispose();
  session.model = loaded;
  Object.assign(session, { samplesSeen: 0, batches: 0, epochsDone: 0, trainingSet: undefined, group: emptyGroup() });
  chart.clear();
  for (const el of [ui.epoch, ui.speed, ui.loss, ui.testAccuracy]) el.textContent = '–';
  publishCounters();
  ui.report.textContent = `Loaded the saved model (${loaded.training.epochs} whole epochs, ${loaded.training.steps.toLocaleString('en')} steps). Evaluating it on the test set…`;
  const { accuracy } = await loaded.evaluate(session.test!);
  showTestAccuracy(accuracy!);
  ui.report.textContent = `Loaded the saved model: test accuracy ${percent(accuracy!)}. Train to continue from it.`;
  document.body.dataset.loaded = 'true';
  showPrediction(session.drawing);
  setState('ready');
}

// --- prediction --------------------------------------------------------------------------

function buildBars(): HTMLElement[] {
  return Array.from({ length: 10 }, (_, digit) => {
    const row = document.createElement('div');
    row.className = 'bar-row';
    row.innerHTML = `<span class="bar-digit">${digit}</span><span class="bar-track"><span class="bar-fill"></span></span><span class="bar-value"></span>`;
    ui.bars.append(row);
    return row;
  });
}
let barRows: HTMLElement[] = [];

/** Numbers the predictions asked for, so an answer that comes after a newer request is dropped. */
let predictionRequest = 0;

function showPrediction(pixels: Uint8Array | undefined): void {
  const request = ++predictionRequest;
  const model = session.model;
  if (!pixels || !model) {
    ui.prediction.dataset.class = '';
    ui.prediction.dataset.probabilities = '';
    ui.predictedDigit.textContent = '?';
    ui.predictedDigit.classList.add('empty');
    ui.predictedConfidence.textContent = model ? 'Draw a digit on the black square' : 'Waiting for the model';
    barRows.forEach((row) => {
      row.classList.remove('best');
      (row.querySelector('.bar-fill') as HTMLElement).style.width = '0%';
      row.querySelector('.bar-value')!.textContent = '';
    });
    return;
  }
  model
    .predict({ count: 1, inputSize: 784, inputs: pixels, inputScale: session.train?.inputScale ?? 1 / 255 })
    .then((probabilities) => {
      if (request === predictionRequest) drawPrediction(probabilities);
    })
    .catch(showError);
}

function drawPrediction(probabilities: Float32Array): void {
  let best = 0;
  for (let d = 1; d < 10; d++) if (probabilities[d] > probabilities[best]) best = d;
  ui.prediction.dataset.class = String(best);
  ui.prediction.dataset.probabilities = JSON.stringify(Array.from(probabilities));
  ui.predictedDigit.textContent = String(best);
  ui.predictedDigit.classList.remove('empty');
  ui.predictedConfidence.textContent =
    `${(probabilities[best] * 100).toFixed(1)}% sure` +
    (session.samplesSeen === 0 ? ' (untrained: press Train first)' : '');
  barRows.forEach((row, d) => {
    row.classList.toggle('best', d === best);
    (row.querySelector('.bar-fill') as HTMLElement).style.width = `${(probabilities[d] * 100).toFixed(1)}%`;
    row.querySelector('.bar-value')!.textContent = `${(probabilities[d] * 100).toFixed(1)}%`;
  });
}

// --- wiring -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  setState('loading');
  const requested = new URLSearchParams(location.search).get('train');
  if (requested && [...ui.subset.options].some((o) => o.value === requested)) ui.subset.value = requested;

  barRows = buildBars();
  const chart = new TrainingChart(ui.chart);
  const pad = new DrawPad(ui.canvas, ui.preview, (pixels) => {
    session.drawing = pixels;
    showPrediction(pixels);
  });
  publishCounters();

  ui.train.addEventListener('click', () => {
    train(chart).catch(showError);
  });
  ui.save.addEventListener('click', () => {
    save().catch(showError);
  });
  ui.load.addEventListener('click', () => {
    setState('loading');
    load(chart).catch(showError);
  });
  ui.stop.addEventListener('click', (event) => {
    // event.timeStamp is when the click happened; now is when the page got to it.
    session.stopClickedAt = performance.now();
    document.body.dataset.stopInputDelayMs = Math.max(0, session.stopClickedAt - event.timeStamp).toFixed(1);
    session.stopRequested = true;
    // At once, through a flag the worker reads after every batch (the callbacks' stop follows).
    void session.model?.stop();
    ui.stop.disabled = true;
    ui.report.textContent = 'Stopping after this batch…';
  });
  ui.reset.addEventListener('click', async () => {
    session.seed++;
    await session.model?.dispose();
    session.model = await newModel();
    Object.assign(session, { samplesSeen: 0, batches: 0, epochsDone: 0, trainingSet: undefined, group: emptyGroup() });
    chart.clear();
    for (const el of [ui.epoch, ui.speed, ui.loss, ui.testAccuracy]) el.textContent = '–';
    ui.report.textContent = 'New random weights.';
    publishCounters();
    showPrediction(session.drawing);
    setState('ready');
  });
  ui.clear.addEventListener('click', () => pad.clear());

  // The worker fetches the core next to the page while the data loads.
  const [model, data] = await Promise.all([newModel(), loadMnist(), refreshSavedModel()]);
  session.train = data.train;
  session.test = data.test;
  session.model = model;
  ui.progress.hidden = true;
  ui.dataNote.textContent = `MNIST loaded: ${data.train.count.toLocaleString('en')} training and ${data.test.count.toLocaleString('en')} test images.`;
  showPrediction(session.drawing);
  setState('ready');
}

main().catch(showError);
