/**
 * Addresses at and past 2³¹ (memory between 2 and 4 GiB): the host writes every
 * descriptor field at word `address >>> 2` and stores the address's 32 bits, which the
 * core reads back unsigned. Checked on a mock core whose views record writes (no
 * 2 GiB allocation): a signed `>> 2` would make the word index negative.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import {
  type NetworkShape,
  placeDatasets,
  pointRows,
  writeContext,
  writeOptimizer,
} from '../../src/model/descriptors.js';
import { planMemory } from '../../src/model/plan.js';
import { normalizeOptimizer } from '../../src/model/spec.js';
import type { Core, Layout } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';

/** A typed-array stand-in that records index -> value and refuses indices a real view would not have. */
function recordingArray(words: Map<number, number>, bytesPerElement: number, limitBytes: number) {
  const check = (index: number) => {
    if (!(Number.isInteger(index) && index >= 0 && index * bytesPerElement < limitBytes))
      throw new RangeError(`index ${index} is outside memory`);
  };
  return new Proxy(
    {
      set(values: ArrayLike<number>, offset: number) {
        check(offset + values.length - 1);
        for (let i = 0; i < values.length; i++) words.set(offset + i, values[i]);
      },
    },
    {
      get(target, key) {
        if (key === 'set') return target.set;
        return words.get(Number(key));
      },
      set(_, key, value) {
        check(Number(key));
        // An Int32Array keeps the low 32 bits, as ToInt32 does.
        words.set(Number(key), bytesPerElement === 4 && Number.isInteger(value) ? value | 0 : value);
        return true;
      },
    },
  );
}

const FOUR_GIB = 2 ** 32;
let layout: Layout;

beforeAll(async () => {
  layout = (await instantiateCore()).layout;
});

function mockCore(): { core: Core; i32: Map<number, number>; f32: Map<number, number> } {
  const i32 = new Map<number, number>();
  const f32 = new Map<number, number>();
  const u8 = { set: () => undefined };
  const views = {
    u8,
    i32: recordingArray(i32, 4, FOUR_GIB),
    u32: recordingArray(i32, 4, FOUR_GIB),
    f32: recordingArray(f32, 4, FOUR_GIB),
    f64: recordingArray(new Map(), 8, FOUR_GIB),
  };
  const core = { layout, view: () => views, ensureBytes: () => undefined } as unknown as Core;
  return { core, i32, f32 };
}

const net: NetworkShape = {
  inputSize: 6,
  outputSize: 3,
  shapes: [
    { inSize: 6, units: 5, activation: 'relu', alpha: 0, dropout: 0, batchNorm: null, l1: 0, l2: 0 },
    { inSize: 5, units: 3, activation: 'softmax', alpha: 0, dropout: 0, batchNorm: null, l1: 0, l2: 0 },
  ],
  loss: 'crossEntropy',
  huberDelta: 1,
  seed: 1,
};

/** The unsigned 32-bit value a word holds. */
const unsigned = (words: Map<number, number>, byteAddress: number) => (words.get(byteAddress / 4) ?? Number.NaN) >>> 0;

describe('addresses past 2 GiB', () => {
  const base = 2 ** 31 + 4096;
  const plan = () => planMemory(layout, base, net.inputSize, [...net.shapes], 16, 1, 64);

  it('a context written at 2 GiB + 4 KiB holds its fields and unsigned pointers', () => {
    const { core, i32 } = mockCore();
    const p = plan();
    expect(p.context).toBeGreaterThanOrEqual(2 ** 31);
    writeContext(core, p, { context: p.context, scratch: p.scratch }, net);
    expect(i32.get((p.context + layout.CTX_NUM_LAYERS) / 4)).toBe(2);
    expect(unsigned(i32, p.context + layout.CTX_SCRATCH)).toBe(p.scratch);
    expect(unsigned(i32, p.context + layout.CTX_X)).toBe(p.inputs);
    const second = p.context + layout.CTX_HEADER_BYTES + layout.LAYER_BYTES;
    expect(unsigned(i32, second + layout.LAYER_W)).toBe(p.params + p.layers[1].weightOffset * 4);
    expect(unsigned(i32, second + layout.LAYER_GB)).toBe(p.grads + p.layers[1].biasOffset * 4);
  });

  it('rows pointed at past 2 GiB', () => {
    const { core, i32 } = mockCore();
    const p = plan();
    pointRows(core, p, p.helpers[0].context, 7, net);
    expect(unsigned(i32, p.helpers[0].context + layout.CTX_X)).toBe(p.inputs + 7 * 6 * 4);
    const first = p.helpers[0].context + layout.CTX_HEADER_BYTES;
    expect(unsigned(i32, first + layout.LAYER_D)).toBe(p.layers[0].deltas + 7 * 5 * 4);
  });

  it('the optimizer descriptor and a dataset past 2 GiB', () => {
    const { core, i32, f32 } = mockCore();
    const p = plan();
    writeOptimizer(core, p, normalizeOptimizer('adam'), { epochs: 0, steps: 3, learningRate: 0.5 });
    expect(unsigned(i32, p.optimizer + layout.OPT_MOMENT2)).toBe(p.moment2);
    expect(i32.get((p.optimizer + layout.OPT_STEP) / 4)).toBe(3);
    expect(f32.get((p.optimizer + layout.OPT_LEARNING_RATE) / 4)).toBe(0.5);

    const data: Dataset = { count: 2, inputSize: 6, inputs: new Float32Array(12), labels: new Int32Array([2, 1]) };
    const start = 2 ** 32 - 4096;
    const { data: loaded } = placeDatasets(core, net, [data], true, start, [p.trainData]);
    expect(unsigned(i32, p.trainData + layout.DATA_INPUTS)).toBe(start);
    const targets = unsigned(i32, p.trainData + layout.DATA_TARGETS);
    expect(targets).toBeGreaterThan(start);
    expect(i32.get(targets / 4 + 1)).toBe(1);
    expect(i32.get(loaded[0].order / 4 + 1)).toBe(1);
  });
});
