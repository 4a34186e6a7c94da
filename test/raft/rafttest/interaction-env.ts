/**
 * The interaction environment (etcd-io/raft v3.6 `rafttest.InteractionEnv`): a group of RawNodes,
 * each over a MemoryStorage, with the in-flight messages queued in the environment and every
 * step printed, so that etcd's interaction test data can be replayed byte for byte.
 *
 * The command handlers (argument parsing) are in env-handlers.ts; this file holds the state and
 * the operations (Ready handling, the append/apply threads of async storage writes, message
 * delivery, stabilize).
 */
import { isRaftwireError } from '../../../src/errors/index.js';
import type { Config } from '../../../src/raft/config.js';
import { NO_LIMIT } from '../../../src/raft/config.js';
import { RawNode } from '../../../src/raft/rawnode.js';
import { MemoryStorage, type Storage } from '../../../src/raft/storage.js';
import { describeReady, isLocalMsgTarget } from '../../../src/raft/util.js';
import {
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  describeEntries,
  describeMessage,
  type Entry,
  EntryType,
  goQuote,
  type HardState,
  isEmptyHardState,
  isEmptySnap,
  type Message,
  MessageType,
  newHardState,
  newSnapshot,
  type Snapshot,
} from '../../../src/raftpb/index.js';
import { RedirectLogger } from './redirect-logger.js';

/** The entry formatter of the test data: Go's `%q`. */
export const defaultEntryFormatter = (b: Uint8Array | undefined): string => goQuote(b);

/** An error the environment reports into the output (Go handlers returning an error). */
export class EnvError extends Error {}

/** A member of the group. */
export interface EnvNode {
  rawNode: RawNode;
  /** The node's MemoryStorage (its `snapshot()` is answered from `history`). */
  storage: MemoryStorage;
  config: Config;
  /** Pending MsgStorageAppend messages (async storage writes). */
  appendWork: Message[];
  /** Pending MsgStorageApply messages (async storage writes). */
  applyWork: Message[];
  /** The state machine's snapshots, one per applied entry; the last is the current state. */
  history: Snapshot[];
}

/** A recipient of deliverMsgs: deliver to it, or drop its messages. */
export interface Recipient {
  id: bigint;
  drop?: boolean;
}

/** Storage handed to raft: the node's MemoryStorage, but `snapshot()` is the latest history entry. */
function historyStorage(mem: MemoryStorage, history: () => Snapshot[]): Storage {
  return {
    initialState: () => mem.initialState(),
    entries: (lo, hi, maxSize) => mem.entries(lo, hi, maxSize),
    term: (i) => mem.term(i),
    lastIndex: () => mem.lastIndex(),
    firstIndex: () => mem.firstIndex(),
    snapshot: () => {
      const h = history();
      return h[h.length - 1] as Snapshot;
    },
  };
}

/** The config template: reasonable test defaults, no limits. ID and storage are set per node. */
export function raftConfigStub(): Omit<Config, 'id' | 'storage'> {
  return { electionTick: 3, heartbeatTick: 1, maxSizePerMsg: NO_LIMIT, maxInflightMsgs: 2 ** 31 - 1 };
}

/** Messages of `msgs` to `to` (of type `type` unless -1), and the rest, both in queue order. */
export function splitMsgs(
  msgs: readonly Message[],
  to: bigint,
  type: number,
  drop: boolean,
): [Message[], Message[]] {
  const toMsgs: Message[] = [];
  const rest: Message[] = [];
  for (const m of msgs) {
    if (m.to === to && !(drop && isLocalMsg(m)) && (type < 0 || m.type === type)) toMsgs.push(m);
    else rest.push(m);
  }
  return [toMsgs, rest];
}

/** Local messages need reliable delivery and are never dropped. */
function isLocalMsg(m: Message): boolean {
  return m.from === m.to || isLocalMsgTarget(m.from) || isLocalMsgTarget(m.to);
}

/** Errors raft reports to its caller (printed like Go prints the returned error). */
export function isReportedError(e: unknown): e is Error {
  return isRaftwireError(e) && e.code !== 'RAFTWIRE_RAFT_FATAL';
}

/** The environment. */
export class InteractionEnv {
  readonly nodes: EnvNode[] = [];
  /** In-flight messages. */
  messages: Message[] = [];
  readonly output = new RedirectLogger();

  /** Runs `f` with its output indented by two spaces. */
  withIndent(f: () => void): void {
    const orig = this.output.swap('');
    try {
      f();
    } finally {
      const inner = this.output.swap(orig);
      if (inner !== '') {
        const lines = inner.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        // Written directly: the inner text already passed the quiet check.
        this.output.swap(orig + lines.map((l) => `  ${l}\n`).join(''));
      }
    }
  }

