/**
 * Flag parsing shared by the commands: node:util's parseArgs (strict, so an
 * unknown flag is an error), plus typed readers that turn bad values into
 * one-line UsageErrors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type Flags = Record<string, string | boolean | undefined>;

export function parseFlags(argv: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string): { flags: Flags; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}\n${usage}`);
  }
}

export function intFlag(flags: Flags, name: string, fallback: number, min = 1): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${String(raw)}'`);
  return value;
}

export function numberFlag(flags: Flags, name: string, fallback: number | undefined): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got '${String(raw)}'`);
  return value;
}

export function listFlag(flags: Flags, name: string, fallback: number[]): number[] {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const values = String(raw).split(',').filter((s) => s.trim() !== '').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) throw new UsageError(`--${name} must be a comma-separated list of positive integers, got '${String(raw)}'`);
  return values;
}

export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback: T): T {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(String(raw))) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  return raw as T;
}
