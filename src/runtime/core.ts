/**
 * One instance of the WebAssembly core over its own linear memory, with the
 * memory-layout constants it exports and fresh typed-array views.
 *
 * Views are never kept across a memory grow: `view()` re-creates them whenever
 * `memory.buffer` has changed (growing a non-shared memory detaches the old buffer).
 */

import { CORE_CONSTANT_NAMES, CORE_FUNCTION_ARITY, type CoreFunctions, type Layout } from './core-exports.js';

const PAGE_BYTES = 65536;

export type { CoreFunctions, Layout } from './core-exports.js';

export class Core {
  readonly fn: CoreFunctions;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  /** First byte of linear memory the host may plan. */
  readonly heapBase: number;
  private buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  private views!: { u8: Uint8Array; i32: Int32Array; u32: Uint32Array; f32: Float32Array; f64: Float64Array };

  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    const exports = instance.exports;
    // The exports object itself, not a copy: the per-batch calls look their functions up there.
    if (!hasCoreFunctions(exports)) throw missingExport(missingFunction(exports));
    this.fn = exports;
    this.memory = memory;
    const layout: Partial<Layout> = {};
    for (const name of CORE_CONSTANT_NAMES) {
      const global = exports[name];
      if (!(global instanceof WebAssembly.Global)) throw missingExport(name);
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

/** The first declared function the exports lack (or have as something else). */
function missingFunction(exports: WebAssembly.Exports): string {
  return Object.keys(CORE_FUNCTION_ARITY).find((name) => typeof exports[name] !== 'function') ?? '';
}

/** Whether `exports` has every function of the core (CORE_FUNCTION_ARITY names them all). */
function hasCoreFunctions(exports: WebAssembly.Exports): exports is WebAssembly.Exports & CoreFunctions {
  return missingFunction(exports) === '';
}

function missingExport(name: string): Error {
  return new Error(`simdnet: the WebAssembly core does not export ${name}; is the .wasm from another version?`);
}
