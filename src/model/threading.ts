/**
 * How many threads a model uses, and the rule of `threads: 'auto'`: a batch (or an inference
 * call) is shared out only when its work is large enough for a second thread to gain.
 *
 * Work is counted in multiply-adds of the forward pass: rows × Σ in·out over the layers (a
 * training step does about 3× that). Handing a round to a helper and joining it costs a few
 * µs when the helper spins on an idle core, but tens of µs to milliseconds when it sleeps or
 * its core is busy with other processes; below AUTO_MIN_MACS that cost outweighs half the
 * work (bench/threads-crossover.ts measured it; docs/architecture.md, "Threads only where
 * they pay", has the table).
 */

/** Threads training a model: `threads` < `requested` when threads were unavailable or do not pay (`reason`). */
export interface Threading {
  /** Threads in use (for the last batch or inference call), the main one included. */
  threads: number;
  /** Threads the spec asked for ('auto': the cores, up to 4). */
  requested: number;
  /** Why fewer threads than requested are in use. */
  reason?: string;
  /** Whether the spec said `threads: 'auto'`: each batch then uses one thread when it is too small to gain from more. */
  auto?: boolean;
}

/**
 * Forward multiply-adds per batch (rows × Σ in·out) from which 'auto' shares a batch out:
 * the 2-thread/1-thread crossover measured by bench/threads-crossover.ts, with margin.
 */
export const AUTO_MIN_MACS = 2_000_000;

/** Forward multiply-adds per row: Σ in·out over the layers. */
export function macsPerRow(layers: readonly { inSize: number; units: number }[]): number {
  return layers.reduce((sum, layer) => sum + layer.inSize * layer.units, 0);
}

/** What 'auto' does with a batch of `rows` rows: all `available` threads, or one and why. */
export function autoThreads(rows: number, rowMacs: number, available: number): { threads: number; reason?: string } {
  if (rows * rowMacs >= AUTO_MIN_MACS) return { threads: available };
  return {
    threads: 1,
    reason: `auto: ${rows} rows × ${rowMacs} multiply-adds is below ${AUTO_MIN_MACS} per batch, too little work for a second thread to gain`,
  };
}

/**
 * Whether `rows` rows are worth sharing out under 'auto'; updates `threading` to say what
 * the call uses (autoThreads).
 */
export function autoThreadsPay(threading: Threading, rows: number, rowMacs: number, available: number): boolean {
  const choice = autoThreads(rows, rowMacs, available);
  threading.threads = choice.threads;
  if (choice.reason === undefined) delete threading.reason;
  else threading.reason = choice.reason;
  return choice.threads > 1;
}
