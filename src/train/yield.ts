/**
 * Giving the event loop a turn during long synchronous work, so a browser page
 * stays responsive and timers fire. setTimeout(0) is clamped to 4 ms after a
 * few nested calls in browsers, so a MessageChannel (or setImmediate) is used.
 */
export function makeYielder(): () => Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => void };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return () => new Promise((resolve) => setImmediate(resolve));
  }
  if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    const waiting: (() => void)[] = [];
    channel.port1.onmessage = () => waiting.shift()?.();
    return () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        channel.port2.postMessage(null);
      });
  }
  return () => new Promise((resolve) => setTimeout(resolve, 0));
}
