/**
 * Streaming CSV tokenizer (RFC 4180 plus common leniencies): text goes in chunk by chunk,
 * fields and record ends come out. Nothing is buffered beyond the field being read, so a
 * file of any size streams in constant memory.
 *
 *   - fields are separated by `delimiter` (default ','), records by \n, \r\n or a lone \r
 *   - a field starting with '"' is quoted: it may contain delimiters and line breaks,
 *     and '""' inside it stands for one '"'; text after its closing quote is an error
 *   - a '"' inside an unquoted field is kept literally
 *   - empty lines (including a trailing newline at the end of the file) produce no record
 *   - fields are given exactly as written (no trimming; quotes removed)
 *
 * Chunk boundaries may fall anywhere, including inside a quoted field, between the '"' of
 * an escaped '""', or between the \r and \n of a CRLF; the output is the same for any
 * chunking of the same text.
 *
 * Output goes to a CsvFieldSink as text ranges, so a consumer that parses numbers can read
 * them in place without one string per cell (readCsvDataset does); `readCsvRecords` gives
 * plain string arrays instead.
 */

import { byteChunks, type ByteSource } from './stream.js';

/** A CSV problem located at a 1-based line of the input. */
export class CsvError extends Error {
  /** 1-based line of the input where the problem is. */
  readonly line: number;

