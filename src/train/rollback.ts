/**
 * Divergence rollback: fit keeps a copy of the model's training state (parameters,
 * optimizer moments, step counter, learning rate, epochs) from the start of the
 * current epoch and of the one before, and puts one back when the loss (or the
 * weights) turn non-finite.
 *
 *   non-finite at batch b > 0 of epoch e   -> the state at the start of epoch e
 *                                              (its first batch's loss was finite)
 *   non-finite at batch 0 of epoch e       -> the state at the start of epoch e-1
 *                                              (the end of epoch e-1 is what diverged)
 *   weights non-finite at the end of epoch e -> the state at the start of epoch e
 *
 * Cost: two copies of the flat buffers (3 × parameters floats each with moments), one
 * copy per epoch; measured in docs/architecture.md.
 */
import { firstNonFiniteValue } from '../model/finite.js';
import type { ParameterSnapshot, TrainableModel } from './types.js';

/** A model's whole training state at one moment. */
export interface TrainingSnapshot {
  buffers: ParameterSnapshot;
  /** Whole epochs completed (global) at the moment of the copy. */
  epochs: number;
  steps: number;
  learningRate: number;
}

/** Copies the model's training state. */
export function captureTraining(model: TrainableModel): TrainingSnapshot {
  return {
    buffers: model.snapshot(true),
    epochs: model.training.epochs,
    steps: model.training.steps,
    learningRate: model.training.learningRate,
  };
}

/** Puts a captured training state back: buffers, step counter, learning rate, epochs. */
export function restoreTraining(model: TrainableModel, state: TrainingSnapshot): void {
  model.restore(state.buffers);
  model.setSteps(state.steps);
  if (state.learningRate !== model.training.learningRate) model.setLearningRate(state.learningRate);
  model.training.epochs = state.epochs;
}

/** Whether every parameter of the model is finite. */
export function parametersFinite(model: TrainableModel): boolean {
  return firstNonFiniteValue(model.parameters()) < 0;
}

/** The last two epoch-start states of a fit. */
export class DivergenceGuard {
  private current: TrainingSnapshot | undefined;
  private previous: TrainingSnapshot | undefined;

  /** Records the state at the start of an epoch. */
  epochStart(model: TrainableModel): void {
    this.previous = this.current;
    this.current = captureTraining(model);
  }

  /**
   * The state to return to when the loss of batch `batch` (0-based) of the current epoch
   * was non-finite, or when the weights were non-finite at its end (`batch` = -1).
   */
  target(batch: number): TrainingSnapshot {
    if (!this.current) throw new Error('simdnet: DivergenceGuard.target before epochStart');
    return batch === 0 && this.previous ? this.previous : this.current;
  }
}
