/**
 * Bookkeeping of ReadIndex requests awaiting a heartbeat quorum (etcd raft v3.6 read_only.go):
 * requests are keyed by their context (the bytes of the request's single entry) and kept in arrival
 * order; a quorum of heartbeat acks for one context confirms it and every request queued before it.
 */
import type { Message } from '../raftpb/index.js';
import { ReadOnlyOption } from './config.js';
import { RaftFatalError } from './errors.js';

/** A confirmed read: serve it once the applied index reaches `index`. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/** A pending read request and what it has collected so far. */
export interface ReadIndexStatus {
  req: Message;
  index: number;
  /** Heartbeat acks by voter ID (always `true`; a Map so it feeds quorum.voteResult). */
  acks: Map<bigint, boolean>;
}

/** Keys are the context bytes as a latin1 string (one char per byte: exact and cheap). */
function key(ctx: Uint8Array | undefined): string {
  if (ctx === undefined || ctx.length === 0) return '';
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/** Pending ReadIndex requests of a leader. */
export class ReadOnly {
  readonly option: ReadOnlyOption;
  readonly #pending = new Map<string, ReadIndexStatus>();
  #queue: string[] = [];

  constructor(option: ReadOnlyOption = ReadOnlyOption.ReadOnlySafe) {
    this.option = option;
  }

  /** Queues a request at commit index `index`; a context already pending is ignored. */
  addRequest(index: number, m: Message): void {
    const k = key(m.entries[0]?.data);
    if (this.#pending.has(k)) return;
    this.#pending.set(k, { index, req: m, acks: new Map() });
    this.#queue.push(k);
  }

  /** Records `id`'s ack for `ctx`; returns the acks so far, or undefined if nothing is pending. */
  recvAck(id: bigint, ctx: Uint8Array | undefined): Map<bigint, boolean> | undefined {
    const rs = this.#pending.get(key(ctx));
    if (rs === undefined) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /** Pops every request up to and including the one acked by `m`'s context. */
  advance(m: Message): ReadIndexStatus[] {
    const ctx = key(m.context);
    const rss: ReadIndexStatus[] = [];
    let i = 0;
    let found = false;
    for (const okctx of this.#queue) {
      i++;
      const rs = this.#pending.get(okctx);
      if (rs === undefined) throw new RaftFatalError('cannot find corresponding read state from pending map');
      rss.push(rs);
      if (okctx === ctx) {
        found = true;
        break;
      }
    }
    if (!found) return [];
    this.#queue = this.#queue.slice(i);
    for (const rs of rss) this.#pending.delete(key(rs.req.entries[0]?.data));
    return rss;
  }

  /** The context of the newest pending request (carried by plain heartbeats), or undefined. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.#queue.length === 0) return undefined;
    return this.#pending.get(this.#queue[this.#queue.length - 1]!)?.req.entries[0]?.data;
  }

  /** Number of pending requests. */
  pendingCount(): number {
    return this.#queue.length;
  }
}
