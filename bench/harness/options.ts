/**
 * The harness's command line: flags, runner ids and groups (see bench/run.ts's header).
 */
import { DATA_KINDS, type DataKind, MATRIX_MODELS, parseModelSpec } from '../common';

/** The parsed flags (see bench/run.ts's header). */
export interface HarnessOptions {
  /** --classic: the single-model benchmark (784-128-64-10 on MNIST bytes, every peer) instead of the matrix. */
  classic: boolean;
  /** Node binaries for the Node runners, first = the targets' (see harness/nodes.ts): 'system', '24', 'current', or a path. */
  nodes: string[];
  /** Matrix data kinds and models. */
  data: DataKind[];
  models: string[];
  /** Matrix: also time to accuracy (simdnet and PyTorch). */
  tta: boolean;
  /** Time to accuracy: the target test accuracy and the most epochs. */
  ttaTarget: number;
  ttaEpochs: number;
  quick: boolean;
  only: Set<string> | null;
  batches: number[];
  seconds: number;
  json: boolean;
  write: boolean;
  repeat: number;
}

/** The --help text. */
export const USAGE = `node build/bench/run.mjs [--quick] [--only ids] [--batch 64,256] [--seconds S] [--repeat N] [--json] [--no-write]
    [--node system|24|current|PATH] [--both-nodes] [--data bytes,dense] [--models 784-128-64-10,784-512-256-10]
    [--no-tta] [--tta-target 0.98] [--tta-epochs 12] [--classic]
  matrix runner ids: simdnet, torch-1t, torch-2t, tfjs-wasm, jax, peak, tta
  classic runner ids (--classic): simdnet, tfjs-wasm, tfjs-cpu, brain-sgd, brain-adam, torch-1t, torch-2t, kernels, paired
  (groups: tfjs, brain, torch); simdnet always runs when bench/simdnet.ts builds.
`;

/** The ids --only accepts, one per runner (kernels and paired are tools run once). */
export const RUNNER_IDS = [
  'simdnet',
  'tfjs-wasm',
  'tfjs-cpu',
  'brain-sgd',
  'brain-adam',
  'torch-1t',
  'torch-2t',
  'kernels',
  'paired',
  'jax',
  'peak',
  'tta',
  'toolbox',
];
/** Names --only accepts for several runners at once. */
export const GROUPS: Record<string, string[]> = {
  tfjs: ['tfjs-wasm', 'tfjs-cpu'],
  'jax-js': ['jax'],
  brain: ['brain-sgd', 'brain-adam'],
  'brain.js': ['brain-sgd', 'brain-adam'],
  torch: ['torch-1t', 'torch-2t'],
  pytorch: ['torch-1t', 'torch-2t'],
};

/** Parses the flags; an unknown flag or a bad value throws an Error naming it. --help prints USAGE and exits. */
export function parseHarnessArgs(argv: string[]): HarnessOptions {
  const options: HarnessOptions = {
    classic: false,
    nodes: ['system'],
    data: [...DATA_KINDS],
    models: [...MATRIX_MODELS],
    tta: true,
    ttaTarget: 0.98,
    ttaEpochs: 12,
    quick: false,
    only: null,
    batches: [64, 256],
    seconds: NaN,
    json: false,
    write: true,
    repeat: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--classic':
        options.classic = true;
        break;
      case '--node':
        options.nodes = [value()];
        break;
      case '--both-nodes':
        options.nodes = ['24', 'system'];
        break;
      case '--data':
        options.data = value()
          .split(',')
          .map((d) => {
            if (!(DATA_KINDS as readonly string[]).includes(d))
              throw new Error(`--data: unknown data kind ${d} (${DATA_KINDS.join(', ')})`);
            return d as DataKind;
          });
        break;
      case '--models':
        options.models = value()
          .split(',')
          .map((m) => parseModelSpec(m).join('-'));
        break;
      case '--no-tta':
        options.tta = false;
        break;
      case '--tta-target':
        options.ttaTarget = Number(value());
        if (!(options.ttaTarget > 0 && options.ttaTarget <= 1))
          throw new Error('--tta-target needs a number in (0, 1]');
        break;
      case '--tta-epochs':
        options.ttaEpochs = Number(value());
        if (!Number.isInteger(options.ttaEpochs) || options.ttaEpochs < 1)
          throw new Error('--tta-epochs needs a positive integer');
        break;
      case '--json':
        options.json = true;
        break;
      case '--no-write':
        options.write = false;
        break;
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        options.only = new Set();
        for (const name of names) {
          const ids = GROUPS[name] ?? (RUNNER_IDS.includes(name) ? [name] : null);
          if (!ids)
            throw new Error(
              `--only: unknown runner ${name} (known: ${[...RUNNER_IDS, ...Object.keys(GROUPS)].join(', ')})`,
            );
          for (const id of ids) options.only.add(id);
        }
        break;
      }
      case '--batch':
        options.batches = value()
          .split(',')
          .map((s) => {
            const n = Number(s);
            if (!Number.isInteger(n) || n < 1) throw new Error(`--batch: bad batch size ${s}`);
            return n;
          });
        break;
      case '--seconds':
        options.seconds = Number(value());
        if (!(options.seconds > 0)) throw new Error('--seconds needs a positive number');
        break;
      case '--repeat':
        options.repeat = Number(value());
        if (!Number.isInteger(options.repeat) || options.repeat < 1)
          throw new Error('--repeat needs a positive integer');
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${argv[i]} (see the header of bench/run.ts)`);
    }
  }
  if (Number.isNaN(options.seconds))
    options.seconds = options.classic ? (options.quick ? 1.5 : 5) : options.quick ? 0.5 : 3;
  return options;
}
