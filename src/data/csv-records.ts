/**
 * Streaming CSV tokenizer (RFC 4180 plus common leniencies): text goes in chunk by chunk,
 * complete records come out with the line number they start on. Nothing is buffered beyond
 * the record being read, so a file of any size streams in constant memory per record.
 *
 *   - fields are separated by `delimiter` (default ','), records by \n, \r\n or a lone \r
 *   - a field starting with '"' is quoted: it may contain delimiters and line breaks,
 *     and '""' inside it stands for one '"'; text after its closing quote is an error
 *   - a '"' inside an unquoted field is kept literally
 *   - empty lines (including a trailing newline at the end of the file) produce no record
 *   - fields are returned exactly as written (no trimming; quotes removed)
 *
 * Chunk boundaries may fall anywhere, including inside a quoted field, between the '"' of
 * an escaped '""', or between the \r and \n of a CRLF; the records are the same for any
 * chunking of the same text.
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

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

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

function countLineFeeds(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

export class CsvTokenizer {
  private readonly onRecord: (fields: string[], line: number) => void;
  private readonly delimiter: number;
  private state: State = FIELD_START;
  private fields: string[] = [];
  private field = '';
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

  constructor(onRecord: (fields: string[], line: number) => void, options: CsvTokenizerOptions = {}) {
    this.onRecord = onRecord;
    const delimiter = options.delimiter ?? ',';
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new RangeError(`CSV delimiter must be one character other than '"', \\n and \\r, got ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Consumes the next piece of text; calls onRecord for every record it completes. */
  write(text: string): void {
    const length = text.length;
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
          let end = i;
          while (end < length) {
            const code = text.charCodeAt(end);
            if (code === this.delimiter || code === LINE_FEED || code === CARRIAGE_RETURN) break;
            end++;
          }
          this.field += text.slice(i, end);
          if (end === length) return; // the field continues in the next chunk
          this.endFieldAt(text.charCodeAt(end));
          i = end + 1;
          break;
        }
        case QUOTED: {
          const closing = text.indexOf('"', i);
          const end = closing === -1 ? length : closing;
          const piece = text.slice(i, end);
          this.field += piece;
          this.line += countLineFeeds(piece);
          if (closing === -1) return; // the quoted field continues in the next chunk
          this.state = QUOTE_IN_QUOTED;
          i = closing + 1;
          break;
        }
        case QUOTE_IN_QUOTED: {
          const code = text.charCodeAt(i);
          if (code === QUOTE) {
            this.field += '"';
            this.state = QUOTED;
          } else if (code === this.delimiter || code === LINE_FEED || code === CARRIAGE_RETURN) {
            this.endFieldAt(code);
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

  /** Signals the end of input: emits a last record without a line break, checks quotes. */
  end(): void {
    if (this.state === QUOTED) {
      throw new CsvError('unterminated quoted field (the file ends inside quotes)', this.quoteLine);
    }
    const atBlankStart = this.state === FIELD_START && this.fields.length === 0;
    if (!atBlankStart) this.endRecord();
    this.state = FIELD_START;
  }

  /** Ends the current field at a delimiter or line break character `code`. */
  private endFieldAt(code: number): void {
    if (code === this.delimiter) {
      this.fields.push(this.field);
      this.field = '';
      this.state = FIELD_START;
      return;
    }
    this.endRecord();
    this.line++;
    this.recordLine = this.line;
    this.skipLineFeed = code === CARRIAGE_RETURN;
  }

  private endRecord(): void {
    this.fields.push(this.field);
    const isBlankLine = this.fields.length === 1 && this.field === '' && !this.recordHasQuotes;
    const fields = this.fields;
    this.fields = [];
    this.field = '';
    this.state = FIELD_START;
    this.recordHasQuotes = false;
    if (!isBlankLine) this.onRecord(fields, this.recordLine);
  }
}

/**
 * Decodes a byte source as UTF-8 (a leading BOM is dropped; a character split across chunks
 * is reassembled) and feeds it to a CsvTokenizer. Resolves once the input is exhausted.
 */
export async function tokenizeCsv(
  source: ByteSource,
  onRecord: (fields: string[], line: number) => void,
  options: CsvTokenizerOptions = {},
): Promise<void> {
  const tokenizer = new CsvTokenizer(onRecord, options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of byteChunks(source)) {
    tokenizer.write(decoder.decode(chunk, { stream: true }));
  }
  tokenizer.write(decoder.decode());
  tokenizer.end();
}

/** The records of a CSV byte source, one at a time (header included, as the first record). */
export async function* readCsvRecords(
  source: ByteSource,
  options: CsvTokenizerOptions = {},
): AsyncGenerator<CsvRecord, void, undefined> {
  const pending: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((fields, line) => pending.push({ fields, line }), options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of byteChunks(source)) {
    tokenizer.write(decoder.decode(chunk, { stream: true }));
    yield* pending.splice(0);
  }
  tokenizer.write(decoder.decode());
  tokenizer.end();
  yield* pending.splice(0);
}
