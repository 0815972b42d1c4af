/**
 * Optimizers (assembly/optimizers.ts) against their equations evaluated in float64 here,
 * with PyTorch's conventions as stated in the file's header:
 *
 *   g ← s·g + λ·p               (s: clip factor; λ: coupled L2 decay, not for AdamW)
 *   SGD        p ← p - lr·g
 *   momentum   v ← μ·v + g;  p ← p - lr·v            Nesterov: p ← p - lr·(g + μ·v)
 *   Adam       m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²
 *              p ← p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
 *   AdamW      p ← p·(1 - lr·λ) first, then the Adam step with λ = 0
 *   clipping   s = c/‖g‖ when the global norm ‖g‖ > c, else 1
 *
 * n = 11 floats everywhere: two v128 blocks and a 3-float scalar tail.
 * Tolerance atol 1e-7, rtol 1e-6: parameters of order 1 after a few f32 operations.
 *
 * The kernels run on every core build; every optimizer in src/'s OPTIMIZERS, at its
 * normalizeOptimizer defaults, is checked through the descriptor against the float64 rule
 * (optimizerSteps in test/helpers/reference.ts). The last block checks a Model's step.
 */
import { describe, expect, it } from 'vitest';

import { createModel } from '../../src/index.js';
import { engineOf } from '../../src/model/model.js';
import { type NormalizedOptimizer, normalizeOptimizer, type OptimizerConfig } from '../../src/model/spec.js';
import { expectClose } from '../helpers/compare.js';
import { describeEachCore } from '../helpers/cores.js';
import { coreGradients } from '../helpers/gradients.js';
import { OPTIMIZERS, optimizerKind } from '../helpers/kinds.js';
import { flatWeights } from '../helpers/model-state.js';
import { Arena, checkOp } from '../helpers/op-test.js';
import { seededRandom, uniform } from '../helpers/random.js';
import { optimizerSteps } from '../helpers/reference.js';

const N = 11;
const TOLERANCE = { atol: 1e-7, rtol: 1e-6 };
const f32 = Math.fround;

const params = () => uniform(seededRandom(1), N, -1, 1);
/** Two gradients, one per step, with every sign and a wide range of magnitudes. */
const gradients = () => [uniform(seededRandom(2), N, -2, 2), uniform(seededRandom(3), N, -0.01, 0.01)];

/** Float64 Adam/AdamW over successive gradients, from m = v = 0, steps t = 1, 2, ... */
function adamReference(
  p0: Float64Array,
  grads: Float64Array[],
  o: { lr: number; beta1: number; beta2: number; epsilon: number; decay: number; decoupled: boolean },
) {
  const rule: NormalizedOptimizer = {
    type: o.decoupled ? 'adamw' : 'adam',
    learningRate: o.lr,
    momentum: 0,
    nesterov: false,
    beta1: o.beta1,
    beta2: o.beta2,
    epsilon: o.epsilon,
    weightDecay: o.decay,
    clipNorm: 0,
    alpha: 0.99,
    centered: false,
    lrDecay: 0,
    initialAccumulatorValue: 0,
  };
  const { params, moment1, moment2 } = optimizerSteps(rule, p0, grads);
  return { p: params, m: moment1, v: moment2 };
}

