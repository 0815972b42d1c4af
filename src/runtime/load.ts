/**
 * Finding, compiling and instantiating the WebAssembly core.
 *
 * `init(source?)` compiles the module once per process; every model then gets
 * its own instance and memory (instantiation is cheap, compilation is not).
 * A source may be an already compiled WebAssembly.Module (Cloudflare Workers,
 * which forbid compiling bytes at run time), the bytes, a URL, or a Response.
 * With no source the default for the runtime is used: the file next to this
 * module, read from disk in Node/Bun, fetched elsewhere.
 *
 * Two kinds of core: the baseline (simdnet.wasm: simd128 only, a multiply then an add)
 * and the relaxed one (simdnet-relaxed.wasm: f32x4.relaxed_madd, a fused multiply-add where
 * the CPU has one; 14-47% faster training in the benchmark runs so far). By default
 * (`relaxed: 'auto'`) models use the relaxed core where the engine validates relaxed SIMD
 * (Node 22+, Chrome 114+, Firefox, Deno) and the baseline core elsewhere (Safari, Bun, Node 20
 * without --experimental-wasm-relaxed-simd); `relaxed: true` insists (an error where
 * unsupported); `relaxed: false` keeps the baseline core everywhere. Support is decided by
 * WebAssembly.validate on a 60-byte module holding one f32x4.relaxed_madd (Safari rejects any
 * module that contains a relaxed opcode: hence two files).
 *
 * The promise: the same core kind gives the same bits on any thread count, and the baseline
 * core gives the same bits on every engine and CPU. A fused multiply-add rounds once instead
 * of twice, and relaxed_madd may fuse or not depending on the CPU: results of the relaxed core
 * may differ in the last bits between machines (not between runs or thread counts on one
 * machine). Ask for `relaxed: false` where results must be identical across runtimes.
 * `coreInfo()` says which core is in use and why; threaded models use the same kind, built on
 * a shared memory (simdnet-threads.wasm, or simdnet-threads-relaxed.wasm).
 */
import { checkOptionKeys, keysOf } from '../options.js';
import { Core } from './core.js';
import { enableRevectorizer } from './revectorize.js';
import type { WasmSource } from './source.js';
export type { WasmSource } from './source.js';

// Swapped per runtime by scripts/build.mjs (node, web, workerd, inline); see default-source.ts.
import { defaultSource } from './default-source.js';

/**
 * Options of {@link init}: which WebAssembly core models use, and where to load it from.
 * Without `init`, the baseline core loads from the runtime's default on first use.
 */
export interface InitOptions {
  /** The baseline core (default: the runtime's simdnet.wasm). */
  source?: WasmSource;
  /**
   * Which core kind: 'auto' (the default: the relaxed-SIMD core where this engine validates
   * it, else the baseline), true (the relaxed core; an error where unsupported), or false
   * (the baseline core everywhere: the same bits on every engine and CPU). When only `source`
   * is given, the default is false: the core given is the core used.
   */
  relaxed?: boolean | 'auto';
  /** The relaxed core (default: the runtime's simdnet-relaxed.wasm). */
  relaxedSource?: WasmSource;
  /**
   * With the relaxed core on Node (x64, AVX2): turn on V8's 256-bit revectorizer
   * (`--experimental-wasm-revectorize`) and the GEMM tiles written for it: dense training
   * about 1.5x faster, the same bits. Process-wide and experimental in V8, so off by
   * default; the CLI turns it on. Where it is unavailable, `coreInfo().revectorized` is
   * false and says why. See src/runtime/revectorize.ts.
   */
  revectorize?: boolean;
}

/** Which core models use, and why. */
export interface CoreInfo {
  /** 'relaxed': simdnet-relaxed.wasm (fused multiply-add); 'baseline': simd128 only. */
  simd: 'baseline' | 'relaxed';
  /** Why this kind: asked for, the default where relaxed SIMD validates, or why the relaxed core could not be used. */
  reason: string;
  /** Whether V8's 256-bit revectorizer is on for the relaxed core (init({ revectorize: true })). */
  revectorized: boolean;
  /** Why the revectorizer is off, when it was asked for (undefined otherwise). */
  revectorizeReason?: string;
}

