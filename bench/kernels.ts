/**
 * Kernel micro-benchmarks for the WebAssembly core: how close the GEMMs come to the
 * arithmetic peak of this engine on this CPU, measured in the same process.
 *
 *   node build/bench/kernels.mjs [--quick] [--json] [--relaxed] [--peak-only] [--rows 256] [--rounds 30] [--sample-ms 5]
 *
 * What it measures (every number is the best of `--rounds` interleaved samples of about
 * `--sample-ms` each, so a moment of load from another process costs one sample, not the
 * result; short samples fit between other processes' time slices; medians too):
 *
 *   peak         peakMaddChains(): 12 (and 8) independent f32x4 madd chains, registers
 *                only (no memory traffic). madd = mul + add in the default build, fused
 *                in the relaxed one, exactly as in the kernels. 8 flops per madd.
 *   forward      Z[B,128] = relu(X[B,784]·W[784,128] + b)      the 784x128 layer's forward
 *   input delta  δX[B,784] = δ[B,128]·Wᵀ                        including any transpose of W
 *   weight grad  dW[784,128] = Xᵀ[784,B]·δ[B,128]               (and the bias column sums)
 *                each as GFLOP/s (2·B·784·128 flops) and % of peak, B = --rows (256): best over
 *                best, and 'paired', the median over rounds of each sample's throughput over
 *                the peak sampled right before and after it (cancels clock and load drift).
 *   train step   the MNIST MLP 784-128-64-10 (ReLU, softmax+CE, Adam) per batch of 64 and
 *                256: gather, forward, loss, backward, optimizer, in µs per batch, and the
 *                whole trainStep in samples/s.
 *
 * --wide turns on V8's 256-bit revectorizer for this process (src/runtime/revectorize.ts, as
 * `init({ revectorize: true })`) and the relaxed core's wide tiles (docs/kernels.md, 2026-12-03).
 * --peak-only measures the peak alone (the workload matrix of bench/run.ts divides by it; with
 * --relaxed it is the 128-bit fused multiply-add peak: relaxed_madd chains); with --wide also
 * the 256-bit peak: peakMaddWide's 24 chains, which V8 pairs into 12 ymm chains (JSON
 * `widePeakGflops`; null, with `wideUnavailable`, where this Node cannot revectorize).
 * --relaxed loads build/simdnet-relaxed.wasm (Node 20 needs --experimental-wasm-relaxed-simd;
 * the script re-runs itself with the flag when needed). --json prints one JSON object as the
 * last stdout line (the table goes to stderr).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Core, type CoreFunctions } from '../src/runtime/core';
import { enableRevectorizer } from '../src/runtime/revectorize';

// ---------------------------------------------------------------------------------------------
// Command line

interface Options {
  quick: boolean;
  json: boolean;
  relaxed: boolean;
  /** --wide: V8's revectorizer on (before the core is compiled) and the relaxed core's wide tiles (setWideTiles(1)). */
  wide: boolean;
  peakOnly: boolean;
  rows: number;
  rounds: number;
  /** Target milliseconds per sample. */
  sampleMs: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    quick: false,
    json: false,
    relaxed: false,
    wide: false,
    peakOnly: false,
    rows: 256,
    rounds: 30,
    sampleMs: 5,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--relaxed') options.relaxed = true;
    else if (arg === '--wide') options.wide = true;
    else if (arg === '--peak-only') options.peakOnly = true;
    else if (arg === '--rows') options.rows = Number(argv[++i]);
    else if (arg === '--rounds') options.rounds = Number(argv[++i]);
    else if (arg === '--sample-ms') options.sampleMs = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg} (see the header of bench/kernels.ts)`);
  }
  if (options.quick) {
    options.rounds = Math.min(options.rounds, 10);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Loading the core

/** The repository holding build/simdnet.wasm: above this script, else the working directory. */
function repoRoot(): string {
  for (const start of [path.dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (existsSync(path.join(dir, 'build', 'simdnet.wasm')) && existsSync(path.join(dir, 'package.json'))) return dir;
    }
  }
  throw new Error(
    'cannot find build/simdnet.wasm above this script or the working directory: run `npm run build` first',
  );
}

/** Re-runs this script with --experimental-wasm-relaxed-simd when the relaxed build does not validate. */
function relaxedBytesOrRespawn(root: string): Uint8Array {
  const bytes = readFileSync(path.join(root, 'build', 'simdnet-relaxed.wasm'));
  if (WebAssembly.validate(bytes)) return bytes;
  if (process.execArgv.includes('--experimental-wasm-relaxed-simd'))
    throw new Error('this engine rejects build/simdnet-relaxed.wasm even with --experimental-wasm-relaxed-simd');
  const child = spawnSync(
    process.execPath,
    ['--experimental-wasm-relaxed-simd', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}

async function loadCore(bytes: Uint8Array, bytesNeeded: number): Promise<Core> {
  const module = await WebAssembly.compile(bytes as BufferSource);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytesNeeded / 65536) + 16 });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return new Core(instance, memory);
}

// ---------------------------------------------------------------------------------------------
// Timing: calibrated repetitions, interleaved rounds, best and median

interface Probe {
  name: string;
  /** Flops per call (0: report time only). */
  flops: number;
  run: () => void;
  reps?: number;
  samples: number[]; // seconds per call
  /** Throughput / the reference's, from neighbouring samples (see measure). */
  paired?: number[];
}

function calibrate(probe: Probe, sampleMs: number): void {
  let reps = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) probe.run();
    const ms = performance.now() - start;
    if (ms > sampleMs / 4 || reps > 1 << 20) {
      probe.reps = Math.max(1, Math.round((reps * sampleMs) / Math.max(ms, 1e-3)));
      return;
    }
    reps *= 2;
  }
}

function sample(probe: Probe): number {
  const reps = probe.reps!;
  const start = performance.now();
  for (let i = 0; i < reps; i++) probe.run();
  const seconds = (performance.now() - start) / 1000 / reps;
  probe.samples.push(seconds);
  return seconds;
}

/**
 * Interleaved rounds. With `reference` (the peak), every other probe's sample is
 * also taken between two reference samples, and its throughput relative to their
 * mean is kept in `paired`: the CPU's clock and its neighbours' load change over
 * seconds, and a ratio of neighbouring samples cancels most of that.
 */
function measure(probes: Probe[], rounds: number, sampleMs: number, reference?: Probe): void {
  for (const probe of probes) calibrate(probe, sampleMs);
  for (let round = 0; round < rounds; round++) {
    let before = reference ? sample(reference) : 0;
    for (const probe of probes) {
      if (probe === reference) continue;
      const seconds = sample(probe);
      if (!reference) continue;
      const after = sample(reference);
      (probe.paired ??= []).push(probe.flops / seconds / (reference.flops / ((before + after) / 2)));
      before = after;
    }
  }
}

const best = (samples: number[]): number => Math.min(...samples);
const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  // Before anything is compiled: the flag applies to modules compiled after it is set.
  const wideUnavailable = options.wide ? enableRevectorizer() : undefined;
  if (wideUnavailable) process.stderr.write(`--wide: no revectorizer here (${wideUnavailable})\n`);
  const bytes = options.relaxed ? relaxedBytesOrRespawn(root) : readFileSync(path.join(root, 'build', 'simdnet.wasm'));
  const B = options.rows;
  const IN = 784;
  const OUT = 128;

  // --- buffers for the 784x128 layer
  const probeModule = await WebAssembly.compile(bytes as BufferSource);
  const scratchGlobal = WebAssembly.Module.exports(probeModule).some((e) => e.name === 'GEMM_SCRATCH_BYTES');
  const floats = {
    x: B * IN,
    mnist: B * IN,
    w: IN * OUT,
    b: OUT,
    z: B * OUT,
    d: B * OUT,
    dx: B * IN,
    gw: IN * OUT,
    gb: OUT,
    scratch: IN * OUT + (1 << 18),
  };
  const totalBytes = Object.values(floats).reduce((sum, n) => sum + n * 4 + 64, 0) + (1 << 16);
  const core = await loadCore(bytes, totalBytes);
  if (options.wide && core.fn.setWideTiles) core.fn.setWideTiles(1);
  const fn = core.fn;
  if (scratchGlobal) {
    const need = core.layout.GEMM_SCRATCH_BYTES / 4;
    if (need > floats.scratch)
      throw new Error(`GEMM scratch of ${need} floats does not fit the ${floats.scratch} planned`);
  }
  if (options.peakOnly) {
    peakOnly(core, options, wideUnavailable);
    return;
  }
  let cursor = Math.ceil(core.heapBase / 64) * 64;
  const at: Record<keyof typeof floats, number> = {} as never;
  for (const [name, n] of Object.entries(floats) as [keyof typeof floats, number][]) {
    at[name] = cursor;
    cursor += Math.ceil((n * 4) / 64) * 64;
  }
  core.ensureBytes(cursor);
  const f32 = core.view().f32;
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  // The GEMM figures use dense random X; `mnist` holds real MNIST images (about 80% zeros)
  // for the rows that show what skipping zero steps gains.
  for (const name of Object.keys(floats) as (keyof typeof floats)[]) {
    const base = at[name] >> 2;
    for (let i = 0; i < floats[name]; i++) f32[base + i] = random();
  }
  const { loadMnist } = await import('./common');
  const pixels = loadMnist('train').pixels;
  for (let i = 0; i < B * IN; i++) f32[(at.mnist >> 2) + i] = pixels[i] / 255;

  const gemmFlops = 2 * B * IN * OUT;
  const probes: Probe[] = [
    { name: 'peak (12 chains)', flops: 0, run: () => void fn.peakMaddChains(PEAK_ITERATIONS, 12, 1), samples: [] },
    { name: 'peak (8 chains)', flops: 0, run: () => void fn.peakMaddChains(PEAK_ITERATIONS, 8, 1), samples: [] },
    ...layerProbes(fn, at, B, IN, OUT, gemmFlops),
  ];
  probes[0].flops = PEAK_ITERATIONS * 12 * 8;
  probes[1].flops = PEAK_ITERATIONS * 8 * 8;
  measure(probes, options.rounds, options.sampleMs, probes[0]);

  const gflops = (p: Probe, pick: (s: number[]) => number): number => p.flops / pick(p.samples) / 1e9;
  const peak = Math.max(gflops(probes[0], best), gflops(probes[1], best));
  const peakMedian = Math.max(gflops(probes[0], median), gflops(probes[1], median));
  const rows = probes.map((p) => ({
    name: p.name,
    microseconds: best(p.samples) * 1e6,
    gflops: gflops(p, best),
    gflopsMedian: gflops(p, median),
    percentOfPeak: (100 * gflops(p, best)) / peak,
    /** Median over rounds of the throughput relative to the 12-chain peak sampled just before and after. */
    percentOfPeakPaired: p.paired ? 100 * median(p.paired) : (100 * gflops(p, best)) / gflops(probes[0], best),
  }));

  // --- the whole train step, per stage
  const steps = await trainStepBreakdown(bytes, options);

  const out = options.json
    ? (s: string) => process.stderr.write(`${s}\n`)
    : (s: string) => process.stdout.write(`${s}\n`);
  out(
    `simdnet kernels (${options.relaxed ? 'relaxed SIMD' : 'baseline SIMD'}, Node ${process.versions.node}, V8 ${process.versions.v8}); best of ${options.rounds} rounds (median in brackets)`,
  );
  out(`peak: ${peak.toFixed(1)} GFLOP/s (median ${peakMedian.toFixed(1)})`);
  out(
    `${'kernel'.padEnd(34)} ${'µs'.padStart(9)} ${'GFLOP/s'.padStart(16)} ${'% of peak'.padStart(10)} ${'paired'.padStart(8)}`,
  );
  for (const r of rows) {
    out(
      `${r.name.padEnd(34)} ${r.microseconds.toFixed(1).padStart(9)} ${(`${r.gflops.toFixed(1)} (${r.gflopsMedian.toFixed(1)})`).padStart(16)} ${r.percentOfPeak.toFixed(1).padStart(9)}% ${r.percentOfPeakPaired.toFixed(1).padStart(7)}%`,
    );
  }
  out(
    '% of peak: best GFLOP/s over the best peak; paired: median over rounds of GFLOP/s over the peak sampled just before and after',
  );
  for (const step of steps) {
    out(
      `train step, batch ${step.batch}: ${Math.round(step.samplesPerSec).toLocaleString('en-US')} samples/s (${step.microseconds.toFixed(0)} µs per batch; ${step.gflops.toFixed(1)} GFLOP/s of model arithmetic)`,
    );
    out(`  ${step.stages.map((s) => `${s.name} ${s.microseconds.toFixed(0)} µs`).join(', ')}`);
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        name: 'simdnet-kernels',
        backend: options.relaxed ? 'wasm-relaxed-simd' : 'wasm-simd128',
        rows: B,
        peakGflops: peak,
        kernels: rows,
        trainSteps: steps,
        versions: { node: process.versions.node, v8: process.versions.v8 },
        // The issue's target: each dense GEMM of the 784x128 layer at >= 75% of the peak.
        gemmTarget: {
          percentOfPeak: 75,
          met: rows.slice(2, 5).every((r) => r.percentOfPeak >= 75),
          metPaired: rows.slice(2, 5).every((r) => r.percentOfPeakPaired >= 75),
        },
      })}\n`,
    );
  }
}

