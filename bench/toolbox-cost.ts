/**
 * What the toolbox's layer options cost in training time: the MNIST MLP 784-128-64-10
 * (ReLU, softmax cross-entropy, Adam 1e-3) on ONE thread, the default (baseline SIMD) core,
 * at batch 64 and 128, trained with
 *
 *   plain        no option
 *   off          every option given and off (dropout 0, batchNorm false, l1 0, l2 0)
 *   dropout      dropout 0.2 on both hidden layers
 *   batchNorm    batch norm on both hidden layers
 *   l2           l2 1e-4 on every layer
 *
 *   npx esbuild bench/toolbox-cost.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/bench/toolbox-cost.mjs && node build/bench/toolbox-cost.mjs [--rounds 12] [--block-ms 250] [--json]
 *
 * The machine is shared and noisy, so the contenders are interleaved: each round times one
 * block (about --block-ms of whole batches: the model engine's trainBatch over a seeded
 * shuffle of the 60,000 images, as bench/paired.ts) of every contender, in an order that
 * rotates from round to round, and keeps each contender's rate over plain's in that round.
 * The result is the median of those paired ratios (1.00: no cost; 0.90: 10% slower).
 * Each block is timed twice: by the wall clock, and by the process's CPU time
 * (process.cpuUsage: user + system), which a machine shared with other jobs disturbs far
 * less (time spent waiting for a core is not counted); both ratios are printed.
 * --json prints one JSON object as the last stdout line (the table goes to stderr).
 */
import { createModel, type LayerSpec } from '../src/index';
import { loadMnist } from '../src/data/node';
import { engineOf } from '../src/model/model';

interface Options {
  rounds: number;
  blockMs: number;
  batches: number[];
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { rounds: 12, blockMs: 250, batches: [64, 128], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--block-ms') options.blockMs = Number(argv[++i]);
    else if (arg === '--batches') options.batches = argv[++i].split(',').filter(Boolean).map(Number);
    else if (arg === '--json') options.json = true;
    else throw new Error(`unknown argument ${arg} (see the header of bench/toolbox-cost.ts)`);
  }
  return options;
}

/** A variant's options for the two hidden layers and the output layer. */
interface Variant {
  name: string;
  hidden: Partial<LayerSpec>;
  output: Partial<LayerSpec>;
}

const VARIANTS: Variant[] = [
  { name: 'plain', hidden: {}, output: {} },
  {
    name: 'off',
    hidden: { dropout: 0, batchNorm: false, l1: 0, l2: 0 },
    output: { batchNorm: false, l1: 0, l2: 0 },
  },
  { name: 'dropout', hidden: { dropout: 0.2 }, output: {} },
  { name: 'batchNorm', hidden: { batchNorm: true }, output: {} },
  { name: 'l2', hidden: { l2: 1e-4 }, output: { l2: 1e-4 } },
];

/** A contender: one training batch per run. */
interface Contender {
  name: string;
  run: () => void;
}

type Train = Awaited<ReturnType<typeof loadMnist>>['train'];

async function contender(variant: Variant, batch: number, train: Train): Promise<Contender> {
  const model = await createModel({
    inputSize: 784,
    layers: [
      { units: 128, activation: 'relu', ...variant.hidden },
      { units: 64, activation: 'relu', ...variant.hidden },
      { units: 10, activation: 'softmax', ...variant.output },
    ],
    loss: 'crossEntropy',
    optimizer: { type: 'adam', learningRate: 1e-3 },
    seed: 1,
    threads: 1,
  });
  const engine = engineOf(model);
  engine.ensureCapacity(batch);
  const [loaded] = engine.loadData([train], true);
  engine.shuffle(loaded, 0);
  const batches = Math.floor(train.count / batch);
  let next = 0;
  const run = (): void => void engine.trainBatch(loaded, (next++ % batches) * batch, batch);
  for (let i = 0; i < 20; i++) run(); // warm-up
  return { name: variant.name, run };
}

function runsPerBlock(c: Contender, blockMs: number): number {
  let runs = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < runs; i++) c.run();
    const ms = performance.now() - start;
    if (ms >= blockMs / 4) return Math.max(1, Math.round((runs * blockMs) / ms));
    runs *= 2;
  }
}

/** Batches per second of one block of `runs` batches, by the wall clock and by CPU time. */
function timeBlock(c: Contender, runs: number): { wall: number; cpu: number } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < runs; i++) c.run();
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: runs / wallSeconds, cpu: runs / ((cpu.user + cpu.system) / 1e6) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One clock's view of a variant. */
interface Timing {
  /** Median samples/s over the rounds. */
  samplesPerSec: number;
  /** Median over rounds of (this variant's rate / plain's rate in the same round). */
  medianRatio: number;
  /** The first and third quartiles of those ratios. */
  lowRatio: number;
  highRatio: number;
}

interface Row {
  batch: number;
  variant: string;
  wall: Timing;
  cpu: Timing;
  rounds: number;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
};

function timing(rates: number[], plainRates: number[], batch: number): Timing {
  const ratios = rates.map((rate, round) => rate / plainRates[round]);
  return {
    samplesPerSec: median(rates) * batch,
    medianRatio: median(ratios),
    lowRatio: quantile(ratios, 0.25),
    highRatio: quantile(ratios, 0.75),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { train } = await loadMnist();
  const rows: Row[] = [];
  for (const batch of options.batches) {
    const contenders = await Promise.all(VARIANTS.map((v) => contender(v, batch, train)));
    const runs = contenders.map((c) => runsPerBlock(c, options.blockMs));
    const wall: number[][] = contenders.map(() => []);
    const cpu: number[][] = contenders.map(() => []);
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order, so that no variant always follows the same one.
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + round) % contenders.length;
        const block = timeBlock(contenders[i], runs[i]);
        wall[i].push(block.wall);
        cpu[i].push(block.cpu);
      }
    }
    contenders.forEach((c, i) => {
      rows.push({
        batch,
        variant: c.name,
        wall: timing(wall[i], wall[0], batch),
        cpu: timing(cpu[i], cpu[0], batch),
        rounds: options.rounds,
      });
    });
  }
  const print = options.json ? console.error : console.log;
  print('MNIST 784-128-64-10, 1 thread, baseline core: training speed relative to no option (median of paired rounds)');
  print('                    ---------- CPU time ----------   --------- wall clock ---------');
  print('batch  variant       samples/s  ratio  (quartiles)        samples/s  ratio  (quartiles)');
  const cell = (t: Timing) =>
    `${Math.round(t.samplesPerSec).toLocaleString('en-US').padStart(9)}  ${t.medianRatio.toFixed(3)}  (${t.lowRatio.toFixed(3)}-${t.highRatio.toFixed(3)})`;
  for (const r of rows)
    print(`${String(r.batch).padStart(5)}  ${r.variant.padEnd(10)}  ${cell(r.cpu)}    ${cell(r.wall)}`);
  if (options.json) console.log(JSON.stringify({ benchmark: 'toolbox-cost', rows }));
}

await main();
