/**
 * RMSprop and Adagrad (assembly/optimizers.ts) against PyTorch: five steps of
 * torch.optim.RMSprop (plain, momentum, centered, centered + momentum + weight decay) and
 * torch.optim.Adagrad (plain; lr_decay + weight decay + initial accumulator) on 11
 * parameters (the v128 loop and a scalar tail) from fixtures/torch-optimizers.json, made
 * by fixtures/make-fixtures.py. The SIMD kernels are also checked bit for bit against
 * the scalar reference kernels (assembly/reference.ts), and gradScale against gradients
 * scaled on the host.
 *
 * Tolerance against torch: atol 1e-7, rtol 1e-6 after each step (f32 rounding order:
 * torch computes -lr·g/d as (−lr·g)/d, the kernel as lr·(g/d)).
 */
import { readFileSync } from 'node:fs';

import { beforeAll, describe, it } from 'vitest';

import type { Core } from '../../src/runtime/core.js';
import { instantiateCore } from '../../src/runtime/load.js';
import { expectBitEqual, expectClose } from '../helpers/compare.js';
import { Arena } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { kernels } from './kernel-functions.js';

let core: Core;
beforeAll(async () => {
  core = await instantiateCore();
});

interface TorchOptimizer {
  name: string;
  kind: 'rmsprop' | 'adagrad';
  options: Record<string, number | boolean>;
  params: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-optimizers.json', import.meta.url), 'utf8')) as {
  initial: number[];
  grads: number[][];
  optimizers: TorchOptimizer[];
};

interface RmspropOptions {
  kind: 'rmsprop';
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}
interface AdagradOptions {
  kind: 'adagrad';
  lr: number;
  lrDecay: number;
  eps: number;
  weightDecay: number;
  initialAccumulator: number;
}

/** PyTorch's defaults, overridden by the fixture's options. */
function options(o: TorchOptimizer): RmspropOptions | AdagradOptions {
  const get = (key: string, fallback: number) =>
    typeof o.options[key] === 'number' ? (o.options[key] as number) : fallback;
  return o.kind === 'rmsprop'
    ? {
        kind: 'rmsprop',
        lr: get('lr', 0.01),
        alpha: get('alpha', 0.99),
        eps: get('eps', 1e-8),
        weightDecay: get('weight_decay', 0),
        momentum: get('momentum', 0),
        centered: o.options.centered === true,
      }
    : {
        kind: 'adagrad',
        lr: get('lr', 0.01),
        lrDecay: get('lr_decay', 0),
        eps: get('eps', 1e-10),
        weightDecay: get('weight_decay', 0),
        initialAccumulator: get('initial_accumulator_value', 0),
      };
}

/**
 * Runs `steps` updates of `o` with the SIMD kernel (or the scalar reference) and returns the
 * parameters after each. `gradFactor` multiplies the gradients placed in memory and
 * `gradScale` is passed to the kernel.
 */
function run(o: TorchOptimizer, reference: boolean, gradFactor = 1, gradScale = 1, misalign = 0): Float32Array[] {
  const k = kernels(core);
  const arena = new Arena(core, misalign);
  const n = fixture.initial.length;
  const params = arena.place(fixture.initial);
  const grads = arena.place(n);
  const opt = options(o);
  const state1 = arena.place(new Float32Array(n).fill(opt.kind === 'adagrad' ? opt.initialAccumulator : 0));
  const state2 = arena.place(new Float32Array(n));
  const state3 = arena.place(new Float32Array(n));
  const history: Float32Array[] = [];
  fixture.grads.forEach((g, index) => {
    core.view().f32.set(
      g.map((v) => v * gradFactor),
      grads >> 2,
    );
    if (opt.kind === 'rmsprop') {
      const step = reference ? k.referenceRmspropStep : k.rmspropStep;
      step(
        params,
        grads,
        state1,
        state2,
        state3,
        n,
        opt.lr,
        opt.alpha,
        opt.eps,
        opt.weightDecay,
        opt.momentum,
        opt.centered ? 1 : 0,
        gradScale,
      );
    } else {
      const step = reference ? k.referenceAdagradStep : k.adagradStep;
      step(params, grads, state1, n, opt.lr, opt.lrDecay, opt.eps, opt.weightDecay, index + 1, gradScale);
    }
    history.push(arena.read(params, n));
  });
  arena.expectGuardsIntact();
  return history;
}

describe('rmspropStep and adagradStep match PyTorch step by step', () => {
  for (const o of fixture.optimizers) {
    it(`${o.name} ${JSON.stringify(o.options)}: five steps`, () => {
      const history = run(o, false, 1, 1, 1);
      history.forEach((params, step) =>
        expectClose(params, o.params[step], { atol: 1e-7, rtol: 1e-6 }, `${o.name} after step ${step + 1}`),
      );
    });

    it(`${o.name}: the SIMD kernel gives the scalar reference kernel's bits, and gradScale acts on g before everything`, () => {
      const simd = run(o, false);
      const scalar = run(o, true);
      simd.forEach((params, step) => expectBitEqual(params, scalar[step], `${o.name} step ${step + 1}`));
      // Gradients doubled in memory and halved by gradScale: exactly the plain run.
      const scaled = run(o, false, 2, 0.5);
      simd.forEach((params, step) => expectBitEqual(scaled[step], params, `${o.name} gradScale, step ${step + 1}`));
    });
  }

  it('a long buffer (1001 floats: 250 v128 groups and a tail) gives the scalar kernel bit for bit, centered with momentum', () => {
    const n = 1001;
    const k = kernels(core);
    const results: Float32Array[] = [];
    for (const reference of [false, true]) {
      const arena = new Arena(core, 0);
      const params = arena.place(uniform(seededRandom(1), n));
      const grads = arena.place(uniform(seededRandom(2), n));
      const [s, b, m, acc] = [0, 1, 2, 3].map(() => arena.place(new Float32Array(n)));
      const rms = reference ? k.referenceRmspropStep : k.rmspropStep;
      const ada = reference ? k.referenceAdagradStep : k.adagradStep;
      for (let step = 1; step <= 3; step++) {
        rms(params, grads, s, b, m, n, 0.01, 0.9, 1e-8, 0.01, 0.9, 1, 0.7);
        ada(params, grads, acc, n, 0.1, 0.01, 1e-10, 0.001, step, 0.9);
      }
      results.push(arena.read(params, n));
    }
    expectBitEqual(results[0], results[1], 'rmsprop + adagrad, 1001 floats');
  });
});
