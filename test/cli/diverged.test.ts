/**
 * Non-finite weights at the CLI: a model file holding NaN is refused by every command
 * that reads it (one-line error, exit 1), and a run that diverges says so and which
 * state the model went back to.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { crc32 } from '../../src/io/format.js';
import { createModel } from '../../src/index.js';
import { expectOneLineError, irisLike, runCli, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

describe('non-finite weights at the CLI', () => {
  it('a model file with NaN weights is refused by info, predict and evaluate', async () => {
    const model = await createModel({ inputSize: 4, layers: [{ units: 3, activation: 'softmax' }] });
    const bytes = model.save({ optimizerState: false });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dataStart = Math.ceil((12 + view.getUint32(8, true)) / 4) * 4;
    view.setFloat32(dataStart + 8, Number.NaN, true);
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    scratch.write('nan.sdnt', bytes);
    scratch.write('iris.csv', toCsv(irisLike(30, 1)));
    for (const args of [
      ['info', 'nan.sdnt'],
      ['predict', 'nan.sdnt', '--csv', 'iris.csv', '--label', 'species'],
      ['evaluate', 'nan.sdnt', '--csv', 'iris.csv', '--label', 'species'],
    ]) {
      expectOneLineError(await runCli(args, cwd), /nan\.sdnt.*the parameters hold NaN at index 2/);
    }
  });

  it('training that diverges fails and names the state it went back to', async () => {
    scratch.write('train.csv', toCsv(irisLike(120, 2)));
    const result = await runCli(
      [
        'train',
        '--csv',
        'train.csv',
        '--label',
        'species',
        '--optimizer',
        'sgd',
        '--lr',
        '1e30',
        '--epochs',
        '3',
        '--no-standardize',
        '--quiet',
      ],
      cwd,
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/training diverged: .*went back to its state after epoch \d/);
  });
});
