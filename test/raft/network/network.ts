/**
 * An in-memory network of raft state machines for unit tests (the `network` harness of etcd's
 * raft_test.go, redesigned): messages are delivered synchronously until the network is quiet, with
 * per-link drop rates, ignored message types and a hook that can swallow messages. Durability is
 * instant: each node's responses that wait for its storage are stepped (or sent) right away.
 */

import type { Config } from '../../../src/raft/config.js';
import type { RaftLogger } from '../../../src/raft/logger.js';
import { Raft } from '../../../src/raft/raft.js';
import { MemoryStorage } from '../../../src/raft/storage.js';
import { type Entry, type Message, MessageType, NONE, newSnapshot } from '../../../src/raftpb/index.js';

/** A seeded PRNG (mulberry32) returning floats in [0, 1): reproducible tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Something the network can deliver to. */
export interface StateMachine {
  step(m: Message): Error | undefined;
  readMessages(): Message[];
  advanceMessagesAfterAppend(): void;
}

/** Steps messages addressed to r and queues the rest (the storage write is instant). */
export function stepOrSend(r: Raft, msgs: Message[]): void {
  for (const m of msgs) {
    if (m.to === r.id) r.step(m);
    else r.msgs.push(m);
  }
}

/** Delivers r's durability-gated responses until none are left. */
export function advanceMessagesAfterAppend(r: Raft): void {
  for (;;) {
    const msgs = r.msgsAfterAppend;
    if (msgs.length === 0) return;
    r.msgsAfterAppend = [];
    stepOrSend(r, msgs);
  }
}

/** Takes r's outgoing messages (after its self-acknowledgements). */
export function readMessages(r: Raft): Message[] {
  advanceMessagesAfterAppend(r);
  const msgs = r.msgs;
  r.msgs = [];
  return msgs;
}

/** Wraps a Raft as a network peer. */
export function peerOf(r: Raft): StateMachine {
  return {
    step: (m) => r.step(m),
    readMessages: () => readMessages(r),
    advanceMessagesAfterAppend: () => advanceMessagesAfterAppend(r),
  };
}

/** A peer that swallows everything. */
export const blackHole: StateMachine = {
  step: () => undefined,
  readMessages: () => [],
  advanceMessagesAfterAppend: () => {},
};

/** A MemoryStorage whose initial ConfState has these voters and learners. */
export function newTestMemoryStorage(
  voters: readonly bigint[],
  learners: readonly bigint[] = [],
): MemoryStorage {
  const ms = new MemoryStorage();
  ms.setConfState({
    voters: [...voters],
    learners: [...learners],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  });
  return ms;
}

/** etcd's newTestConfig: no size limit, 256 inflight messages. */
export function newTestConfig(
  id: bigint,
  election: number,
  heartbeat: number,
  storage: MemoryStorage,
  extra: Partial<Config> = {},
): Config {
  return {
    id,
    electionTick: election,
    heartbeatTick: heartbeat,
    storage,
    maxSizePerMsg: Number.POSITIVE_INFINITY,
    maxInflightMsgs: 256,
    random: seededRandom(Number(id) * 7919),
    ...extra,
  };
}

/** A Raft over `storage` (whose ConfState names the members). */
export function newTestRaft(
  id: bigint,
  election: number,
  heartbeat: number,
  storage: MemoryStorage,
  extra: Partial<Config> = {},
): Raft {
  return new Raft(newTestConfig(id, election, heartbeat, storage, extra));
}

/** Persists r's unstable entries into s, runs the self-acks, returns and applies what is committed. */
export function nextEnts(r: Raft, s: MemoryStorage): Entry[] {
  s.append(r.raftLog.nextUnstableEnts());
  r.raftLog.stableTo(r.raftLog.lastIndex(), r.raftLog.lastTerm());
  advanceMessagesAfterAppend(r);
  const ents = r.raftLog.nextCommittedEnts(true);
  r.raftLog.appliedTo(r.raftLog.committed, 0);
  return ents;
}

/** A log line collector usable as a raft logger in tests. */
export class CollectingLogger implements RaftLogger {
  readonly lines: string[] = [];
  debug(msg: string): void {
    this.lines.push(`DEBUG ${msg}`);
  }
  info(msg: string): void {
    this.lines.push(`INFO ${msg}`);
  }
  warning(msg: string): void {
    this.lines.push(`WARN ${msg}`);
  }
  error(msg: string): void {
    this.lines.push(`ERROR ${msg}`);
  }
  fatal(msg: string): void {
    this.lines.push(`FATAL ${msg}`);
  }
  panic(msg: string): void {
    this.lines.push(`FATAL ${msg}`);
  }
}

