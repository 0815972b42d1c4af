import { describe, expect, it } from 'vitest';

import {
  CsvError,
  CsvTokenizer,
  readCsvDataset,
  readCsvRecords,
  tokenizeCsv,
  type CsvDatasetOptions,
  type CsvFieldSink,
} from '../../src/data/csv.js';

const encoder = new TextEncoder();

/** The bytes of `text` cut into chunks of `size` bytes (the last may be shorter). */
function chunked(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** The bytes of `text` as a web ReadableStream delivering `size`-byte chunks. */
function readableStream(text: string, size: number): ReadableStream<Uint8Array> {
  const chunks = chunked(text, size);
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function records(text: string, chunkSize = Infinity): Promise<string[][]> {
  const result: string[][] = [];
  const source = chunkSize === Infinity ? [encoder.encode(text)] : chunked(text, chunkSize);
  for await (const record of readCsvRecords(source)) result.push(record.fields);
  return result;
}

async function recordLines(text: string): Promise<number[]> {
  const lines: number[] = [];
  for await (const record of readCsvRecords([encoder.encode(text)])) lines.push(record.line);
  return lines;
}

/** Expects `promise` to reject with a CsvError at `line` whose message matches `pattern`. */
async function expectCsvError(promise: Promise<unknown>, line: number, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CsvError);
  expect((error as CsvError).line).toBe(line);
  expect((error as CsvError).message).toMatch(pattern);
  expect((error as CsvError).message).toContain(`line ${line}`);
}

describe('CSV tokenizer', () => {
  it('splits plain fields and records', async () => {
    expect(await records('a,b,c\n1,2,3\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
  });

  it('handles quoted fields with delimiters, doubled quotes and line breaks', async () => {
    const text = 'name,note\n"Smith, J.","said ""hi"""\n"multi\nline",""\n';
    expect(await records(text)).toEqual([
      ['name', 'note'],
      ['Smith, J.', 'said "hi"'],
      ['multi\nline', ''],
    ]);
  });

  it('keeps empty fields, including trailing ones', async () => {
    expect(await records('a,,c\n,,\n')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
  });

  it('treats \\r\\n, \\n and a lone \\r as record ends, keeping \\r\\n inside quotes', async () => {
    expect(await records('a,b\r\n1,2\r\n3,4\n5,6\r7,8')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
      ['7', '8'],
    ]);
    expect(await records('"x\r\ny",z\r\n')).toEqual([['x\r\ny', 'z']]);
  });

  it('skips blank lines, including a blank trailing line, but keeps a quoted empty field', async () => {
    expect(await records('a\n\n1\n\n')).toEqual([['a'], ['1']]);
    expect(await records('a\n""\n')).toEqual([['a'], ['']]);
    expect(await records('')).toEqual([]);
  });

  it('reports the line each record starts on, counting line breaks inside quotes', async () => {
    expect(await recordLines('h\n"a\nb"\n\nc\r\nd\n')).toEqual([1, 2, 5, 6]);
  });

  it('drops a UTF-8 byte order mark and decodes characters split across chunks', async () => {
    const text = '\uFEFFnom,été\n1,ñ€😀\n';
    expect(await records(text, 1)).toEqual([
      ['nom', 'été'],
      ['1', 'ñ€😀'],
    ]);
  });

  it('gives the same records for every chunking of the same text', async () => {
    const text = 'id,"quoted, name",v\r\n1,"a ""b"" c",2.5\r\n2,"line\r\nbreak",-3\r\n\r\n3,plain,4\n';
    const whole = await records(text);
    expect(whole).toHaveLength(4);
    for (const size of [1, 2, 3, 5, 7, 16]) {
      expect(await records(text, size)).toEqual(whole);
    }
  });

  it('rejects text after a closing quote and an unterminated quote', async () => {
    await expectCsvError(records('a,b\n"x"y,1\n'), 2, /unexpected "y" after the closing quote/);
    await expectCsvError(records('a,b\n1,"open\n\n'), 2, /unterminated quoted field/);
  });

  it('gives a field sink text ranges, and a callback string arrays, with the same content', async () => {
    const text = 'a,"b ""q""",c\nlong-unquoted,x,\n';
    const fromRanges: string[][] = [[]];
    const sink: CsvFieldSink = {
      field: (chunkText, start, end) => fromRanges[fromRanges.length - 1].push(chunkText.slice(start, end)),
      endRecord: () => fromRanges.push([]),
    };
    await tokenizeCsv(chunked(text, 4), sink);
    fromRanges.pop();
    const fromCallback: Array<[string[], number]> = [];
    await tokenizeCsv(chunked(text, 3), (fields, line) => fromCallback.push([fields, line]));
    expect(fromRanges).toEqual([
      ['a', 'b "q"', 'c'],
      ['long-unquoted', 'x', ''],
    ]);
    expect(fromCallback).toEqual([
      [fromRanges[0], 1],
      [fromRanges[1], 2],
    ]);
  });

  it('a tokenizer fed text directly gives the same records wherever the text is split', () => {
    const text = 'x,"y\r\n""z"""\r\n1,2';
    const collect = (pieces: string[]) => {
      const out: string[][] = [];
      const tokenizer = new CsvTokenizer((fields) => out.push(fields));
      for (const piece of pieces) tokenizer.write(piece);
      tokenizer.end();
      return out;
    };
    const whole = collect([text]);
    expect(whole).toEqual([
      ['x', 'y\r\n"z"'],
      ['1', '2'],
    ]);
    for (let cut = 0; cut <= text.length; cut++) expect(collect([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
  });

  it('supports another delimiter', async () => {
    const result: string[][] = [];
    for await (const record of readCsvRecords([encoder.encode('a;b\n"1;2";3\n')], { delimiter: ';' })) {
      result.push(record.fields);
    }
    expect(result).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ]);
  });
});

const irisLike = [
  'sepal_length,sepal_width,species',
  '5.1,3.5,setosa',
  '7.0,3.2,versicolor',
  '6.3,3.3,virginica',
  '4.9,3.0,setosa',
  '',
].join('\n');

describe('readCsvDataset: classification', () => {
  it('reads features into Float32 inputs and maps string labels in sorted order', async () => {
    const { dataset, featureNames, classNames } = await readCsvDataset([encoder.encode(irisLike)], {
      labelColumn: 'species',
      task: 'classification',
    });
    expect(featureNames).toEqual(['sepal_length', 'sepal_width']);
    expect(classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(dataset.count).toBe(4);
    expect(dataset.inputSize).toBe(2);
    expect(dataset.inputs).toBeInstanceOf(Float32Array);
    expect(dataset.inputs.length).toBe(8); // trimmed to exactly count * inputSize
    expect(Array.from(dataset.inputs)).toEqual([5.1, 3.5, 7.0, 3.2, 6.3, 3.3, 4.9, 3.0].map(Math.fround));
    expect(Array.from(dataset.labels!)).toEqual([0, 1, 2, 0]);
    expect(dataset.targets).toBeUndefined();
  });

  it('sorts string labels by code units, not by first appearance', async () => {
    const text = 'x,y\n1,zebra\n2,Apple\n3,apple\n4,zebra\n';
    const { dataset, classNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'y',
      task: 'classification',
    });
    expect(classNames).toEqual(['Apple', 'apple', 'zebra']);
    expect(Array.from(dataset.labels!)).toEqual([2, 0, 1, 2]);
  });

  it('uses given classes to fix the indices', async () => {
    const { dataset, classNames } = await readCsvDataset([encoder.encode(irisLike)], {
      labelColumn: 'species',
      task: 'classification',
      classes: ['virginica', 'setosa', 'versicolor'],
    });
    expect(classNames).toEqual(['virginica', 'setosa', 'versicolor']);
    expect(Array.from(dataset.labels!)).toEqual([1, 2, 0, 1]);
  });

  it('makes a class of each distinct integer label, none for values never seen', async () => {
    const text = 'a,label\n0.5,3\n1.5,0\n2.5,1\n3.5,65535\n';
    const { dataset, classNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'label',
      task: 'classification',
    });
    expect(Array.from(dataset.labels!)).toEqual([2, 0, 1, 3]);
    expect(classNames).toEqual(['0', '1', '3', '65535']);
  });

  it('ranks labels that are numbers but not class indices numerically', async () => {
    const text = 'a,label\n1,1\n2,-1\n3,10\n4,-1\n5,2\n';
    const { dataset, classNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'label',
      task: 'classification',
    });
    expect(classNames).toEqual(['-1', '1', '2', '10']);
    expect(Array.from(dataset.labels!)).toEqual([1, 0, 3, 0, 2]);
  });

  it('selects and orders featureColumns', async () => {
    const text = 'a,b,c,label\n1,2,3,x\n4,5,6,y\n';
    const { dataset, featureNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'label',
      task: 'classification',
      featureColumns: ['c', 'a'],
    });
    expect(featureNames).toEqual(['c', 'a']);
    expect(Array.from(dataset.inputs)).toEqual([3, 1, 6, 4]);
  });

  it('handles a label column in the middle, quoted numbers, spaces and CRLF', async () => {
    const text = 'f1, label ,f2\r\n" 1.5 ",b, -2e3 \r\n.25,a,"7"\r\n';
    const { dataset, featureNames, classNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'label',
      task: 'classification',
    });
    expect(featureNames).toEqual(['f1', 'f2']);
    expect(classNames).toEqual(['a', 'b']);
    expect(Array.from(dataset.inputs)).toEqual([1.5, -2000, 0.25, 7]);
    expect(Array.from(dataset.labels!)).toEqual([1, 0]);
  });

  it('gives the same dataset from 1-byte chunks, one chunk, and a ReadableStream', async () => {
    const rows = ['f0,f1,f2,cls'];
    for (let i = 0; i < 500; i++)
      rows.push(`${i * 0.5},${-i},"${(i % 7) / 3}",${['cat', 'dog', '"bird, small"'][i % 3]}`);
    const text = `${rows.join('\r\n')}\r\n`;
    const options: CsvDatasetOptions = { labelColumn: 'cls', task: 'classification' };
    const whole = await readCsvDataset([encoder.encode(text)], options);
    const byteByByte = await readCsvDataset(chunked(text, 1), options);
    const streamed = await readCsvDataset(readableStream(text, 4093), options);
    expect(whole.dataset.count).toBe(500);
    expect(whole.classNames).toEqual(['bird, small', 'cat', 'dog']);
    expect(whole.dataset.inputs[3 * 3 + 2]).toBe(Math.fround(3 / 3));
    for (const other of [byteByByte, streamed]) {
      expect(other.featureNames).toEqual(whole.featureNames);
      expect(other.classNames).toEqual(whole.classNames);
      expect(Array.from(other.dataset.inputs)).toEqual(Array.from(whole.dataset.inputs));
      expect(Array.from(other.dataset.labels!)).toEqual(Array.from(whole.dataset.labels!));
    }
  });

  it('grows past its initial capacity and trims the result', async () => {
    const rows = ['x,y,label'];
    for (let i = 0; i < 40_000; i++) rows.push(`${i},${i * 2},${i % 3}`);
    const { dataset } = await readCsvDataset(chunked(rows.join('\n'), 65_536), {
      labelColumn: 'label',
      task: 'classification',
    });
    expect(dataset.count).toBe(40_000);
    expect(dataset.inputs.length).toBe(80_000);
    expect(dataset.inputs[2 * 39_999 + 1]).toBe(79_998);
    expect(dataset.labels![39_999]).toBe(39_999 % 3);
    expect(dataset.labels).toBeInstanceOf(Uint8Array);
  });
});

