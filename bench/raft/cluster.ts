/**
 * Three in-process RawNodes with messages delivered in memory (no I/O), for the raft benchmark.
 * Both storage contracts: classic Ready/Advance, and asyncStorageWrites where the local append
 * and apply work is done inline and its responses stepped straight back.
 */
import { discardLogger } from '../../src/raft/logger.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { isLocalMsgTarget } from '../../src/raft/util.js';
import {
  type Entry,
  EntryType,
  isEmptyHardState,
  isEmptySnap,
  type Message,
  MessageType,
  newConfState,
  newHardState,
  newSnapshot,
} from '../../src/raftpb/index.js';

const NUM_NODES = 3;
/** Compaction cadence and slack (entries), identical to the Go twin's. */
const COMPACT_EVERY = 20000;
const COMPACT_SLACK = 10000;

interface Member {
  rn: RawNode;
  st: MemoryStorage;
  applied: number;
  first: number;
}

/** The cluster and its delivery loop. */
export class BenchCluster {
  readonly nodes: Member[] = [];
  #queue: Message[] = [];
  /** Proposals applied at node 1. */
  committed = 0;

  constructor(readonly asyncWrites: boolean) {
    for (let i = 0; i < NUM_NODES; i++) {
      const st = new MemoryStorage();
      st.applySnapshot(newSnapshot({ index: 1, term: 1, confState: newConfState({ voters: [1n, 2n, 3n] }) }));
      const rn = new RawNode({
        id: BigInt(i + 1),
        electionTick: 10,
        heartbeatTick: 1,
        storage: st,
        applied: 1,
        maxSizePerMsg: 1 << 20,
        maxInflightMsgs: 256,
        asyncStorageWrites: asyncWrites,
        logger: discardLogger,
      });
      this.nodes.push({ rn, st, applied: 1, first: 2 });
    }
  }

  #apply(idx: number, n: Member, ents: readonly Entry[]): void {
    for (const e of ents) {
      if (idx === 0 && e.type === EntryType.EntryNormal && e.data !== undefined && e.data.length > 0)
        this.committed++;
      n.applied = e.index;
    }
  }

  #compact(n: Member): void {
    if (n.applied > n.first + COMPACT_EVERY) {
      n.first = n.applied - COMPACT_SLACK;
      n.st.compact(n.first);
    }
  }

  /** Handles every node's Ready once and delivers the queued messages; true if there was work. */
  process(): boolean {
    let worked = false;
    for (let i = 0; i < NUM_NODES; i++) {
      const n = this.nodes[i] as Member;
      if (!n.rn.hasReady()) continue;
      worked = true;
      const rd = n.rn.ready();
      if (!this.asyncWrites) {
        if (!isEmptyHardState(rd.hardState)) n.st.setHardState(rd.hardState);
        if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) n.st.applySnapshot(rd.snapshot);
        if (rd.entries.length > 0) n.st.append(rd.entries);
        for (const m of rd.messages) this.#queue.push(m);
        this.#apply(i, n, rd.committedEntries);
        n.rn.advance(rd);
      } else {
        for (const m of rd.messages) {
          if (!isLocalMsgTarget(m.to)) {
            this.#queue.push(m);
            continue;
          }
          if (m.type === MessageType.MsgStorageAppend) {
            if (m.term !== 0)
              n.st.setHardState(newHardState({ term: m.term, vote: m.vote ?? 0n, commit: m.commit }));
            if (m.snapshot !== undefined && !isEmptySnap(m.snapshot)) n.st.applySnapshot(m.snapshot);
            if (m.entries.length > 0) n.st.append(m.entries);
          } else {
            this.#apply(i, n, m.entries);
          }
          // The local write is "durable": its responses go out (to self or to peers).
          for (const r of m.responses ?? []) this.#queue.push(r);
        }
      }
      this.#compact(n);
    }
    const msgs = this.#queue;
    this.#queue = [];
    for (const m of msgs) {
      worked = true;
      (this.nodes[Number(m.to) - 1] as Member).rn.step(m);
    }
    return worked;
  }

  /** Elects node 1 and settles. */
  elect(): void {
    (this.nodes[0] as Member).rn.campaign();
    while (this.process()) {}
    if ((this.nodes[0] as Member).rn.basicStatus().softState.lead !== 1n)
      throw new Error('node 1 did not become leader');
  }
}
