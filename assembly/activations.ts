// -----------------------------------------------------------------------------
// Activations: each one's forward a = σ(z) and its backward g ← g ⊙ σ'(z) side
// by side. Derivatives are written in terms of the output a (what the network
// keeps), so pre-activations need not be stored:
//
//   linear    a = z                         σ' = 1
//   sigmoid   a = 1 / (1 + e^-z)            σ' = a (1 - a)
//   tanh      a = tanh z                    σ' = 1 - a²
//   relu      a = max(z, 0)                 σ' = [a > 0]
//   softplus  a = log(1 + e^z)              σ' = sigmoid(z) = 1 - e^-a
//   softmax   a_j = e^z_j / Σ_k e^z_k       (Jᵀg)_j = a_j (g_j - Σ_k g_k a_k)
//   leakyRelu a = z > 0 ? z : α z             σ' = a > 0 ? 1 : α          (α ≥ 0)
//   elu       a = z > 0 ? z : α (e^z - 1)     σ' = z > 0 ? 1 : α e^z      (α ≥ 0)
//                                             (without z: a > 0 ? 1 : a + α)
//   selu      a = λ elu_α(z)                  σ' = z > 0 ? λ : λα e^z  (without z: a + λα)
//             (PyTorch's α = 1.6732632423543772, λ = 1.0507009873554805; no parameter)
//   gelu      a = z Φ(z), Φ the normal CDF     σ' = Φ(z) + z φ(z)          NEEDS z
//             (the exact erf form, PyTorch's nn.GELU() default; see normalCdf)
//   geluTanh  a = ½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))                 NEEDS z
//             (PyTorch's nn.GELU(approximate='tanh'), Keras' gelu(approximate=True))
//   silu      a = z σ(z)                      σ' = σ(z) (1 + z (1 - σ(z)))  NEEDS z
//
// Buffers are [rows, n] row-major; forward may run in place (z == a). `alpha` is
// α for leakyRelu and elu and ignored by the other kinds. The backward of gelu,
// geluTanh and silu cannot be written in terms of a, so it reads the
// pre-activations z (a buffer of their own: a layer that runs its forward in
// place keeps only a); elu and selu use z when given (z != 0), else a; the
// other kinds ignore z (pass 0).
//
// Precision: elu/selu's σ' = a + α from a loses absolute precision as z → -∞
// (a → -α): about one ulp of α (1.2e-7 at α = 1), like 1 - a² for tanh; from z
// it is a few ulps relative. silu's σ' is computed in float64.
//
// gelu, measured on 40,001 points of [-10, 10] (test/kernels/activation-kinds.test.ts,
// 'gelu over a dense grid'): a within 1.6e-7 relative (2.2 ulps) of a float64 z·Φ(z),
// σ' within 6.8e-8 absolute (σ' = Φ + zφ crosses 0 at z ≈ -0.75, so its error is
// absolute there). Against PyTorch's nn.GELU() (torch 1.13, CPU) at the 33 points of
// test/kernels/fixtures/torch-activations.json, -30..30: a within 2.4e-7 relative of
// torch's float64 wherever torch's own ½x(1 + erf(x/√2)) does not cancel (x ≥ -5),
// and within 2e-6 absolute of torch's float32, whose 1 + erf cancels for x < 0. gelu evaluates Φ in
// float64 (normalCdf), so a is z·Φ(z) correctly rounded to within about 1 f32 ulp.
// -----------------------------------------------------------------------------

import { LINEAR, SIGMOID, TANH, RELU, SOFTPLUS, SOFTMAX, LEAKY_RELU, ELU, SELU, GELU, GELU_TANH, SILU } from './abi';

/** SELU's α and λ (Klambauer et al. 2017), as PyTorch and Keras define them. */
export const SELU_ALPHA: f32 = 1.6732632423543772;
export const SELU_SCALE: f32 = 1.0507009873554805;

