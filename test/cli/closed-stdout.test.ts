/**
 * A reader that goes away (`simdnet train ... --save m.sdnt | head -1`) is not a failure: the
 * CLI stops writing to the closed pipe, still writes the files it was asked for, and exits 0
 * with no EPIPE stack trace.
 *
 * The child's stdout (and in one case stderr) is a pipe whose reading end this process closes
 * right after the spawn, before the CLI writes anything, so every write the CLI makes meets a
 * closed pipe; one case runs a real `| head -1` in bash.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../../src/io/node.js';
import { CLI, irisLike, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

beforeAll(async () => {
  scratch.write('iris.csv', toCsv(irisLike(300, 3)));
  await runOk([...TRAIN, '--save', 'reference.sdnt', '--quiet'], cwd);
});

const TRAIN = ['train', '--csv', 'iris.csv', '--label', 'species', '--layers', '8', '--epochs', '20', '--threads', '1'];

/** Runs the CLI with the reading end of its stdout (and of stderr, if asked) closed at once. */
function runWithClosedOutput(
  args: string[],
  closeStderr = false,
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

/**
 * The model saved at `path` loads, and predicts exactly as the same training run with an open
 * stdout (reference.sdnt): it was trained to the end and saved whole.
 */
async function expectTrainedModel(path: string): Promise<void> {
  expect(existsSync(path), `${path} was not saved`).toBe(true);
  const model = await loadModelFile(path);
  expect(model.training.epochs).toBe(20);
  model.dispose();
  const predictions = await runOk(['predict', path, '--csv', 'iris.csv'], cwd);
  expect(predictions.trim().split('\n')).toHaveLength(301);
  expect(predictions).toBe(await runOk(['predict', 'reference.sdnt', '--csv', 'iris.csv'], cwd));
}

describe('CLI with a closed stdout', () => {
  it('train --save: saves the whole model and exits 0, without an EPIPE trace', async () => {
    const result = await runWithClosedOutput([...TRAIN, '--save', 'closed.sdnt']);
    expect(result.stderr).not.toMatch(/EPIPE| {4}at /);
    expect(result.stderr).toBe('');
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
    await expectTrainedModel(join(cwd, 'closed.sdnt'));
  });

  it('train --json --save with stdout and stderr both closed still saves', async () => {
    const result = await runWithClosedOutput([...TRAIN, '--json', '--save', 'both-closed.sdnt'], true);
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
    await expectTrainedModel(join(cwd, 'both-closed.sdnt'));
  });

  it('predict and evaluate exit 0 quietly', async () => {
    for (const args of [
      ['predict', 'reference.sdnt', '--csv', 'iris.csv'],
      ['predict', 'reference.sdnt', '--csv', 'iris.csv', '--format', 'json'],
      ['evaluate', 'reference.sdnt', '--csv', 'iris.csv'],
      ['info', 'reference.sdnt'],
    ]) {
      const result = await runWithClosedOutput(args);
      expect(result.stderr, args.join(' ')).toBe('');
      expect({ args, status: result.status, signal: result.signal }).toEqual({ args, status: 0, signal: null });
    }
  });

  it.skipIf(!existsSync('/bin/bash'))('`train --save | head -1` prints one line and saves the model', async () => {
    const output = await new Promise<{ stdout: string; stderr: string; statuses: string }>((resolve, reject) => {
      const script = `"${process.execPath}" "${CLI}" ${TRAIN.join(' ')} --save piped.sdnt | head -1; echo "status \${PIPESTATUS[*]}" >&2`;
      const child = spawn('/bin/bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', () => resolve({ stdout, stderr, statuses: stderr.trim().split('\n').pop() ?? '' }));
    });
    expect(output.stdout.trim().split('\n')).toHaveLength(1);
    expect(output.stdout).toMatch(/^iris\.csv: 300 training samples/);
    expect(output.stderr).not.toMatch(/EPIPE| {4}at /);
    expect(output.statuses).toBe('status 0 0');
    await expectTrainedModel(join(cwd, 'piped.sdnt'));
  });
});
