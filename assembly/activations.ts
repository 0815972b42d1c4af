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
//
// Buffers are [rows, n] row-major; forward may run in place (z == a).
// -----------------------------------------------------------------------------

import { LINEAR, SIGMOID, TANH, RELU, SOFTPLUS, SOFTMAX } from './abi';

// @ts-ignore: decorator
@inline export function sigmoid(z: f32): f32 {
  // Never exponentiate a positive number: stable at ±∞.
  if (z >= 0) return 1 / (1 + Mathf.exp(-z));
  const e = Mathf.exp(z);
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
export function activationForward(kind: i32, z: usize, a: usize, rows: i32, n: i32): void {
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
    default: unreachable();
  }
}

/** g[rows, n] ← g ⊙ σ'(z), with σ' computed from the outputs a[rows, n]. */
export function activationBackward(kind: i32, a: usize, g: usize, rows: i32, n: i32): void {
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
    default: unreachable();
  }
}
