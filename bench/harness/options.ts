/**
 * The harness's command line: flags, runner ids and groups (see bench/run.ts's header).
 */

/** The parsed flags (see bench/run.ts's header). */
export interface HarnessOptions {
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
  runner ids: simdnet, tfjs-wasm, tfjs-cpu, brain-sgd, brain-adam, torch-1t, torch-2t, kernels, paired
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
];
/** Names --only accepts for several runners at once. */
export const GROUPS: Record<string, string[]> = {
  tfjs: ['tfjs-wasm', 'tfjs-cpu'],
  brain: ['brain-sgd', 'brain-adam'],
  'brain.js': ['brain-sgd', 'brain-adam'],
  torch: ['torch-1t', 'torch-2t'],
  pytorch: ['torch-1t', 'torch-2t'],
};

/** Parses the flags; an unknown flag or a bad value throws an Error naming it. --help prints USAGE and exits. */
export function parseHarnessArgs(argv: string[]): HarnessOptions {
  const options: HarnessOptions = {
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
  if (Number.isNaN(options.seconds)) options.seconds = options.quick ? 1.5 : 5;
  return options;
}
