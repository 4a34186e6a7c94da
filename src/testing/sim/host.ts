/**
 * One simulated member: a RawNode over a MemoryStorage, its simulated disk, its state machine and
 * the host loop of the chosen storage contract. The simulator owns time: every piece of work that
 * takes time (a disk write, an fsync, the apply thread) is an event it schedules.
 *
 * - classic: Ready → write HardState/entries/snapshot → (later) fsync → send → apply → advance;
 * - async: MsgStorageAppend goes to the append thread (write, later fsync, then its responses),
 *   MsgStorageApply to the apply thread (apply, then its response); other messages leave at once.
 */
import { isRaftwireError } from '../../errors/index.js';
import { type Config, type MemoryStorage, RawNode, type Ready } from '../../raft/index.js';
// The planted-bug switches live in raft's internals on purpose (they are not part of raft's door).
import { testingKnobs } from '../../raft/testing-knobs.js';
import {
  type ConfChange,
  type ConfChangeV2,
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  type HardState,
  isEmptyHardState,
  isEmptySnap,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  newConfState,
  type Snapshot,
} from '../../raftpb/index.js';
import { SimDisk } from './disk.js';
import type { Prng } from './prng.js';
import { type ApplyResult, decodeCommand, KvStateMachine } from './state-machine.js';

/** What a member needs from the simulator. */
export interface HostContext {
  readonly now: number;
  readonly rng: Prng;
  /** Runs `fn` `delay` (≥ 1) steps from now. */
  schedule(delay: number, fn: () => void): void;
  /** Puts a message on the network. */
  send(m: Message): void;
  trace(line: string): void;
  /** A violated property (throws). */
  fail(property: string, detail: string): never;
  /** Entries handed to storage by `id` (prevTerm: the term before the first one, 0 if unknown). */
  onEntries(id: bigint, ents: readonly Entry[], prevTerm: number): void;
  /** `id` applied entry `e` (result for client commands). */
  onApply(id: bigint, e: Entry, result: ApplyResult | undefined): void;
  /** `id` installed a snapshot. */
  onSnapshot(id: bigint, snap: Snapshot): void;
  /** A ReadState came out of `id`. */
  onReadState(id: bigint, index: number, ctx: Uint8Array): void;
}

/** Knobs of a member fixed for a run. */
export interface HostOptions {
  async: boolean;
  config: Omit<Config, 'id' | 'storage' | 'applied' | 'asyncStorageWrites' | 'random'>;
  /** Take a local snapshot once this many entries are applied past the storage's first index. */
  snapshotEvery: number;
  /** Entries kept in the log behind a local snapshot. */
  compactKeep: number;
}

function entryPayloadTrace(e: Entry): string {
  return `${e.term}/${e.index}`;
}

/** A simulated member (alive or crashed). */
export class SimMember {
  readonly id: bigint;
  readonly disk = new SimDisk();
  readonly #ctx: HostContext;
  readonly #opts: HostOptions;
  /** Bumped on every crash: events of an earlier life are ignored. */
  incarnation = 0;
  alive = true;
  node!: RawNode;
  storage!: MemoryStorage;
  sm!: KvStateMachine;
  appliedIndex = 0;
  confState: ConfState = newConfState();
  /** Classic mode: a Ready is being handled (no other until advance). */
  #busy = false;
  #appendQueue: Message[] = [];
  #applyQueue: Message[] = [];
  #written: Message[] = [];
  #appendScheduled = false;
  #applyScheduled = false;
  #syncScheduled = false;

  constructor(id: bigint, ctx: HostContext, opts: HostOptions, initial?: Snapshot) {
    this.id = id;
    this.#ctx = ctx;
    this.#opts = opts;
    if (initial !== undefined) {
      this.disk.write({
        snap: initial,
        entries: [],
        hs: { term: initial.metadata.term, vote: 0n, commit: initial.metadata.index },
      });
      this.disk.sync();
    }
    this.#boot();
  }

  #boot(): void {
    this.storage = this.disk.load();
    const snap = this.storage.snapshot();
    this.sm = KvStateMachine.decode(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
    this.#busy = false;
    this.#appendQueue = [];
    this.#applyQueue = [];
    this.#written = [];
    this.#appendScheduled = false;
    this.#applyScheduled = false;
    this.#syncScheduled = false;
    this.node = new RawNode({
      ...this.#opts.config,
      id: this.id,
      storage: this.storage,
      applied: this.appliedIndex,
      asyncStorageWrites: this.#opts.async,
      random: this.#ctx.rng.fn(),
    });
  }