describeEachCore((core) => {
  describe('SGD', () => {
    it('p ← p - lr·g', () => {
      const lr = f32(0.1);
      const [g] = gradients();
      checkOp(
        core(),
        {
          buffers: { p: params(), g },
          run: (fn, at) => fn.sgdStep(at.p, at.g, N, lr, 0, 1),
          reference: ({ p, g: grad }) => ({ p: p.map((v, i) => v - lr * grad[i]), g: grad }),
          tolerance: TOLERANCE,
        },
        'sgd',
      );
    });

    it('with L2 weight decay λ: p ← p - lr·(g + λ·p)', () => {
      const [lr, decay] = [f32(0.1), f32(0.05)];
      checkOp(
        core(),
        {
          buffers: { p: params(), g: gradients()[0] },
          run: (fn, at) => fn.sgdStep(at.p, at.g, N, lr, decay, 1),
          reference: ({ p, g }) => ({ p: p.map((v, i) => v - lr * (g[i] + decay * v)) }),
          tolerance: TOLERANCE,
        },
        'sgd + L2',
      );
    });

    it('a zero gradient and no decay leave the parameters bit-identical', () => {
      checkOp(core(), {
        buffers: { p: params(), g: new Float32Array(N) },
        run: (fn, at) => fn.sgdStep(at.p, at.g, N, 0.1, 0, 1),
        reference: ({ p }) => ({ p }),
        tolerance: { atol: 0, rtol: 0 },
      });
    });
  });

  describe('momentum (PyTorch: v ← μ·v + g, dampening 0)', () => {
    for (const nesterov of [false, true]) {
      it(`${nesterov ? 'Nesterov' : 'heavy ball'}: two steps from v = 0, with L2 decay`, () => {
        const [lr, mu, decay] = [f32(0.1), f32(0.9), f32(0.01)];
        const [g1, g2] = gradients();
        checkOp(
          core(),
          {
            buffers: { p: params(), g1, g2, v: new Float32Array(N) },
            run(fn, at) {
              fn.momentumStep(at.p, at.g1, at.v, N, lr, mu, nesterov ? 1 : 0, decay, 1);
              fn.momentumStep(at.p, at.g2, at.v, N, lr, mu, nesterov ? 1 : 0, decay, 1);
            },
            reference({ p: p0, g1: grad1, g2: grad2 }) {
              const p = Float64Array.from(p0);
              const v = new Float64Array(N);
              for (const grad of [grad1, grad2]) {
                for (let i = 0; i < N; i++) {
                  const g = grad[i] + decay * p[i];
                  v[i] = mu * v[i] + g;
                  p[i] -= lr * (nesterov ? g + mu * v[i] : v[i]);
                }
              }
              return { p, v };
            },
            tolerance: TOLERANCE,
          },
          nesterov ? 'nesterov' : 'momentum',
        );
      });
    }

    it('the first step of momentum equals an SGD step (v starts at 0, so v₁ = g)', () => {
      const [g] = gradients();
      const run = (momentum: boolean) =>
        checkOp(core(), {
          buffers: { p: params(), g, v: new Float32Array(N) },
          run: (fn, at) =>
            momentum ? fn.momentumStep(at.p, at.g, at.v, N, 0.1, 0.9, 0, 0, 1) : fn.sgdStep(at.p, at.g, N, 0.1, 0, 1),
          reference: () => ({}),
          tolerance: TOLERANCE,
        }).after.p;
      expect(Array.from(run(true))).toEqual(Array.from(run(false)));
    });
  });

  describe('Adam and AdamW', () => {
    const base = { lr: f32(0.01), beta1: f32(0.9), beta2: f32(0.999), epsilon: f32(1e-8) };

    it('step 1: bias correction makes m̂ = g and v̂ = g², so p moves by lr·g/(|g| + ε) ≈ lr·sign(g)', () => {
      const [g] = gradients();
      const { after } = checkOp(
        core(),
        {
          buffers: { p: params(), g, m: new Float32Array(N), v: new Float32Array(N) },
          run: (fn, at) =>
            fn.adamStep(at.p, at.g, at.m, at.v, N, base.lr, base.beta1, base.beta2, base.epsilon, 0, 0, 1, 1),
          reference({ p, g: grad }) {
            // m = (1-β1)·g and v = (1-β2)·g² before correction.
            return {
              p: p.map((v, i) => v - (base.lr * grad[i]) / (Math.abs(grad[i]) + base.epsilon)),
              m: grad.map((x) => (1 - base.beta1) * x),
              v: grad.map((x) => (1 - base.beta2) * x * x),
            };
          },
          tolerance: TOLERANCE,
        },
        'adam step 1',
      );
      const p0 = params();
      for (let i = 0; i < N; i++) expect(Math.abs(after.p[i] - p0[i])).toBeCloseTo(base.lr, 6);
    });

    it('step 2: m̂ = m/(1-β1²), v̂ = v/(1-β2²)', () => {
      const [g1, g2] = gradients();
      checkOp(
        core(),
        {
          buffers: { p: params(), g1, g2, m: new Float32Array(N), v: new Float32Array(N) },
          run(fn, at) {
            fn.adamStep(at.p, at.g1, at.m, at.v, N, base.lr, base.beta1, base.beta2, base.epsilon, 0, 0, 1, 1);
            fn.adamStep(at.p, at.g2, at.m, at.v, N, base.lr, base.beta1, base.beta2, base.epsilon, 0, 0, 2, 1);
          },
          reference({ p, g1: a, g2: b }) {
            // Written out for t = 2 without the loop in adamReference:
            const expected = p.map((p0, i) => {
              const p1 = p0 - (base.lr * a[i]) / (Math.abs(a[i]) + base.epsilon);
              const m = base.beta1 * (1 - base.beta1) * a[i] + (1 - base.beta1) * b[i];
              const v = base.beta2 * (1 - base.beta2) * a[i] ** 2 + (1 - base.beta2) * b[i] ** 2;
              return (
                p1 - (base.lr * (m / (1 - base.beta1 ** 2))) / (Math.sqrt(v / (1 - base.beta2 ** 2)) + base.epsilon)
              );
            });
            const { m, v } = adamReference(p, [a, b], { ...base, decay: 0, decoupled: false });
            return { p: expected, m, v };
          },
          tolerance: TOLERANCE,
        },
        'adam step 2',
      );
    });

    for (const decoupled of [false, true]) {
      it(`${decoupled ? 'AdamW: decoupled decay p ← p·(1 - lr·λ)' : 'Adam with L2: g ← g + λ·p'}, three steps`, () => {
        const decay = f32(0.1);
        const [g1, g2] = gradients();
        checkOp(
          core(),
          {
            buffers: { p: params(), g1, g2, m: new Float32Array(N), v: new Float32Array(N) },
            run(fn, at) {
              [at.g1, at.g2, at.g1].forEach((g, index) =>
                fn.adamStep(
                  at.p,
                  g,
                  at.m,
                  at.v,
                  N,
                  base.lr,
                  base.beta1,
                  base.beta2,
                  base.epsilon,
                  decay,
                  decoupled ? 1 : 0,
                  index + 1,
                  1,
                ),
              );
            },
            reference: ({ p, g1: a, g2: b }) => adamReference(p, [a, b, a], { ...base, decay, decoupled }),
            tolerance: TOLERANCE,
          },
          decoupled ? 'adamw' : 'adam + L2',
        );
      });
    }

    it('Adam gives every float the same bits whichever path updates it (pairs of vectors, one vector, the scalar tail)', () => {
      // The threads update ranges that start and end anywhere (rows of gW times its width):
      // one thread's pair of vectors is another's single vector or scalar tail.
      const n = 23;
      const p = uniform(seededRandom(7), n, -1, 1);
      const grads = [uniform(seededRandom(8), n, -2, 2), uniform(seededRandom(9), n, -0.01, 0.01)];
      const run = (ranges: [number, number][], scale: number, decay: number, decoupled: boolean) => {
        const { after } = checkOp(core(), {
          buffers: { p, g1: grads[0], g2: grads[1], m: new Float32Array(n), v: new Float32Array(n) },
          run: (fn, at) => {
            const rule = [base.lr, base.beta1, base.beta2, base.epsilon, decay, decoupled ? 1 : 0] as const;
            for (let t = 1; t <= 3; t++)
              for (const [a, b] of ranges) {
                const [o, g] = [4 * a, t === 2 ? at.g2 : at.g1];
                fn.adamStep(at.p + o, g + o, at.m + o, at.v + o, b - a, ...rule, t, scale);
              }
          },
          reference: () => ({}),
          tolerance: TOLERANCE,
        });
        return after;
      };
      for (const [scale, decay, decoupled] of [
        [1, 0, false],
        [0.5, 0.01, false],
        [1, 0.01, true],
      ] as const) {
        const whole = run([[0, n]], scale, decay, decoupled);
        for (const ranges of [
          [
            [0, 4],
            [4, 12],
            [12, 20],
            [20, 23],
          ],
          [
            [0, 5],
            [5, 11],
            [11, 23],
          ],
          [
            [0, 3],
            [3, 10],
            [10, 23],
          ],
        ] as [number, number][][]) {
          const split = run(ranges, scale, decay, decoupled);
          expect(Array.from(split.p), `p, ranges ${JSON.stringify(ranges)}, scale ${scale}, decay ${decay}`).toEqual(
            Array.from(whole.p),
          );
          expect(Array.from(split.m)).toEqual(Array.from(whole.m));
          expect(Array.from(split.v)).toEqual(Array.from(whole.v));
        }
      }
    });

    it('Adam with a gradient scale (clipping) is Adam on the scaled gradient, bit for bit', () => {
      // Scaling by 0.5 is exact in f32, so both paths (the scaled loop and the plain one) see the same g.
      const [g] = gradients();
      const { after } = checkOp(core(), {
        buffers: {
          p1: params(),
          p2: params(),
          g,
          half: g.map((x) => x * 0.5),
          m1: new Float32Array(N),
          m2: new Float32Array(N),
          v1: new Float32Array(N),
          v2: new Float32Array(N),
        },
        run: (fn, at) => {
          for (let t = 1; t <= 3; t++) {
            fn.adamStep(at.p1, at.g, at.m1, at.v1, N, base.lr, base.beta1, base.beta2, base.epsilon, 0, 0, t, 0.5);
            fn.adamStep(at.p2, at.half, at.m2, at.v2, N, base.lr, base.beta1, base.beta2, base.epsilon, 0, 0, t, 1);
          }
        },
        reference: () => ({}),
        tolerance: TOLERANCE,
      });
      expect(after.p1).toEqual(after.p2);
      expect(after.m1).toEqual(after.m2);
      expect(after.p1.some((p, i) => p !== params()[i])).toBe(true);
    });

    it('AdamW and Adam-with-L2 differ for the same λ (the decay is not the same thing)', () => {
      const run = (decoupled: boolean) =>
        checkOp(core(), {
          buffers: { p: params(), g: gradients()[1], m: new Float32Array(N), v: new Float32Array(N) },
          run: (fn, at) => {
            for (let t = 1; t <= 3; t++)
              fn.adamStep(at.p, at.g, at.m, at.v, N, 0.01, 0.9, 0.999, 1e-8, 0.1, decoupled ? 1 : 0, t, 1);
          },
          reference: () => ({}),
          tolerance: TOLERANCE,
        }).after.p;
      const [coupled, decoupled] = [run(false), run(true)];
      expect(Math.max(...coupled.map((v, i) => Math.abs(v - decoupled[i])))).toBeGreaterThan(1e-4);
    });
  });

  describe('sumOfSquares (the global gradient norm²), accumulated per block in f64', () => {
    it.each([0, 1, 3, 4, 5, 17, 1023, 1024, 1025, 4099])('n = %i', (n) => {
      checkOp(
        core(),
        {
          buffers: { x: uniform(seededRandom(n + 5), Math.max(n, 1), -3, 3) },
          run: (fn, at) => fn.sumOfSquares(at.x, n),
          reference: ({ x }) => ({ returned: x.subarray(0, n).reduce((s, v) => s + v * v, 0) }),
          // f32 sums over blocks of 1024 values.
          tolerance: { atol: 0, rtol: 1e-5 },
        },
        `sumOfSquares n=${n}`,
      );
    });
  });

  describe('optimizerStep: one update from a descriptor (clip, decay, step counter, norm)', () => {
    interface Descriptor {
      kind: NormalizedOptimizer['type'] | 'momentum' | 'nesterov';
      lr: number;
      beta1?: number;
      beta2?: number;
      epsilon?: number;
      decay?: number;
      clipNorm?: number;
      trackNorm?: boolean;
      step?: number;
      /** RMSprop's α, Adagrad's lrDecay and initial accumulator. */
      alpha?: number;
      lrDecay?: number;
      initialAccumulator?: number;
    }

    /** Places a context header and an optimizer descriptor over p, g, m1, m2; runs `steps` optimizerSteps. */
    function runOptimizer(descriptor: Descriptor, p: Float32Array, g: Float32Array, steps = 1) {
      const arena = new Arena(core());
      const { layout } = core();
      const at = {
        p: arena.place(p),
        g: arena.place(g),
        m1: arena.place(new Float32Array(N)),
        m2: arena.place(new Float32Array(N).fill(descriptor.initialAccumulator ?? 0)),
        ctx: arena.place(new Float32Array(layout.CTX_HEADER_BYTES / 4)),
        opt: arena.place(new Float32Array(layout.OPT_BYTES / 4)),
      };
      const { i32, f32: floats } = core().view();
      const o = at.opt >> 2;
      i32[o + (layout.OPT_KIND >> 2)] = optimizerKind(layout, descriptor.kind);
      i32[o + (layout.OPT_STEP >> 2)] = descriptor.step ?? 0;
      floats[o + (layout.OPT_LEARNING_RATE >> 2)] = descriptor.lr;
      floats[o + (layout.OPT_BETA1 >> 2)] = descriptor.beta1 ?? 0;
      floats[o + (layout.OPT_BETA2 >> 2)] = descriptor.beta2 ?? 0;
      floats[o + (layout.OPT_EPSILON >> 2)] = descriptor.epsilon ?? 0;
      floats[o + (layout.OPT_WEIGHT_DECAY >> 2)] = descriptor.decay ?? 0;
      floats[o + (layout.OPT_CLIP_NORM >> 2)] = descriptor.clipNorm ?? 0;
      i32[o + (layout.OPT_TRACK_NORM >> 2)] = descriptor.trackNorm ? 1 : 0;
      floats[o + (layout.OPT_ALPHA >> 2)] = descriptor.alpha ?? 0;
      floats[o + (layout.OPT_LR_DECAY >> 2)] = descriptor.lrDecay ?? 0;
      i32[o + (layout.OPT_CENTERED >> 2)] = 0;
      i32[o + (layout.OPT_MOMENT3 >> 2)] = 0;
      i32[o + (layout.OPT_PARAMS >> 2)] = at.p;
      i32[o + (layout.OPT_GRADS >> 2)] = at.g;
      i32[o + (layout.OPT_MOMENT1 >> 2)] = at.m1;
      i32[o + (layout.OPT_MOMENT2 >> 2)] = at.m2;
      i32[o + (layout.OPT_LENGTH >> 2)] = N;
      const norms: number[] = [];
      for (let s = 0; s < steps; s++) norms.push(core().fn.optimizerStep(at.ctx, at.opt));
      arena.expectGuardsIntact('optimizerStep');
      const view = core().view();
      return {
        norms,
        recordedNorm: view.f64[(at.ctx + layout.CTX_STAT_GRAD_NORM) >> 3],
        step: view.i32[o + (layout.OPT_STEP >> 2)],
        p: arena.read(at.p, N),
        m1: arena.read(at.m1, N),
        m2: arena.read(at.m2, N),
      };
    }

    const norm = (g: ArrayLike<number>) => Math.sqrt(Array.from(g).reduce((s, v) => s + v * v, 0));

    it('clipping by global norm: ‖g‖ > c scales g by c/‖g‖ before the update; the norm returned is the unclipped ‖g‖', () => {
      const [g] = gradients();
      const p = params();
      const clipNorm = f32(0.5);
      const total = norm(g);
      expect(total).toBeGreaterThan(clipNorm);
      const result = runOptimizer({ kind: 'sgd', lr: 0.1, clipNorm }, p, g);
      expect(result.norms[0]).toBeCloseTo(total, 5);
      expect(result.recordedNorm).toBe(result.norms[0]);
      const scale = clipNorm / total;
      const expected = Array.from(p, (v, i) => v - f32(0.1) * g[i] * scale);
      for (let i = 0; i < N; i++) expect(result.p[i]).toBeCloseTo(expected[i], 6);
      // The step taken has exactly the clipped norm: ‖Δp‖ = lr·c.
      expect(norm(result.p.map((v, i) => v - p[i]))).toBeCloseTo(f32(0.1) * clipNorm, 5);
    });

    it('clipping leaves g alone when ‖g‖ <= c', () => {
      const [, g] = gradients();
      const p = params();
      const clipped = runOptimizer({ kind: 'sgd', lr: 0.1, clipNorm: 10 }, p, g);
      const plain = runOptimizer({ kind: 'sgd', lr: 0.1 }, p, g);
      expect(Array.from(clipped.p)).toEqual(Array.from(plain.p));
      expect(clipped.norms[0]).toBeCloseTo(norm(g), 6);
    });

    it('clipping applies before L2 decay is added (decay is not clipped)', () => {
      const [g] = gradients();
      const p = params();
      const [lr, decay, clipNorm] = [f32(0.1), f32(0.2), f32(0.5)];
      const result = runOptimizer({ kind: 'sgd', lr, decay, clipNorm }, p, g);
      const scale = clipNorm / norm(g);
      for (let i = 0; i < N; i++) expect(result.p[i]).toBeCloseTo(p[i] - lr * (g[i] * scale + decay * p[i]), 6);
    });

    it('the norm is -1 (not computed) unless clipping or tracking asks for it', () => {
      const [g] = gradients();
      expect(runOptimizer({ kind: 'sgd', lr: 0.1 }, params(), g).norms[0]).toBe(-1);
      expect(runOptimizer({ kind: 'sgd', lr: 0.1, trackNorm: true }, params(), g).norms[0]).toBeCloseTo(norm(g), 6);
    });

    it('each call increments the step counter, which Adam uses as t for bias correction', () => {
      const [g] = gradients();
      const p = params();
      const adam = { lr: f32(0.01), beta1: f32(0.9), beta2: f32(0.999), epsilon: f32(1e-8) };
      const result = runOptimizer({ kind: 'adam', ...adam }, p, g, 3);
      expect(result.step).toBe(3);
      const expected = adamReference(
        Float64Array.from(p),
        [g, g, g].map((x) => Float64Array.from(x)),
        { ...adam, decay: 0, decoupled: false },
      );
      for (let i = 0; i < N; i++) expect(result.p[i]).toBeCloseTo(expected.p[i], 6);
      // Resuming from a stored step count continues the bias-correction schedule.
      const resumed = runOptimizer({ kind: 'adam', ...adam, step: 41 }, p, g);
      expect(resumed.step).toBe(42);
    });

    it('kinds route to their rules: momentum, Nesterov and AdamW through the descriptor', () => {
      const [g] = gradients();
      const p = params();
      const [lr, mu] = [f32(0.1), f32(0.9)];
      const heavy = runOptimizer({ kind: 'momentum', lr, beta1: mu }, p, g, 2);
      const nesterov = runOptimizer({ kind: 'nesterov', lr, beta1: mu }, p, g, 2);
      for (let i = 0; i < N; i++) {
        // Constant g: v₁ = g, v₂ = (1+μ)g.
        expect(heavy.p[i]).toBeCloseTo(p[i] - lr * g[i] - lr * (1 + mu) * g[i], 5);
        expect(nesterov.p[i]).toBeCloseTo(p[i] - lr * (g[i] + mu * g[i]) - lr * (g[i] + mu * (1 + mu) * g[i]), 5);
        expect(heavy.m1[i]).toBeCloseTo((1 + mu) * g[i], 5);
      }
      const adamw = { lr: f32(0.01), beta1: f32(0.9), beta2: f32(0.999), epsilon: f32(1e-8), decay: f32(0.1) };
      const result = runOptimizer({ kind: 'adamw', ...adamw }, p, g, 2);
      const expected = adamReference(
        Float64Array.from(p),
        [g, g].map((x) => Float64Array.from(x)),
        { ...adamw, decoupled: true },
      );
      for (let i = 0; i < N; i++) expect(result.p[i]).toBeCloseTo(expected.p[i], 6);
    });
    /** The descriptor the host writes for a rule: SGD with momentum has rules of its own, β1 carries μ. */
    function descriptorFor(rule: NormalizedOptimizer): Descriptor {
      const kind = rule.type === 'sgd' && rule.momentum > 0 ? (rule.nesterov ? 'nesterov' : 'momentum') : rule.type;
      return {
        kind,
        lr: f32(rule.learningRate),
        beta1: f32(rule.type === 'sgd' || rule.type === 'rmsprop' ? rule.momentum : rule.beta1),
        beta2: f32(rule.beta2),
        epsilon: f32(rule.epsilon),
        decay: f32(rule.weightDecay),
        alpha: f32(rule.alpha),
        lrDecay: f32(rule.lrDecay),
        initialAccumulator: f32(rule.initialAccumulatorValue),
      };
    }

    /** The settings each optimizer is checked with, over its normalizeOptimizer defaults. */
    const variants = (type: NormalizedOptimizer['type']): Partial<OptimizerConfig>[] =>
      type === 'sgd'
        ? [{}, { momentum: 0.9 }, { momentum: 0.9, nesterov: true }]
        : type === 'rmsprop'
          ? [{}, { weightDecay: 0.1 }, { momentum: 0.9 }]
          : type === 'adagrad'
            ? [{}, { weightDecay: 0.1 }, { lrDecay: 0.1, initialAccumulatorValue: 0.5 }]
            : [{}, { weightDecay: 0.1 }];

    it.each(OPTIMIZERS)(
      '%s (from src/, at its defaults and with decay or momentum): three steps match the float64 rule',
      (type) => {
        const [g] = gradients();
        const p = params();
        for (const variant of variants(type)) {
          const rule = normalizeOptimizer({ type, learningRate: 0.05, ...variant });
          const descriptor = descriptorFor(rule);
          const result = runOptimizer(descriptor, p, g, 3);
          // The float64 rule at the f32 settings the core receives.
          const atF32 = {
            ...rule,
            learningRate: f32(rule.learningRate),
            momentum: f32(rule.momentum),
            beta1: f32(rule.beta1),
            beta2: f32(rule.beta2),
            epsilon: f32(rule.epsilon),
            weightDecay: f32(rule.weightDecay),
            alpha: f32(rule.alpha),
            lrDecay: f32(rule.lrDecay),
            initialAccumulatorValue: f32(rule.initialAccumulatorValue),
          };
          const expected = optimizerSteps(atF32, p, [g, g, g]);
          const label = `${type} ${JSON.stringify(variant)}`;
          expect(result.step, `${label}: step counter`).toBe(3);
          expectClose(result.p, expected.params, TOLERANCE, `${label}: parameters`);
          if (descriptor.kind !== 'sgd') expectClose(result.m1, expected.moment1, TOLERANCE, `${label}: first moment`);
          if (type !== 'sgd') expectClose(result.m2, expected.moment2, TOLERANCE, `${label}: second moment`);
        }
      },
    );
  });
});