describe('readCsvDataset: regression', () => {
  it('reads the label column as Float32 targets with targetSize 1', async () => {
    const text = 'rooms,age,price\n3,10,250000.5\n2,40,1.25e5\n';
    const { dataset, featureNames, classNames } = await readCsvDataset([encoder.encode(text)], {
      labelColumn: 'price',
      task: 'regression',
    });
    expect(featureNames).toEqual(['rooms', 'age']);
    expect(classNames).toBeUndefined();
    expect(dataset.labels).toBeUndefined();
    expect(dataset.targetSize).toBe(1);
    expect(dataset.targets).toBeInstanceOf(Float32Array);
    expect(Array.from(dataset.targets!)).toEqual([Math.fround(250000.5), 125000]);
  });
});

describe('readCsvDataset: errors name the line and the problem', () => {
  const classify = (text: string, extra: Partial<CsvDatasetOptions> = {}) =>
    readCsvDataset([encoder.encode(text)], { labelColumn: 'y', task: 'classification', ...extra });

  it('ragged row', async () => {
    await expectCsvError(classify('a,b,y\n1,2,x\n1,2\n'), 3, /expected 3 fields \(as in the header\), got 2/);
    await expectCsvError(classify('a,b,y\n1,2,x,9\n'), 2, /expected 3 fields .*got 4/);
  });

  it('non-numeric cell, naming the column and the text', async () => {
    await expectCsvError(classify('a,b,y\n1,2,x\n1,abc,x\n'), 3, /column 'b' is not a number: "abc"/);
    await expectCsvError(classify('a,b,y\n1,,x\n'), 2, /column 'b' is not a number: ""/);
    await expectCsvError(classify('a,b,y\n0x10,1,x\n'), 2, /column 'a' is not a number: "0x10"/);
    await expectCsvError(
      readCsvDataset([encoder.encode('a,t\n1,2\n2,NaN\n')], { labelColumn: 't', task: 'regression' }),
      3,
      /column 't' is not a number: "NaN"/,
    );
  });

  it('label column not found lists the available columns', async () => {
    await expectCsvError(
      classify('a,b,target\n1,2,3\n'),
      1,
      /label column 'y' not found.*available columns: a, b, target/,
    );
  });

  it('feature column not found', async () => {
    await expectCsvError(classify('a,b,y\n1,2,3\n', { featureColumns: ['a', 'z'] }), 1, /feature column 'z' not found/);
  });

  it('empty file and header only', async () => {
    await expectCsvError(classify(''), 1, /empty/);
    await expectCsvError(classify('\n\n'), 1, /empty/);
    await expectCsvError(classify('a,b,y\n'), 1, /header row but no data rows/);
    await expectCsvError(classify('\na,b,y\n\n'), 2, /header row but no data rows/);
  });

  it('label not among the given classes, and an empty label', async () => {
    await expectCsvError(
      classify('a,y\n1,cat\n2,cow\n', { classes: ['cat', 'dog'] }),
      3,
      /"cow" in column 'y' is not one of the given classes: cat, dog/,
    );
    await expectCsvError(classify('a,y\n1,cat\n2, \n'), 3, /empty label in column 'y'/);
  });

  it('only a label column', async () => {
    await expectCsvError(classify('y\n1\n'), 1, /no feature columns/);
  });

  it('invalid options are rejected before reading', async () => {
    const text = encoder.encode('a,y\n1,2\n');
    await expect(readCsvDataset([text], { labelColumn: '', task: 'classification' })).rejects.toThrow(/labelColumn/);
    await expect(readCsvDataset([text], { labelColumn: 'y', task: 'ranking' as 'regression' })).rejects.toThrow(
      /task must be/,
    );
    await expect(readCsvDataset([text], { labelColumn: 'y', task: 'regression', classes: ['a'] })).rejects.toThrow(
      /classes applies only/,
    );
    await expect(
      readCsvDataset([text], { labelColumn: 'y', task: 'classification', featureColumns: ['a', 'y'] }),
    ).rejects.toThrow(/cannot also be a feature column/);
    await expect(
      readCsvDataset([text], { labelColumn: 'y', task: 'classification', classes: ['a', 'a'] }),
    ).rejects.toThrow(/twice/);
  });

  it('stops reading a ReadableStream at the first error and cancels it', async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(encoder.encode(pulls === 1 ? 'a,y\n1,x\nbad,x\n' : '1,x\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expectCsvError(readCsvDataset(stream, { labelColumn: 'y', task: 'classification' }), 3, /not a number/);
    expect(cancelled).toBe(true);
  });

  it('rejects string chunks with a clear message', async () => {
    await expect(
      readCsvDataset(['a,y\n1,x\n'] as unknown as Uint8Array[], { labelColumn: 'y', task: 'classification' }),
    ).rejects.toThrow(/expected Uint8Array chunks, got a string/);
  });
});
