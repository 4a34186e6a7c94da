/**
 * The simulated network: every message travels encoded (etcd's wire format), waits a random
 * delay, and may be dropped, duplicated or reordered; links can be cut in either direction.
 */
import { decodeMessage, encodeMessage, type Message } from '../../raftpb/index.js';
import type { Prng } from './prng.js';

/** A message on the wire. */
export interface InFlight {
  from: bigint;
  to: bigint;
  /** The sender's incarnation when it sent (snapshot reports go to that life only). */
  fromIncarnation: number;
  bytes: Uint8Array;
  at: number;
}

/** Fault settings, changed by the nemesis. */
export interface NetworkFaults {
  dropRate: number;
  dupRate: number;
  maxDelay: number;
}

/** Messages in flight and the cut links. */
export class SimNetwork {
  readonly #rng: Prng;
  #queue: InFlight[] = [];
  /** "from>to" of every cut link. */
  readonly cut = new Set<string>();
  faults: NetworkFaults = { dropRate: 0, dupRate: 0, maxDelay: 2 };

  constructor(rng: Prng) {
    this.#rng = rng;
  }

  /** Queues `m` for delivery. */
  send(m: Message, now: number, fromIncarnation: number): void {
    const bytes = encodeMessage(m);
    const f = this.faults;
    const copies = this.#rng.chance(f.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.#queue.push({
        from: m.from,
        to: m.to,
        fromIncarnation,
        bytes,
        at: now + this.#rng.range(1, f.maxDelay),
      });
    }
  }

  /** True when the link from → to is cut. */
  isCut(from: bigint, to: bigint): boolean {
    return this.cut.size > 0 && this.cut.has(`${from}>${to}`);
  }

  /** Takes the messages due by `now`, in a random order. */
  due(now: number): InFlight[] {
    const out: InFlight[] = [];
    const keep: InFlight[] = [];
    for (const f of this.#queue) (f.at <= now ? out : keep).push(f);
    this.#queue = keep;
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.#rng.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** True when a due message should be lost (random loss or a cut link). */
  lost(f: InFlight): boolean {
    return this.isCut(f.from, f.to) || this.#rng.chance(this.faults.dropRate);
  }

  /** Decodes a message from the wire. */
  static decode(f: InFlight): Message {
    return decodeMessage(f.bytes);
  }

  /** Number of messages in flight. */
  get size(): number {
    return this.#queue.length;
  }
}