const INIT_KEYS = keysOf<InitOptions>({ source: true, relaxed: true, relaxedSource: true, revectorize: true });

let compiled: Promise<WebAssembly.Module> | undefined;
let info: CoreInfo = { simd: 'baseline', reason: 'no core loaded yet (init() picks one)', revectorized: false };

/**
 * Compiles the core (see the header: baseline, or relaxed SIMD where asked for and
 * supported) and keeps it for every later model. `init(source)` is `init({ source })`.
 */
export function init(sourceOrOptions?: WasmSource | InitOptions): Promise<WebAssembly.Module> {
  const options = isInitOptions(sourceOrOptions) ? sourceOrOptions : { source: sourceOrOptions };
  try {
    checkOptionKeys(options, INIT_KEYS, 'init');
  } catch (error) {
    return Promise.reject(error);
  }
  if (
    options.source === undefined &&
    options.relaxed === undefined &&
    options.relaxedSource === undefined &&
    options.revectorize === undefined &&
    compiled
  )
    return compiled;
  const next = select(options);
  compiled = next.then((chosen) => chosen.module);
  const current = compiled;
  next.then(
    (chosen) => {
      if (compiled === current) info = chosen.info;
    },
    () => {
      if (compiled === current) compiled = undefined;
    },
  );
  return compiled;
}

/** The core in use (after init() resolved, or a model was created). */
export function coreInfo(): CoreInfo {
  return { ...info };
}

function isInitOptions(value: unknown): value is InitOptions {
  if (typeof value !== 'object' || value === null) return false;
  if (
    value instanceof WebAssembly.Module ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    value instanceof URL
  )
    return false;
  if (
    typeof (value as { then?: unknown }).then === 'function' ||
    typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function'
  )
    return false;
  return true;
}

async function select(options: InitOptions): Promise<{ module: WebAssembly.Module; info: CoreInfo }> {
  const onlyBaselineGiven = options.source !== undefined && options.relaxedSource === undefined;
  const relaxed = options.relaxed ?? (onlyBaselineGiven ? false : 'auto');
  if (relaxed !== false) {
    let reason: string;
    if (!relaxedSimdSupported()) {
      reason =
        'this engine does not validate relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Node 22+, Chrome 114+, Firefox and Deno have it; Safari and Bun do not)';
    } else {
      try {
        // Before compiling: V8 reads the flag when it optimizes each function.
        const revectorizeReason = options.revectorize ? enableRevectorizer() : undefined;
        return {
          module: await compile(options.relaxedSource ?? defaultSource('simdnet-relaxed.wasm')),
          info: {
            simd: 'relaxed',
            reason:
              relaxed === true
                ? 'asked for (relaxed: true)'
                : 'this engine validates relaxed SIMD (the default; init({ relaxed: false }) keeps the baseline core)',
            revectorized: options.revectorize === true && revectorizeReason === undefined,
            ...(revectorizeReason === undefined ? {} : { revectorizeReason }),
          },
        };
      } catch (error) {
        reason = `the relaxed core could not be loaded: ${(error as Error).message}`;
      }
    }
    if (relaxed === true) throw new Error(`simdnet: relaxed SIMD was required, but ${reason}`);
    return { module: await compile(options.source ?? defaultSource()), info: baselineInfo(reason, options) };
  }
  const reason =
    onlyBaselineGiven && options.relaxed === undefined ? 'the core given as source' : 'asked for (relaxed: false)';
  return { module: await compile(options.source ?? defaultSource()), info: baselineInfo(reason, options) };
}

function baselineInfo(reason: string, options: InitOptions): CoreInfo {
  return {
    simd: 'baseline',
    reason,
    revectorized: false,
    ...(options.revectorize ? { revectorizeReason: 'the revectorized tiles are in the relaxed core only' } : {}),
  };
}

