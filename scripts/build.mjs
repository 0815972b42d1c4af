// Builds the publishable package into dist/: ESM bundles (library and CLI), the
// .wasm files next to them, and TypeScript declarations.
// Usage: node scripts/build.mjs   (after `npm run build:wasm`)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
for (const file of ['simdnet.wasm', 'simdnet-relaxed.wasm']) {
  if (existsSync(`build/${file}`)) copyFileSync(`build/${file}`, `dist/${file}`);
}
if (!existsSync('dist/simdnet.wasm')) throw new Error('build/simdnet.wasm is missing: run `npm run build:wasm` first');

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', platform: 'neutral', external: ['node:*'] });
await build({ ...common, entryPoints: { node: 'src/node.ts' }, outdir: 'dist', platform: 'node', external: ['node:*'] });
await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  platform: 'node',
  packages: 'external',
  banner: { js: '#!/usr/bin/env node' },
});
