/**
 * Finding a python3 that imports torch and numpy for the PyTorch runner, with Debian's
 * OpenBLAS (OpenMP build) first on LD_LIBRARY_PATH so torch's generic libblas.so.3 resolves to it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** A python3 that imports torch and numpy, and the environment to run the PyTorch runner in. */
export interface PythonInfo {
  executable: string;
  version: string;
  torch: string;
  env: NodeJS.ProcessEnv;
  ldLibraryPath: string | null;
}

/** Debian's OpenBLAS (OpenMP build) folder, if installed: torch's generic libblas.so.3 resolves to it. */
export function openblasOpenmpDir(): string | null {
  try {
    for (const dir of readdirSync('/usr/lib')) {
      const candidate = path.join('/usr/lib', dir, 'openblas-openmp');
      if (dir.endsWith('-linux-gnu') && existsSync(path.join(candidate, 'libblas.so.3'))) return candidate;
    }
  } catch {
    // no /usr/lib
  }
  return null;
}

/** The first of $SIMDNET_BENCH_PYTHON, python3, /usr/bin/python3 that imports torch and numpy; else null and why. */
export function findPythonWithTorch(): { python: PythonInfo | null; reason: string } {
  const candidates = [process.env.SIMDNET_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  const blasDir = openblasOpenmpDir();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (blasDir) env.LD_LIBRARY_PATH = [blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const tried: string[] = [];
  for (const executable of [...new Set(candidates)]) {
    const probe = spawnSync(
      executable,
      [
        '-c',
        'import sys, torch, numpy; print(sys.executable, ".".join(map(str, sys.version_info[:3])), torch.__version__)',
      ],
      { env, encoding: 'utf8', timeout: 60_000 },
    );
    if (probe.status === 0) {
      const [exe, version, torchVersion] = probe.stdout.trim().split(/\s+/);
      return {
        python: { executable: exe || executable, version, torch: torchVersion, env, ldLibraryPath: blasDir },
        reason: '',
      };
    }
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    tried.push(`${executable}: ${why}`);
  }
  return {
    python: null,
    reason: `no python3 with torch and numpy (${tried.join('; ')}); on Debian: apt-get install python3-torch libopenblas0-openmp`,
  };
}
