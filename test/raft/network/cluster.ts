/**
 * A cluster of RawNodes over MemoryStorages with messages delivered in memory, for both storage
 * contracts: the classic Ready/Advance loop, and asynchronous storage writes with append and apply
 * work queues processed in order (writes are instant, so "durable" means "done").
 */
import { isRaftwireError } from '../../../src/errors/index.js';
import type { Config } from '../../../src/raft/config.js';
import { RawNode, type Ready } from '../../../src/raft/rawnode.js';
import type { MemoryStorage } from '../../../src/raft/storage.js';
import {
  type ConfChange,
  type ConfChangeV2,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  isEmptyHardState,
  isEmptySnap,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  MessageType,
} from '../../../src/raftpb/index.js';
import { newTestMemoryStorage, seededRandom } from './network.js';

/** One member: its RawNode, storage, applied entries and pending local work. */
export interface Member {
  id: bigint;
  node: RawNode;
  storage: MemoryStorage;
  /** Normal entries with data, in apply order. */
  applied: Entry[];
  appendWork: Message[];
  applyWork: Message[];
}

/** Options of a Cluster. */
export interface ClusterOptions {
  async?: boolean;
  config?: Partial<Config>;
}

export class Cluster {
  readonly members = new Map<bigint, Member>();
  /** Messages in flight between members. */
  readonly inflight: Message[] = [];
  readonly async: boolean;
  /** Return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined;

  constructor(size: number, options: ClusterOptions = {}) {
    this.async = options.async ?? false;
    const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
    for (const id of ids) this.add(id, newTestMemoryStorage(ids), options.config);
  }

  /** Adds a member over `storage` (which holds its initial configuration). */
  add(id: bigint, storage: MemoryStorage, config: Partial<Config> = {}): Member {
    const node = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      maxSizePerMsg: Number.POSITIVE_INFINITY,
      maxInflightMsgs: 256,
      asyncStorageWrites: this.async,
      random: seededRandom(Number(id)),
      ...config,
    });
    const m: Member = { id, node, storage, applied: [], appendWork: [], applyWork: [] };
    this.members.set(id, m);
    return m;
  }

  member(id: bigint | number): Member {
    const m = this.members.get(BigInt(id));
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  /** Handles one Ready of `m`; returns false if it had none. */
  handleReady(m: Member): boolean {
    if (!m.node.hasReady()) return false;
    const rd = m.node.ready();
    if (this.async) {
      for (const msg of rd.messages) {
        if (msg.to === LOCAL_APPEND_THREAD) m.appendWork.push(msg);
        else if (msg.to === LOCAL_APPLY_THREAD) m.applyWork.push(msg);
        else this.#send(msg);
      }
    } else {
      this.#persist(m, rd);
      for (const msg of rd.messages) this.#send(msg);
      this.#apply(m, rd.committedEntries);
      m.node.advance(rd);
    }
    return true;
  }

  #persist(m: Member, rd: Pick<Ready, 'snapshot' | 'hardState' | 'entries'>): void {
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) m.storage.applySnapshot(rd.snapshot);
    if (!isEmptyHardState(rd.hardState)) m.storage.setHardState(rd.hardState);
    if (rd.entries.length > 0) m.storage.append(rd.entries);
  }

  #apply(m: Member, ents: readonly Entry[]): void {
    for (const e of ents) {
      if (e.type === EntryType.EntryNormal) {
        if (e.data !== undefined && e.data.length > 0) m.applied.push(e);
        continue;
      }
      let cc: ConfChange | ConfChangeV2;
      if (e.type === EntryType.EntryConfChange) cc = decodeConfChange(e.data ?? new Uint8Array(0));
      else cc = decodeConfChangeV2(e.data ?? new Uint8Array(0));
      m.node.applyConfChange(cc);
    }
  }

  /** Runs the append queue of `m` (in order), then delivers the responses. */
  processAppendThread(m: Member): boolean {
    if (m.appendWork.length === 0) return false;
    const work = m.appendWork.splice(0);
    for (const w of work) {
      this.#persist(m, {
        snapshot: w.snapshot,
        hardState: { term: w.term, vote: w.vote ?? 0n, commit: w.commit },
        entries: w.entries,
      });
    }
    for (const w of work) for (const r of w.responses ?? []) this.#deliverLocal(m, r);
    return true;
  }

  /** Runs the apply queue of `m` (in order), then delivers the responses. */
  processApplyThread(m: Member): boolean {
    if (m.applyWork.length === 0) return false;
    const work = m.applyWork.splice(0);
    for (const w of work) {
      this.#apply(m, w.entries);
      for (const r of w.responses ?? []) this.#deliverLocal(m, r);
    }
    return true;
  }

  #deliverLocal(m: Member, r: Message): void {
    if (r.to === m.id) m.node.step(r);
    else this.#send(r);
  }

  #send(msg: Message): void {
    if (this.filter !== undefined && !this.filter(msg)) return;
    this.inflight.push(msg);
  }

  /** Delivers every message in flight. */
  deliver(): boolean {
    if (this.inflight.length === 0) return false;
    const msgs = this.inflight.splice(0);
    for (const msg of msgs) {
      const to = this.members.get(msg.to);
      if (to === undefined) continue;
      try {
        to.node.step(msg);
      } catch (e) {
        // Dropped forwarded proposals and responses from removed members are expected.
        if (msg.type !== MessageType.MsgProp && !isRaftwireError(e, 'RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND'))
          throw e;
      }
    }
    return true;
  }

  /** Runs everything until nothing is left to do. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const m of this.members.values()) {
        while (this.handleReady(m)) busy = true;
        if (this.processAppendThread(m)) busy = true;
        if (this.processApplyThread(m)) busy = true;
      }
      if (this.deliver()) busy = true;
      if (!busy) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** The ID of the member every member agrees is leader, or undefined. */
  leader(): bigint | undefined {
    for (const m of this.members.values()) {
      if (m.node.raft.lead === m.id) return m.id;
    }
    return undefined;
  }
}

/** The payloads of `m`'s applied normal entries, decoded as text. */
export function appliedText(m: Member): string[] {
  return m.applied.map((e) => new TextDecoder().decode(e.data));
}
