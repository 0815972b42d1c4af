/**
 * `simdnet train --preset NAME` (src/cli/presets.ts): a preset's flags stand in front of the
 * user's, so the user's win; help shows every preset's flags; a bad name is a one-line error.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { expandPreset, PRESETS } from '../../src/cli/presets.js';
import { UsageError } from '../../src/cli/errors.js';
import { expectOneLineError, runCli, runOk, scratchDir } from './helpers.js';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('expandPreset', () => {
  it('puts the preset flags first and the user flags after them, for --preset NAME and --preset=NAME', () => {
    const flags = PRESETS['mnist-best'].flags;
    expect(expandPreset(['--epochs', '2', '--preset', 'mnist-best', '--json'])).toEqual([
      ...flags,
      '--epochs',
      '2',
      '--json',
    ]);
    expect(expandPreset(['--preset=fashion-best'])).toEqual([...PRESETS['fashion-best'].flags]);
  });

  it('leaves a command line without --preset as it is', () => {
    expect(expandPreset(['--layers', '8', '--json'])).toEqual(['--layers', '8', '--json']);
  });

  it.each([
    [['--preset', 'mnist-fast'], /unknown preset 'mnist-fast'; presets: mnist-best, fashion-best/],
    [['--preset', 'toString'], /unknown preset 'toString'/],
    [['--preset'], /--preset needs a name/],
    [['--preset', '--json'], /--preset needs a name/],
    [['--preset', 'mnist-best', '--preset=fashion-best'], /--preset given twice/],
  ])('rejects %o', (argv, message) => {
    expect(() => expandPreset(argv)).toThrow(UsageError);
    expect(() => expandPreset(argv)).toThrow(message);
  });
});

describe('simdnet train --preset', () => {
  it("trains with the preset's recipe where the user gives no flag, and the user's flags where given", async () => {
    const out = await runOk(
      [
        'train',
        '--preset',
        'mnist-best',
        '--limit',
        '300',
        '--epochs',
        '1',
        '--layers',
        '16',
        '--threads',
        '1',
        '--json',
        '--quiet',
      ],
      scratch.dir,
    );
    const result = JSON.parse(out);
    // From the user: layers, epochs, limit.
    expect(result.layers).toEqual([784, 16, 10]);
    expect(result.epochs).toBe(1);
    expect(result.trainSamples).toBe(300);
    // From the preset: dropout, shifts, the schedule.
    expect(result.dropout).toEqual([0.2]);
    expect(result.augmentShift).toBe(2);
    expect(result.schedule).toEqual({ type: 'exponential', gamma: 0.9 });
    expect(result.dataset).toBe('mnist');
  });

  it('fashion-best parses and trains (a short run with the user overriding size and length)', async () => {
    const out = await runOk(
      [
        'train',
        '--preset',
        'fashion-best',
        '--limit',
        '200',
        '--epochs',
        '1',
        '--layers',
        '8,8',
        '--threads',
        '1',
        '--json',
        '--quiet',
      ],
      scratch.dir,
    );
    const result = JSON.parse(out);
    const flags = PRESETS['fashion-best'].flags;
    const value = (flag: string) => flags[flags.indexOf(flag) + 1];
    expect(result.dataset).toBe('fashion-mnist');
    expect(result.layers).toEqual([784, 8, 8, 10]);
    expect(result.dropout).toEqual([Number(value('--dropout')), Number(value('--dropout'))]);
    expect(result.augmentShift).toBe(flags.includes('--augment-shift') ? Number(value('--augment-shift')) : 0);
  });

  it('without a preset, the MNIST recipe has dropout 0.2 on both hidden layers; --dropout 0 turns it off', async () => {
    const train = async (extra: string[]) =>
      JSON.parse(await runOk(['train', '--limit', '200', '--epochs', '1', ...extra, '--json', '--quiet'], scratch.dir));
    const byDefault = await train([]);
    expect(byDefault.layers).toEqual([784, 512, 256, 10]);
    expect(byDefault.dropout).toEqual([0.2, 0.2]);
    const off = await train(['--dropout', '0']);
    expect(off.dropout).toEqual([0, 0]);
    // The default's dropout really trains: the same seed without it ends at another loss.
    expect(off.history[0].loss).not.toBe(byDefault.history[0].loss);
    // The model line says so, and says nothing when it is off.
    const text = await runOk(['train', '--limit', '200', '--epochs', '1'], scratch.dir);
    expect(text).toMatch(/^model 784-512-256-10 \([\d,]+ parameters\), dropout 0\.2, crossEntropy/m);
    const textOff = await runOk(['train', '--limit', '200', '--epochs', '1', '--dropout', '0'], scratch.dir);
    expect(textOff).toMatch(/^model 784-512-256-10 \([\d,]+ parameters\), crossEntropy/m);
  });

  it('--help lists the presets with their flags', async () => {
    const out = await runOk(['train', '--preset', 'mnist-best', '--help'], scratch.dir);
    for (const [name, preset] of Object.entries(PRESETS)) {
      expect(out).toContain(name);
      expect(out).toContain(preset.flags.join(' '));
    }
  });

  it('an unknown preset, or --augment-shift on CSV data, is a one-line usage error', async () => {
    expectOneLineError(await runCli(['train', '--preset', 'best'], scratch.dir), /unknown preset 'best'/);
    const csv = scratch.write('tiny.csv', 'a,b,y\n1,2,0\n2,1,1\n3,3,0\n');
    expectOneLineError(
      await runCli(['train', '--csv', csv, '--label', 'y', '--augment-shift', '1'], scratch.dir),
      /--augment-shift applies to --dataset mnist or fashion-mnist only/,
    );
    expectOneLineError(
      await runCli(['train', '--limit', '50', '--dropout', '0.2,0.3,0.4'], scratch.dir),
      /--dropout lists 3 rates for 2 hidden layers/,
    );
  });
});
