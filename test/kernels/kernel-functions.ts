/**
 * The toolbox's kernels (activations LEAKY_RELU..SILU, Huber/MAE, RMSprop/Adagrad, dropout,
 * batch norm, L1/L2) and their scalar references, reached through the generated core
 * interface (src/runtime/core-exports.ts) like every other export: no cast.
 */
import type { Core, CoreFunctions } from '../../src/runtime/core.js';

/** The kernels' exports: the core's own typed interface. */
export type KernelFunctions = CoreFunctions;

/** The toolbox's kind codes, by the names the core exports them under. */
export const NEW_KINDS = ['LEAKY_RELU', 'ELU', 'SELU', 'GELU', 'GELU_TANH', 'SILU', 'HUBER', 'MAE'] as const;
export type NewKind = (typeof NEW_KINDS)[number];

/** The kernels of a core. */
export function kernels(core: Core): KernelFunctions {
  return core.fn;
}

/** The value of an exported kind constant (read from the core's layout). */
export function kind(core: Core, name: NewKind): number {
  return core.layout[name];
}
