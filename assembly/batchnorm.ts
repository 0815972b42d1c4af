// -----------------------------------------------------------------------------
// Batch normalisation of a layer's pre-activations x[rows, n] (row-major) over the
// batch's rows, per unit (column) j:
//
//   training   μ_j = 1/N Σ_r x_rj                       (N = rows, the whole batch)
//              σ²_j = 1/N Σ_r (x_rj - μ_j)²             (biased, two passes)
//              s_j = 1/√(σ²_j + ε)                      (saved with μ for backward)
//              x̂_rj = (x_rj - μ_j)·s_j;   y_rj = γ_j x̂_rj + β_j
//              running: μ̄ ← (1-m)·μ̄ + m·μ;  σ̄² ← (1-m)·σ̄² + m·σ²·N/(N-1)
//              (PyTorch's momentum m, default 0.1 = Keras' momentum 0.99; the running
//              variance takes the unbiased estimate, as PyTorch; N = 1 keeps σ̄²)
//   inference  y_rj = γ_j (x_rj - μ̄_j)/√(σ̄²_j + ε) + β_j
//   backward   given g = ∂L/∂y:  ∂L/∂β_j = Σ_r g_rj;   ∂L/∂γ_j = Σ_r g_rj x̂_rj
//              ∂L/∂x_rj = γ_j s_j (g_rj - ∂L/∂β_j / N - x̂_rj ∂L/∂γ_j / N)
//
// The training kernels work on a slice of units [c0, c1) over ALL the batch's rows:
// every column's sums run over r = 0..N-1 in that order, in f32 (SIMD lanes are
// columns, so a lane and the scalar tail do the same operations), and a column's
// bits do not depend on the slice that contains it. Threads share the work by
// units, never by rows, and get the bits of one thread. Inference is row-wise:
// any split of the rows gives the same bits.
//
// x̂ may alias x (x is read before x̂ is written); so may y, but not x̂ and y both:
// the backward reads x̂. The backward's output may alias g.
// -----------------------------------------------------------------------------

/**
 * Training forward for units [c0, c1) of x[rows, n]: saves μ into mean[n] and s into
 * invStd[n], writes x̂ and y, and updates runningMean / runningVar[n] with momentum m.
 */
export function batchNormForwardTraining(
  x: usize, xhat: usize, y: usize, rows: i32, n: i32, c0: i32, c1: i32,
  gamma: usize, beta: usize, mean: usize, invStd: usize, runningMean: usize, runningVar: usize,
  momentum: f32, epsilon: f32,
): void {
  const rowBytes = <usize>n << 2;
  const count: f32 = <f32>rows;
  const unbias: f32 = rows > 1 ? <f32>(<f64>rows / <f64>(rows - 1)) : 0;
  const keep: f32 = 1 - momentum;
  let j = c0;
  for (; j + 4 <= c1; j += 4) {
    const col = <usize>j << 2;
    let sum = f32x4.splat(0);
    for (let r = 0; r < rows; r++) sum = f32x4.add(sum, v128.load(x + <usize>r * rowBytes + col));
    const mu = f32x4.div(sum, f32x4.splat(count));
    let squares = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const d = f32x4.sub(v128.load(x + <usize>r * rowBytes + col), mu);
      squares = f32x4.add(squares, f32x4.mul(d, d));
    }
    const variance = f32x4.div(squares, f32x4.splat(count));
    const s = f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(variance, f32x4.splat(epsilon))));
    v128.store(mean + col, mu);
    v128.store(invStd + col, s);
    const keepV = f32x4.splat(keep), mV = f32x4.splat(momentum);
    v128.store(runningMean + col, f32x4.add(f32x4.mul(keepV, v128.load(runningMean + col)), f32x4.mul(mV, mu)));
    if (rows > 1) {
      const unbiased = f32x4.mul(variance, f32x4.splat(unbias));
      v128.store(runningVar + col, f32x4.add(f32x4.mul(keepV, v128.load(runningVar + col)), f32x4.mul(mV, unbiased)));
    }
    const gV = v128.load(gamma + col), bV = v128.load(beta + col);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const normalised = f32x4.mul(f32x4.sub(v128.load(x + at), mu), s);
      v128.store(xhat + at, normalised);
      v128.store(y + at, f32x4.add(f32x4.mul(gV, normalised), bV));
    }
  }
  for (; j < c1; j++) {
    const col = <usize>j << 2;
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(x + <usize>r * rowBytes + col);
    const mu = sum / count;
    let squares: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const d = load<f32>(x + <usize>r * rowBytes + col) - mu;
      squares += d * d;
    }
    const variance = squares / count;
    const s: f32 = 1 / Mathf.sqrt(variance + epsilon);
    store<f32>(mean + col, mu);
    store<f32>(invStd + col, s);
    store<f32>(runningMean + col, keep * load<f32>(runningMean + col) + momentum * mu);
    if (rows > 1) store<f32>(runningVar + col, keep * load<f32>(runningVar + col) + momentum * (variance * unbias));
    const gj = load<f32>(gamma + col), bj = load<f32>(beta + col);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const normalised = (load<f32>(x + at) - mu) * s;
      store<f32>(xhat + at, normalised);
      store<f32>(y + at, gj * normalised + bj);
    }
  }
}

