// Reports what the package weighs: the npm tarball, and per entry point the
// JavaScript a runtime loads (the entry and the chunks it imports) and the
// WebAssembly core, raw and gzipped (level 9), and minified then gzipped (what an
// application's bundler would ship), from the built dist/.
// Usage: npm run size          (builds first; `node scripts/package-size.mjs --json` for JSON)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** The file and every relative module it imports statically, transitively. */
function moduleClosure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, specifier] of text.matchAll(/(?:^|\n)(?:import|export)\b[^'"]*?from\s*["'](\.[^"']+\.js)["']/g)) {
    moduleClosure(join(dirname(file), specifier), seen);
  }
  return seen;
}

function measure(files) {
  const bytes = files.map((file) => readFileSync(file));
  return {
    files: files.map((file) => file.replace(/^dist\//, '')),
    bytes: bytes.reduce((sum, b) => sum + b.length, 0),
    gzipBytes: bytes.reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0),
  };
}

/** The entry and its chunks bundled and minified by esbuild, then gzipped. */
async function minifiedGzipBytes(entry) {
  const { outputFiles } = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*', '*.wasm'],
    write: false,
    logLevel: 'error',
  });
  return gzipSync(outputFiles[0].contents, { level: 9 }).length;
}

const entries = {
  "'simdnet' node, bun": pkg.exports['.'].node,
  "'simdnet' browser, deno": pkg.exports['.'].browser,
  "'simdnet' workerd": pkg.exports['.'].workerd,
  "'simdnet' default (core inlined)": pkg.exports['.'].default,
  "'simdnet/node'": pkg.exports['./node'].default,
};
/** @type {{ name: string, files: number, bytes: number, gzipBytes: number, minifiedGzipBytes?: number }[]} */
const rows = [];
for (const [name, path] of Object.entries(entries)) {
  const entry = path.replace(/^\.\//, '');
  rows.push({ name, ...measure([...moduleClosure(entry)]), minifiedGzipBytes: await minifiedGzipBytes(entry) });
}
rows.push({ name: 'simdnet.wasm (baseline SIMD core)', ...measure(['dist/simdnet.wasm']) });
rows.push({ name: 'simdnet-relaxed.wasm (relaxed-SIMD core)', ...measure(['dist/simdnet-relaxed.wasm']) });
rows.push({
  name: 'simdnet-threads.wasm, simdnet-threads-relaxed.wasm (threaded mode; each)',
  ...measure(['dist/simdnet-threads.wasm']),
});

const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }),
);
const tarball = { bytes: packed.size, unpackedBytes: packed.unpackedSize, files: packed.entryCount };

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ tarball, entries: rows }, null, 2));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  console.log(`npm tarball: ${kb(tarball.bytes)} (${tarball.files} files, ${kb(tarball.unpackedBytes)} unpacked)\n`);
  console.log('| loaded by | raw | gzip | minified + gzip |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows)
    console.log(
      `| ${row.name} | ${kb(row.bytes)} | ${kb(row.gzipBytes)} | ${row.minifiedGzipBytes ? kb(row.minifiedGzipBytes) : '-'} |`,
    );
}
