/**
 * Append-only typed arrays for readers that do not know the final length up front
 * (e.g. a streamed CSV file). Capacity doubles when full, so n pushes cost O(n) in total;
 * `toArray()` returns a copy trimmed to exactly `length` elements.
 */

type GrowableKind = Float32Array | Uint32Array;

const DEFAULT_INITIAL_CAPACITY = 1024;

export class GrowableArray<T extends GrowableKind> {
  private readonly allocate: (length: number) => T;
  private buffer: T;
  /** Number of values pushed so far. */
  length = 0;

  constructor(allocate: (length: number) => T, initialCapacity = DEFAULT_INITIAL_CAPACITY) {
    this.allocate = allocate;
    this.buffer = allocate(Math.max(1, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.buffer.length) this.grow();
    this.buffer[this.length++] = value;
  }

  /** A new array holding exactly the pushed values. */
  toArray(): T {
    return this.buffer.slice(0, this.length) as T;
  }

  private grow(): void {
    const larger = this.allocate(this.buffer.length * 2);
    larger.set(this.buffer);
    this.buffer = larger;
  }
}

export function growableFloat32Array(initialCapacity?: number): GrowableArray<Float32Array> {
  return new GrowableArray((length) => new Float32Array(length), initialCapacity);
}

export function growableUint32Array(initialCapacity?: number): GrowableArray<Uint32Array> {
  return new GrowableArray((length) => new Uint32Array(length), initialCapacity);
}
