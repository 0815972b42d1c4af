/**
 * What the built WebAssembly contains, read back by disassembling the binaries
 * (binaryen, which assemblyscript already depends on): the default core uses
 * SIMD and no relaxed-SIMD opcode (Safari rejects a whole module containing
 * one); the relaxed build fuses multiply-adds; the threads builds import a
 * shared memory, one of them with the relaxed kernels.
 */
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';

function disassemble(file: string): string {
  const module = binaryen.readBinary(readFileSync(new URL(`../../build/${file}`, import.meta.url)));
  try {
    return module.emitText();
  } finally {
    module.dispose();
  }
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('the built cores', () => {
  it('simdnet.wasm (default): SIMD in the kernels, no relaxed-SIMD opcode, a plain imported memory', () => {
    const text = disassemble('simdnet.wasm');
    expect(count(text, /\bf32x4\.(mul|add)\b/g)).toBeGreaterThan(50);
    expect(count(text, /\bv128\.load32_splat\b/g)).toBeGreaterThan(0);
    expect(count(text, /relaxed/g)).toBe(0);
    expect(text).toMatch(/\(import "env" "memory" \(memory \$\S+ \d+\)\)/);
  });

  it('simdnet-relaxed.wasm: fused multiply-adds (f32x4.relaxed_madd)', () => {
    expect(count(disassemble('simdnet-relaxed.wasm'), /\bf32x4\.relaxed_madd\b/g)).toBeGreaterThan(10);
  });

  it('simdnet-threads.wasm: the same kernels on an imported shared memory, no relaxed opcode', () => {
    const text = disassemble('simdnet-threads.wasm');
    expect(text).toMatch(/\(import "env" "memory" \(memory \$\S+ \d+ \d+ shared\)\)/);
    expect(count(text, /relaxed/g)).toBe(0);
    expect(count(text, /\bf32x4\.(mul|add)\b/g)).toBeGreaterThan(50);
  });

  it('simdnet-threads-relaxed.wasm: the relaxed kernels on an imported shared memory', () => {
    const text = disassemble('simdnet-threads-relaxed.wasm');
    expect(text).toMatch(/\(import "env" "memory" \(memory \$\S+ \d+ \d+ shared\)\)/);
    expect(count(text, /\bf32x4\.relaxed_madd\b/g)).toBeGreaterThan(10);
  });
});
