/**
 * The simdnet command line: `simdnet <command> [flags]`.
 * Every failure is one line on stderr and a non-zero exit, never a stack trace
 * (set SIMDNET_DEBUG=1 to see one).
 */
import { UsageError } from './errors.js';
import { trainCommand, TRAIN_USAGE } from './train.js';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  train: { run: trainCommand, usage: TRAIN_USAGE },
};

const USAGE = `usage: simdnet <command> [flags]

commands:
${Object.values(commands).map((c) => '  ' + c.usage.split('\n')[0].replace('usage: simdnet ', '')).join('\n')}

Run 'simdnet <command> --help' for a command's flags.`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'\n${USAGE}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return;
  }
  await command.run(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (process.env.SIMDNET_DEBUG) console.error(error);
  const message = error instanceof Error ? error.message : String(error);
  console.error(`simdnet: ${message.replace(/^simdnet: /, '')}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