const PEAK_ITERATIONS = 200_000;

/**
 * --peak-only: the 12- and 8-chain peaks alone (the core's peakMaddChains), the best of the
 * two; with --wide (and the revectorizer on) also the 256-bit peak (peakMaddWide: 24 chains
 * that V8 pairs into 12 ymm chains). As text and (--json) one JSON line.
 */
function peakOnly(core: Core, options: Options, wideUnavailable: string | undefined): void {
  const fn = core.fn;
  const probes: Probe[] = [12, 8].map((chains) => ({
    name: `peak (${chains} chains)`,
    flops: PEAK_ITERATIONS * chains * 8,
    run: () => void fn.peakMaddChains(PEAK_ITERATIONS, chains, 1),
    samples: [],
  }));
  const wide = options.wide && wideUnavailable === undefined && fn.peakMaddWide !== undefined;
  if (wide) {
    // The state: 24 accumulators (1, 2, ...), then m = 0.9999 and a = 1e-3 as two vectors each.
    const state = Math.ceil(core.heapBase / 64) * 64;
    core.ensureBytes(state + core.layout.PEAK_WIDE_STATE_BYTES);
    const f32 = core.view().f32;
    for (let i = 0; i < 96; i++) f32[(state >> 2) + i] = 1 + (i >> 2);
    f32.fill(0.9999, (state >> 2) + 96, (state >> 2) + 104);
    f32.fill(1e-3, (state >> 2) + 104, (state >> 2) + 112);
    probes.push({
      name: 'peak 256-bit (24 chains in pairs)',
      flops: PEAK_ITERATIONS * 24 * 8,
      run: () => fn.peakMaddWide(PEAK_ITERATIONS, state),
      samples: [],
    });
  }
  measure(probes, options.rounds, options.sampleMs);
  const gflops = (p: Probe, pick: (s: number[]) => number): number => p.flops / pick(p.samples) / 1e9;
  const narrow = probes.slice(0, 2);
  const peakGflops = Math.max(...narrow.map((p) => gflops(p, best)));
  const peakMedian = Math.max(...narrow.map((p) => gflops(p, median)));
  const widePeakGflops = wide ? gflops(probes[2], best) : null;
  const kind = options.relaxed ? 'relaxed_madd (fused)' : 'mul + add';
  let text = `peak (${kind}, Node ${process.versions.node}): ${peakGflops.toFixed(1)} GFLOP/s best of ${options.rounds} rounds (median ${peakMedian.toFixed(1)})`;
  if (widePeakGflops !== null)
    text += `; 256-bit (revectorized): ${widePeakGflops.toFixed(1)} GFLOP/s (median ${gflops(probes[2], median).toFixed(1)})`;
  if (!options.json) {
    process.stdout.write(`${text}\n`);
    return;
  }
  process.stderr.write(`${text}\n`);
  process.stdout.write(
    `${JSON.stringify({
      name: 'simdnet-peak',
      backend: options.relaxed ? 'wasm-relaxed-simd' : 'wasm-simd128',
      peakGflops,
      peakGflopsMedian: peakMedian,
      ...(options.wide ? { widePeakGflops, ...(wideUnavailable ? { wideUnavailable } : {}) } : {}),
      versions: { node: process.versions.node, v8: process.versions.v8 },
    })}\n`,
  );
}

