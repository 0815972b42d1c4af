/**
 * The calling thread's end of the protocol: one Worker, requests by id, replies
 * routed back to them, and every pending request rejected (with the reason) when
 * the worker fails or is terminated.
 */
import { rethrown, type ModelState, type Reply, type Request } from './protocol.js';
import { startWorker, type WorkerHandle } from './spawn.js';

/** A request's answer: its value and the model's properties after it. */
export interface Answer {
  value: unknown;
  state?: ModelState;
}

interface Pending {
  resolve(answer: Answer): void;
  reject(error: Error): void;
  /** Batch and epoch logs of a fit. */
  onLog?(reply: Extract<Reply, { kind: 'batches' | 'epoch' }>): void;
}

/** Distributes a Request without its id. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class Connection {
  private readonly worker: WorkerHandle;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why no request can be made any more (the worker failed, or was disposed). */
  private closed: Error | undefined;

  constructor(readonly url: URL | string) {
    this.worker = startWorker(
      url,
      (reply) => this.receive(reply),
      (error) => this.fail(error),
    );
    this.worker.keepAlive(false);
  }

  /** Sends a request; resolves with its answer, or rejects with the worker's error re-thrown here. */
  request(message: WithoutId<Request>, transfer: Transferable[] = [], onLog?: Pending['onLog']): Promise<Answer> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      try {
        this.worker.post({ ...message, id } as Request, transfer);
      } catch (error) {
        reject(new Error(`simdnet: the request cannot be sent to the worker: ${(error as Error).message}`));
        return;
      }
      this.pending.set(id, { resolve, reject, onLog });
      if (this.pending.size === 1) this.worker.keepAlive(true);
    });
  }

  /** Posts a message that has no answer (ack, stop); `id` is the fit's. */
  notify(message: WithoutId<Request>): void {
    if (!this.closed) this.worker.post({ ...message, id: 0 } as Request);
  }

  /** The id the next request will get (a fit's id, for its acks and stops). */
  peekId(): number {
    return this.nextId;
  }

  private receive(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.kind === 'batches' || reply.kind === 'epoch') {
      pending.onLog?.(reply);
      return;
    }
    this.settle(reply.id);
    if (reply.kind === 'error') pending.reject(rethrown(reply.error));
    else pending.resolve({ value: reply.value, state: reply.state });
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.keepAlive(false);
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    for (const [id, pending] of [...this.pending]) {
      this.settle(id);
      pending.reject(error);
    }
    this.worker.terminate();
  }

  /** Terminates the worker; pending and later requests reject with `reason`. */
  close(reason: Error): void {
    this.fail(reason);
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }
}