interface Conn {
  from: bigint;
  to: bigint;
}
const connKey = (c: Conn): string => `${c.from}>${c.to}`;

/** The simulated network. Peer IDs are 1..n in the order given. */
export class Network {
  readonly peers = new Map<bigint, StateMachine>();
  /** The Raft of each peer that is one (black holes have none). */
  readonly rafts = new Map<bigint, Raft>();
  readonly storage = new Map<bigint, MemoryStorage>();
  readonly #dropm = new Map<string, number>();
  readonly #ignorem = new Set<MessageType>();
  readonly #random: () => number;
  /** Return false to drop a message before delivery. */
  msgHook: ((m: Message) => boolean) | undefined;

  /**
   * `peers[i]` is peer i+1: a Raft (used as is), the black hole, or undefined (a fresh Raft with
   * election 10, heartbeat 1, whose storage names every peer as voter; `configure` may adjust it).
   */
  constructor(peers: Array<Raft | StateMachine | undefined>, configure?: (c: Config) => void, seed = 1) {
    this.#random = seededRandom(seed);
    const ids = peers.map((_, i) => BigInt(i + 1));
    peers.forEach((p, i) => {
      const id = ids[i]!;
      if (p === undefined) {
        const storage = newTestMemoryStorage(ids);
        this.storage.set(id, storage);
        const cfg = newTestConfig(id, 10, 1, storage);
        configure?.(cfg);
        const r = new Raft(cfg);
        this.rafts.set(id, r);
        this.peers.set(id, peerOf(r));
      } else if (p instanceof Raft) {
        this.rafts.set(id, p);
        this.peers.set(id, peerOf(p));
      } else {
        this.peers.set(id, p);
      }
    });
  }

  /** The Raft of peer `id` (throws for black holes). */
  raft(id: bigint | number): Raft {
    const r = this.rafts.get(BigInt(id));
    if (r === undefined) throw new Error(`peer ${id} is not a raft`);
    return r;
  }

  /** Delivers the messages and everything they cause, until quiet. */
  send(...msgs: Message[]): void {
    const queue = [...msgs];
    while (queue.length > 0) {
      const m = queue.shift()!;
      const p = this.peers.get(m.to);
      if (p === undefined) continue;
      p.step(m);
      p.advanceMessagesAfterAppend();
      queue.push(...this.filter(p.readMessages()));
    }
  }

  /** Drops messages from→to with probability `perc` (1 = always). */
  drop(from: bigint | number, to: bigint | number, perc: number): void {
    this.#dropm.set(connKey({ from: BigInt(from), to: BigInt(to) }), perc);
  }

  /** Cuts both directions between two peers. */
  cut(one: bigint | number, other: bigint | number): void {
    this.drop(one, other, 2);
    this.drop(other, one, 2);
  }

  /** Cuts a peer off from every other peer. */
  isolate(id: bigint | number): void {
    for (const other of this.peers.keys()) {
      if (other !== BigInt(id)) this.cut(id, other);
    }
  }

  /** Drops every message of this type. */
  ignore(t: MessageType): void {
    this.#ignorem.add(t);
  }

  /** Heals every cut and ignore. */
  recover(): void {
    this.#dropm.clear();
    this.#ignorem.clear();
  }

  /** What of `msgs` survives drops, ignores and the hook. MsgHup must never be on the wire. */
  filter(msgs: Message[]): Message[] {
    const out: Message[] = [];
    for (const m of msgs) {
      if (this.#ignorem.has(m.type)) continue;
      if (m.type === MessageType.MsgHup) throw new Error('unexpected MsgHup on the network');
      const perc = this.#dropm.get(connKey(m)) ?? 0;
      if (perc > 0 && this.#random() < perc) continue;
      if (this.msgHook !== undefined && !this.msgHook(m)) continue;
      out.push(m);
    }
    return out;
  }
}

/** A message with zero fields except those given (tests build their inputs with it). */
export function mkMsg(fields: Partial<Message> & { type: MessageType }): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

/** An entry at (term, index) with optional data. */
export function ent(term: number, index: number, data?: string): Entry {
  return { term, index, type: 0, data: data === undefined ? undefined : new TextEncoder().encode(data) };
}

export { newSnapshot };
