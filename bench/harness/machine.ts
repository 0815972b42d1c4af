/**
 * The machine a run is on (CPU model and SIMD flags, cores, memory, OS, Node, Python), and
 * how busy it is (load average, busy CPUs between two /proc/stat samples).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { PythonInfo } from './python';

/** The machine a run is on, as RESULTS.md and --json report it. */
export interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  memoryGiB: number;
  os: string;
  node: string;
  python: string | null;
}

/** This machine: CPU model with its SIMD flags (from /proc/cpuinfo on Linux), cores, memory, OS, Node, Python. */
export function describeMachine(python: PythonInfo | null): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? '?';
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
    const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
    const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f));
    if (model) cpuModel = `${model.trim()}${simd.length ? ` (${simd.join(', ')})` : ''}`;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    logicalCores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: python ? `${python.executable} (Python ${python.version}, torch ${python.torch})` : null,
  };
}

/** Average number of busy logical CPUs between two /proc/stat samples (all processes). */
export function cpuSample(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** The 1-minute load average, to 2 decimals. */
export function loadAverage1m(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}
