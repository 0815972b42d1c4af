/**
 * Learning-rate schedules, applied between epochs. Step and exponential
 * schedules are functions of the model's global epoch count, so training that
 * resumes from a saved model continues the same curve.
 *
 *   step         lr = lr0 · gamma^floor(epoch / stepSize)
 *   exponential  lr = lr0 · gamma^epoch
 *   plateau      lr ← max(lr · factor, minLearningRate) when the monitored metric
 *                has not improved by minDelta for `patience` epochs (then waits
 *                `cooldown` epochs before watching again)
 *   a function   lr = f(epoch, currentLr)
 */
import { checkOptionKeys } from '../options.js';
import type { EpochLog, MetricName, ScheduleConfig } from './types.js';

export type { ScheduleConfig } from './types.js';

export interface Scheduler {
  /** The learning rate for `epoch` (0-based, global), before it runs. */
  before(epoch: number, current: number): number;
  /** Sees the finished epoch's log; may return a new rate. */
  after(log: EpochLog, current: number): number;
}

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

export function makeScheduler(
  config: ScheduleConfig | undefined,
  baseLearningRate: number,
  defaultMonitor: MetricName,
): Scheduler {
  if (config === undefined) return { before: (_, lr) => lr, after: (_, lr) => lr };
  if (typeof config === 'function') {
    return {
      before(epoch, lr) {
        const next = config(epoch, lr);
        if (!positive(next))
          throw new Error(
            `simdnet: the schedule function returned ${next} for epoch ${epoch}; a learning rate must be a positive number`,
          );
        return next;
      },
      after: (_, lr) => lr,
    };
  }
  switch (config.type) {
    case 'step': {
      checkOptionKeys(config, ['type', 'stepSize', 'gamma'], 'step schedule');
      const gamma = config.gamma ?? 0.1;
      if (!(Number.isInteger(config.stepSize) && config.stepSize > 0))
        throw new Error(`simdnet: schedule.stepSize must be a positive integer (epochs), got ${config.stepSize}`);
      if (!positive(gamma)) throw new Error(`simdnet: schedule.gamma must be a positive number, got ${gamma}`);
      return {
        before: (epoch) => baseLearningRate * gamma ** Math.floor(epoch / config.stepSize),
        after: (_, lr) => lr,
      };
    }
    case 'exponential': {
      checkOptionKeys(config, ['type', 'gamma'], 'exponential schedule');
      if (!positive(config.gamma))
        throw new Error(`simdnet: schedule.gamma must be a positive number, got ${config.gamma}`);
      return { before: (epoch) => baseLearningRate * config.gamma ** epoch, after: (_, lr) => lr };
    }
    case 'plateau': {
      checkOptionKeys(
        config,
        ['type', 'factor', 'patience', 'minDelta', 'minLearningRate', 'cooldown', 'monitor'],
        'plateau schedule',
      );
      const factor = config.factor ?? 0.5;
      const patience = config.patience ?? 2;
      const minDelta = config.minDelta ?? 1e-4;
      const minLearningRate = config.minLearningRate ?? 0;
      const cooldown = config.cooldown ?? 0;
      const monitor = config.monitor ?? defaultMonitor;
      if (!(factor > 0 && factor < 1)) throw new Error(`simdnet: schedule.factor must be in (0, 1), got ${factor}`);
      if (!(Number.isInteger(patience) && patience >= 0))
        throw new Error(`simdnet: schedule.patience must be a non-negative integer, got ${patience}`);
      const tracker = new ImprovementTracker(monitor, minDelta);
      let coolingDown = 0;
      return {
        before: (_, lr) => lr,
        after(log, lr) {
          const improved = tracker.observe(log);
          if (coolingDown > 0) {
            coolingDown--;
            tracker.wait = 0;
            return lr;
          }
          if (improved || tracker.wait < patience) return lr;
          tracker.wait = 0;
          coolingDown = cooldown;
          return Math.max(lr * factor, minLearningRate);
        },
      };
    }
    default:
      throw new Error(
        `simdnet: unknown schedule type '${String((config as { type?: unknown }).type)}'; expected step, exponential, plateau or a function`,
      );
  }
}

/**
 * Tracks the best value of one metric (lower is better for losses, higher for
 * accuracies) and how many epochs have passed without an improvement > minDelta.
 */
export class ImprovementTracker {
  best = NaN;
  bestEpoch = -1;
  wait = 0;
  private readonly higherIsBetter: boolean;

  constructor(
    readonly monitor: MetricName,
    readonly minDelta: number,
  ) {
    this.higherIsBetter = monitor === 'accuracy' || monitor === 'valAccuracy';
  }

  /** Records an epoch; true when it improved on the best so far. */
  observe(log: EpochLog): boolean {
    const value = log[this.monitor];
    if (value === undefined)
      throw new Error(
        `simdnet: cannot monitor '${this.monitor}': this fit does not produce it${this.monitor.startsWith('val') ? ' (no validationData given)' : ''}`,
      );
    const gain = this.higherIsBetter ? value - this.best : this.best - value;
    if (Number.isNaN(this.best) || gain > this.minDelta) {
      this.best = value;
      this.bestEpoch = log.epoch;
      this.wait = 0;
      return true;
    }
    this.wait++;
    return false;
  }
}
