/**
 * fit's `augment` option: random integer pixel shifts of image rows, applied to the
 * training data in the model's memory before each epoch (the core's shiftImages,
 * assembly/augment.ts). This module checks the option; the model's
 * {@link TrainableModel.shiftInputs} runs the kernel.
 */
import { checkOptionKeys, keysOf } from '../options.js';

/**
 * Data augmentation for {@link FitOptions.augment}: before each epoch, every training
 * image (a row of `width · height` pixels, row-major, one channel) is shifted by a random
 * (dx, dy), each an integer uniform in [-shift, shift]; pixels shifted in from outside are 0
 * (the input's raw value 0: black for MNIST-style bytes). The shifts are drawn from the
 * model's seed, the epoch (counted over the model's life) and the row's index in the
 * training data: a run repeats exactly, on any thread count. The shifted copy lives
 * beside the data in the model's memory (the training inputs' size again); validation data
 * is never shifted.
 *
 * @example
 * ```ts
 * await model.fit(mnistTrain, { epochs: 30, augment: { shift: 2, width: 28, height: 28 } });
 * ```
 */
export interface AugmentOptions {
  /** The largest shift in pixels, each direction. An integer ≥ 0, below width and height; 0: off. */
  shift: number;
  /** Image width in pixels. An integer ≥ 1; `width · height` must equal the model's input size. */
  width: number;
  /** Image height in pixels. An integer ≥ 1. */
  height: number;
}

const AUGMENT_KEYS = keysOf<AugmentOptions>({ shift: true, width: true, height: true });

/** The checked shift option, or undefined when augmentation is off (absent or shift 0). */
export function checkAugment(augment: AugmentOptions | undefined, inputSize: number): AugmentOptions | undefined {
  if (augment === undefined) return undefined;
  if (typeof augment !== 'object' || augment === null)
    throw new Error(`simdnet: augment must be an object { shift, width, height }, got ${String(augment)}`);
  checkOptionKeys(augment, AUGMENT_KEYS, 'augment');
  const { shift, width, height } = augment;
  for (const [name, value, min] of [
    ['width', width, 1],
    ['height', height, 1],
    ['shift', shift, 0],
  ] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new Error(`simdnet: augment.${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  if (width * height !== inputSize)
    throw new Error(
      `simdnet: augment's images are ${width}×${height} = ${width * height} pixels; the model takes ${inputSize} inputs`,
    );
  if (shift >= Math.min(width, height) || shift > 127)
    throw new Error(
      `simdnet: augment.shift must be below the image's width and height (and at most 127), got ${shift} for ${width}×${height}`,
    );
  return shift === 0 ? undefined : { shift, width, height };
}
