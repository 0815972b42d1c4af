/**
 * Running one runner as a child process: its result lines (the runner contract in
 * bench/common.ts), its error if any, its wall time, and how busy the machine was meanwhile.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { RunnerResult } from '../common';
import { cpuSample, loadAverage1m } from './machine';

/** What one child run left: its result lines, its output, its error (null: it succeeded). */
export interface ChildOutcome {
  results: RunnerResult[];
  stdout: string;
  stderr: string;
  error: string | null;
  seconds: number;
  loadAverageBefore: number;
  /** Average busy logical CPUs over the child's run, all processes on the machine included. */
  cpuBusyDuring: number | null;
}

/**
 * Runs `command args` in `cwd`, killed after `timeoutMs`; never rejects (failures are in
 * `error`). A run that prints no runner result line fails unless `expectResults` is false
 * (tools that print their own JSON).
 */
export function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
  expectResults = true,
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const loadAverageBefore = loadAverage1m();
    const cpuBefore = cpuSample();
    const start = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const cpuAfter = cpuSample();
      const cpuBusyDuring =
        cpuBefore && cpuAfter && cpuAfter.total > cpuBefore.total
          ? Math.round(
              ((cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total)) * os.cpus().length * 100,
            ) / 100
          : null;
      const results: RunnerResult[] = [];
      for (const line of stdout.split('\n')) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(trimmed) as RunnerResult;
          if (typeof parsed.trainSamplesPerSec === 'number') results.push(parsed);
        } catch {
          // a banner that happens to start with "{": ignore
        }
      }
      let error: string | null = null;
      if (spawnError) error = spawnError.message;
      else if (signal) error = `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs / 1000} s?)` : ''}`;
      else if (code !== 0) error = `exit ${code}: ${lastLines(stderr || stdout, 3)}`;
      else if (
        expectResults &&
        results.length === 0 &&
        !args.some((a) => a.endsWith('kernels.mjs') || a.endsWith('paired.mjs') || a.endsWith('toolbox-cost.mjs'))
      )
        error = `no result line: ${lastLines(stdout + stderr, 3)}`;
      resolve({
        results,
        stdout,
        stderr,
        error,
        seconds: (performance.now() - start) / 1000,
        loadAverageBefore,
        cpuBusyDuring,
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** The last `n` lines of `text`, joined by " | ", at most 600 characters (for error messages). */
export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 600);
}
