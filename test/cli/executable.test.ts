/**
 * The built CLI runs as a program (`npx simdnet` in this repository, or dist/cli.js directly):
 * a hashbang line and the execute bits, which scripts/build.mjs sets (npm sets them only for
 * installed packages, so without them a fresh clone's `npx simdnet` said "Permission denied").
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe('dist/cli.js', () => {
  it('is an executable with a hashbang line, and runs as one', async () => {
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(cli).mode & 0o111).toBe(0o111);
    const { stdout } = await promisify(execFile)(cli, ['--help']);
    expect(stdout).toMatch(/^usage: simdnet <command>/);
  });
});
