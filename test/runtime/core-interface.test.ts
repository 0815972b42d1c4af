/**
 * The host declares the core's exports once (src/runtime/core-exports.ts, generated from
 * asc's bindings of assembly/index.ts). Every built core must export exactly those
 * functions, with those parameter counts, and those constants: read back from each
 * binary with binaryen, so the relaxed builds are checked on any engine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { CORE_CONSTANT_NAMES, CORE_FUNCTION_ARITY } from '../../src/runtime/core-exports.js';

const BUILDS = ['simdnet.wasm', 'simdnet-relaxed.wasm', 'simdnet-threads.wasm', 'simdnet-threads-relaxed.wasm'];

/** Each export of a built core: functions with their parameter counts, globals, memories. */
function exportsOf(file: string): { functions: Record<string, number>; globals: string[]; other: string[] } {
  const module = binaryen.readBinary(readFileSync(new URL(`../../build/${file}`, import.meta.url)));
  try {
    const functions: Record<string, number> = {};
    const globals: string[] = [];
    const other: string[] = [];
    for (let i = 0; i < module.getNumExports(); i++) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind === binaryen.ExternalFunction) {
        const fn = binaryen.getFunctionInfo(module.getFunction(info.value));
        functions[info.name] = binaryen.expandType(fn.params).length;
      } else if (info.kind === binaryen.ExternalGlobal) globals.push(info.name);
      else other.push(info.name);
    }
    return { functions, globals: globals.sort(), other };
  } finally {
    module.dispose();
  }
}

describe('the typed core interface', () => {
  it('src/runtime/core-exports.ts is what the current assembly/ generates', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/core-interface.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it.each(BUILDS)('%s exports exactly the declared functions (with their arities) and constants', (file) => {
    const { functions, globals, other } = exportsOf(file);
    expect(functions).toEqual({ ...CORE_FUNCTION_ARITY });
    expect(globals).toEqual([...CORE_CONSTANT_NAMES].sort());
    expect(other).toEqual(['memory']);
  });

  it('declares the ABI the host reads: work counters, accuracy kinds, GEMM scratch', () => {
    for (const name of ['WORK_NEXT_ROW', 'WORK_NEXT_ITEM', 'WORK_NEXT_BATCH_ROW', 'WORK_BYTES', 'ACCURACY_THRESHOLD'])
      expect(CORE_CONSTANT_NAMES).toContain(name);
    expect(CORE_CONSTANT_NAMES).toContain('GEMM_SCRATCH_BYTES');
    expect(CORE_FUNCTION_ARITY.firstNonFinite).toBe(2);
  });
});