/** Inference forward over all units of x[rows, n]: y = γ (x - μ̄)/√(σ̄² + ε) + β. */
export function batchNormForwardInference(
  x: usize, y: usize, rows: i32, n: i32, gamma: usize, beta: usize, runningMean: usize, runningVar: usize, epsilon: f32,
): void {
  const rowBytes = <usize>n << 2;
  const epsV = f32x4.splat(epsilon), one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const col = <usize>j << 2;
      const s = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(runningVar + col), epsV)));
      const normalised = f32x4.mul(f32x4.sub(v128.load(xr + col), v128.load(runningMean + col)), s);
      v128.store(yr + col, f32x4.add(f32x4.mul(v128.load(gamma + col), normalised), v128.load(beta + col)));
    }
    for (; j < n; j++) {
      const col = <usize>j << 2;
      const s: f32 = 1 / Mathf.sqrt(load<f32>(runningVar + col) + epsilon);
      const normalised = (load<f32>(xr + col) - load<f32>(runningMean + col)) * s;
      store<f32>(yr + col, load<f32>(gamma + col) * normalised + load<f32>(beta + col));
    }
  }
}

/**
 * Backward for units [c0, c1) over all rows: from g = ∂L/∂y[rows, n], the saved x̂[rows, n]
 * and s = invStd[n], writes ∂L/∂γ into dGamma[n], ∂L/∂β into dBeta[n] (overwritten, not
 * accumulated) and ∂L/∂x into dx[rows, n] (may alias g).
 */
export function batchNormBackward(
  g: usize, xhat: usize, dx: usize, rows: i32, n: i32, c0: i32, c1: i32,
  gamma: usize, invStd: usize, dGamma: usize, dBeta: usize,
): void {
  const rowBytes = <usize>n << 2;
  const invCount: f32 = <f32>(1.0 / <f64>rows);
  let j = c0;
  for (; j + 4 <= c1; j += 4) {
    const col = <usize>j << 2;
    let sumG = f32x4.splat(0), sumGX = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const gv = v128.load(g + at);
      sumG = f32x4.add(sumG, gv);
      sumGX = f32x4.add(sumGX, f32x4.mul(gv, v128.load(xhat + at)));
    }
    v128.store(dBeta + col, sumG);
    v128.store(dGamma + col, sumGX);
    const meanG = f32x4.mul(sumG, f32x4.splat(invCount));
    const meanGX = f32x4.mul(sumGX, f32x4.splat(invCount));
    const factor = f32x4.mul(v128.load(gamma + col), v128.load(invStd + col));
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const centred = f32x4.sub(f32x4.sub(v128.load(g + at), meanG), f32x4.mul(v128.load(xhat + at), meanGX));
      v128.store(dx + at, f32x4.mul(factor, centred));
    }
  }
  for (; j < c1; j++) {
    const col = <usize>j << 2;
    let sumG: f32 = 0, sumGX: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      const gv = load<f32>(g + at);
      sumG += gv;
      sumGX += gv * load<f32>(xhat + at);
    }
    store<f32>(dBeta + col, sumG);
    store<f32>(dGamma + col, sumGX);
    const meanG = sumG * invCount;
    const meanGX = sumGX * invCount;
    const factor = load<f32>(gamma + col) * load<f32>(invStd + col);
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * rowBytes + col;
      store<f32>(dx + at, factor * ((load<f32>(g + at) - meanG) - load<f32>(xhat + at) * meanGX));
    }
  }
}
