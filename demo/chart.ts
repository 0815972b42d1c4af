/**
 * The live training chart (uPlot): x = epochs (fractional while an epoch runs),
 * left axis the training loss, right axis accuracy in percent.
 *
 *   training loss       one point per batch group (mean over the group)
 *   training accuracy   one point per batch group
 *   test accuracy       one point per finished epoch (the 10,000 test images)
 *
 * Points are appended as they come; the chart redraws at most once per animation
 * frame, so a fast training loop never waits for drawing.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartPoint {
  /** Epochs done, fractional (1.5 = half-way through the second epoch). */
  epochs: number;
  loss: number;
  /** 0..1 */
  accuracy: number;
}

const COLORS = { loss: '#d9480f', accuracy: '#1c7ed6', test: '#2b8a3e' };

export class TrainingChart {
  private readonly plot: uPlot;
  private readonly x: number[] = [];
  private readonly loss: (number | null)[] = [];
  private readonly accuracy: (number | null)[] = [];
  private readonly testAccuracy: (number | null)[] = [];
  private redrawPending = false;

  constructor(private readonly container: HTMLElement) {
    const percent = (_: uPlot, values: number[]) => values.map((v) => `${v}%`);
    this.plot = new uPlot(
      {
        width: Math.max(300, container.clientWidth),
        height: 260,
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false },
          loss: { range: (_u, _min, max) => [0, Math.max(0.5, max * 1.05)] },
          percent: { range: [0, 100] },
        },
        axes: [
          { label: 'epochs', labelSize: 20, stroke: '#495057', grid: { stroke: '#eceef0' } },
          { scale: 'loss', label: 'loss', labelSize: 20, stroke: COLORS.loss, grid: { stroke: '#eceef0' } },
          {
            scale: 'percent',
            side: 1,
            label: 'accuracy',
            labelSize: 20,
            stroke: COLORS.accuracy,
            values: percent,
            grid: { show: false },
          },
        ],
        series: [
          { label: 'epochs' },
          {
            label: 'training loss',
            scale: 'loss',
            stroke: COLORS.loss,
            width: 2,
            spanGaps: true,
            points: { show: false },
          },
          {
            label: 'training accuracy',
            scale: 'percent',
            stroke: COLORS.accuracy,
            width: 2,
            spanGaps: true,
            points: { show: false },
          },
          {
            label: 'test accuracy',
            scale: 'percent',
            stroke: COLORS.test,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 7, fill: COLORS.test },
          },
        ],
      },
      [[], [], [], []],
      container,
    );
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(300, container.clientWidth), height: 260 })).observe(
      container,
    );
    this.publish();
  }

  addTrainingPoint(point: ChartPoint): void {
    this.push(point.epochs, point.loss, point.accuracy * 100, null);
  }

  addTestAccuracy(epochs: number, accuracy: number): void {
    // Share the row of the training point at the same x: uPlot's visible window ends at the
    // first of equal x values, so a second row there would not be drawn.
    const last = this.x.length - 1;
    if (last >= 0 && this.x[last] === epochs) {
      this.testAccuracy[last] = accuracy * 100;
      this.scheduleRedraw();
    } else {
      this.push(epochs, null, null, accuracy * 100);
    }
  }

  clear(): void {
    for (const series of [this.x, this.loss, this.accuracy, this.testAccuracy]) series.length = 0;
    this.scheduleRedraw();
  }

  private push(x: number, loss: number | null, accuracy: number | null, test: number | null): void {
    this.x.push(x);
    this.loss.push(loss);
    this.accuracy.push(accuracy);
    this.testAccuracy.push(test);
    this.scheduleRedraw();
  }

  private scheduleRedraw(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      this.plot.setData([this.x, this.loss, this.accuracy, this.testAccuracy]);
      this.publish();
    });
  }

  /** The number of points drawn, as a data attribute (read by test/demo). */
  private publish(): void {
    this.container.dataset.points = String(this.plot.data[0].length);
  }
}
