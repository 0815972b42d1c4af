/**
 * One instance of the WebAssembly core over its own linear memory, with the
 * memory-layout constants it exports and fresh typed-array views.
 *
 * Views are never kept across a memory grow: `view()` re-creates them whenever
 * `memory.buffer` has changed (growing a non-shared memory detaches the old buffer).
 */

const PAGE_BYTES = 65536;

/** Every function the core exports (pointers and numbers only). */
export interface CoreFunctions {
  heapBase(): number;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    aRowStride: number,
    aKStride: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    bias: number,
    relu: number,
  ): void;
  referenceGemm(
    m: number,
    n: number,
    k: number,
    a: number,
    aRowStride: number,
    aKStride: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    bias: number,
    relu: number,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  columnSums(x: number, rows: number, n: number, out: number): void;
  activationForward(kind: number, z: number, a: number, rows: number, n: number, alpha?: number): void;
  activationBackward(kind: number, a: number, g: number, rows: number, n: number, alpha?: number, z?: number): void;
  lossAndDelta(
    loss: number,
    outputActivation: number,
    zd: number,
    a: number,
    t: number,
    rows: number,
    n: number,
    writeDelta: number,
    batchRows: number,
  ): number;
  countCorrect(kind: number, a: number, t: number, rows: number, n: number): number;
  sgdStep(params: number, grads: number, n: number, lr: number, weightDecay: number, gradScale: number): void;
  momentumStep(
    params: number,
    grads: number,
    velocity: number,
    n: number,
    lr: number,
    momentum: number,
    nesterov: number,
    weightDecay: number,
    gradScale: number,
  ): void;
  adamStep(
    params: number,
    grads: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
    decoupled: number,
    step: number,
    gradScale: number,
  ): void;
  sumOfSquares(x: number, n: number): number;
  gatherBatch(ctx: number, data: number, indices: number, start: number, count: number): void;
  forward(ctx: number, rows: number): void;
  backward(ctx: number, rows: number): void;
  gradientStep(
    ctx: number,
    data: number,
    indices: number,
    count: number,
    batchRows: number,
    deltasOnly: number,
  ): number;
  shareDeltas(ownCtx: number, data: number, indices: number, batchRows: number, work: number, threads: number): number;
  splitUpdate(
    ownCtx: number,
    mainCtx: number,
    opt: number,
    rows: number,
    work: number,
    threads: number,
    step: number,
  ): void;
  optimizerStep(ctx: number, opt: number): number;
  trainStep(ctx: number, data: number, opt: number, indices: number, count: number): number;
  evaluateRows(ctx: number, data: number, start: number, count: number): number;
  predictRows(ctx: number, data: number, start: number, count: number): void;
  packWeights(ctx: number): void;
}

/** The numeric constants the core exports as globals (offsets, kinds). */
export const LAYOUT_NAMES = [
  'CTX_NUM_LAYERS',
  'CTX_INPUT_SIZE',
  'CTX_OUTPUT_SIZE',
  'CTX_LOSS',
  'CTX_ACCURACY',
  'CTX_CAPACITY',
  'CTX_X',
  'CTX_T',
  'CTX_SCRATCH',
  'CTX_PACKED_WEIGHTS',
  'CTX_FIRST_ROW',
  'CTX_STAT_LOSS',
  'CTX_STAT_CORRECT',
  'CTX_STAT_GRAD_NORM',
  'CTX_HEADER_BYTES',
  'LAYER_IN',
  'LAYER_OUT',
  'LAYER_ACTIVATION',
  'LAYER_W',
  'LAYER_B',
  'LAYER_GW',
  'LAYER_GB',
  'LAYER_A',
  'LAYER_D',
  'LAYER_PD',
  'LAYER_PW',
  'LAYER_BYTES',
  'DATA_INPUTS',
  'DATA_INPUT_KIND',
  'DATA_INPUT_SCALE',
  'DATA_TARGETS',
  'DATA_TARGET_KIND',
  'DATA_COUNT',
  'DATA_BYTES',
  'INPUT_F32',
  'INPUT_U8',
  'TARGET_LABELS',
  'TARGET_ROWS',
  'OPT_KIND',
  'OPT_STEP',
  'OPT_LEARNING_RATE',
  'OPT_BETA1',
  'OPT_BETA2',
  'OPT_EPSILON',
  'OPT_WEIGHT_DECAY',
  'OPT_CLIP_NORM',
  'OPT_TRACK_NORM',
  'OPT_PARAMS',
  'OPT_GRADS',
  'OPT_MOMENT1',
  'OPT_MOMENT2',
  'OPT_LENGTH',
  'OPT_BYTES',
  'OPTIMIZER_SGD',
  'OPTIMIZER_MOMENTUM',
  'OPTIMIZER_NESTEROV',
  'OPTIMIZER_ADAM',
  'OPTIMIZER_ADAMW',
  'LINEAR',
  'SIGMOID',
  'TANH',
  'RELU',
  'SOFTPLUS',
  'SOFTMAX',
  'MSE',
  'L2',
  'CROSS_ENTROPY',
  'BINARY_CROSS_ENTROPY',
  'ACCURACY_NONE',
  'ACCURACY_ARGMAX',
  'ACCURACY_THRESHOLD',
] as const;
export type Layout = Record<(typeof LAYOUT_NAMES)[number], number>;

export class Core {
  readonly fn: CoreFunctions;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  /** First byte of linear memory the host may plan. */
  readonly heapBase: number;
  private buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  private views!: { u8: Uint8Array; i32: Int32Array; u32: Uint32Array; f32: Float32Array; f64: Float64Array };

  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    const exports = instance.exports as Record<string, unknown>;
    this.fn = exports as unknown as CoreFunctions;
    this.memory = memory;
    const layout: Partial<Layout> = {};
    for (const name of LAYOUT_NAMES) {
      const global = exports[name];
      if (!(global instanceof WebAssembly.Global))
        throw new Error(`simdnet: the WebAssembly core does not export ${name}; is the .wasm from another version?`);
      layout[name] = global.value as number;
    }
    this.layout = layout as Layout;
    this.heapBase = this.fn.heapBase();
  }

  /** Makes linear memory at least `bytes` long (grows once, never shrinks). */
  ensureBytes(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE_BYTES);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new Error(
        `simdnet: cannot grow WebAssembly memory to ${(bytes / 2 ** 20).toFixed(0)} MiB (the limit is 4 GiB, and the engine may allow less)`,
        { cause },
      );
    }
  }

  /** Current typed-array views over all of linear memory. Do not keep them across ensureBytes. */
  view(): { u8: Uint8Array; i32: Int32Array; u32: Uint32Array; f32: Float32Array; f64: Float64Array } {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.views = {
        u8: new Uint8Array(buffer),
        i32: new Int32Array(buffer),
        u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer),
        f64: new Float64Array(buffer),
      };
    }
    return this.views;
  }

  /** A fresh Float32Array over [ptr, ptr + 4·length). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
}
