/**
 * readCsvDataset's header: one name per column (a name given twice is an error naming it and
 * both columns), and wide files read by name in any order, each column where its name says.
 */
import { describe, expect, it } from 'vitest';

import { CsvError, headerColumnIndex, readCsvDataset } from '../../src/data/csv.js';

const encoder = new TextEncoder();

/** A CSV of `rows` rows: columns f0..f{width-1} where cell (r, j) = r * width + j, then label y. */
function wideCsv(width: number, rows: number): Uint8Array {
  const lines = [[...Array.from({ length: width }, (_, j) => `f${j}`), 'y'].join(',')];
  for (let r = 0; r < rows; r++) {
    lines.push([...Array.from({ length: width }, (_, j) => String(r * width + j)), r % 2 ? 'b' : 'a'].join(','));
  }
  return encoder.encode(`${lines.join('\n')}\n`);
}

async function rejection(promise: Promise<unknown>): Promise<CsvError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CsvError);
  return error as CsvError;
}

describe('CSV header', () => {
  it('rejects a column name given twice, naming it and both columns', async () => {
    const text = encoder.encode('a,b,x,c,d,e,x,y\n1,2,3,4,5,6,7,p\n');
    const error = await rejection(readCsvDataset([text], { labelColumn: 'y', task: 'classification' }));
    expect(error.line).toBe(1);
    expect(error.message).toBe('CSV line 1: the header names column "x" twice (columns 3 and 7)');
  });

  it('compares names after trimming, and also when the twice-named column is not read', async () => {
    const text = encoder.encode('\n\nid, x ,y,x\n1,2,p,3\n');
    const error = await rejection(
      readCsvDataset([text], { labelColumn: 'y', task: 'classification', featureColumns: ['id'] }),
    );
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/names column "x" twice \(columns 2 and 4\)/);
  });

  it('rejects a label column named twice', async () => {
    const text = encoder.encode('y,a,y\np,1,q\n');
    const error = await rejection(readCsvDataset([text], { labelColumn: 'y', task: 'classification' }));
    expect(error.message).toMatch(/names column "y" twice \(columns 1 and 3\)/);
  });

  it('headerColumnIndex maps each name to its column', () => {
    expect([...headerColumnIndex(['a', 'b', ''], 1)]).toEqual([
      ['a', 0],
      ['b', 1],
      ['', 2],
    ]);
    expect(() => headerColumnIndex(['', 'a', ''], 4)).toThrow('CSV line 4: the header names column "" twice');
  });

  it('a missing column on a wide header lists the first 20 names and how many more', async () => {
    const error = await rejection(
      readCsvDataset([wideCsv(50, 1)], { labelColumn: 'y', task: 'classification', featureColumns: ['nope'] }),
    );
    expect(error.message).toMatch(
      /feature column 'nope' not found in the header; available columns: f0, f1, .*f19, \.\.\. \(31 more\)$/,
    );
  });

  it('reads 20,000 columns by name, in the order asked for', async () => {
    const width = 20_000;
    const rows = 3;
    const featureColumns = Array.from({ length: width }, (_, j) => `f${width - 1 - j}`); // reversed
    const { dataset, featureNames } = await readCsvDataset([wideCsv(width, rows)], {
      labelColumn: 'y',
      task: 'classification',
      featureColumns,
    });
    expect(featureNames).toEqual(featureColumns);
    expect(dataset.count).toBe(rows);
    expect(dataset.inputSize).toBe(width);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < width; j++) {
        const column = width - 1 - j;
        if (dataset.inputs[r * width + j] !== r * width + column)
          throw new Error(`row ${r} input ${j}: ${dataset.inputs[r * width + j]}, expected ${r * width + column}`);
      }
    }
    expect(Array.from(dataset.labels!)).toEqual([0, 1, 0]);
  });
});
