/**
 * The simdnet command line: `simdnet <command> [flags]`.
 * Every failure is one line on stderr and a non-zero exit (2 for a wrong command
 * line, 1 for bad input), never a stack trace (set SIMDNET_DEBUG=1 to see one). A closed
 * stdout (the reader of a pipe exited) is not a failure: see ignoreClosedPipe.
 */
import { UsageError } from './errors.js';
import { evaluateCommand, EVALUATE_USAGE } from './evaluate.js';
import { exportCommand, EXPORT_USAGE } from './export.js';
import { importCommand, IMPORT_USAGE } from './import.js';
import { infoCommand, INFO_USAGE } from './info.js';
import { predictCommand, PREDICT_USAGE } from './predict.js';
import { trainCommand, TRAIN_USAGE } from './train.js';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  train: { run: trainCommand, usage: TRAIN_USAGE },
  evaluate: { run: evaluateCommand, usage: EVALUATE_USAGE },
  predict: { run: predictCommand, usage: PREDICT_USAGE },
  info: { run: infoCommand, usage: INFO_USAGE },
  export: { run: exportCommand, usage: EXPORT_USAGE },
  import: { run: importCommand, usage: IMPORT_USAGE },
};

const USAGE = `usage: simdnet <command> [flags]

commands:
${Object.values(commands)
  .map((c) => {
    const [synopsis, summary] = c.usage
      .split('\n')[0]
      .replace('usage: simdnet ', '')
      .split(/\s{3,}/);
    return `  ${synopsis.padEnd(44)} ${summary}`;
  })
  .join('\n')}

Run 'simdnet <command> --help' for a command's flags.`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined && commands[rest[0]]) {
    console.log(commands[rest[0]].usage);
    return;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  const command = commands[name];
  if (!command)
    throw new UsageError(
      `unknown command '${name}'; commands: ${Object.keys(commands).join(', ')} (see 'simdnet --help')`,
    );
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return;
  }
  await command.run(rest);
}

/** The error as one line: inner "simdnet: " prefixes dropped, line breaks joined. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/(^|: )(simdnet|readCsvDataset): /g, '$1')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/**
 * A reader that goes away (`simdnet predict ... | head -1`) makes the next write to stdout or
 * stderr fail with EPIPE. That is not the command's failure: the stream is dropped (later
 * writes to it do nothing) and the command runs on to its end, so every file it was asked to
 * write (--save, --out) is still written, and exits as it would have.
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      stream.destroy();
      return;
    }
    throw error;
  });
}

ignoreClosedPipe(process.stdout);
ignoreClosedPipe(process.stderr);

main(process.argv.slice(2)).catch((error: unknown) => {
  if (process.env.SIMDNET_DEBUG) console.error(error);
  console.error(`simdnet: ${oneLine(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
