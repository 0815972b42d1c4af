/**
 * The published declarations (dist/types, from `tsc -p tsconfig.build.json`) carry the
 * public API only: no member marked internal, and Model shows no field but its ES-private
 * slot and no constructor parameter.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TYPES = new URL('../../dist/types/', import.meta.url).pathname;

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? declarationFiles(join(dir, entry.name))
      : entry.name.endsWith('.d.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the published .d.ts', () => {
  it('marks nothing internal', () => {
    const files = declarationFiles(TYPES);
    expect(files.length).toBeGreaterThan(10);
    const marked = files.filter((file) => /internal/i.test(readFileSync(file, 'utf8')));
    expect(marked).toEqual([]);
  });

  it('declares Model with a private constructor and no typed private members', () => {
    const text = readFileSync(join(TYPES, 'model/model.d.ts'), 'utf8');
    const start = text.indexOf('export declare class Model {');
    const body = text.slice(start, text.indexOf('\n}\n', start));
    expect(body).toContain('#private;');
    expect(body).toContain('private constructor();');
    expect(body).not.toMatch(/\b(core|plan|pool|engine)\b\s*[:;]/);
  });
});
