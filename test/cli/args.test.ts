/** The CLI's flag parser: an unknown flag names the flag and, when one is close, the flag meant. */
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/args.js';

const OPTIONS = {
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'learning-rate': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

describe('parseFlags', () => {
  it('parses known flags', () => {
    const { flags, positionals } = parseFlags(['--epochs', '3', 'data.csv'], OPTIONS, 'train');
    expect(flags.epochs).toBe('3');
    expect(positionals).toEqual(['data.csv']);
  });

  it('suggests the flag meant for a near miss', () => {
    expect(() => parseFlags(['--epoch', '3'], OPTIONS, 'train')).toThrow(
      /^Unknown option '--epoch'; did you mean '--epochs'\? \(see 'simdnet train --help'\)$/,
    );
    expect(() => parseFlags(['--batch_size', '3'], OPTIONS, 'train')).toThrow(/did you mean '--batch-size'\?/);
    expect(() => parseFlags(['--lr', '0.1'], OPTIONS, 'train')).toThrow(/did you mean '--learning-rate'\?/);
  });

  it('names a far-off flag without a guess', () => {
    expect(() => parseFlags(['--bogus'], OPTIONS, 'train')).toThrow(
      /^Unknown option '--bogus' \(see 'simdnet train --help'\)$/,
    );
  });
});
