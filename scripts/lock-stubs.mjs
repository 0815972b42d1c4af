// The npm registry reachable here does not serve some platform-specific optional packages
// (e.g. @deno/darwin-arm64), so `npm install` leaves them out of package-lock.json and then
// `npm ci` refuses the lock as out of sync. This adds a lock entry for each such package with
// its os/cpu, so `npm ci` on Linux x64 skips it as it would any foreign-platform optional
// package, and never needs to fetch it.
// Usage: node scripts/lock-stubs.mjs   (after `npm install` changed the lock)
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORM = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64-glibc': { os: ['linux'], cpu: ['arm64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
  'win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  'win32-x64': { os: ['win32'], cpu: ['x64'] },
  'windows-64': { os: ['win32'], cpu: ['x64'] },
};

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const platform = Object.entries(PLATFORM).find(([suffix]) => name.endsWith(suffix));
    if (!platform) throw new Error(`no platform known for ${name} (optional dependency of ${path})`);
    lock.packages[key] = { version, dev: entry.dev, optional: true, ...platform[1] };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-stubs: added ${added} foreign-platform optional package entries`);