  /** Adds `n` nodes with consecutive IDs, from `snap` (empty or a bootstrap snapshot). */
  addNodes(n: number, cfg: Omit<Config, 'id' | 'storage'>, snap: Snapshot): void {
    const bootstrap = !isEmptySnap(snap) || snap.data !== undefined || hasConfState(snap.metadata.confState);
    for (let i = 0; i < n; i++) {
      const id = BigInt(1 + this.nodes.length);
      const idx = this.nodes.length;
      const mem = new MemoryStorage();
      if (bootstrap) {
        if (snap.metadata.index <= 1) throw new EnvError('index must be specified as > 1 due to bootstrap');
        snap.metadata.term = 1;
        mem.applySnapshot(snap);
        const fi = mem.firstIndex();
        if (fi !== snap.metadata.index + 1) {
          throw new EnvError(`failed to establish first index ${snap.metadata.index + 1}; got ${fi}`);
        }
      }
      const config: Config = {
        ...cfg,
        id,
        storage: historyStorage(mem, () => (this.nodes[idx] as EnvNode).history),
        logger: this.output,
      };
      const rawNode = new RawNode(config);
      this.nodes.push({ rawNode, storage: mem, config, appendWork: [], applyWork: [], history: [snap] });
    }
  }

  private node(idx: number): EnvNode {
    const n = this.nodes[idx];
    if (n === undefined) throw new Error(`no node ${idx + 1}`);
    return n;
  }

  /** Handles one Ready of node `idx`: print, persist and apply (sync mode), queue messages. */
  processReady(idx: number): void {
    const n = this.node(idx);
    const rd = n.rawNode.ready();
    this.output.write(describeReady(rd, defaultEntryFormatter));
    const async = n.config.asyncStorageWrites === true;
    if (!async) {
      this.processAppend(n, rd.hardState, rd.entries, rd.snapshot);
      this.processApply(n, rd.committedEntries);
    }
    for (const m of rd.messages) {
      if (isLocalMsgTarget(m.to)) {
        if (!async) throw new Error('unexpected local msg target');
        if (m.type === MessageType.MsgStorageAppend) n.appendWork.push(m);
        else if (m.type === MessageType.MsgStorageApply) n.applyWork.push(m);
        else throw new Error(`unexpected message type ${m.type}`);
      } else {
        this.messages.push(m);
      }
    }
    if (!async) n.rawNode.advance(rd);
  }

  /** Processes the oldest MsgStorageAppend of node `idx` and queues its responses. */
  processAppendThread(idx: number): void {
    const n = this.node(idx);
    const m = n.appendWork.shift();
    if (m === undefined) {
      this.output.write('no append work to perform');
      return;
    }
    const resps = m.responses ?? [];
    const shown: Message = { ...m, responses: undefined };
    this.output.write('Processing:\n');
    this.output.write(`${describeMessage(shown, defaultEntryFormatter)}\n`);
    const st = newHardState({ term: m.term, vote: m.vote ?? 0n, commit: m.commit });
    this.processAppend(n, st, m.entries, m.snapshot);
    this.output.write('Responses:\n');
    for (const r of resps) this.output.write(`${describeMessage(r, defaultEntryFormatter)}\n`);
    this.messages.push(...resps);
  }

  /** Processes the oldest MsgStorageApply of node `idx` and queues its responses. */
  processApplyThread(idx: number): void {
    const n = this.node(idx);
    const m = n.applyWork.shift();
    if (m === undefined) {
      this.output.write('no apply work to perform');
      return;
    }
    const resps = m.responses ?? [];
    const shown: Message = { ...m, responses: undefined };
    this.output.write('Processing:\n');
    this.output.write(`${describeMessage(shown, defaultEntryFormatter)}\n`);
    this.processApply(n, m.entries);
    this.output.write('Responses:\n');
    for (const r of resps) this.output.write(`${describeMessage(r, defaultEntryFormatter)}\n`);
    this.messages.push(...resps);
  }

  private processAppend(n: EnvNode, st: HardState, ents: readonly Entry[], snap: Snapshot | undefined): void {
    const s = n.storage;
    if (!isEmptyHardState(st)) s.setHardState(st);
    if (snap !== undefined && !isEmptySnap(snap)) {
      if (ents.length > 0) throw new EnvError("can't apply snapshot and entries at the same time");
      s.applySnapshot(snap);
      return;
    }
    s.append(ents.slice());
  }

  /** Applies committed entries to the "appender" state machine, recording a snapshot per entry. */
  private processApply(n: EnvNode, ents: readonly Entry[]): void {
    for (const ent of ents) {
      let update: Uint8Array | undefined;
      let cs: ConfState | undefined;
      if (ent.type === EntryType.EntryConfChange) {
        const cc = decodeConfChange(ent.data ?? new Uint8Array(0));
        update = cc.context;
        cs = n.rawNode.applyConfChange(cc);
      } else if (ent.type === EntryType.EntryConfChangeV2) {
        const cc = decodeConfChangeV2(ent.data ?? new Uint8Array(0));
        cs = n.rawNode.applyConfChange(cc);
        update = cc.context;
      } else {
        update = ent.data;
      }
      const last = n.history[n.history.length - 1] as Snapshot;
      const data = concat(last.data, update);
      const snap = newSnapshot({
        index: ent.index,
        term: ent.term,
        confState: cs ?? last.metadata.confState,
      });
      if (data.length > 0) snap.data = data;
      n.history.push(snap);
    }
  }

