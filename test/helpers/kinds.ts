/**
 * The names the op suite iterates come from src/ (a new activation, loss or optimizer is
 * tested without editing a helper), and each name's numeric code is read from the core's
 * exported layout by the naming convention the core follows:
 *
 *   activation 'softplus'       -> SOFTPLUS
 *   loss 'crossEntropy'         -> CROSS_ENTROPY
 *   optimizer 'adamw'           -> OPTIMIZER_ADAMW
 *
 * A name with no such export fails with an error that says which constant is missing.
 */
import type { Activation } from '../../src/model/description.js';
import type { Loss, OptimizerType } from '../../src/model/spec.js';
import type { Layout } from '../../src/runtime/core.js';

export { ACTIVATIONS } from '../../src/model/description.js';
export { LOSSES, OPTIMIZERS } from '../../src/model/spec.js';

/** 'binaryCrossEntropy' -> 'BINARY_CROSS_ENTROPY'. */
export function constantName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function code(layout: Layout, constant: string, what: string): number {
  const value = new Map<string, number>(Object.entries(layout)).get(constant);
  if (value === undefined)
    throw new Error(
      `${what} has no code: the core's layout has no ${constant} (export it from assembly/ and list it in LAYOUT_NAMES, src/runtime/core.ts)`,
    );
  return value;
}

export function activationKind(layout: Layout, activation: Activation): number {
  return code(layout, constantName(activation), `activation '${activation}'`);
}

export function lossKind(layout: Layout, loss: Loss): number {
  return code(layout, constantName(loss), `loss '${loss}'`);
}

/** The core's rule for an optimizer name; SGD with momentum has rules of its own. */
export function optimizerKind(layout: Layout, optimizer: OptimizerType | 'momentum' | 'nesterov'): number {
  return code(layout, `OPTIMIZER_${constantName(optimizer)}`, `optimizer '${optimizer}'`);
}
