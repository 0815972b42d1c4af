/**
 * Typed access to the core's issue-12 kernels (activations LEAKY_RELU..SILU, Huber/MAE,
 * RMSprop/Adagrad, dropout, batch norm, L1/L2) and their scalar references, which the
 * host's CoreFunctions does not declare yet (they are not wired into the network).
 */
import type { Core } from '../../src/runtime/core.js';

/** The new kernels' exports (pointers and numbers only). */
export interface KernelFunctions {
  lossAndDeltaWithParameters(
    loss: number,
    outputActivation: number,
    zd: number,
    a: number,
    t: number,
    rows: number,
    n: number,
    writeDelta: number,
    batchRows: number,
    huberDelta: number,
    alpha: number,
    z: number,
  ): number;
  rmspropStep(
    params: number,
    grads: number,
    squareAvg: number,
    momentumBuffer: number,
    gradAvg: number,
    n: number,
    lr: number,
    alpha: number,
    epsilon: number,
    weightDecay: number,
    momentum: number,
    centered: number,
    gradScale: number,
  ): void;
  adagradStep(
    params: number,
    grads: number,
    sumSquares: number,
    n: number,
    lr: number,
    lrDecay: number,
    epsilon: number,
    weightDecay: number,
    step: number,
    gradScale: number,
  ): void;
  dropoutForward(
    a: number,
    mask: number,
    rows: number,
    n: number,
    rate: number,
    seed: number,
    step: number,
    layer: number,
    firstSample: number,
  ): void;
  dropoutBackward(g: number, mask: number, rows: number, n: number): void;
  dropoutKey(seed: number, step: number, layer: number): number;
  batchNormForwardTraining(
    x: number,
    xhat: number,
    y: number,
    rows: number,
    n: number,
    c0: number,
    c1: number,
    gamma: number,
    beta: number,
    mean: number,
    invStd: number,
    runningMean: number,
    runningVar: number,
    momentum: number,
    epsilon: number,
  ): void;
  batchNormForwardInference(
    x: number,
    y: number,
    rows: number,
    n: number,
    gamma: number,
    beta: number,
    runningMean: number,
    runningVar: number,
    epsilon: number,
  ): void;
  batchNormBackward(
    g: number,
    xhat: number,
    dx: number,
    rows: number,
    n: number,
    c0: number,
    c1: number,
    gamma: number,
    invStd: number,
    dGamma: number,
    dBeta: number,
  ): void;
  penalizeWeights(w: number, gw: number, count: number, l1: number, l2: number): number;
  referenceActivationForward(kind: number, z: number, a: number, count: number, alpha: number): void;
  referenceActivationBackward(kind: number, z: number, g: number, count: number, alpha: number): void;
  referenceRegressionLoss(
    loss: number,
    a: number,
    t: number,
    d: number,
    count: number,
    batchCount: number,
    huberDelta: number,
  ): number;
  referenceRmspropStep(
    params: number,
    grads: number,
    squareAvg: number,
    momentumBuffer: number,
    gradAvg: number,
    n: number,
    lr: number,
    alpha: number,
    epsilon: number,
    weightDecay: number,
    momentum: number,
    centered: number,
    gradScale: number,
  ): void;
  referenceAdagradStep(
    params: number,
    grads: number,
    sumSquares: number,
    n: number,
    lr: number,
    lrDecay: number,
    epsilon: number,
    weightDecay: number,
    step: number,
    gradScale: number,
  ): void;
  referenceDropoutForward(
    a: number,
    mask: number,
    rows: number,
    n: number,
    rate: number,
    seed: number,
    step: number,
    layer: number,
    firstSample: number,
  ): void;
  referenceBatchNormForwardTraining(
    x: number,
    xhat: number,
    y: number,
    rows: number,
    n: number,
    gamma: number,
    beta: number,
    mean: number,
    invStd: number,
    runningMean: number,
    runningVar: number,
    momentum: number,
    epsilon: number,
  ): void;
  referenceBatchNormBackward(
    g: number,
    xhat: number,
    dx: number,
    rows: number,
    n: number,
    gamma: number,
    invStd: number,
    dGamma: number,
    dBeta: number,
  ): void;
  referencePenalizeWeights(w: number, gw: number, count: number, l1: number, l2: number): number;
}

/** The new kind codes, by the names the core exports them under. */
export const NEW_KINDS = ['LEAKY_RELU', 'ELU', 'SELU', 'GELU', 'GELU_TANH', 'SILU', 'HUBER', 'MAE'] as const;
export type NewKind = (typeof NEW_KINDS)[number];

/** The new kernels of a core. */
export function kernels(core: Core): KernelFunctions {
  return core.fn as unknown as KernelFunctions;
}

/** The value of an exported kind constant (fails clearly if the core lacks it). */
export function kind(core: Core, name: NewKind): number {
  const global = (core.fn as unknown as Record<string, unknown>)[name];
  if (!(global instanceof WebAssembly.Global)) throw new Error(`the core does not export ${name}`);
  return global.value as number;
}