  /**
   * Delivers (or drops) the queued messages of each recipient, of type `type` (-1 = all), in
   * queue order. Returns how many were handled.
   */
  deliverMsgs(type: number, rs: readonly Recipient[]): number {
    let count = 0;
    for (const r of rs) {
      const [msgs, rest] = splitMsgs(this.messages, r.id, type, r.drop === true);
      this.messages = rest;
      count += msgs.length;
      for (const m of msgs) {
        if (r.drop === true) this.output.write('dropped: ');
        this.output.write(`${describeMessage(m, defaultEntryFormatter)}\n`);
        if (r.drop === true) continue;
        const to = this.node(Number(m.to) - 1);
        try {
          to.rawNode.step(m);
        } catch (e) {
          if (!isReportedError(e)) throw e;
          this.output.write(`${e.message}\n`);
        }
      }
    }
    return count;
  }

  /** Runs Ready handling, delivery and the storage threads on `idxs` (all if empty) until quiet. */
  stabilize(idxs: readonly number[]): void {
    const which = idxs.length > 0 ? idxs : this.nodes.map((_, i) => i);
    for (;;) {
      let done = true;
      for (const idx of which) {
        if (this.node(idx).rawNode.hasReady()) {
          this.output.write(`> ${idx + 1} handling Ready\n`);
          this.withIndent(() => this.processReady(idx));
          done = false;
        }
      }
      for (const idx of which) {
        const id = BigInt(idx + 1);
        const [msgs] = splitMsgs(this.messages, id, -1, false);
        if (msgs.length > 0) {
          this.output.write(`> ${id} receiving messages\n`);
          this.withIndent(() => this.deliverMsgs(-1, [{ id }]));
          done = false;
        }
      }
      for (const idx of which) {
        const n = this.node(idx);
        if (n.appendWork.length > 0) {
          this.output.write(`> ${idx + 1} processing append thread\n`);
          while (n.appendWork.length > 0) this.withIndent(() => this.processAppendThread(idx));
          done = false;
        }
      }
      for (const idx of which) {
        const n = this.node(idx);
        if (n.applyWork.length > 0) {
          this.output.write(`> ${idx + 1} processing apply thread\n`);
          while (n.applyWork.length > 0) this.withIndent(() => this.processApplyThread(idx));
          done = false;
        }
      }
      if (done) return;
    }
  }

  /** Prints node `idx`'s stored log (not raft's view: only what reached Storage). */
  raftLog(idx: number): void {
    const s = this.node(idx).storage;
    const fi = s.firstIndex();
    const li = s.lastIndex();
    if (li < fi) {
      this.output.write(`log is empty: first index=${fi}, last index=${li}`);
      return;
    }
    this.output.write(describeEntries(s.entries(fi, li + 1, NO_LIMIT), defaultEntryFormatter));
  }

  /** Compacts node `idx`'s storage to `newFirstIndex` and prints the log. */
  compact(idx: number, newFirstIndex: number): void {
    this.node(idx).storage.compact(newFirstIndex);
    this.raftLog(idx);
  }

  /** Prints node `idx`'s Progress map (leaders only; followers print nothing). */
  status(idx: number): void {
    const st = this.node(idx).rawNode.status();
    const ids = [...st.progress.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) this.output.write(`${id}: ${String(st.progress.get(id))}\n`);
  }

  /** Queues a MsgSnap carrying node `fromIdx`'s current snapshot to node `toIdx`. */
  sendSnapshot(fromIdx: number, toIdx: number): void {
    const from = this.node(fromIdx);
    const snap = historyLast(from);
    const m: Message = {
      type: MessageType.MsgSnap,
      to: BigInt(toIdx + 1),
      from: BigInt(fromIdx + 1),
      term: from.rawNode.basicStatus().hardState.term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      snapshot: snap,
      reject: false,
      rejectHint: 0,
    };
    this.messages.push(m);
    this.output.write(describeMessage(m));
  }

  /** Ticks node `idx` `num` times. */
  tick(idx: number, num: number): void {
    const n = this.node(idx);
    for (let i = 0; i < num; i++) n.rawNode.tick();
  }

  /** Node accessor for the handlers. */
  get(idx: number): EnvNode {
    return this.node(idx);
  }
}

function historyLast(n: EnvNode): Snapshot {
  return n.history[n.history.length - 1] as Snapshot;
}

function hasConfState(cs: ConfState): boolean {
  return (
    cs.voters.length > 0 ||
    cs.learners.length > 0 ||
    cs.votersOutgoing.length > 0 ||
    cs.learnersNext.length > 0 ||
    cs.autoLeave
  );
}

function concat(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array {
  const la = a?.length ?? 0;
  const lb = b?.length ?? 0;
  const out = new Uint8Array(la + lb);
  if (a !== undefined) out.set(a, 0);
  if (b !== undefined) out.set(b, la);
  return out;
}
