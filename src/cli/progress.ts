/**
 * Per-epoch progress: a live bar (cli-progress) when stderr is a terminal,
 * nothing in between epochs otherwise (CI logs, pipes, --json).
 */
import cliProgress from 'cli-progress';
import type { BatchLog } from '../train/fit.js';

export interface EpochProgress {
  onBatch(log: BatchLog): void;
  stop(): void;
}

export function epochProgress(enabled: boolean, label: string, batches: number): EpochProgress {
  if (!enabled || !process.stderr.isTTY) return { onBatch() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: `${label} {bar} {percentage}% | loss {loss} | acc {acc} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(batches, 0, { loss: '-', acc: '-' });
  let smoothed = NaN;
  return {
    onBatch(log) {
      smoothed = Number.isNaN(smoothed) ? log.loss : 0.95 * smoothed + 0.05 * log.loss;
      bar.update(log.batch + 1, { loss: smoothed.toFixed(4), acc: log.accuracy === undefined ? '-' : (log.accuracy * 100).toFixed(1) + '%' });
    },
    stop() { bar.stop(); },
  };
}
