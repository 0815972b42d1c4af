/**
 * Strict decimal number parsing for text cells (CSV). Unlike `Number(text)`, an empty or
 * blank cell is not 0, and hex ('0x1f'), 'Infinity' and 'NaN' are not numbers.
 *
 * Accepted (after trimming spaces and tabs): an optional sign, digits with an optional
 * decimal point (or a point followed by digits), and an optional exponent:
 * '3', '-0.5', '.5', '5.', '1e-3', '+2.5E+10'. A number too large for a double ('1e400')
 * is rejected too, rather than becoming Infinity.
 *
 * The result always equals Number(trimmed text), i.e. the correctly rounded double. Common
 * cells (at most 15 significant digits, decimal exponent within ±22) are computed from the
 * characters without creating a string: the digits form an exact integer, scaled by one
 * exactly representable power of ten, and one IEEE multiply or divide rounds correctly
 * (Clinger's fast path). Everything else is validated here and converted by Number().
 */

/** 10^0 .. 10^22: every one exactly representable as a double. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Significant digits that always fit exactly in a double's 53-bit mantissa. */
const MAX_FAST_DIGITS = 15;

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const SPACE = 0x20;
const TAB = 0x09;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/**
 * The number written in text[start, end), or NaN when that text (trimmed of spaces and
 * tabs) is not a decimal number or overflows a double.
 */
export function parseDecimalRange(text: string, start: number, end: number): number {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;

  let at = start;
  let negative = false;
  let code = text.charCodeAt(at);
  if (code === PLUS || code === MINUS) {
    negative = code === MINUS;
    at++;
  }

  let mantissa = 0;
  let significantDigits = 0; // digits after any leading zeros
  let digitCount = 0;
  let fractionDigits = 0;
  for (; at < end && isDigit((code = text.charCodeAt(at))); at++, digitCount++) {
    if (mantissa !== 0 || code !== DIGIT_0) significantDigits++;
    mantissa = mantissa * 10 + (code - DIGIT_0);
  }
  if (at < end && text.charCodeAt(at) === POINT) {
    at++;
    for (; at < end && isDigit((code = text.charCodeAt(at))); at++, digitCount++, fractionDigits++) {
      if (mantissa !== 0 || code !== DIGIT_0) significantDigits++;
      mantissa = mantissa * 10 + (code - DIGIT_0);
    }
  }
  if (digitCount === 0) return Number.NaN;

  let exponent = 0;
  if (at < end && (text.charCodeAt(at) | 0x20) === 0x65 /* e or E */) {
    at++;
    let exponentNegative = false;
    code = text.charCodeAt(at);
    if (code === PLUS || code === MINUS) {
      exponentNegative = code === MINUS;
      at++;
    }
    const exponentStart = at;
    for (; at < end && isDigit((code = text.charCodeAt(at))); at++) {
      if (exponent < 100_000) exponent = exponent * 10 + (code - DIGIT_0);
    }
    if (at === exponentStart) return Number.NaN;
    if (exponentNegative) exponent = -exponent;
  }
  if (at !== end) return Number.NaN;

  const scale = exponent - fractionDigits;
  if (significantDigits <= MAX_FAST_DIGITS && Math.abs(scale) < EXACT_POWERS_OF_TEN.length) {
    const magnitude = scale >= 0 ? mantissa * EXACT_POWERS_OF_TEN[scale] : mantissa / EXACT_POWERS_OF_TEN[-scale];
    return negative ? -magnitude : magnitude;
  }
  const value = Number(text.slice(start, end));
  return Number.isFinite(value) ? value : Number.NaN;
}

/** The number written in `text`, or NaN when the text is not a decimal number. */
export function parseDecimal(text: string): number {
  return parseDecimalRange(text, 0, text.length);
}
