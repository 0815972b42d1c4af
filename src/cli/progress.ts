/**
 * Per-epoch progress: a live bar (cli-progress) with the running loss, accuracy
 * and samples/s when stderr is a terminal; nothing in between epochs otherwise
 * (CI logs, pipes, --json), where the per-epoch summary line is enough.
 */
import cliProgress from 'cli-progress';
import type { BatchLog } from '../train/fit.js';

export interface EpochProgress {
  onBatch(log: BatchLog): void;
  stop(): void;
}

export function epochProgress(enabled: boolean, label: string, batches: number, withAccuracy = true): EpochProgress {
  if (!enabled || !process.stderr.isTTY) return { onBatch() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | loss {loss}${withAccuracy ? ' | acc {acc}' : ''} | {speed} samples/s | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(batches, 0, { loss: '-', acc: '-', speed: '-' });
  const started = performance.now();
  let samples = 0;
  let smoothedLoss = NaN;
  let smoothedAccuracy = NaN;
  const smooth = (previous: number, value: number) => (Number.isNaN(previous) ? value : 0.95 * previous + 0.05 * value);
  return {
    onBatch(log) {
      samples += log.size;
      smoothedLoss = smooth(smoothedLoss, log.loss);
      if (log.accuracy !== undefined) smoothedAccuracy = smooth(smoothedAccuracy, log.accuracy);
      const seconds = (performance.now() - started) / 1000;
      bar.update(log.batch + 1, {
        loss: smoothedLoss.toFixed(4),
        acc: Number.isNaN(smoothedAccuracy) ? '-' : `${(smoothedAccuracy * 100).toFixed(1)}%`,
        speed: seconds > 0 ? Math.round(samples / seconds).toLocaleString('en-US') : '-',
      });
    },
    stop() {
      bar.stop();
    },
  };
}