  /** Loses the process and whatever the disk had not synced. */
  crash(): void {
    const lost = this.disk.crash(this.#ctx.rng);
    this.alive = false;
    this.incarnation++;
    this.#ctx.trace(`crash ${this.id} (lost ${lost} unsynced writes)`);
  }

  /** Starts again from the durable image. */
  restart(): void {
    this.alive = true;
    this.#boot();
    const hs = this.storage.initialState().hardState;
    this.#ctx.trace(
      `restart ${this.id} term=${hs.term} commit=${hs.commit} last=${this.storage.lastIndex()} snap=${this.appliedIndex}`,
    );
    this.pump();
  }

  /** Runs `fn` later if this life is still going. */
  #later(delay: number, fn: () => void): void {
    const inc = this.incarnation;
    this.#ctx.schedule(delay, () => {
      if (this.alive && this.incarnation === inc) fn();
    });
  }

  /** Handles whatever Ready the node has. */
  pump(): void {
    if (!this.alive) return;
    if (this.#opts.async) {
      while (this.node.hasReady()) this.#handleAsyncReady(this.node.ready());
    } else if (!this.#busy && this.node.hasReady()) {
      this.#handleClassicReady(this.node.ready());
    }
  }

  #common(rd: Ready): void {
    if (rd.softState !== undefined) {
      this.#ctx.trace(
        `${this.id} state=${rd.softState.raftState} lead=${rd.softState.lead} term=${this.node.raft.term}`,
      );
    }
    for (const rs of rd.readStates) this.#ctx.onReadState(this.id, rs.index, rs.requestCtx);
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      this.#ctx.onEntries(this.id, rd.entries, this.node.raft.raftLog.termOrZero(first - 1));
    }
  }

  #writeToDisk(snap: Snapshot | undefined, entries: readonly Entry[], hs: HardState | undefined): void {
    const hasSnap = snap !== undefined && !isEmptySnap(snap);
    const hasHs = hs !== undefined && !isEmptyHardState(hs);
    if (!hasSnap && entries.length === 0 && !hasHs) return;
    // One record per Ready: a crash keeps or loses it whole (a snapshot without its commit index
    // would not restart).
    this.disk.write({ snap: hasSnap ? snap : undefined, entries, hs: hasHs ? hs : undefined });
    if (hasSnap) {
      this.storage.applySnapshot(snap);
      this.#installSnapshot(snap);
    }
    if (entries.length > 0) this.storage.append(entries);
    if (hasHs) this.storage.setHardState(hs);
  }

  #installSnapshot(snap: Snapshot): void {
    this.sm = KvStateMachine.decode(snap.data);
    this.appliedIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
    this.#ctx.trace(`${this.id} installs snapshot ${snap.metadata.term}/${snap.metadata.index}`);
    this.#ctx.onSnapshot(this.id, snap);
  }

  #handleClassicReady(rd: Ready): void {
    this.#common(rd);
    this.#busy = true;
    this.#writeToDisk(rd.snapshot, rd.entries, rd.hardState);
    const early = testingKnobs.ackBeforeSync;
    if (early) for (const m of rd.messages) this.#ctx.send(m);
    this.#later(this.#ctx.rng.range(1, 3), () => {
      if (rd.mustSync || this.disk.pendingCount() > 0) this.disk.sync();
      if (!early) for (const m of rd.messages) this.#ctx.send(m);
      this.#apply(rd.committedEntries);
      this.node.advance(rd);
      this.#busy = false;
      this.pump();
    });
  }

  #handleAsyncReady(rd: Ready): void {
    this.#common(rd);
    for (const m of rd.messages) {
      if (m.to === LOCAL_APPEND_THREAD) this.#appendQueue.push(m);
      else if (m.to === LOCAL_APPLY_THREAD) this.#applyQueue.push(m);
      else this.#ctx.send(m);
    }
    if (this.#appendQueue.length > 0 && !this.#appendScheduled) {
      this.#appendScheduled = true;
      this.#later(this.#ctx.rng.range(1, 2), () => this.#appendThread());
    }
    if (this.#applyQueue.length > 0 && !this.#applyScheduled) {
      this.#applyScheduled = true;
      this.#later(this.#ctx.rng.range(1, 3), () => this.#applyThread());
    }
  }

  /** The append thread writes a batch (in order); the fsync and the responses come later. */
  #appendThread(): void {
    this.#appendScheduled = false;
    const n = this.#ctx.rng.range(1, this.#appendQueue.length);
    const batch = this.#appendQueue.splice(0, n);
    for (const m of batch) {
      const hs =
        m.term !== 0 || m.commit !== 0 || (m.vote ?? 0n) !== 0n
          ? { term: m.term, vote: m.vote ?? 0n, commit: m.commit }
          : undefined;
      this.#writeToDisk(m.snapshot, m.entries, hs);
      if (testingKnobs.ackBeforeSync) this.#respond(m);
      else this.#written.push(m);
    }
    if (this.#written.length > 0 && !this.#syncScheduled) {
      this.#syncScheduled = true;
      this.#later(this.#ctx.rng.range(1, 3), () => this.#syncThread());
    }
    if (this.#appendQueue.length > 0) {
      this.#appendScheduled = true;
      this.#later(this.#ctx.rng.range(1, 2), () => this.#appendThread());
    }
    this.pump();
  }

  #syncThread(): void {
    this.#syncScheduled = false;
    this.disk.sync();
    const done = this.#written;
    this.#written = [];
    for (const m of done) this.#respond(m);
    this.pump();
  }

  #applyThread(): void {
    this.#applyScheduled = false;
    const m = this.#applyQueue.shift();
    if (m !== undefined) {
      this.#apply(m.entries);
      this.#respond(m);
    }
    if (this.#applyQueue.length > 0) {
      this.#applyScheduled = true;
      this.#later(this.#ctx.rng.range(1, 2), () => this.#applyThread());
    }
    this.pump();
  }

  /** Delivers a local message's responses: to this node by step(), to peers over the network. */
  #respond(m: Message): void {
    for (const r of m.responses ?? []) {
      if (r.to !== this.id) {
        this.#ctx.send(r);
        continue;
      }
      try {
        this.node.step(r);
      } catch (e) {
        // A self-acknowledgement that arrives after this member removed itself from the
        // configuration (etcd returns ErrStepPeerNotFound the same way).
        if (!isRaftwireError(e, 'RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND')) throw e;
      }
    }
  }

  #apply(ents: readonly Entry[]): void {
    for (const e of ents) {
      // Entries a snapshot installed meanwhile already covers.
      if (e.index <= this.appliedIndex) continue;
      if (e.index !== this.appliedIndex + 1) {
        this.#ctx.fail(
          'apply order',
          `${this.id} applies ${entryPayloadTrace(e)} after ${this.appliedIndex}`,
        );
      }
      let result: ApplyResult | undefined;
      if (e.type === EntryType.EntryNormal) {
        const c = decodeCommand(e.data);
        if (c !== undefined) result = this.sm.apply(c);
      } else {
        const cc: ConfChange | ConfChangeV2 =
          e.type === EntryType.EntryConfChange
            ? decodeConfChange(e.data ?? new Uint8Array(0))
            : decodeConfChangeV2(e.data ?? new Uint8Array(0));
        try {
          this.confState = this.node.applyConfChange(cc);
          this.#ctx.trace(
            `${this.id} applies conf change at ${e.index}: voters=[${this.confState.voters}] learners=[${this.confState.learners}] outgoing=[${this.confState.votersOutgoing}]`,
          );
        } catch (err) {
          // A change that is invalid against the configuration at its index is skipped on every
          // member alike (etcd validates membership changes at apply time the same way).
          if (!isRaftwireError(err, 'RAFTWIRE_RAFT_CONF_CHANGE')) throw err;
          this.#ctx.trace(`${this.id} skips invalid conf change at ${e.index}`);
        }
      }
      this.appliedIndex = e.index;
      this.#ctx.onApply(this.id, e, result);
    }
    if (ents.length > 0) this.#maybeSnapshot();
  }

  /**
   * Snapshots the state machine and compacts the log. The snapshot is fsynced at once; it is only
   * taken at an index whose commit is durable (a restart needs commit ≥ snapshot index).
   */
  #maybeSnapshot(force = false): void {
    const first = this.storage.firstIndex();
    if (!force && this.appliedIndex < first + this.#opts.snapshotEvery) return;
    if (this.appliedIndex <= this.storage.snapshot().metadata.index) return;
    this.disk.sync();
    if (this.disk.durableHardState().commit < this.appliedIndex) return;
    const data = this.sm.encode();
    this.storage.createSnapshot(this.appliedIndex, this.confState, data);
    const to = this.appliedIndex - this.#opts.compactKeep;
    if (to > first) this.storage.compact(to);
    try {
      this.disk.write({ localSnap: { index: this.appliedIndex, confState: this.confState, data } });
      this.disk.sync();
    } catch (err) {
      this.#ctx.fail(
        'applied entries are durable',
        `${this.id} snapshot at ${this.appliedIndex}: ${String(err)}`,
      );
    }
    this.#ctx.trace(`${this.id} snapshot at ${this.appliedIndex}, log from ${this.storage.firstIndex()}`);
  }

  /** Takes a snapshot now (a nemesis action). */
  snapshotNow(): void {
    if (this.alive) this.#maybeSnapshot(true);
  }
}
