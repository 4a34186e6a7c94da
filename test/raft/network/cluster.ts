/**
 * A cluster of RawNodes over MemoryStorages with messages delivered in memory, for both storage
 * contracts: the classic Ready/Advance loop, and asynchronous storage writes with append and apply
 * work queues processed in order (writes are instant, so "durable" means "done").
 */
import { isRaftwireError } from '../../../src/errors/index.js';
import type { Config } from '../../../src/raft/config.js';
import { RawNode, type Ready, SnapshotStatus } from '../../../src/raft/rawnode.js';
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
  /** Index of the last entry applied (or of the installed snapshot). */
  appliedIndex: number;
  appendWork: Message[];
  applyWork: Message[];
}

/** Options of a Cluster. */
export interface ClusterOptions {
  async?: boolean;
  config?: Partial<Config>;
  /**
   * Snapshot and compact a member's storage whenever it applied this many entries past its first
   * index (keeping `compactKeep` entries); the snapshot carries the applied entries. 0 = never.
   */
  compactEvery?: number;
  compactKeep?: number;
}

/** Snapshot payload: the applied entries, so a member installing it has the same state. */
function encodeApplied(ents: readonly Entry[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify(
      ents.map((e) => [e.term, e.index, e.data === undefined ? '' : Buffer.from(e.data).toString('base64')]),
    ),
  );
}

function decodeApplied(data: Uint8Array | undefined): Entry[] {
  if (data === undefined || data.length === 0) return [];
  const rows = JSON.parse(new TextDecoder().decode(data)) as Array<[number, number, string]>;
  return rows.map(([term, index, b64]) => ({
    term,
    index,
    type: EntryType.EntryNormal,
    data: new Uint8Array(Buffer.from(b64, 'base64')),
  }));
}

export class Cluster {
  readonly members = new Map<bigint, Member>();
  /** Messages in flight between members. */
  readonly inflight: Message[] = [];
  readonly async: boolean;
  readonly #compactEvery: number;
  readonly #compactKeep: number;
  /** Return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined;
  /** ReadStates handed out by any member (taken by the test). */
  readonly readStates: Array<{ id: bigint; index: number; ctx: Uint8Array }> = [];

  constructor(size: number, options: ClusterOptions = {}) {
    this.async = options.async ?? false;
    this.#compactEvery = options.compactEvery ?? 0;
    this.#compactKeep = options.compactKeep ?? 0;
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
    const m: Member = { id, node, storage, applied: [], appliedIndex: 0, appendWork: [], applyWork: [] };
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
    for (const rs of rd.readStates) this.readStates.push({ id: m.id, index: rs.index, ctx: rs.requestCtx });
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
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) {
      m.storage.applySnapshot(rd.snapshot);
      // Installing the snapshot replaces the state machine.
      m.applied = decodeApplied(rd.snapshot.data);
      m.appliedIndex = rd.snapshot.metadata.index;
    }
    if (!isEmptyHardState(rd.hardState)) m.storage.setHardState(rd.hardState);
    if (rd.entries.length > 0) m.storage.append(rd.entries);
  }

  #maybeCompact(m: Member): void {
    if (this.#compactEvery === 0) return;
    const first = m.storage.firstIndex();
    if (m.appliedIndex < first + this.#compactEvery) return;
    m.storage.createSnapshot(m.appliedIndex, m.node.raft.trk.confState(), encodeApplied(m.applied));
    const to = m.appliedIndex - this.#compactKeep;
    if (to > first) m.storage.compact(to);
  }

  #apply(m: Member, ents: readonly Entry[]): void {
    for (const e of ents) {
      m.appliedIndex = e.index;
      if (e.type === EntryType.EntryNormal) {
        if (e.data !== undefined && e.data.length > 0) m.applied.push(e);
        continue;
      }
      let cc: ConfChange | ConfChangeV2;
      if (e.type === EntryType.EntryConfChange) cc = decodeConfChange(e.data ?? new Uint8Array(0));
      else cc = decodeConfChangeV2(e.data ?? new Uint8Array(0));
      m.node.applyConfChange(cc);
    }
    if (ents.length > 0) this.#maybeCompact(m);
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
    if (this.filter !== undefined && !this.filter(msg)) {
      // The transport tells raft about every snapshot it could not deliver.
      if (msg.type === MessageType.MsgSnap)
        this.members.get(msg.from)?.node.reportSnapshot(msg.to, SnapshotStatus.SnapshotFailure);
      return;
    }
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
        if (msg.type === MessageType.MsgSnap) {
          this.members.get(msg.from)?.node.reportSnapshot(msg.to, SnapshotStatus.SnapshotFinish);
        }
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
