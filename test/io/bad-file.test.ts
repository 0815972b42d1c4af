/**
 * Damaged model files (src/io/format.ts): each is rejected with an Error that says what
 * is wrong — truncation, a checksum mismatch, wrong magic bytes, a future format
 * version, an unreadable or inconsistent header — and the caller's bytes are untouched.
 *
 *   0 magic "SDNT" | 4 version u32 | 8 header length H | 12 header JSON | pad | floats | CRC-32
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { crc32, FORMAT_VERSION } from '../../src/io/format.js';
import { loadModel, saveModel } from '../../src/index.js';
import { createModel } from '../../src/index.js';

let file: Uint8Array;
beforeAll(async () => {
  const model = await createModel({
    inputSize: 3,
    layers: [
      { units: 4, activation: 'relu' },
      { units: 2, activation: 'softmax' },
    ],
    seed: 1,
  });
  await model.fit(
    {
      inputs: [
        [0, 1, 2],
        [2, 1, 0],
      ],
      labels: [0, 1],
    },
    { epochs: 1 },
  );
  file = saveModel(model);
});

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const headerLength = () => view(file).getUint32(8, true);

/** A copy of the file with `edit` applied and the CRC recomputed, so only the edit is wrong. */
function resealed(edit: (bytes: Uint8Array) => Uint8Array | void): Uint8Array {
  const copy = file.slice();
  const edited = edit(copy) ?? copy;
  view(edited).setUint32(edited.length - 4, crc32(edited.subarray(0, edited.length - 4)), true);
  return edited;
}

/** A file whose header JSON is replaced (the data and CRC follow it as before). */
function withHeader(change: (header: Record<string, unknown>) => unknown): Uint8Array {
  const length = headerLength();
  const header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + length)));
  const json = new TextEncoder().encode(JSON.stringify(change(header) ?? header));
  // Keep the data where it was: pad the JSON with spaces to the old length when shorter.
  if (json.length > length) throw new Error('test: the edited header must not grow');
  const padded = new Uint8Array(length).fill(0x20);
  padded.set(json);
  return resealed((bytes) => {
    bytes.set(padded, 12);
  });
}

async function expectRejected(bytes: Uint8Array, message: RegExp): Promise<void> {
  const before = bytes.slice();
  await expect(loadModel(bytes)).rejects.toThrow(message);
  expect(bytes).toEqual(before);
}

describe('loadModel rejects', () => {
  it('a file truncated anywhere: at the end, in the weights, in the header, to a few bytes', async () => {
    for (const keep of [file.length - 1, file.length - 4, file.length - 37, 12 + headerLength() + 3, 40]) {
      await expectRejected(file.subarray(0, keep), /truncated/);
    }
    await expectRejected(file.subarray(0, 10), /only 10 bytes/);
    await expectRejected(new Uint8Array(0), /only 0 bytes/);
  });

  it('one corrupted byte in the weights, in the header, or in the checksum itself: checksum mismatch', async () => {
    for (const at of [file.length - 10, 12 + 5, file.length - 2]) {
      const damaged = file.slice();
      damaged[at] ^= 0x10;
      await expectRejected(damaged, /checksum mismatch .*truncated or damaged/);
    }
  });

  it('wrong magic bytes', async () => {
    await expectRejected(
      resealed((bytes) => {
        bytes.set([0x50, 0x4b, 0x03, 0x04], 0);
      }),
      /wrong magic bytes \(expected "SDNT"\)/,
    );
  });

  it('a future format version, even with a valid checksum', async () => {
    const future = resealed((bytes) => {
      view(bytes).setUint32(4, FORMAT_VERSION + 1, true);
    });
    await expectRejected(
      future,
      new RegExp(`format version ${FORMAT_VERSION + 1}; this simdnet reads version ${FORMAT_VERSION}`),
    );
  });

  it('a header length pointing past the end of the file', async () => {
    await expectRejected(
      resealed((bytes) => {
        view(bytes).setUint32(8, 1 << 30, true);
      }),
      /truncated: header of 1073741824 bytes/,
    );
  });

  it('a header that is not JSON', async () => {
    await expectRejected(
      resealed((bytes) => {
        bytes[12] = 0x7b;
        bytes[13] = 0x7b;
      }),
      /unreadable header/,
    );
  });

  it('a header naming an unknown activation', async () => {
    await expectRejected(
      withHeader((h) => {
        (h.layers as { activation: string }[])[0].activation = 'mish';
      }),
      /unknown activation 'mish'/,
    );
  });

  it('a header whose parameter count disagrees with its architecture', async () => {
    await expectRejected(
      withHeader((h) => {
        h.paramLength = (h.paramLength as number) + 4;
      }),
      /header says \d+ parameters, the architecture needs \d+/,
    );
  });

  it('a header claiming optimizer state the file does not hold', async () => {
    const light = saveModel(await loadModel(file), { optimizerState: false });
    const length = view(light).getUint32(8, true);
    const header = new TextDecoder()
      .decode(light.subarray(12, 12 + length))
      .replace('"optimizerState":false', '"optimizerState":true ');
    const edited = light.slice();
    edited.set(new TextEncoder().encode(header), 12);
    view(edited).setUint32(edited.length - 4, crc32(edited.subarray(0, edited.length - 4)), true);
    await expectRejected(edited, /expected \d+ bytes for this architecture, got \d+/);
  });

  it('the intact file still loads (the edits above are what break it)', async () => {
    await expect(loadModel(file)).resolves.toBeDefined();
    await expect(loadModel(resealed(() => {}))).resolves.toBeDefined();
  });
});
