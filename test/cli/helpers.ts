/**
 * Helpers for the CLI tests: run the built `dist/cli.js` as a user would, in a
 * scratch directory, and make small seeded datasets as CSV text.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node [...nodeFlags] dist/cli.js ...args` in `cwd` and collects its exit status and output. */
export function runCli(args: string[], cwd: string, nodeFlags: string[] = []): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it in pretest)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs the CLI and expects success; returns stdout. */
export async function runOk(args: string[], cwd: string, nodeFlags: string[] = []): Promise<string> {
  const result = await runCli(args, cwd, nodeFlags);
  if (result.status !== 0) throw new Error(`simdnet ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

/** The contract for bad input: non-zero exit, nothing on stdout, one line on stderr, no stack trace. */
export function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.status, result.stderr).not.toBe(0);
  expect(result.stdout).toBe('');
  const stderr = result.stderr.replace(/\n$/, '');
  expect(stderr.split('\n'), stderr).toHaveLength(1);
  expect(stderr).toMatch(/^simdnet: /);
  expect(stderr).not.toContain('    at ');
  expect(stderr).toMatch(pattern);
}

export function scratchDir(): { dir: string; write(name: string, text: string | Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-'));
  return {
    dir,
    write(name, text) {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** mulberry32: a tiny seeded PRNG, so every run makes the same data. */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export interface Table {
  header: string[];
  rows: (string | number)[][];
}

export const toCsv = ({ header, rows }: Table): string =>
  `${[header, ...rows].map((row) => row.join(',')).join('\n')}\n`;

/**
 * Iris-like data: three species as Gaussian clusters in four measurements (cm), the
 * label in the last column as text. Well separated: a small MLP should get ≥ 90%.
 */
export function irisLike(count: number, seed: number): Table {
  const random = seededRandom(seed);
  const species: [string, number[], number[]][] = [
    ['setosa', [5.0, 3.4, 1.5, 0.25], [0.35, 0.38, 0.17, 0.1]],
    ['versicolor', [5.9, 2.8, 4.3, 1.3], [0.5, 0.3, 0.47, 0.2]],
    ['virginica', [6.6, 3.0, 5.6, 2.0], [0.6, 0.32, 0.55, 0.27]],
  ];
  const rows = Array.from({ length: count }, (_, i) => {
    const [name, mean, std] = species[i % 3];
    return [...mean.map((m, j) => (m + std[j] * random.normal()).toFixed(2)), name];
  });
  return { header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'], rows };
}

/** House prices: a noisy linear function of area (m²), rooms and age, in dollars. */
export function housePrices(count: number, seed: number): Table {
  const random = seededRandom(seed);
  const rows = Array.from({ length: count }, () => {
    const area = 40 + 160 * random.uniform();
    const rooms = 1 + Math.floor(5 * random.uniform());
    const age = Math.floor(80 * random.uniform());
    const price = 50_000 + 1_200 * area + 10_000 * rooms - 900 * age + 8_000 * random.normal();
    return [area.toFixed(1), rooms, age, price.toFixed(0)];
  });
  return { header: ['area', 'rooms', 'age', 'price'], rows };
}

/** Parses the CLI's predict CSV (no quoted fields in these tests). */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = text
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  return { header, rows };
}
