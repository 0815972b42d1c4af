/**
 * 16-bit float formats -> numbers (both exact in f32), for the readers of weight files.
 *
 *   binary16 (IEEE 754 half): sign 1 | exponent 5 (bias 15) | fraction 10
 *   bfloat16:                 sign 1 | exponent 8 (bias 127) | fraction 7 = the upper half of an f32
 */

/** IEEE 754 binary16 bits -> value; subnormals, ±0, ±Infinity and NaN included. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits -> value: the bits are the upper 16 of an f32. */
export function bfloat16ToFloat(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}
