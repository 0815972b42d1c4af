/**
 * Runs the PyTorch side of the interop tests (torch_mlp.py) with Debian's /usr/bin/python3 and
 * python3-torch. Without them the tests are skipped with the reason printed, unless CI is set:
 * then they are required and a missing torch fails the run.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const PYTORCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./torch_mlp.py', import.meta.url));

/** Debian's torch is linked against OpenBLAS; the OpenMP build is the one installed beside it. */
export const TORCH_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-openmp', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  OMP_NUM_THREADS: '1',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** Why the PyTorch tests cannot run here, or null when they can (checked once, ~3 s). */
function findMissing(modules: string[]): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (apt-get install python3 python3-torch)`;
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { env: TORCH_ENV, encoding: 'utf8' });
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return `${PYTHON} cannot import ${modules.join(', ')} (${last})`;
  }
  return null;
}

/**
 * Whether to skip: false when `modules` import, true (with the reason printed) when they do not
 * and CI is unset; when CI is set, a missing module throws instead.
 */
export function skipWithoutPython(modules: string[], what: string): boolean {
  const missing = findMissing(modules);
  if (missing === null) return false;
  if (process.env.CI) throw new Error(`${what} are required in CI, but ${missing}`);
  console.warn(`skipping ${what}: ${missing}`);
  return true;
}

/**
 * torch_mlp.py as a long-lived process: `run(job)` sends one JSON line and resolves with the
 * reply, jobs answered in order; torch is imported once. `close()` ends the process.
 */
export class TorchWorker {
  private readonly child: ChildProcess;
  private readonly waiting: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private buffer = '';
  private stderr = '';

  constructor() {
    this.child = spawn(PYTHON, [SCRIPT], { cwd: PYTORCH_DIR, env: TORCH_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline = this.buffer.indexOf('\n');
      while (newline >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        const reply = JSON.parse(line) as { ok?: unknown; error?: string };
        const next = this.waiting.shift()!;
        if (reply.error !== undefined) next.reject(new Error(`torch_mlp.py: ${reply.error}`));
        else next.resolve(reply.ok);
        newline = this.buffer.indexOf('\n');
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.child.on('close', (status) => {
      for (const next of this.waiting.splice(0))
        next.reject(new Error(`torch_mlp.py exited ${status}:\n${this.stderr}`));
    });
  }

  run<T>(job: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify(job)}\n`);
    });
  }

  close(): void {
    this.child.stdin!.end();
  }
}