/**
 * erfc(x) in float64 with relative error below 1.2e-7 for every x (Numerical Recipes'
 * Chebyshev fit, `erfcc`): about one f32 ulp, so its f32 rounding is within ~1.5 ulp.
 */
// @ts-ignore: decorator
@inline export function erfc64(x: f64): f64 {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Φ(z) = ½ erfc(-z/√2), the standard normal CDF, accurate in both tails (no 1 + erf cancellation). */
// @ts-ignore: decorator
@inline export function normalCdf(z: f64): f64 {
  return 0.5 * erfc64(-z * Math.SQRT1_2);
}

/** φ(z) = e^(-z²/2) / √(2π), the standard normal density. */
// @ts-ignore: decorator
@inline export function normalPdf(z: f64): f64 {
  return 0.3989422804014327 * Math.exp(-0.5 * z * z);
}

/** √(2/π) and the cubic coefficient of GELU's tanh approximation. */
const GELU_TANH_K: f64 = 0.7978845608028654;
const GELU_TANH_C: f64 = 0.044715;

// @ts-ignore: decorator
@inline export function sigmoid(z: f32): f32 {
  // Never exponentiate a positive number: stable at ±∞.
  if (z >= 0) return 1 / (1 + Mathf.exp(-z));
  const e = Mathf.exp(z);
  return e / (1 + e);
}

// @ts-ignore: decorator
@inline function sigmoid64(z: f64): f64 {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

// @ts-ignore: decorator
@inline export function softplus(z: f32): f32 {
  // log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
  return Mathf.max(z, 0) + Mathf.log1p(Mathf.exp(-Mathf.abs(z)));
}

/** Numerically stable softmax of one row of n values, z -> a (may alias). */
export function softmaxRow(z: usize, a: usize, n: i32): void {
  let max = load<f32>(z);
  for (let j = 1; j < n; j++) max = Mathf.max(max, load<f32>(z + (<usize>j << 2)));
  let sum: f32 = 0;
  for (let j = 0; j < n; j++) {
    const e = Mathf.exp(load<f32>(z + (<usize>j << 2)) - max);
    store<f32>(a + (<usize>j << 2), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  for (let j = 0; j < n; j++) store<f32>(a + (<usize>j << 2), load<f32>(a + (<usize>j << 2)) * inv);
}

/** a[rows, n] = σ(z[rows, n]). */
export function activationForward(kind: i32, z: usize, a: usize, rows: i32, n: i32, alpha: f32): void {
  const count = rows * n;
  switch (kind) {
    case LINEAR: {
      if (z != a) memory.copy(a, z, <usize>count << 2);
      break;
    }
    case RELU: {
      const zero = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const off = <usize>i << 2;
        v128.store(a + off, f32x4.max(v128.load(z + off), zero));
      }
      for (; i < count; i++) store<f32>(a + (<usize>i << 2), Mathf.max(load<f32>(z + (<usize>i << 2)), 0));
      break;
    }
    case SIGMOID: {
      for (let i = 0; i < count; i++) store<f32>(a + (<usize>i << 2), sigmoid(load<f32>(z + (<usize>i << 2))));
      break;
    }
    case TANH: {
      for (let i = 0; i < count; i++) store<f32>(a + (<usize>i << 2), Mathf.tanh(load<f32>(z + (<usize>i << 2))));
      break;
    }
    case SOFTPLUS: {
      for (let i = 0; i < count; i++) store<f32>(a + (<usize>i << 2), softplus(load<f32>(z + (<usize>i << 2))));
      break;
    }
    case SOFTMAX: {
      const rowBytes = <usize>n << 2;
      for (let r = 0; r < rows; r++) softmaxRow(z + <usize>r * rowBytes, a + <usize>r * rowBytes, n);
      break;
    }
    case LEAKY_RELU: {
      // max(z, 0) + α·min(z, 0)
      const zero = f32x4.splat(0), alphaV = f32x4.splat(alpha);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const off = <usize>i << 2;
        const zv = v128.load(z + off);
        v128.store(a + off, f32x4.add(f32x4.max(zv, zero), f32x4.mul(alphaV, f32x4.min(zv, zero))));
      }
      for (; i < count; i++) {
        const zi = load<f32>(z + (<usize>i << 2));
        store<f32>(a + (<usize>i << 2), Mathf.max(zi, 0) + alpha * Mathf.min(zi, 0));
      }
      break;
    }
    case ELU:
    case SELU: {
      const negative: f32 = kind == SELU ? SELU_SCALE * SELU_ALPHA : alpha;
      const positive: f32 = kind == SELU ? SELU_SCALE : 1;
      for (let i = 0; i < count; i++) {
        const zi = load<f32>(z + (<usize>i << 2));
        store<f32>(a + (<usize>i << 2), zi > 0 ? positive * zi : negative * Mathf.expm1(zi));
      }
      break;
    }
    case GELU: {
      for (let i = 0; i < count; i++) {
        const zi = <f64>load<f32>(z + (<usize>i << 2));
        store<f32>(a + (<usize>i << 2), <f32>(zi * normalCdf(zi)));
      }
      break;
    }
    case GELU_TANH: {
      for (let i = 0; i < count; i++) {
        const zi = <f64>load<f32>(z + (<usize>i << 2));
        store<f32>(a + (<usize>i << 2), <f32>(0.5 * zi * (1 + Math.tanh(GELU_TANH_K * (zi + GELU_TANH_C * zi * zi * zi)))));
      }
      break;
    }
    case SILU: {
      for (let i = 0; i < count; i++) {
        const zi = load<f32>(z + (<usize>i << 2));
        store<f32>(a + (<usize>i << 2), zi * sigmoid(zi));
      }
      break;
    }
    default: unreachable();
  }
}

/**
 * g[count] ← g ⊙ σ' for leakyRelu, elu and selu from their outputs a[count]: a > 0
 * exactly where z > 0 (α ≥ 0), so σ' = `positive` there, else `shift` (leakyRelu's α)
 * or a + `shift` (elu's α, selu's λα: `addA`).
 */
// @ts-ignore: decorator
@inline function slopeFromOutputs(a: usize, g: usize, count: i32, positive: f32, shift: f32, addA: bool): void {
  const zero = f32x4.splat(0), posV = f32x4.splat(positive), shiftV = f32x4.splat(shift);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const off = <usize>i << 2;
    const av = v128.load(a + off);
    const negativeSlope = addA ? f32x4.add(av, shiftV) : shiftV;
    v128.store(g + off, f32x4.mul(v128.load(g + off), v128.bitselect(posV, negativeSlope, f32x4.gt(av, zero))));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    const av = load<f32>(a + off);
    const slope: f32 = av > 0 ? positive : (addA ? av + shift : shift);
    store<f32>(g + off, load<f32>(g + off) * slope);
  }
}

/**
 * g[rows, n] ← g ⊙ σ'(z), with σ' computed from the outputs a[rows, n], or for GELU,
 * GELU_TANH and SILU (and ELU, SELU when z != 0) from the pre-activations z[rows, n].
 */
export function activationBackward(kind: i32, a: usize, g: usize, rows: i32, n: i32, alpha: f32, z: usize): void {
  const count = rows * n;
  switch (kind) {
    case LINEAR: break;
    case RELU: {
      const zero = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const off = <usize>i << 2;
        const active = f32x4.gt(v128.load(a + off), zero);
        v128.store(g + off, v128.and(v128.load(g + off), active));
      }
      for (; i < count; i++) {
        const off = <usize>i << 2;
        if (!(load<f32>(a + off) > 0)) store<f32>(g + off, 0);
      }
      break;
    }
    case SIGMOID: {
      const one = f32x4.splat(1);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const off = <usize>i << 2;
        const av = v128.load(a + off);
        v128.store(g + off, f32x4.mul(v128.load(g + off), f32x4.mul(av, f32x4.sub(one, av))));
      }
      for (; i < count; i++) {
        const off = <usize>i << 2;
        const av = load<f32>(a + off);
        store<f32>(g + off, load<f32>(g + off) * av * (1 - av));
      }
      break;
    }
    case TANH: {
      const one = f32x4.splat(1);
      let i = 0;
      for (; i + 4 <= count; i += 4) {
        const off = <usize>i << 2;
        const av = v128.load(a + off);
        v128.store(g + off, f32x4.mul(v128.load(g + off), f32x4.sub(one, f32x4.mul(av, av))));
      }
      for (; i < count; i++) {
        const off = <usize>i << 2;
        const av = load<f32>(a + off);
        store<f32>(g + off, load<f32>(g + off) * (1 - av * av));
      }
      break;
    }
    case SOFTPLUS: {
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        // sigmoid(z) = 1 - e^-a, computed as -expm1(-a) to keep precision for small a.
        store<f32>(g + off, load<f32>(g + off) * -Mathf.expm1(-load<f32>(a + off)));
      }
      break;
    }
    case SOFTMAX: {
      const rowBytes = <usize>n << 2;
      for (let r = 0; r < rows; r++) {
        const ar = a + <usize>r * rowBytes;
        const gr = g + <usize>r * rowBytes;
        let dot: f32 = 0;
        for (let j = 0; j < n; j++) dot += load<f32>(gr + (<usize>j << 2)) * load<f32>(ar + (<usize>j << 2));
        for (let j = 0; j < n; j++) {
          const off = <usize>j << 2;
          store<f32>(gr + off, load<f32>(ar + off) * (load<f32>(gr + off) - dot));
        }
      }
      break;
    }
    case LEAKY_RELU: {
      slopeFromOutputs(a, g, count, 1, alpha, false);
      break;
    }
    case ELU:
    case SELU: {
      const positive: f32 = kind == SELU ? SELU_SCALE : 1;
      const negative: f32 = kind == SELU ? SELU_SCALE * SELU_ALPHA : alpha;
      if (z == 0) {
        slopeFromOutputs(a, g, count, positive, negative, true);
        break;
      }
      // With z: σ' = λα·e^z exactly, no cancellation in a + λα as z → -∞.
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const zi = load<f32>(z + off);
        store<f32>(g + off, load<f32>(g + off) * (zi > 0 ? positive : negative * Mathf.exp(zi)));
      }
      break;
    }
    case GELU: {
      assert(z != 0);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const zi = <f64>load<f32>(z + off);
        store<f32>(g + off, <f32>(<f64>load<f32>(g + off) * (normalCdf(zi) + zi * normalPdf(zi))));
      }
      break;
    }
    case GELU_TANH: {
      assert(z != 0);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        const zi = <f64>load<f32>(z + off);
        const th = Math.tanh(GELU_TANH_K * (zi + GELU_TANH_C * zi * zi * zi));
        const slope = 0.5 * (1 + th) + 0.5 * zi * (1 - th * th) * GELU_TANH_K * (1 + 3 * GELU_TANH_C * zi * zi);
        store<f32>(g + off, <f32>(<f64>load<f32>(g + off) * slope));
      }
      break;
    }
    case SILU: {
      assert(z != 0);
      for (let i = 0; i < count; i++) {
        const off = <usize>i << 2;
        // In float64, with 1 - σ(z) = σ(-z): 1 + z(1 - σ) cancels near z ≈ -1.28.
        const zi = <f64>load<f32>(z + off);
        const s = sigmoid64(zi);
        store<f32>(g + off, <f32>(<f64>load<f32>(g + off) * (s * (1 + zi * sigmoid64(-zi)))));
      }
      break;
    }
    default: unreachable();
  }
}
