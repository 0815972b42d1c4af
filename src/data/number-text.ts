/**
 * Strict decimal number parsing for text cells (CSV). Unlike `Number(text)`, an empty or
 * blank cell is not 0, and hex ('0x1f'), 'Infinity' and 'NaN' are not numbers.
 *
 * Accepted (after trimming spaces and tabs): an optional sign, digits with an optional
 * decimal point (or a point followed by digits), and an optional exponent:
 * '3', '-0.5', '.5', '5.', '1e-3', '+2.5E+10'.
 */

const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number written in `text`, or NaN when the text is not a decimal number. */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL_NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
}