  constructor(message: string, line: number) {
    super(`CSV line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

/** Receives the tokenizer's output, in order. */
export interface CsvFieldSink {
  /** The next field of the current record: its text is text.slice(start, end). */
  field(text: string, start: number, end: number): void;
  /** The current record is complete; it started on 1-based line `line`. */
  endRecord(line: number): void;
}

/** Called with each complete record's fields and the 1-based line it starts on. */
export type CsvRecordCallback = (fields: string[], line: number) => void;

export interface CsvTokenizerOptions {
  /** One character that separates fields. Default ','. */
  delimiter?: string;
}

const QUOTE = 0x22; // "
const LINE_FEED = 0x0a; // \n
const CARRIAGE_RETURN = 0x0d; // \r

// Tokenizer states (plain numbers rather than an enum, so the file is erasable TypeScript).
/** At the first character of a field. */
const FIELD_START = 0;
/** Inside a field that did not start with a quote. */
const UNQUOTED = 1;
/** Inside a quoted field. */
const QUOTED = 2;
/** Just read a '"' inside a quoted field: either the closing quote or half of '""'. */
const QUOTE_IN_QUOTED = 3;
type State = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED;

function countLineFeeds(text: string, start: number, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', start); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

export class CsvTokenizer {
  private readonly sink: CsvFieldSink;
  private readonly delimiter: number;
  private state: State = FIELD_START;
  /** Text of the current field read so far when it is quoted or spans chunks; else ''. */
  private pending = '';
  /** Fields of the current record already given to the sink. */
  private fieldCount = 0;
  /** Line of the character being read. */
  private line = 1;
  /** Line on which the current record started. */
  private recordLine = 1;
  /** Line of the opening quote of the current quoted field (for unterminated-quote errors). */
  private quoteLine = 1;
  /** The current record contains a quoted field, so it is not blank even if empty. */
  private recordHasQuotes = false;
  /** The previous record ended with \r: a \n right after it belongs to the same line break. */
  private skipLineFeed = false;

  /** Output goes to `sink`, or, given a callback, to it as one string array per record. */
  constructor(sink: CsvFieldSink | CsvRecordCallback, options: CsvTokenizerOptions = {}) {
    this.sink = typeof sink === 'function' ? new CsvRecordCollector(sink) : sink;
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new RangeError(
        `CSV delimiter must be one character other than '"', \\n and \\r, got ${JSON.stringify(delimiter)}`,
      );
    }
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Consumes the next piece of text, giving the sink every field and record it completes. */
  write(text: string): void {
    const length = text.length;
    const delimiter = this.delimiter;
    let i = 0;
    while (i < length) {
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (text.charCodeAt(i) === LINE_FEED) {
          i++;
          continue;
        }
      }
      switch (this.state) {
        case FIELD_START: {
          if (text.charCodeAt(i) === QUOTE) {
            this.state = QUOTED;
            this.quoteLine = this.line;
            this.recordHasQuotes = true;
            i++;
          } else {
            this.state = UNQUOTED;
          }
          break;
        }
        case UNQUOTED: {
          // The hot loop: runs through consecutive unquoted fields of a line.
          let start = i;
          for (;;) {
            let end = start;
            let code = 0;
            while (end < length) {
              code = text.charCodeAt(end);
              if (code === delimiter || code === LINE_FEED || code === CARRIAGE_RETURN) break;
              end++;
            }
            if (end === length) {
              this.pending += text.slice(start, end); // the field continues in the next chunk
              return;
            }
            if (code !== delimiter) {
              this.endLine(text, start, end, code);
              i = end + 1;
              break;
            }
            this.emitField(text, start, end);
            start = end + 1;
            if (start === length || text.charCodeAt(start) === QUOTE) {
              this.state = FIELD_START;
              i = start;
              break;
            }
          }
          break;
        }
        case QUOTED: {
          const closing = text.indexOf('"', i);
          const end = closing === -1 ? length : closing;
          this.pending += text.slice(i, end);
          this.line += countLineFeeds(text, i, end);
          if (closing === -1) return; // the quoted field continues in the next chunk
          this.state = QUOTE_IN_QUOTED;
          i = closing + 1;
          break;
        }
        case QUOTE_IN_QUOTED: {
          const code = text.charCodeAt(i);
          if (code === QUOTE) {
            this.pending += '"';
            this.state = QUOTED;
          } else if (code === delimiter) {
            this.emitField(text, i, i);
            this.state = FIELD_START;
          } else if (code === LINE_FEED || code === CARRIAGE_RETURN) {
            this.endLine(text, i, i, code);
          } else {
            throw new CsvError(
              `unexpected ${JSON.stringify(text[i])} after the closing quote of a field ` +
                '(a quote inside a quoted field is written as "")',
              this.line,
            );
          }
          i++;
          break;
        }
      }
    }
  }

  /** Signals the end of input: completes a last record without a line break, checks quotes. */
  end(): void {
    if (this.state === QUOTED) {
      throw new CsvError('unterminated quoted field (the file ends inside quotes)', this.quoteLine);
    }
    if (!this.isBlankLine(0, 0)) {
      this.emitField('', 0, 0);
      this.sink.endRecord(this.recordLine);
    }
    this.state = FIELD_START;
    this.fieldCount = 0;
    this.recordHasQuotes = false;
  }

  /** The line so far is empty: no field given yet, nothing pending, no quotes. */
  private isBlankLine(lastFieldStart: number, lastFieldEnd: number): boolean {
    return this.fieldCount === 0 && lastFieldStart === lastFieldEnd && this.pending === '' && !this.recordHasQuotes;
  }

  /** Gives the sink the field made of `pending` followed by text[start, end). */
  private emitField(text: string, start: number, end: number): void {
    if (this.pending === '') {
      this.sink.field(text, start, end);
    } else {
      const value = this.pending + text.slice(start, end);
      this.pending = '';
      this.sink.field(value, 0, value.length);
    }
    this.fieldCount++;
  }

  /** Handles the line break `code` at text[end] that closes the field text[start, end). */
  private endLine(text: string, start: number, end: number, code: number): void {
    if (!this.isBlankLine(start, end)) {
      this.emitField(text, start, end);
      this.sink.endRecord(this.recordLine);
    }
    this.state = FIELD_START;
    this.fieldCount = 0;
    this.recordHasQuotes = false;
    this.line++;
    this.recordLine = this.line;
    this.skipLineFeed = code === CARRIAGE_RETURN;
  }
}

/**
 * Decodes a byte source as UTF-8 (a leading BOM is dropped; a character split across chunks
 * is reassembled) and tokenizes it into `sink` (or a per-record callback). Resolves once
 * the input is exhausted.
 */
export async function tokenizeCsv(
  source: ByteSource,
  sink: CsvFieldSink | CsvRecordCallback,
  options: CsvTokenizerOptions = {},
): Promise<void> {
  const tokenizer = new CsvTokenizer(sink, options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of byteChunks(source)) {
    tokenizer.write(decoder.decode(chunk, { stream: true }));
  }
  tokenizer.write(decoder.decode());
  tokenizer.end();
}

// --- records as string arrays ------------------------------------------------------------

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

/** A sink that assembles each record's fields into a string array for a callback. */
export class CsvRecordCollector implements CsvFieldSink {
  private fields: string[] = [];
  private readonly onRecord: CsvRecordCallback;

  constructor(onRecord: CsvRecordCallback) {
    this.onRecord = onRecord;
  }

  field(text: string, start: number, end: number): void {
    this.fields.push(text.slice(start, end));
  }

  endRecord(line: number): void {
    const fields = this.fields;
    this.fields = [];
    this.onRecord(fields, line);
  }
}

/** The records of a CSV byte source, one at a time (a header, if any, is the first record). */
export async function* readCsvRecords(
  source: ByteSource,
  options: CsvTokenizerOptions = {},
): AsyncGenerator<CsvRecord, void, undefined> {
  const ready: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((fields, line) => ready.push({ fields, line }), options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of byteChunks(source)) {
    tokenizer.write(decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  tokenizer.write(decoder.decode());
  tokenizer.end();
  yield* ready.splice(0);
}
