/**
 * A drawing, prepared the way the MNIST digits were (LeCun, Cortes, Burges: "The original
 * black and white images from NIST were size normalized to fit in a 20x20 pixel box while
 * preserving their aspect ratio ... anti-aliasing ... then centered in a 28x28 image by
 * computing the center of mass of the pixels").
 *
 *   input    ink [height, width], 0 = background .. 255 = full ink (white on black)
 *   output   Uint8Array [28, 28], the same convention as the dataset's bytes
 *
 *   1. the bounding box of the ink, and its centre of mass
 *   2. one scale s = 20 / (longer side of the box): the box fits 20 x 20, aspect kept
 *   3. each output pixel is the mean ink over the source area it covers (a box filter,
 *      exact for fractional overlaps: this is the anti-aliasing), with the centre of mass
 *      landing on pixel index 14 (continuous coordinate 14.5): the mean centre of mass of
 *      the MNIST training digits is (14.00, 13.99) in pixel indices
 *   4. the brightest pixel is scaled to 255 (MNIST strokes saturate at 255)
 *
 * Pure and DOM-free, so Node tests can run it on real MNIST digits.
 */

export const MNIST_SIDE = 28;
/** The box the longer side of a digit is scaled to. */
export const MNIST_BOX = 20;
/** Where the centre of mass lands, in continuous coordinates (pixel i spans [i, i+1)). */
const CENTRE = 14.5;

export interface InkImage {
  width: number;
  height: number;
  /** [height, width] row-major, 0..255. */
  ink: ArrayLike<number>;
}

/** The ink of an RGBA image whose strokes are light on a dark background (red channel). */
export function inkFromRgba(rgba: ArrayLike<number>, width: number, height: number): InkImage {
  const ink = new Uint8Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4];
  return { width, height, ink };
}

/** The 28 x 28 MNIST-style image of `image`, or undefined when there is no ink. */
export function toMnistPixels(image: InkImage): Uint8Array | undefined {
  const { width, height, ink } = image;

  // --- 1. bounding box and centre of mass (continuous coordinates) -----------------
  let left = width,
    right = -1,
    top = height,
    bottom = -1;
  let mass = 0,
    momentX = 0,
    momentY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x];
      if (v === 0) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      mass += v;
      momentX += v * (x + 0.5);
      momentY += v * (y + 0.5);
    }
  }
  if (mass === 0) return undefined;
  const centreX = momentX / mass;
  const centreY = momentY / mass;

  // --- 2. one scale for both axes ------------------------------------------------------
  const scale = MNIST_BOX / Math.max(right - left + 1, bottom - top + 1); // output pixels per source pixel

  // --- 3. box-filter resampling, centre of mass to CENTRE ------------------------------
  // Output coordinate u maps to source coordinate centre + (u - CENTRE) / scale.
  const columnWeights = coverage(centreX - CENTRE / scale, scale, width);
  const rowWeights = coverage(centreY - CENTRE / scale, scale, height);
  // Horizontal pass: rows [height, 28], then vertical: [28, 28].
  const horizontal = new Float32Array(height * MNIST_SIDE);
  for (let y = top; y <= bottom; y++) {
    for (let u = 0; u < MNIST_SIDE; u++) {
      const { first, weights } = columnWeights[u];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * ink[y * width + first + k];
      horizontal[y * MNIST_SIDE + u] = sum;
    }
  }
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  let brightest = 0;
  for (let v = 0; v < MNIST_SIDE; v++) {
    const { first, weights } = rowWeights[v];
    for (let u = 0; u < MNIST_SIDE; u++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * horizontal[(first + k) * MNIST_SIDE + u];
      out[v * MNIST_SIDE + u] = sum;
      if (sum > brightest) brightest = sum;
    }
  }

  // --- 4. to bytes, brightest = 255 ----------------------------------------------------
  const pixels = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  if (brightest > 0) for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round((out[i] / brightest) * 255);
  return pixels;
}

/**
 * For each of the 28 output pixels along one axis: the source pixels it covers and the
 * weights that average them. Output pixel u covers source [origin + u/scale, origin + (u+1)/scale);
 * a source pixel's weight is its overlap with that span times `scale` (the weights of a
 * span lying fully inside the image sum to 1). Pixels outside the image count as no ink.
 */
function coverage(origin: number, scale: number, size: number): { first: number; weights: Float32Array }[] {
  const spans = [];
  for (let u = 0; u < MNIST_SIDE; u++) {
    const start = origin + u / scale;
    const end = origin + (u + 1) / scale;
    const first = Math.max(0, Math.floor(start));
    const last = Math.min(size - 1, Math.ceil(end) - 1);
    const weights = new Float32Array(Math.max(0, last - first + 1));
    for (let x = first; x <= last; x++)
      weights[x - first] = Math.max(0, Math.min(x + 1, end) - Math.max(x, start)) * scale;
    spans.push({ first, weights });
  }
  return spans;
}
