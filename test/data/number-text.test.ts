import { describe, expect, it } from 'vitest';

import { parseDecimal, parseDecimalRange } from '../../src/data/number-text.js';
import { Xoshiro128StarStar } from '../../src/data/random.js';

describe('parseDecimal', () => {
  it('accepts the decimal forms and agrees with Number()', () => {
    for (const text of [
      '0',
      '-0',
      '+7',
      '42',
      '3.25',
      '-0.5',
      '.5',
      '5.',
      '1e3',
      '1E-3',
      '-2.5e+10',
      '007',
      '0.1',
      '0.3',
      ' 12 ',
      '\t-1.5\t',
    ]) {
      expect(Object.is(parseDecimal(text), Number(text.trim())), text).toBe(true);
    }
  });

  it('rejects what Number() would wrongly accept or what is not a decimal', () => {
    for (const text of [
      '',
      ' ',
      '0x1f',
      '0b11',
      'Infinity',
      '-Infinity',
      'NaN',
      '1e',
      '1e+',
      'e5',
      '.',
      '-',
      '+.',
      '1.2.3',
      '1,5',
      '12abc',
      '--1',
      '1 2',
      '1e400',
      '-1e309',
    ]) {
      expect(parseDecimal(text), JSON.stringify(text)).toBeNaN();
    }
  });

  it('is correctly rounded, bit for bit equal to Number(), on 20000 random decimal strings', () => {
    const random = Xoshiro128StarStar.fromSeed(2024);
    const digits = (count: number) => Array.from({ length: count }, () => random.nextInt(10)).join('');
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const sign = ['', '-', '+'][random.nextInt(3)];
      const whole = digits(random.nextInt(12));
      const fraction = random.nextInt(2) ? `.${digits(1 + random.nextInt(20))}` : '';
      const exponent = random.nextInt(3) === 0 ? `e${random.nextInt(2) ? '-' : ''}${random.nextInt(40)}` : '';
      const text = sign + (whole === '' && fraction === '' ? '0' : whole) + fraction + exponent;
      if (!Object.is(parseDecimal(text), Number(text))) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });

  it('parseDecimalRange reads only the given range', () => {
    const line = 'id,12.5,-3,x';
    expect(parseDecimalRange(line, 3, 7)).toBe(12.5);
    expect(parseDecimalRange(line, 8, 10)).toBe(-3);
    expect(parseDecimalRange(line, 0, 2)).toBeNaN();
    expect(parseDecimalRange(line, 3, 3)).toBeNaN();
  });
});
