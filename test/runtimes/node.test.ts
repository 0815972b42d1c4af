/**
 * Node: the packed tarball installed in a scratch project, used as a user would.
 * The round trip (train two spirals, save, load, identical predictions) runs in
 * a child `node`, resolving 'simdnet' through the package's `node` export; the
 * `default` export (core inlined as base64) runs as a single-file bundle; the
 * CLI, the shared 'simdnet'/'simdnet/node' library and the type declarations are
 * checked from the installed package too.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../../src/runtime/load.js';
import {
  REPO,
  lastJsonLine,
  roundTripProblems,
  run,
  scratchProject,
  type RoundTripResult,
  type ScratchProject,
} from './helpers.js';

let project: ScratchProject;
beforeAll(async () => {
  project = await scratchProject();
});

describe('Node, from the packed tarball', () => {
  it('installs with no install scripts, no native add-on, and one dependency (for the CLI)', () => {
    const installed = join(project.dir, 'node_modules', 'simdnet');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.scripts ?? {}).filter((name) => /^(pre|post)?install$/.test(name))).toEqual([]);
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['cli-progress']);
    const files = readdirSync(installed, { recursive: true, encoding: 'utf8' });
    expect(files.filter((name) => name.endsWith('.node') || name.endsWith('binding.gyp'))).toEqual([]);
    for (const file of [
      'dist/simdnet.wasm',
      'dist/index.node.js',
      'dist/index.web.js',
      'dist/index.workerd.js',
      'dist/index.inline.js',
      'dist/types/index.d.ts',
    ]) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
  });

  it('trains, saves and loads with identical predictions (node export)', async () => {
    const { stdout, milliseconds } = await run(process.execPath, ['run.mjs'], { cwd: project.dir });
    const result = lastJsonLine<RoundTripResult>(stdout);
    console.log(
      `node: ${result.runtime}, accuracy ${result.accuracy}, round trip ${result.milliseconds} ms, process ${milliseconds} ms`,
    );
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });

  it('runs the default export (core inlined) as one self-contained file', async () => {
    // A bundler with no runtime condition picks `default`: the bundle carries the core and imports nothing.
    const dir = join(project.dir, 'inline-bundle');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    await build({
      entryPoints: [join(project.dir, 'run.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: join(dir, 'run.mjs'),
      logLevel: 'error',
    });
    const bundle = readFileSync(join(dir, 'run.mjs'), 'utf8');
    expect(bundle).toContain('index.inline.js');
    expect(bundle).not.toMatch(/^import\b|\bimport\(/m);
    expect(readdirSync(dir)).toEqual(['run.mjs']);
    const result = lastJsonLine<RoundTripResult>((await run(process.execPath, ['run.mjs'], { cwd: dir })).stdout);
    expect(roundTripProblems(result, project.nodeReference)).toEqual([]);
  });

  it('relaxed SIMD on 2 threads: the relaxed threaded core, the one-thread relaxed weights bit for bit', async () => {
    // Node 20 validates relaxed SIMD only with this flag (Node 22+ without it).
    const flags = relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'];
    const result = lastJsonLine<{
      relaxedInfo: unknown;
      baselineInfo: unknown;
      threading: unknown;
      relaxedIdentical: boolean;
      baselineIdentical: boolean;
      fused: boolean;
    }>((await run(process.execPath, [...flags, 'relaxed.mjs'], { cwd: project.dir })).stdout);
    expect(result.relaxedInfo).toEqual({ simd: 'relaxed', reason: 'asked for (relaxed: true)', revectorized: false });
    expect(result.baselineInfo).toEqual({
      simd: 'baseline',
      reason: 'asked for (relaxed: false)',
      revectorized: false,
    });
    expect(result.threading).toEqual({ threads: 2, requested: 2 });
    expect(result.relaxedIdentical).toBe(true);
    expect(result.baselineIdentical).toBe(true);
    // With the multiply-add fused (x86-64 with FMA, as here and in CI) the kinds round
    // differently, so the 2-thread relaxed weights equal to the 1-thread relaxed ones are
    // proof that the threads ran the relaxed core.
    expect(result.fused).toBe(true);
  });

  it("shares one library between 'simdnet' and 'simdnet/node', and the CLI runs", async () => {
    const script =
      "const a = await import('simdnet'); const b = await import('simdnet/node'); console.log(JSON.stringify({ same: a.Model === b.Model && a.init === b.init, loadMnist: typeof b.loadMnist }));";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project.dir });
    expect(lastJsonLine(stdout)).toEqual({ same: true, loadMnist: 'function' });
    const help = await run(join(project.dir, 'node_modules', '.bin', 'simdnet'), ['--help'], { cwd: project.dir });
    expect(help.stdout).toContain('usage: simdnet');
  });

  it('type-checks a TypeScript user of both entries against the installed declarations', async () => {
    writeFileSync(
      join(project.dir, 'check.ts'),
      [
        "import { createModel, saveModel, loadModel, init, type ModelSpec, type History } from 'simdnet';",
        "import { loadMnist, saveModelFile } from 'simdnet/node';",
        "const spec: ModelSpec = { inputSize: 2, layers: [{ units: 4, activation: 'relu' }, { units: 2, activation: 'softmax' }] };",
        'export async function main(): Promise<number> {',
        '  await init();',
        '  const model = await createModel(spec);',
        '  const history: History = await model.fit({ inputs: [[0, 1], [1, 0]], labels: [0, 1] }, { epochs: 1 });',
        '  const copy = await loadModel(saveModel(model));',
        '  void loadMnist; void saveModelFile;',
        '  // @ts-expect-error: an unknown activation is a type error',
        "  await createModel({ inputSize: 1, layers: [{ units: 1, activation: 'swish' }] });",
        '  return history.epochs.length + copy.predict([[0, 1]]).length;',
        '}',
        '',
      ].join('\n'),
    );
    // --skipLibCheck keeps this to seconds (checking @types/node takes half a minute); the
    // declarations themselves are checked when tsc emits them (npm run build).
    await run(
      process.execPath,
      [
        join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--lib',
        'es2022,dom',
        '--typeRoots',
        join(REPO, 'node_modules', '@types'),
        '--types',
        'node',
        'check.ts',
      ],
      { cwd: project.dir },
    );
  });
});