/**
 * Whether the engine accepts f32x4.relaxed_madd: a module of one function returning
 * relaxed_madd(0, 0, 0). Validating it costs microseconds and no download.
 */
export function relaxedSimdSupported(): boolean {
  const zeros = (): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0x00, ...zeros(), ...zeros(), ...zeros(), 0xfd, 0x85, 0x02, 0x0b]; // no locals, 3 consts, relaxed_madd, end
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version 1
    0x01,
    0x05,
    0x01,
    0x60,
    0x00,
    0x01,
    0x7b, // types: () -> v128
    0x03,
    0x02,
    0x01,
    0x00, // functions: one of type 0
    0x0a,
    body.length + 2,
    0x01,
    body.length,
    ...body, // code
  ]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

async function compile(source: WasmSource | Promise<WasmSource>): Promise<WebAssembly.Module> {
  const resolved = await source;
  if (resolved instanceof WebAssembly.Module) return resolved;
  if (resolved instanceof ArrayBuffer || ArrayBuffer.isView(resolved))
    return WebAssembly.compile(resolved as BufferSource);
  if (typeof resolved === 'string' || resolved instanceof URL) return compile(fetch(resolved));
  const response = resolved as Response;
  if (!response.ok)
    throw new Error(`simdnet: could not load the WebAssembly core from ${response.url}: HTTP ${response.status}`);
  if (
    typeof WebAssembly.compileStreaming === 'function' &&
    response.headers.get('content-type')?.startsWith('application/wasm')
  ) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** A fresh instance of the core with its own memory of at least `initialBytes`. */
export async function instantiateCore(initialBytes = 1 << 20): Promise<Core> {
  const module = await init();
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / 65536)) });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return withTiles(new Core(instance, memory));
}

/** Whether instances of the core in use take the revectorizer's wide tiles (threaded helpers included). */
export function wideTiles(): boolean {
  return info.revectorized;
}

/** The core with the GEMM tiles that suit the engine (see wideTiles). */
function withTiles(core: Core): Core {
  if (info.revectorized) core.fn.setWideTiles(1);
  return core;
}

/** The threaded mode's cores, each compiled on first use. */
const compiledThreads: Partial<Record<CoreInfo['simd'], Promise<WebAssembly.Module>>> = {};

/**
 * Compiles the threaded mode's core (the same code on a shared memory) of the kind the
 * single-thread core in use is (coreInfo().simd: baseline, or relaxed SIMD after
 * init({ relaxed })), from `source` or the runtime's default; called by models created
 * with `threads`.
 */
export async function initThreads(source?: WasmSource): Promise<WebAssembly.Module> {
  // The kind in use is settled once init() resolves (the default one when none was called):
  // a threaded model must run the kind a one-thread model would, for the same bits.
  await init();
  const kind = info.simd;
  const cached = compiledThreads[kind];
  if (source === undefined && cached) return cached;
  const next = compile(
    source ?? defaultSource(kind === 'relaxed' ? 'simdnet-threads-relaxed.wasm' : 'simdnet-threads.wasm'),
  );
  compiledThreads[kind] = next;
  next.catch(() => {
    if (compiledThreads[kind] === next) delete compiledThreads[kind];
  });
  return next;
}

/**
 * Pages of the threaded core's shared memory (its declared maximum, asconfig.json): 4 GiB,
 * the wasm32 limit. A shared memory cannot move, so the engine reserves this much address
 * space up front (not memory: pages are committed as the model grows into them).
 */
export const SHARED_MEMORY_PAGES = 65536;

/** An instance of the threaded core on a new shared memory, and its module (for the helpers). */
export async function instantiateSharedCore(
  initialBytes = 1 << 20,
): Promise<{ core: Core; module: WebAssembly.Module }> {
  const module = await initThreads();
  const memory = new WebAssembly.Memory({
    initial: Math.max(1, Math.ceil(initialBytes / 65536)),
    maximum: SHARED_MEMORY_PAGES,
    shared: true,
  });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { core: withTiles(new Core(instance, memory)), module };
}
