/**
 * Bad input to the CLI: every case must end with a non-zero exit, nothing on
 * stdout and one line on stderr that says what is wrong, never a stack trace.
 * And --help works for every command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, irisLike, runCli, runOk, scratchDir, toCsv } from './helpers.js';

const scratch = scratchDir();
const cwd = scratch.dir;
afterAll(() => scratch.remove());
const fail = async (args: string[], pattern: RegExp) => expectOneLineError(await runCli(args, cwd), pattern);

beforeAll(async () => {
  scratch.write('iris.csv', toCsv(irisLike(60, 1)));
  scratch.write('ragged.csv', 'a,b,label\n1,2,x\n3,4\n');
  scratch.write('text-cell.csv', 'a,b,label\n1,2,x\n3,four,y\n');
  scratch.write('header-only.csv', 'a,b,label\n');
  scratch.write('empty.csv', '');
  scratch.write('one-class.csv', 'a,b,label\n1,2,x\n3,4,x\n');
  scratch.write('other-species.csv', toCsv(irisLike(6, 2)).replace('setosa', 'daisy'));
  scratch.write('not-idx.gz', 'hello');
  await runOk(
    [
      'train',
      '--csv',
      'iris.csv',
      '--label',
      'species',
      '--layers',
      '4',
      '--epochs',
      '2',
      '--save',
      'iris.model',
      '--quiet',
    ],
    cwd,
  );
  const model = readFileSync(join(cwd, 'iris.model'));
  scratch.write('truncated.model', model.subarray(0, model.length - 100));
  const flipped = Uint8Array.from(model);
  flipped[flipped.length - 50] ^= 0xff;
  scratch.write('flipped.model', flipped);
  scratch.write('text.model', 'this is not a model\n');
});

describe.concurrent('--help', () => {
  for (const command of ['train', 'evaluate', 'predict', 'info', 'export', 'import']) {
    it(`${command} --help prints its usage and exits 0`, async () => {
      const result = await runCli([command, '--help'], cwd);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: simdnet ${command}`));
      expect(result.stdout.split('\n').length).toBeGreaterThan(2);
    });
  }
  it('simdnet --help lists the commands', async () => {
    expect(await runOk(['--help'], cwd)).toMatch(/train.*\n.*evaluate.*\n.*predict.*\n.*info.*\n.*export.*\n.*import/);
  });
});

describe.concurrent('bad command lines (exit 2)', () => {
  it('an unknown command', async () => fail(['fly'], /unknown command 'fly'/));
  it('an unknown flag', async () => fail(['train', '--bogus'], /Unknown option '--bogus'.*simdnet train --help/));
  it('a flag without its value', async () => fail(['train', '--epochs'], /--epochs/));
  it('a non-numeric flag value', async () =>
    fail(['train', '--epochs', 'ten'], /--epochs must be an integer ≥ 1, got 'ten'/));
  it('an out-of-range number', async () => fail(['train', '--lr=-1'], /--lr must be a number > 0, got '-1'/));
  it('a negative number without =', async () =>
    fail(['train', '--lr', '-1'], /Option '--lr' argument is ambiguous.*'--lr=-XYZ'/));
  it('a bad choice', async () =>
    fail(['train', '--optimizer', 'lion'], /--optimizer must be one of sgd, adam, adamw, rmsprop, adagrad/));
  it('a bad layer list', async () =>
    fail(['train', '--layers', '64,,0'], /--layers must be a comma-separated list of positive integers/));
  it('activations that do not match the layers', async () =>
    fail(['train', '--layers', '8,8', '--activation', 'relu,tanh,relu'], /3 activations for 2 hidden layers/));
  it('a validation split outside [0, 1)', async () =>
    fail(
      ['train', '--csv', 'iris.csv', '--label', 'species', '--validation-split', '1.5'],
      /--validation-split must be a number in \[0, 1\]/,
    ));
  it('--csv without --label', async () => fail(['train', '--csv', 'iris.csv'], /--csv needs --label COLUMN/));
  it('a flag of the wrong optimizer', async () =>
    fail(['train', '--momentum', '0.9'], /--momentum applies to --optimizer sgd only/));
  it('binary cross-entropy with three classes', async () =>
    fail(
      ['train', '--csv', 'iris.csv', '--label', 'species', '--loss', 'binaryCrossEntropy'],
      /needs exactly 2 classes, the data has 3/,
    ));
  it('a missing CSV file', async () =>
    fail(['train', '--csv', 'nope.csv', '--label', 'y'], /CSV file nope\.csv: no such file/));
  it('a missing model file', async () => fail(['info', 'nope.model'], /model file nope\.model: no such file/));
  it('no MODEL argument', async () => fail(['evaluate', '--csv', 'iris.csv'], /evaluate needs MODEL/));
  it('evaluate without data', async () => fail(['evaluate', 'iris.model'], /evaluate needs data/));
  it('export without --format', async () =>
    fail(['export', 'iris.model', '--out', 'x.onnx'], /export needs --format onnx\|safetensors\|tfjs/));
  it('a missing IDX file', async () =>
    fail(['predict', 'iris.model', '--images', 'nope.idx'], /IDX file nope\.idx: no such file/));
});

describe.concurrent('bad data and model files (exit 1)', () => {
  const train = (file: string, label = 'label') => ['train', '--csv', file, '--label', label, '--epochs', '1'];
  it('a CSV with a ragged row', async () =>
    fail(train('ragged.csv'), /ragged\.csv: CSV line 3: expected 3 fields \(as in the header\), got 2/));
  it('a CSV with a non-numeric cell', async () =>
    fail(train('text-cell.csv'), /text-cell\.csv: CSV line 3: column 'b' is not a number: "four"/));
  it('a label column that does not exist', async () =>
    fail(
      train('iris.csv', 'kind'),
      /label column 'kind' not found in the header; available columns: sepal_length, sepal_width, petal_length, petal_width, species/,
    ));
  it('a CSV with a header but no rows', async () => fail(train('header-only.csv'), /header row but no data rows/));
  it('an empty CSV', async () => fail(train('empty.csv'), /empty/));
  it('a label column with a single class', async () => fail(train('one-class.csv'), /only one class/));
  it('a truncated model file', async () =>
    fail(['info', 'truncated.model'], /truncated\.model: not a valid simdnet model file/));
  it('a model file with a flipped byte', async () =>
    fail(
      ['evaluate', 'flipped.model', '--csv', 'iris.csv'],
      /flipped\.model: not a valid simdnet model file: checksum mismatch/,
    ));
  it('a text file as a model', async () =>
    fail(['predict', 'text.model', '--csv', 'iris.csv'], /text\.model: not a valid simdnet model file/));
  it('a class the model does not know', async () =>
    fail(
      ['evaluate', 'iris.model', '--csv', 'other-species.csv'],
      /other-species\.csv: CSV line \d+: label "daisy" in column 'species' is not one of the given classes/,
    ));
  it("a CSV without the model's feature columns", async () =>
    fail(
      ['predict', 'iris.model', '--csv', 'ragged.csv'],
      /ragged\.csv: CSV line 1: feature column 'sepal_length' .* not found in the header/,
    ));
  it('data of the wrong width', async () =>
    fail(
      ['evaluate', 'iris.model', '--dataset', 'mnist', '--limit', '10'],
      /the model takes 4 features per sample, the data has 784/,
    ));
  it('--init with data of another width', async () =>
    fail(
      ['train', '--init', 'iris.model', '--dataset', 'mnist', '--limit', '10'],
      /iris\.model takes 4 features per sample, the data has 784/,
    ));
  it('--init with an architecture flag', async () =>
    fail(['train', '--init', 'iris.model', '--layers', '8'], /--layers does not apply with --init/));
  it('a model.json that is not JSON', async () =>
    fail(['import', 'iris.csv', '--out', 'x.model'], /iris\.csv: not valid JSON/));
  it('a file that is not IDX', async () => fail(['predict', 'iris.model', '--images', 'not-idx.gz'], /not-idx\.gz: /));
});