describe("through a Model: one full-batch step equals the rule applied to the core's gradient", () => {
  const inputs = uniform(seededRandom(11), 8 * 3);
  const targets = uniform(seededRandom(12), 8 * 2);
  const spec = (optimizer: OptimizerConfig) => ({
    inputSize: 3,
    layers: [{ units: 4, activation: 'tanh' as const }, { units: 2 }],
    optimizer,
    seed: 5,
  });

  /** Parameters before and after one step on all 8 rows, and the gradient at the start. */
  async function oneStep(optimizer: OptimizerConfig) {
    const model = await createModel(spec(optimizer));
    const gradient = flatGradient(coreGradients(await createModel(spec(optimizer)), inputs, targets, 8));
    const before = flatWeights(model);
    await model.fit({ inputs, targets }, { epochs: 1, batchSize: 8, shuffle: false });
    return { before, after: flatWeights(model), gradient };
  }
  const flatGradient = (g: ReturnType<typeof coreGradients>) => g.layers.flatMap((l) => [...l.weights, ...l.bias]);

  it('clipNorm: the step is lr·c·g/‖g‖ when ‖g‖ > c', async () => {
    const [lr, clipNorm] = [f32(0.1), f32(1e-3)];
    const { before, after, gradient } = await oneStep({ type: 'sgd', learningRate: lr, clipNorm });
    const gradientNorm = Math.hypot(...gradient);
    expect(gradientNorm).toBeGreaterThan(clipNorm);
    const step = Array.from(after, (p, i) => p - before[i]);
    expectClose(
      step,
      gradient.map((g) => (-lr * clipNorm * g) / gradientNorm),
      { atol: 2e-7, rtol: 1e-3 },
      'clipped step',
    );
    expect(Math.hypot(...step)).toBeCloseTo(lr * clipNorm, 6);
  });

  it('weightDecay with SGD: the step is -lr·(g + λ·p)', async () => {
    const [lr, decay] = [f32(0.1), f32(0.3)];
    const { before, after, gradient } = await oneStep({ type: 'sgd', learningRate: lr, weightDecay: decay });
    expectClose(
      Array.from(after, (p, i) => p - before[i]),
      gradient.map((g, i) => -lr * (g + decay * before[i])),
      { atol: 2e-7, rtol: 1e-4 },
      'decayed step',
    );
  });

  it('setOptimizer switches the rule and restarts its state (moments zero, step 0, the new rate)', async () => {
    const model = await createModel(spec({ type: 'adam', learningRate: 0.01 }));
    await model.fit({ inputs, targets }, { epochs: 2, batchSize: 4 });
    expect(model.training.steps).toBe(4);
    model.setOptimizer({ type: 'sgd', learningRate: 0.2, momentum: 0.5 });
    const state = engineOf(model).snapshot(true);
    expect(state.moment1!.every((v) => v === 0) && state.moment2!.every((v) => v === 0)).toBe(true);
    expect(model.training).toMatchObject({ steps: 0, learningRate: 0.2 });
    expect(model.optimizer).toMatchObject({ type: 'sgd', momentum: 0.5 });
    // The next step is momentum SGD from v = 0, i.e. a plain SGD step.
    const gradient = flatGradient(coreGradients(model, inputs, targets, 8));
    const before = flatWeights(model);
    await model.fit({ inputs, targets }, { epochs: 1, batchSize: 8, shuffle: false });
    expectClose(
      Array.from(flatWeights(model), (p, i) => p - before[i]),
      gradient.map((g) => -f32(0.2) * g),
      { atol: 2e-7, rtol: 1e-4 },
      'first step after the switch',
    );
  });
});
