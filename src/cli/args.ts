/**
 * Flag parsing shared by the commands: node:util's parseArgs (strict, so an
 * unknown flag is an error), plus typed readers that turn bad values into
 * one-line UsageErrors naming the flag and what it accepts.
 */
import { statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { camelCase, closestKey } from '../options.js';
import { UsageError } from './errors.js';

export type Flags = Record<string, string | boolean | undefined>;
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` against `options`; `command` names the command in errors ('train'). */
export function parseFlags(
  argv: string[],
  options: FlagOptions,
  command: string,
): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (error) {
    // parseArgs explains on up to three lines; keep it on one, without the hint about
    // positionals after '--' (the commands take no such positionals), and point at --help.
    const message = (error as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\. To specify a positional.*$/, '');
    const unknown = message.match(/^Unknown option '--([^'=]+)'/);
    const meant = unknown ? closestFlag(unknown[1], Object.keys(options)) : undefined;
    const hint = meant ? `; did you mean '--${meant}'?` : '';
    throw new UsageError(`${message.replace(/\.$/, '')}${hint} (see 'simdnet ${command} --help')`);
  }
}

/** The flag `name` probably meant among `flags` (kebab-case), by the library's rule for option keys. */
function closestFlag(name: string, flags: string[]): string | undefined {
  const byCamel = new Map(flags.map((flag) => [camelCase(flag), flag]));
  const meant = closestKey(camelCase(name), [...byCamel.keys()]);
  return meant === undefined ? undefined : byCamel.get(meant);
}

/** Exactly `count` positionals (e.g. the MODEL path), else a UsageError naming `names`. */
export function positionalArgs(positionals: string[], names: string[], command: string): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`${command} needs ${names.join(' and ')} (see 'simdnet ${command} --help')`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(
      `${command}: unexpected argument '${positionals[names.length]}' (see 'simdnet ${command} --help')`,
    );
  }
  return positionals;
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (String(raw).trim() === '') throw new UsageError(`--${name} must not be empty`);
  return String(raw);
}

export function intFlag(flags: Flags, name: string, fallback: number, min = 1): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (String(raw).trim() === '' || !Number.isInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${String(raw)}'`);
  return value;
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclude the bounds themselves. */
  exclusive?: boolean;
}

export function numberFlag(flags: Flags, name: string, fallback: number, range?: NumberRange): number;
export function numberFlag(flags: Flags, name: string, fallback: undefined, range?: NumberRange): number | undefined;
export function numberFlag(
  flags: Flags,
  name: string,
  fallback: number | undefined,
  range: NumberRange = {},
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const { min, max, exclusive } = range;
  const below = min !== undefined && (exclusive ? value <= min : value < min);
  const above = max !== undefined && (exclusive ? value >= max : value > max);
  if (String(raw).trim() === '' || !Number.isFinite(value) || below || above) {
    const bounds =
      min !== undefined && max !== undefined
        ? ` in ${exclusive ? '(' : '['}${min}, ${max}${exclusive ? ')' : ']'}`
        : min !== undefined
          ? ` ${exclusive ? '>' : '≥'} ${min}`
          : max !== undefined
            ? ` ${exclusive ? '<' : '≤'} ${max}`
            : '';
    throw new UsageError(`--${name} must be a number${bounds}, got '${String(raw)}'`);
  }
  return value;
}

export function listFlag(flags: Flags, name: string, fallback: number[]): number[] {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const parts = String(raw)
    .split(',')
    .map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((s) => s === '') || values.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new UsageError(`--${name} must be a comma-separated list of positive integers, got '${String(raw)}'`);
  }
  return values;
}

/** A comma-separated list of names (column names): trimmed, none empty. */
export function namesFlag(flags: Flags, name: string): string[] | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const names = String(raw)
    .split(',')
    .map((s) => s.trim());
  if (names.some((s) => s === ''))
    throw new UsageError(`--${name} must be a comma-separated list of names, got '${String(raw)}'`);
  return names;
}

export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback: T): T {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(String(raw)))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  return raw as T;
}

/** Throws a UsageError unless `path` is an existing regular file. `what` describes it ('CSV file'). */
export function requireFile(path: string, what: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`);
  }
  if (!isFile) throw new UsageError(`${what} ${path}: not a file`);
  return path;
}

/** Flags that may not appear together. */
export function exclusiveFlags(flags: Flags, names: string[]): void {
  const given = names.filter((name) => flags[name] !== undefined);
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} cannot be used together`);
}