/** Probes for the three GEMMs of a dense layer in:out at B rows, as the network runs them. */
function layerProbes(
  fn: CoreFunctions,
  at: Record<string, number>,
  B: number,
  IN: number,
  OUT: number,
  flops: number,
): Probe[] {
  if (fn.denseForward) {
    return [
      {
        name: `forward  Z=relu(X·W+b) ${B}x${IN}x${OUT}`,
        flops,
        run: () => void fn.denseForward(B, IN, OUT, at.x, at.w, at.b, at.z, 1, 0, at.scratch, 0),
        samples: [],
      },
      {
        name: `in delta δX=δ·Wᵀ (packing incl.)`,
        flops,
        run: () => void fn.denseInputDelta(B, IN, OUT, at.d, at.w, 0, at.dx, at.scratch),
        samples: [],
      },
      {
        name: `w grad   dW=Xᵀ·δ (+ column sums)`,
        flops,
        run: () => void fn.denseWeightGradient(B, IN, OUT, at.x, at.d, at.gw, at.gb, 0, at.scratch),
        samples: [],
      },
      // The network's first layer skips all-zero steps of its input (GEMM_SPARSE_A): MNIST pixels.
      {
        name: `forward, MNIST X (zero steps skipped)`,
        flops,
        run: () => void fn.denseForward(B, IN, OUT, at.mnist, at.w, at.b, at.z, 1, 1, at.scratch, 0),
        samples: [],
      },
      {
        name: `w grad,  MNIST X (zero steps skipped)`,
        flops,
        run: () => void fn.denseWeightGradient(B, IN, OUT, at.mnist, at.d, at.gw, at.gb, 1, at.scratch),
        samples: [],
      },
    ];
  }
  return [
    {
      name: `forward  Z=relu(X·W+b) ${B}x${IN}x${OUT}`,
      flops,
      run: () => fn.gemm(B, OUT, IN, at.x, IN, 1, at.w, OUT, at.z, OUT, at.b, 1),
      samples: [],
    },
    {
      name: `in delta δX=δ·Wᵀ (transpose + gemm)`,
      flops,
      run: () => {
        fn.transpose(at.w, IN, OUT, at.scratch);
        fn.gemm(B, IN, OUT, at.d, OUT, 1, at.scratch, IN, at.dx, IN, 0, 0);
      },
      samples: [],
    },
    {
      name: `w grad   dW=Xᵀ·δ (+ column sums)`,
      flops,
      run: () => {
        fn.gemm(IN, OUT, B, at.x, 1, IN, at.d, OUT, at.gw, OUT, 0, 0);
        fn.columnSums(at.d, B, OUT, at.gb);
      },
      samples: [],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The MNIST MLP's train step, stage by stage

interface StepResult {
  batch: number;
  samplesPerSec: number;
  microseconds: number;
  gflops: number;
  stages: { name: string; microseconds: number }[];
}

async function trainStepBreakdown(bytes: Uint8Array, options: Options): Promise<StepResult[]> {
  const { createModel } = await import('../src/model/factories');
  const { engineOf } = await import('../src/model/model');
  const { init } = await import('../src/runtime/load');
  const { loadMnist } = await import('./common');
  await init(bytes);
  const train = loadMnist('train');
  const count = 16384;
  const results: StepResult[] = [];
  for (const batch of [64, 256]) {
    const model = engineOf(
      await createModel({
        inputSize: 784,
        layers: [
          { units: 128, activation: 'relu' },
          { units: 64, activation: 'relu' },
          { units: 10, activation: 'softmax' },
        ],
        loss: 'crossEntropy',
        optimizer: { type: 'adam', learningRate: 1e-3 },
        seed: 1,
      } as never),
    );
    model.ensureCapacity(batch);
    const [loaded] = model.loadData(
      [
        {
          count,
          inputSize: 784,
          inputs: train.pixels.subarray(0, count * 784),
          labels: Int32Array.from(train.labels.subarray(0, count)),
          inputScale: 1 / 255,
        } as never,
      ],
      true,
    );
    model.shuffle(loaded, 0);
    const { fn, layout } = model.core;
    const plan = model.plan;
    const ctx = plan.context;
    const view = model.core.view();
    view.i32[(ctx + layout.CTX_ACCURACY) >> 2] = loaded.accuracyKind;
    const batches = Math.floor(count / batch);
    let b = 0;
    const indices = (): number => loaded.order + (b++ % batches) * batch * 4;
    const lastLayer = (ctx + layout.CTX_HEADER_BYTES + 2 * layout.LAYER_BYTES) >> 2;
    const outA = view.i32[lastLayer + (layout.LAYER_A >> 2)];
    const outD = view.i32[lastLayer + (layout.LAYER_D >> 2)];
    const T = view.i32[(ctx + layout.CTX_T) >> 2];
    const probes: Probe[] = [
      {
        name: 'trainStep',
        flops: 0,
        run: () => void fn.trainStep(ctx, loaded.descriptor, plan.optimizer, indices(), batch),
        samples: [],
      },
      { name: 'gather', flops: 0, run: () => fn.gatherBatch(ctx, loaded.descriptor, indices(), 0, batch), samples: [] },
      { name: 'forward', flops: 0, run: () => fn.forward(ctx, batch), samples: [] },
      {
        name: 'loss',
        flops: 0,
        run: () => {
          fn.countCorrect(layout.ACCURACY_ARGMAX, outA, T, batch, 10);
          fn.lossAndDelta(layout.CROSS_ENTROPY, layout.SOFTMAX, outD, outA, T, batch, 10, 1, batch);
        },
        samples: [],
      },
      { name: 'backward', flops: 0, run: () => fn.backward(ctx, batch), samples: [] },
      { name: 'optimizer', flops: 0, run: () => void fn.optimizerStep(ctx, plan.optimizer), samples: [] },
    ];
    measure(probes, options.rounds, options.sampleMs);
    const step = best(probes[0].samples);
    const macs = 784 * 128 + 128 * 64 + 64 * 10;
    const flopsPerSample = 2 * (macs + macs + 128 * 64 + 64 * 10); // forward, weight grads, input deltas of layers 2-3
    results.push({
      batch,
      samplesPerSec: batch / step,
      microseconds: step * 1e6,
      gflops: (flopsPerSample * batch) / step / 1e9,
      stages: probes.slice(1).map((p) => ({ name: p.name, microseconds: best(p.samples) * 1e6 })),
    });
  }
  return results;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
