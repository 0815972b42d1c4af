/**
 * The 280 x 280 drawing canvas: white ink on black (the MNIST convention once the
 * bytes are read as brightness), drawn with the mouse, a pen or a finger through
 * pointer events. Every change hands the 28 x 28 MNIST-style pixels to `onChange`
 * (at most once per animation frame), or undefined after Clear.
 */
import { inkFromRgba, toMnistPixels, MNIST_SIDE } from './preprocess.js';

/** Stroke width in canvas pixels: a digit drawn ~200 px tall gets MNIST's ~2 px strokes. */
const BRUSH_WIDTH = 22;

export class DrawPad {
  private readonly context: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private changePending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly preview: HTMLCanvasElement,
    private readonly onChange: (pixels: Uint8Array | undefined) => void,
  ) {
    this.context = canvas.getContext('2d', { willReadFrequently: true })!;
    this.context.lineCap = 'round';
    this.context.lineJoin = 'round';
    this.clear();
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.last = this.position(event);
      this.strokeTo(this.last); // a click makes a dot
      event.preventDefault();
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.last) return;
      // Coalesced events keep fast strokes smooth where the browser merges moves.
      const events = event.getCoalescedEvents?.() ?? [event];
      for (const e of events.length ? events : [event]) this.strokeTo(this.position(e));
    });
    const end = () => {
      this.last = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.last = undefined;
    this.drawPreview(undefined);
    this.onChange(undefined);
  }

  /** The current drawing as MNIST-style pixels (undefined when empty). */
  pixels(): Uint8Array | undefined {
    const { width, height } = this.canvas;
    return toMnistPixels(inkFromRgba(this.context.getImageData(0, 0, width, height).data, width, height));
  }

  private position(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private strokeTo(point: { x: number; y: number }): void {
    const from = this.last ?? point;
    const c = this.context;
    c.strokeStyle = '#fff';
    c.lineWidth = BRUSH_WIDTH;
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(point.x, point.y);
    c.stroke();
    this.last = point;
    this.scheduleChange();
  }

  private scheduleChange(): void {
    if (this.changePending) return;
    this.changePending = true;
    requestAnimationFrame(() => {
      this.changePending = false;
      const pixels = this.pixels();
      this.drawPreview(pixels);
      this.onChange(pixels);
    });
  }

  /** Shows the 28 x 28 image the network sees. */
  private drawPreview(pixels: Uint8Array | undefined): void {
    const context = this.preview.getContext('2d')!;
    const image = context.createImageData(MNIST_SIDE, MNIST_SIDE);
    for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) {
      const v = pixels ? pixels[i] : 0;
      image.data.set([v, v, v, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }
}
