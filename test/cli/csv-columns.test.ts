/**
 * CSV headers through the CLI: a header naming a column twice is rejected at train time with
 * the column named (a model trained on it could never find its inputs by name again), and a
 * wide file (20,000 feature columns) trains, predicts and evaluates with its columns found by
 * name whatever their order in the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, parseCsv, runCli, runOk, scratchDir } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());

const WIDTH = 20_000;
const ROWS = 8;

/**
 * `ROWS` rows of `WIDTH` features f0.. and a label y: class 'hi' when f0 > 0, else 'lo';
 * every other feature is a constant (j mod 7) - 3, standardised to 0. `order` gives the feature columns' order in the file.
 */
function wideCsv(order: number[]): string {
  const header = [...order.map((j) => `f${j}`), 'y'];
  const lines = [header.join(',')];
  for (let r = 0; r < ROWS; r++) {
    const value = (j: number) => (j === 0 ? (r % 2 ? 3 : -3) : (j % 7) - 3);
    lines.push([...order.map((j) => String(value(j))), r % 2 ? 'hi' : 'lo'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  const inOrder = Array.from({ length: WIDTH }, (_, j) => j);
  scratch.write('wide.csv', wideCsv(inOrder));
  scratch.write('wide-reversed.csv', wideCsv([...inOrder].reverse()));
  scratch.write('twice.csv', 'a,b,x,c,d,e,x,y\n1,2,3,4,5,6,7,p\n2,3,4,5,6,7,8,q\n');
});

describe('CSV header in the CLI', () => {
  it('train rejects a header that names a column twice, naming it and both columns', async () => {
    const result = await runCli(
      ['train', '--csv', 'twice.csv', '--label', 'y', '--epochs', '1', '--save', 'm.sdnt'],
      cwd,
    );
    expectOneLineError(
      result,
      /^simdnet: twice\.csv: CSV line 1: the header names column "x" twice \(columns 3 and 7\)$/,
    );
  });

  it('predict and evaluate reject it too', async () => {
    scratch.write('ok.csv', 'a,b,x,c,d,e,y\n1,2,3,4,5,6,p\n2,3,4,5,6,7,q\n');
    await runOk(
      ['train', '--csv', 'ok.csv', '--label', 'y', '--epochs', '1', '--layers', '2', '--save', 'ok.sdnt', '--quiet'],
      cwd,
    );
    for (const command of ['predict', 'evaluate'])
      expectOneLineError(
        await runCli([command, 'ok.sdnt', '--csv', 'twice.csv'], cwd),
        /twice\.csv: CSV line 1: the header names column "x" twice \(columns 3 and 7\)/,
      );
  });

  it('20,000 columns: trains, and predicts and evaluates by name in any column order', async () => {
    await runOk(
      [
        'train',
        '--csv',
        'wide.csv',
        '--label',
        'y',
        '--layers',
        '4',
        '--epochs',
        '200',
        '--batch-size',
        '8',
        '--lr',
        '0.01',
        '--threads',
        '1',
        '--save',
        'wide.sdnt',
        '--quiet',
      ],
      cwd,
    );
    const predicted = parseCsv(await runOk(['predict', 'wide.sdnt', '--csv', 'wide.csv'], cwd));
    const expected = Array.from({ length: ROWS }, (_, r) => (r % 2 ? 'hi' : 'lo'));
    expect(predicted.rows.map((row) => row[0])).toEqual(expected);
    // The same data with its columns reversed: the same predictions, to the printed digit.
    expect(await runOk(['predict', 'wide.sdnt', '--csv', 'wide-reversed.csv'], cwd)).toBe(
      await runOk(['predict', 'wide.sdnt', '--csv', 'wide.csv'], cwd),
    );
    const evaluated = JSON.parse(await runOk(['evaluate', 'wide.sdnt', '--csv', 'wide-reversed.csv', '--json'], cwd));
    expect(evaluated).toMatchObject({ samples: ROWS, accuracy: 1 });
  });
});
