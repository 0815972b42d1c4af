/**
 * Finding the repository and bundling the TypeScript runners with esbuild:
 * bench/<entry>.ts -> build/bench/<entry>.mjs, packages left external (tfjs finds its .wasm
 * files in node_modules).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Skipped } from './types';

/** The repository root: build/bench/run.mjs -> ../.., checked by looking for bench/run.ts. */
export function findRepoRoot(): string {
  const fromBundle = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (existsSync(path.join(fromBundle, 'bench', 'run.ts'))) return fromBundle;
  if (existsSync(path.join(process.cwd(), 'bench', 'run.ts'))) return process.cwd();
  throw new Error('cannot find the repository root (bench/run.ts); run from the repository root');
}

/** Bundles bench/<entry>.ts to build/bench/<entry>.mjs; returns an error message or null. */
export async function bundle(root: string, entry: string): Promise<string | null> {
  try {
    await build({
      entryPoints: [path.join(root, 'bench', `${entry}.ts`)],
      outfile: path.join(root, 'build', 'bench', `${entry}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return null;
  } catch (error) {
    const messages = (error as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    if (messages?.length) {
      return messages
        .slice(0, 3)
        .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
        .join('; ');
    }
    return String(error);
  }
}

/**
 * Bundles the runners the options want (simdnet always; tfjs and brain when any of their ids
 * is wanted). Returns the bundles by id (simdnet, kernels, paired, tfjs, brain, jax, tta, toolbox); a runner
 * that is missing or fails to build is added to `skipped` with the reason, and logged.
 */
export async function buildRunners(
  root: string,
  wanted: (id: string) => boolean,
  skipped: Skipped[],
  log: (s: string) => void,
): Promise<Record<string, string>> {
  const nodeEntries: Record<string, string> = {};
  for (const [id, entry] of [
    ['simdnet', 'simdnet'],
    ['kernels', 'kernels'],
    ['paired', 'paired'],
    ['tfjs', 'peers/tfjs'],
    ['brain', 'peers/brain'],
    ['jax', 'peers/jax'],
    ['tta', 'time-to-accuracy'],
    ['toolbox', 'toolbox-cost'],
  ] as const) {
    const needed =
      id === 'tfjs'
        ? wanted('tfjs-wasm') || wanted('tfjs-cpu')
        : id === 'brain'
          ? wanted('brain-sgd') || wanted('brain-adam')
          : id === 'kernels'
            ? wanted('kernels') || wanted('peak')
            : wanted(id);
    if (!needed) continue;
    if (!existsSync(path.join(root, 'bench', `${entry}.ts`))) {
      skipped.push({ id, batch: null, reason: `bench/${entry}.ts does not exist yet` });
      log(`skip ${id}: bench/${entry}.ts does not exist yet`);
      continue;
    }
    const error = await bundle(root, entry);
    if (error) {
      skipped.push({ id, batch: null, reason: `build failed: ${error}` });
      log(`skip ${id}: build of bench/${entry}.ts failed: ${error}`);
      continue;
    }
    nodeEntries[id] = path.join(root, 'build', 'bench', `${entry}.mjs`);
  }
  return nodeEntries;
}
