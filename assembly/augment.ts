// -----------------------------------------------------------------------------
// Data augmentation of image rows in memory: random integer shifts.
//
//   src, dst  [count, height, width] images, row-major, `elementBytes` per pixel
//             (1: u8 inputs, 4: f32 inputs); dst must not overlap src
//   shift     image i moves by (dx_i, dy_i), each uniform in [-maxShift, maxShift]:
//             dst_i[y, x] = src_i[y - dy_i, x - dx_i], 0 where that lies outside
//             (zero fill: all-zero bits, i.e. 0 for u8 and +0.0 for f32)
//
// The shifts come from a counter-based hash, as dropout's masks (dropout.ts):
//
//   key   = mix(mix(mix(seed) ^ epoch) ^ 0x5348_4654)      once per call ("SHFT")
//   bits  = mix(key ^ mix(i))                               per image
//   dx    = (bits & 0xffff) mod (2·maxShift + 1) - maxShift
//   dy    = (bits >>> 16)   mod (2·maxShift + 1) - maxShift
//
// so image i's shift is a function of (seed, epoch, i) only: a run repeats, and the
// result does not depend on the order the rows are visited in. One memory.copy and
// at most two memory.fill per output row: a 60,000-image MNIST epoch is a few ms.
// -----------------------------------------------------------------------------

import { mix32 } from './dropout';

/** The hash key of one epoch's shifts (see the header). */
export function shiftKey(seed: u32, epoch: u32): u32 {
  return mix32(mix32(mix32(seed) ^ epoch) ^ 0x53484654);
}

/**
 * The shift of image `index` under `key`, packed as (dx + 128) | (dy + 128) << 8 (for tests
 * and the host's checks); maxShift ≤ 127.
 */
export function shiftOf(key: u32, index: u32, maxShift: i32): i32 {
  const bits = mix32(key ^ mix32(index));
  const span = <u32>(2 * maxShift + 1);
  const dx = <i32>((bits & 0xffff) % span) - maxShift;
  const dy = <i32>((bits >>> 16) % span) - maxShift;
  return (dx + 128) | ((dy + 128) << 8);
}

/**
 * dst[count, height, width] ← src shifted image by image (see the header); maxShift 0
 * copies src unchanged. Images are `width · height · elementBytes` bytes apart.
 */
export function shiftImages(
  src: usize,
  dst: usize,
  count: i32,
  width: i32,
  height: i32,
  elementBytes: i32,
  maxShift: i32,
  seed: u32,
  epoch: u32,
): void {
  const rowBytes = <usize>(width * elementBytes);
  const imageBytes = rowBytes * <usize>height;
  if (maxShift <= 0) {
    memory.copy(dst, src, imageBytes * <usize>count);
    return;
  }
  const key = shiftKey(seed, epoch);
  for (let i = 0; i < count; i++) {
    const packed = shiftOf(key, <u32>i, maxShift);
    const dx = (packed & 0xff) - 128;
    const dy = ((packed >>> 8) & 0xff) - 128;
    const from = src + <usize>i * imageBytes;
    const to = dst + <usize>i * imageBytes;
    // Columns x in [x0, x1) of an output row read source columns x - dx.
    const x0 = dx > 0 ? dx : 0;
    const x1 = dx < 0 ? width + dx : width;
    const span = x1 > x0 ? x1 - x0 : 0;
    for (let y = 0; y < height; y++) {
      const out = to + <usize>y * rowBytes;
      const sy = y - dy;
      if (sy < 0 || sy >= height || span == 0) {
        memory.fill(out, 0, rowBytes);
        continue;
      }
      if (x0 > 0) memory.fill(out, 0, <usize>(x0 * elementBytes));
      memory.copy(
        out + <usize>(x0 * elementBytes),
        from + <usize>sy * rowBytes + <usize>((x0 - dx) * elementBytes),
        <usize>(span * elementBytes),
      );
      if (x1 < width) memory.fill(out + <usize>(x1 * elementBytes), 0, <usize>((width - x1) * elementBytes));
    }
  }
}
