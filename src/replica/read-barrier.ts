/**
 * Read barriers (etcd's linearizable read loop): callers arriving while a ReadIndex request is in
 * flight are batched into the next one; each request carries a unique context (the replica's
 * session + a sequence number) and is re-sent every RETRY_MS until a ReadState answers it (raft
 * drops a ReadIndex while there is no leader). A barrier resolves with the read index once this
 * member has applied up to it.
 */
import type { ReadState } from '../raft/index.js';
import type { Session } from './envelope.js';
import type { Pending } from './pending.js';

/** etcd's readIndexRetryTime. */
const RETRY_MS = 500;

interface InFlight {
  seq: number;
  ctx: Uint8Array;
  waiters: Pending<number>[];
  timer: NodeJS.Timeout;
}

/** Batches read barriers into ReadIndex requests and releases them as entries are applied. */
export class ReadBarriers {
  #queued: Pending<number>[] = [];
  #inFlight: InFlight | undefined;
  #seq = 0;
  /** Waiting for applied >= index, in ascending index order. */
  #applyWaiters: { index: number; p: Pending<number> }[] = [];

  constructor(
    private readonly session: Session,
    private readonly readIndex: (ctx: Uint8Array) => void,
    private readonly applied: () => number,
  ) {}

  /** Queues a barrier; sends a request unless one is in flight. */
  add(p: Pending<number>): void {
    this.#queued.push(p);
    if (this.#inFlight === undefined) this.#send();
  }

  #send(): void {
    const waiters = this.#queued.filter((p) => !p.done);
    this.#queued = [];
    if (waiters.length === 0) return;
    const seq = ++this.#seq;
    const ctx = new Uint8Array(16);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(0, this.session.hi);
    dv.setUint32(4, this.session.lo);
    dv.setUint32(8, Math.floor(seq / 0x1_0000_0000));
    dv.setUint32(12, seq >>> 0);
    const timer = setTimeout(() => this.#retry(), RETRY_MS);
    this.#inFlight = { seq, ctx, waiters, timer };
    this.readIndex(ctx);
  }

  #retry(): void {
    const f = this.#inFlight;
    if (f === undefined) return;
    if (f.waiters.every((p) => p.done)) {
      this.#inFlight = undefined;
      this.#send();
      return;
    }
    f.timer = setTimeout(() => this.#retry(), RETRY_MS);
    this.readIndex(f.ctx);
  }

  /** A ReadState from a Ready. */
  onReadState(rs: ReadState): void {
    const f = this.#inFlight;
    if (f === undefined || rs.requestCtx.length !== 16) return;
    const dv = new DataView(rs.requestCtx.buffer, rs.requestCtx.byteOffset, 16);
    if (dv.getUint32(0) !== this.session.hi || dv.getUint32(4) !== this.session.lo) return;
    if (dv.getUint32(8) * 0x1_0000_0000 + dv.getUint32(12) !== f.seq) return;
    clearTimeout(f.timer);
    this.#inFlight = undefined;
    const applied = this.applied();
    for (const p of f.waiters) {
      if (p.done) continue;
      if (applied >= rs.index) p.resolve(rs.index);
      else this.#waitApplied(rs.index, p);
    }
    if (this.#queued.length > 0) this.#send();
  }

  #waitApplied(index: number, p: Pending<number>): void {
    const w = this.#applyWaiters;
    let i = w.length;
    while (i > 0 && (w[i - 1] as { index: number }).index > index) i--;
    w.splice(i, 0, { index, p });
  }

  /** Entries were applied up to `applied`. */
  onApplied(applied: number): void {
    const w = this.#applyWaiters;
    if (w.length === 0 || (w[0] as { index: number }).index > applied) return;
    let n = 0;
    while (n < w.length && (w[n] as { index: number }).index <= applied) {
      const x = w[n] as { index: number; p: Pending<number> };
      x.p.resolve(x.index);
      n++;
    }
    w.splice(0, n);
  }

  /** Rejects every barrier and stops the retry timer. */
  close(err: unknown): void {
    if (this.#inFlight !== undefined) {
      clearTimeout(this.#inFlight.timer);
      for (const p of this.#inFlight.waiters) p.reject(err);
      this.#inFlight = undefined;
    }
    for (const p of this.#queued) p.reject(err);
    this.#queued = [];
    for (const x of this.#applyWaiters) x.p.reject(err);
    this.#applyWaiters = [];
  }
}
