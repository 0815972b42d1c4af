/**
 * The drawing pad's MNIST-style preparation (demo/preprocess.ts): the longer side of the
 * ink fits 20 pixels, the centre of mass lands where MNIST's do (pixel index 14, 14),
 * strokes saturate at 255, and a real MNIST digit drawn 10x larger comes back as itself.
 */
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/node.js';
import { MNIST_BOX, MNIST_SIDE, toMnistPixels, type InkImage } from '../../demo/preprocess.js';

const PAD = 280;

/** Centre of mass in pixel indices (pixel i's centre is i). */
function centreOfMass(pixels: ArrayLike<number>, side: number): { x: number; y: number } {
  let mass = 0,
    x = 0,
    y = 0;
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      const v = pixels[r * side + c];
      mass += v;
      x += v * c;
      y += v * r;
    }
  return { x: x / mass, y: y / mass };
}

/** Rows and columns holding ink above `threshold`. */
function extent(pixels: ArrayLike<number>, side: number, threshold: number): { width: number; height: number } {
  let left = side,
    right = -1,
    top = side,
    bottom = -1;
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      if (pixels[r * side + c] <= threshold) continue;
      left = Math.min(left, c);
      right = Math.max(right, c);
      top = Math.min(top, r);
      bottom = Math.max(bottom, r);
    }
  return { width: right - left + 1, height: bottom - top + 1 };
}

/** A 280 x 280 pad with a filled rectangle of ink. */
function rectangle(left: number, top: number, width: number, height: number): InkImage {
  const ink = new Uint8Array(PAD * PAD);
  for (let y = top; y < top + height; y++) ink.fill(255, y * PAD + left, y * PAD + left + width);
  return { width: PAD, height: PAD, ink };
}

/** An MNIST digit drawn 10x larger on the pad (each pixel a 10 x 10 square). */
function enlarged(digit: Uint8Array): InkImage {
  const ink = new Uint8Array(PAD * PAD);
  for (let y = 0; y < PAD; y++)
    for (let x = 0; x < PAD; x++) ink[y * PAD + x] = digit[Math.floor(y / 10) * MNIST_SIDE + Math.floor(x / 10)];
  return { width: PAD, height: PAD, ink };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0,
    mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('demo: a drawing to MNIST pixels', () => {
  it('returns undefined for an empty pad', () => {
    expect(toMnistPixels({ width: PAD, height: PAD, ink: new Uint8Array(PAD * PAD) })).toBeUndefined();
  });

  it('scales the longer side to 20 pixels, keeps the aspect ratio, centres the mass at index 14', () => {
    // A tall bar (a '1') off to the top left, and a wide one (a '-') at the bottom right.
    for (const [bar, expected] of [
      [rectangle(30, 10, 30, 150), { width: 4, height: MNIST_BOX }],
      [rectangle(100, 200, 200 - 20, 45), { width: MNIST_BOX, height: 5 }],
    ] as const) {
      const pixels = toMnistPixels(bar)!;
      expect(pixels).toHaveLength(MNIST_SIDE * MNIST_SIDE);
      expect(Math.max(...pixels)).toBe(255);
      // The ink covers width x height pixels' worth; the box starts at a fractional position,
      // so partly covered edge pixels may add one row or column to the extent.
      const inkArea = pixels.reduce((sum, v) => sum + v, 0) / 255;
      expect(inkArea).toBeCloseTo(expected.width * expected.height, 0);
      const { width, height } = extent(pixels, MNIST_SIDE, 0);
      expect(width - expected.width).oneOf([0, 1]);
      expect(height - expected.height).oneOf([0, 1]);
      const centre = centreOfMass(pixels, MNIST_SIDE);
      expect(centre.x).toBeCloseTo(14, 1);
      expect(centre.y).toBeCloseTo(14, 1);
    }
  });

  it('gives back real MNIST test digits drawn 10x larger', async () => {
    const { test } = await loadMnist();
    const inputs = test.inputs as Uint8Array;
    const samples = 200;
    let correlationSum = 0;
    let worst = 1;
    for (let i = 0; i < samples; i++) {
      const digit = inputs.subarray(i * 784, (i + 1) * 784);
      const pixels = toMnistPixels(enlarged(digit))!;
      const r = correlation(pixels, digit);
      correlationSum += r;
      worst = Math.min(worst, r);
      const centre = centreOfMass(pixels, MNIST_SIDE);
      expect(Math.abs(centre.x - 14)).toBeLessThan(0.1);
      expect(Math.abs(centre.y - 14)).toBeLessThan(0.1);
    }
    // MNIST centred each digit by a whole-pixel shift; ours is exact, so up to half a pixel
    // of shift (and its resampling blur) separates the two.
    expect(correlationSum / samples).toBeGreaterThan(0.95);
    expect(worst).toBeGreaterThan(0.85);
  });
});
