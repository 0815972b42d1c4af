/**
 * V8's 256-bit revectorizer for the relaxed core, on Node (opt-in: `init({ revectorize: true })`).
 *
 * WebAssembly SIMD is 128 bits wide; AVX2 CPUs have 256-bit fused multiply-add units. V8 can pair
 * 128-bit operations into 256-bit ones (`--experimental-wasm-revectorize`, built into Node 24's
 * V8, x64 with AVX2 only). The relaxed core's dense GEMM tiles have a variant written for it
 * (assembly/gemm/kernel.ts fmaLoop4: 16 accumulators that become 8 ymm chains); without the
 * revectorizer those 16 accumulators spill, so the core uses it only when the host says the
 * revectorizer is on (`setWideTiles`). The bits are the same either way (each lane's fused
 * multiply-adds in the same order).
 *
 * The flag is process-wide and experimental: it changes how V8 compiles every WebAssembly
 * module compiled after it, not just simdnet's. Hence opt-in for the library; the CLI, which
 * owns its process, turns it on. Measured gains: docs/performance.md (2026-12-03).
 */

/** Node's modules as far as this file uses them (no @types dependency on the host side). */
interface NodeProcess {
  versions?: { node?: string; bun?: string };
  arch?: string;
  platform?: string;
  config?: { variables?: Record<string, unknown> };
  getBuiltinModule?: (name: string) => unknown;
}

/**
 * Turns V8's revectorizer on for this process, before the relaxed core is compiled. Returns
 * undefined when it is on, else why it cannot be (the engine is not Node's V8, the CPU is
 * not x64 with AVX2, this Node's V8 was built without it).
 */
export function enableRevectorizer(): string | undefined {
  const reason = unavailableReason();
  if (reason !== undefined) return reason;
  const proc = (globalThis as { process?: NodeProcess }).process!;
  const v8 = proc.getBuiltinModule!('node:v8') as { setFlagsFromString(flags: string): void };
  v8.setFlagsFromString('--experimental-wasm-revectorize');
  return undefined;
}

function unavailableReason(): string | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const isNode =
    typeof proc?.versions?.node === 'string' &&
    proc.versions.bun === undefined &&
    (globalThis as { Deno?: unknown }).Deno === undefined;
  if (!isNode || typeof proc?.getBuiltinModule !== 'function')
    return 'only Node (22.3 or later) lets a program turn on V8 flags';
  if (proc.arch !== 'x64') return `V8 revectorizes on x64 only (this is ${proc.arch})`;
  if (!proc.config?.variables?.v8_enable_wasm_simd256_revec)
    return "this Node's V8 was built without the revectorizer (v8_enable_wasm_simd256_revec)";
  if (proc.platform === 'linux') {
    const fs = proc.getBuiltinModule('node:fs') as { readFileSync(path: string, encoding: 'utf8'): string };
    let cpuinfo = '';
    try {
      cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return 'could not read /proc/cpuinfo to check for AVX2';
    }
    if (!/^flags\s*:.*\bavx2\b/m.test(cpuinfo)) return 'the CPU has no AVX2';
  }
  return undefined;
}
