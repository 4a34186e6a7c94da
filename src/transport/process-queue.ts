/**
 * A receive queue of one peer (etcd recvc or propc): messages are handed to `raft.process` one at a
 * time, in order; while one is being processed the rest wait in a bounded queue (4096). A full
 * queue makes `push` return false (the caller drops and counts). A rejected `process` is logged and
 * the queue goes on. No closure or extra promise per message beyond the one `process` returns.
 */
import type { Logger } from '../logger/index.js';
import type { Message } from '../raftpb/index.js';
import { BoundedQueue } from './bounded-queue.js';
import { describeError } from './context.js';
import type { Raft } from './types.js';

/** A bounded, in-order queue in front of raft.process. */
export class ProcessQueue {
  private readonly raft: Raft;
  private readonly logger: Logger;
  private readonly queue: BoundedQueue<Message>;
  private busy = false;
  private closed = false;

  constructor(raft: Raft, logger: Logger, capacity: number) {
    this.raft = raft;
    this.logger = logger;
    this.queue = new BoundedQueue(capacity);
  }

  /** Messages waiting (not counting the one being processed). */
  get queued(): number {
    return this.queue.length;
  }

  /** Hands `m` to raft now if idle, else queues it; false when the queue is full. */
  push(m: Message): boolean {
    if (this.closed) return true;
    if (this.busy) return this.queue.push(m);
    this.run(m);
    return true;
  }

  /** Discards queued messages; later pushes are ignored (peer stopped). */
  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  private run(m: Message): void {
    for (;;) {
      this.busy = true;
      let p: Promise<void>;
      try {
        p = this.raft.process(m);
      } catch (err) {
        this.onReject(err);
        return;
      }
      if (p !== undefined && typeof p.then === 'function') {
        p.then(this.onDone, this.onReject);
        return;
      }
      const next = this.closed ? undefined : this.queue.shift();
      if (next === undefined) {
        this.busy = false;
        return;
      }
      m = next;
    }
  }

  private readonly onDone = (): void => {
    const next = this.closed ? undefined : this.queue.shift();
    if (next === undefined) {
      this.busy = false;
      return;
    }
    this.run(next);
  };

  private readonly onReject = (err: unknown): void => {
    this.logger.warn({ error: describeError(err) }, 'failed to process Raft message');
    this.onDone();
  };
}
