/**
 * The examples run as they are, from this repository (where 'simdnet' resolves
 * to the package itself through package.json's exports and the built dist/):
 * xor and regression in Node, xor in Bun, deno.ts in Deno, and the Worker with
 * its own workerd config. examples/mnist.mjs is left out (half a minute or more);
 * run it by hand: `node examples/mnist.mjs 1`.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, freePort, repoBinary, run, skipReason, startProcess } from './helpers.js';

const deno = repoBinary('deno');
const bun = repoBinary('bun');
const workerd = repoBinary('workerd');
const skipDeno = skipReason('Deno (examples)', deno ? undefined : 'node_modules/.bin/deno is missing');
const skipBun = skipReason('Bun (examples)', bun ? undefined : 'node_modules/.bin/bun is missing');
const skipWorkerd = skipReason('workerd (examples)', workerd ? undefined : 'node_modules/.bin/workerd is missing');

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

describe('examples/', () => {
  it('xor.mjs learns XOR and reloads identically (Node)', async () => {
    const { stdout } = await run(process.execPath, ['examples/xor.mjs'], { cwd: REPO });
    expect(stdout).toMatch(/accuracy 1\b/);
    expect(stdout).toContain('loaded copy predicts identically: true');
  });

  it('regression.mjs fits the curve with R² > 0.99 (Node)', async () => {
    const { stdout } = await run(process.execPath, ['examples/regression.mjs'], { cwd: REPO });
    const r2 = Number(/R² ([\d.]+)/.exec(stdout)?.[1]);
    expect(r2, stdout).toBeGreaterThan(0.99);
  });

  it.skipIf(skipBun)('xor.mjs runs in Bun', async () => {
    const { stdout } = await run(bun!, ['examples/xor.mjs'], { cwd: REPO });
    expect(stdout).toContain('loaded copy predicts identically: true');
  });

  it.skipIf(skipDeno)('deno.ts runs in Deno with --allow-read', async () => {
    const { stdout } = await run(deno!, ['run', '--allow-read', '--no-prompt', 'examples/deno.ts'], {
      cwd: REPO,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    expect(stdout).toMatch(/^Deno\//);
    expect(stdout).toContain('loaded copy predicts identically: true');
  });

  it.skipIf(skipWorkerd)('worker/ serves training results with its workerd config', async () => {
    const port = await freePort();
    const server = startProcess(
      workerd!,
      ['serve', join('examples', 'worker', 'config.capnp'), `--socket-addr=http=127.0.0.1:${port}`],
      REPO,
    );
    stops.push(server.stop);
    const deadline = Date.now() + 30_000;
    let response: Response | undefined;
    while (!response) {
      if (server.child.exitCode !== null) throw new Error(`workerd exited:\n${server.output()}`);
      try {
        response = await fetch(`http://127.0.0.1:${port}/?epochs=200`);
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`workerd did not answer: ${(error as Error).message}\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const result = (await response.json()) as { epochs: number; accuracy: number; predictions: unknown[] };
    expect(result.epochs).toBe(200);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.predictions).toHaveLength(3);
  });
});
