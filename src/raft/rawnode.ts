/**
 * RawNode: the synchronous, single-threaded API of the raft core (etcd-io/raft v3.6 rawnode.go and
 * bootstrap.go). Every call runs on the caller's stack; output is collected with `ready()`.
 *
 * Two storage contracts:
 * - classic (`asyncStorageWrites` false): persist the Ready's HardState/Entries/Snapshot, send its
 *   Messages, apply its CommittedEntries, then `advance()`;
 * - asynchronous: ignore those Ready fields and never call `advance()`; instead hand the
 *   MsgStorageAppend / MsgStorageApply messages in `Ready.messages` to the append and apply
 *   workers, which `step()` the responses they carry back once durable / applied.
 */
import {
  type ConfChange,
  ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  confChangeAsV2,
  type Entry,
  EntryType,
  encodeConfChange,
  type HardState,
  isEmptyHardState,
  isEmptySnap,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  MessageType,
  NONE,
  type Snapshot,
} from '../raftpb/index.js';
import type { Config } from './config.js';
import { BootstrapError, StepLocalMsgError, StepPeerNotFoundError } from './errors.js';
import { confChangeToMsg, Raft } from './raft.js';
import type { ReadState } from './read-only.js';
import { type BasicStatus, getBasicStatus, getStatus, type StateType, type Status } from './status.js';
import type { Progress } from './tracker/progress.js';
import { entsSize, isLocalMsg, isLocalMsgTarget, isResponseMsg, mustSync } from './util.js';

/** Volatile state: the leader as this node knows it, and its role. Never persisted. */
export interface SoftState {
  /** The leader this node knows of (full 64-bit ID), or 0n (NONE) when none. */
  lead: bigint;
  /** This node's role. */
  raftState: StateType;
}

/** Outstanding work for the application (see the module comment for the two contracts). */
export interface Ready {
  /** Set only when it changed since the previous Ready. */
  softState?: SoftState | undefined;
  /** All zero unless it changed: persist it. */
  hardState: HardState;
  /** Completed ReadIndex requests. */
  readStates: ReadState[];
  /** Entries to append to stable storage. */
  entries: Entry[];
  /** A snapshot to persist and apply, or undefined. */
  snapshot?: Snapshot | undefined;
  /** Committed entries to apply, in order. */
  committedEntries: Entry[];
  /** Messages to send (and, in async mode, local storage messages). */
  messages: Message[];
  /** True when HardState/Entries must be fsynced before the messages go out. */
  mustSync: boolean;
}

/** A member of the initial configuration for RawNode.bootstrap / Node.start. */
export interface Peer {
  /** The member's full 64-bit ID (never 0). */
  id: bigint;
  /** Carried as the bootstrap ConfChange's `context` (etcd puts the member's JSON there). */
  context?: Uint8Array | undefined;
}

/** Outcome of a snapshot transfer, reported with reportSnapshot (etcd's values). */
export const SnapshotStatus = {
  SnapshotFinish: 1,
  SnapshotFailure: 2,
} as const;
/** One of SnapshotStatus's values. */
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

/** Kind of replica visited by withProgress (etcd's values). */
export const ProgressType = {
  ProgressTypePeer: 0,
  ProgressTypeLearner: 1,
} as const;
/** One of ProgressType's values. */
export type ProgressType = (typeof ProgressType)[keyof typeof ProgressType];

const emptyHardState = (): HardState => ({ term: 0, vote: NONE, commit: 0 });

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function base(type: MessageType, to: bigint, from: bigint): Message {
  return {
    type,
    to,
    from,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: undefined,
    reject: false,
    rejectHint: 0,
    context: undefined,
  };
}

/**
 * A raft node driven synchronously by the application (etcd's RawNode, v3.6 semantics).
 *
 * Guarantees: RawNode does no I/O and keeps no timer; every effect is in the Readys it hands out.
 * Refusals (`RAFTWIRE_RAFT_PROPOSAL_DROPPED`, `…_STEP_LOCAL_MSG`, `…_STEP_PEER_NOT_FOUND`) change
 * nothing. `RAFTWIRE_RAFT_FATAL` (where etcd panics) and any error a Storage throws other than its
 * documented ones leave the instance unusable: stop using it.
 */
export class RawNode {
  /**
   * The state machine. Internal: not part of the API (its shape changes without notice); exposed
   * for tests and the interaction harness.
   */
  readonly raft: Raft;
  readonly asyncStorageWrites: boolean;
  #prevSoftSt: SoftState;
  #prevHardSt: HardState;
  #stepsOnAdvance: Message[] = [];

  /** Creates a node from `config` (validated; throws RaftConfigError). */
  constructor(config: Config) {
    this.raft = new Raft(config);
    this.asyncStorageWrites = config.asyncStorageWrites ?? false;
    this.#prevSoftSt = this.raft.softState();
    this.#prevHardSt = this.raft.hardState();
  }

  /**
   * Initializes an empty Storage-backed node with one ConfChangeAddNode entry per peer (at term 1),
   * committed and applied at once. Prefer writing an initial snapshot into Storage instead.
   */
  bootstrap(peers: readonly Peer[]): void {
    if (peers.length === 0) throw new BootstrapError('must provide at least one peer to Bootstrap');
    const r = this.raft;
    if (r.raftLog.storage.lastIndex() !== 0) throw new BootstrapError("can't bootstrap a nonempty Storage");
    // Nothing is persisted yet: the first Ready must carry the HardState.
    this.#prevHardSt = emptyHardState();
    r.becomeFollower(1, NONE);
    const ents: Entry[] = peers.map((p, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({
        id: 0n,
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: p.id,
        context: p.context,
      }),
    }));
    r.raftLog.append(ents);
    // Applied here so that campaign() works at once; the application applies them again from
    // CommittedEntries (raft's applied index stays put).
    r.raftLog.committed = ents.length;
    for (const p of peers) {
      r.applyConfChange(confChangeAsV2({ id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: p.id }));
    }
  }

  /** Advances the logical clock by one tick. */
  tick(): void {
    this.raft.tick();
  }

  /** Advances only the election clock (etcd's deprecated TickQuiesced). */
  tickQuiesced(): void {
    this.raft.electionElapsed++;
  }

  /** Starts an election (PreVote first when enabled). */
  campaign(): void {
    this.#check(this.raft.step(base(MessageType.MsgHup, NONE, NONE)));
  }

  /** Proposes `data` for the log; throws ProposalDroppedError when it is dropped. */
  propose(data: Uint8Array): void {
    const m = base(MessageType.MsgProp, NONE, this.raft.id);
    m.entries = [{ term: 0, index: 0, type: EntryType.EntryNormal, data }];
    this.#check(this.raft.step(m));
  }

  /**
   * Proposes several entries in one MsgProp: one append, one MsgApp per follower (or one forwarded
   * MsgProp), instead of one per entry. All are accepted or all dropped together.
   */
  proposeMany(data: readonly Uint8Array[]): void {
    const m = base(MessageType.MsgProp, NONE, this.raft.id);
    m.entries = data.map((d) => ({ term: 0, index: 0, type: EntryType.EntryNormal, data: d }));
    this.#check(this.raft.step(m));
  }

  /** Proposes a conf change (V1 stored as EntryConfChange, V2 as EntryConfChangeV2). */
  proposeConfChange(cc: ConfChange | ConfChangeV2): void {
    this.#check(this.raft.step(confChangeToMsg(cc)));
  }

  /** Applies a committed conf change to this node's configuration; returns the new ConfState. */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    return this.raft.applyConfChange(confChangeAsV2(cc));
  }

  /**
   * Steps a message from the network, or a response from the local storage workers. Throws
   * StepLocalMsgError for local types from elsewhere and StepPeerNotFoundError for responses from
   * unknown peers; ProposalDroppedError for dropped forwarded proposals.
   */
  step(m: Message): void {
    if (isLocalMsg(m.type) && !isLocalMsgTarget(m.from)) throw new StepLocalMsgError();
    if (isResponseMsg(m.type) && !isLocalMsgTarget(m.from) && !this.raft.trk.progress.has(m.from)) {
      throw new StepPeerNotFoundError();
    }
    this.#check(this.raft.step(m));
  }

  #check(err: Error | undefined): void {
    if (err !== undefined) throw err;
  }

  /** Returns and accepts the outstanding work (it must be handled, then advance() in classic mode). */
  ready(): Ready {
    const rd = this.readyWithoutAccept();
    this.acceptReady(rd);
    return rd;
  }

  /** Builds the Ready without accepting it (read-only). */
  readyWithoutAccept(): Ready {
    const r = this.raft;
    const log = r.raftLog;
    const rd: Ready = {
      softState: undefined,
      hardState: emptyHardState(),
      readStates: [],
      entries: log.nextUnstableEnts(),
      snapshot: undefined,
      committedEntries: log.nextCommittedEnts(!this.asyncStorageWrites),
      messages: r.msgs,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.#prevSoftSt.lead || ss.raftState !== this.#prevSoftSt.raftState) rd.softState = ss;
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.#prevHardSt)) rd.hardState = hs;
    const snap = log.nextUnstableSnapshot();
    if (snap !== undefined) rd.snapshot = snap;
    if (r.readStates.length !== 0) rd.readStates = r.readStates;
    rd.mustSync = mustSync(hs, this.#prevHardSt, rd.entries.length);

    if (this.asyncStorageWrites) {
      // Local storage work travels as messages to the append and apply threads.
      if (this.#needStorageAppendMsg(rd)) {
        rd.messages = rd.messages.length === 0 ? [] : rd.messages.slice();
        rd.messages.push(this.#newStorageAppendMsg(rd));
      }
      if (rd.committedEntries.length > 0) {
        if (rd.messages === r.msgs) rd.messages = rd.messages.slice();
        rd.messages.push(this.#newStorageApplyMsg(rd.committedEntries));
      }
    } else {
      // Messages may not leave before this Ready's entries are stored, so the responses that
      // wait for durability go out with it; those addressed to us are stepped in advance().
      const after = r.msgsAfterAppend;
      if (after.length > 0) {
        rd.messages = rd.messages.slice();
        for (const m of after) if (m.to !== r.id) rd.messages.push(m);
      }
    }
    return rd;
  }

  #needStorageAppendMsg(rd: Ready): boolean {
    return (
      rd.entries.length > 0 ||
      !isEmptyHardState(rd.hardState) ||
      (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) ||
      this.raft.msgsAfterAppend.length > 0
    );
  }

  #needStorageAppendRespMsg(rd: Ready): boolean {
    return (
      this.raft.raftLog.hasNextOrInProgressUnstableEnts() ||
      (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot))
    );
  }

  #newStorageAppendMsg(rd: Ready): Message {
    const r = this.raft;
    const m = base(MessageType.MsgStorageAppend, LOCAL_APPEND_THREAD, r.id);
    m.entries = rd.entries;
    if (!isEmptyHardState(rd.hardState)) {
      m.term = rd.hardState.term;
      m.vote = rd.hardState.vote;
      m.commit = rd.hardState.commit;
    }
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) m.snapshot = rd.snapshot;
    // Self-addressed MsgAppResp come before the MsgStorageAppendResp, so they can still read the
    // new entries' terms from the unstable log.
    const responses = r.msgsAfterAppend.slice();
    if (this.#needStorageAppendRespMsg(rd)) responses.push(this.#newStorageAppendRespMsg(rd));
    m.responses = responses;
    return m;
  }

  /**
   * The acknowledgement of everything written so far. It carries the current term: a response
   * that comes back in a later term is not trusted to truncate the unstable log (ABA race).
   */
  #newStorageAppendRespMsg(rd: Ready): Message {
    const r = this.raft;
    const m = base(MessageType.MsgStorageAppendResp, r.id, LOCAL_APPEND_THREAD);
    m.term = r.term;
    if (r.raftLog.hasNextOrInProgressUnstableEnts()) {
      // The log's last (index, term), even without new entries: it attests the tail at this term.
      m.index = r.raftLog.lastIndex();
      m.logTerm = r.raftLog.lastTerm();
    }
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) m.snapshot = rd.snapshot;
    return m;
  }

  #newStorageApplyMsg(ents: Entry[]): Message {
    const r = this.raft;
    const m = base(MessageType.MsgStorageApply, LOCAL_APPLY_THREAD, r.id);
    m.entries = ents;
    m.responses = [this.#newStorageApplyRespMsg(ents)];
    return m;
  }

  #newStorageApplyRespMsg(ents: Entry[]): Message {
    const m = base(MessageType.MsgStorageApplyResp, this.raft.id, LOCAL_APPLY_THREAD);
    m.entries = ents;
    return m;
  }

  /** Records that the application took `rd` (nothing may change the node in between). */
  acceptReady(rd: Ready): void {
    const r = this.raft;
    if (rd.softState !== undefined) this.#prevSoftSt = rd.softState;
    if (!isEmptyHardState(rd.hardState)) this.#prevHardSt = rd.hardState;
    if (rd.readStates.length !== 0) r.readStates = [];
    if (!this.asyncStorageWrites) {
      if (this.#stepsOnAdvance.length !== 0) {
        r.panic('two accepted Ready structs without call to Advance');
      }
      for (const m of r.msgsAfterAppend) if (m.to === r.id) this.#stepsOnAdvance.push(m);
      if (this.#needStorageAppendRespMsg(rd)) this.#stepsOnAdvance.push(this.#newStorageAppendRespMsg(rd));
      if (rd.committedEntries.length > 0) {
        this.#stepsOnAdvance.push(this.#newStorageApplyRespMsg(rd.committedEntries));
      }
    }
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.raftLog.acceptUnstable();
    if (rd.committedEntries.length > 0) {
      const ents = rd.committedEntries;
      r.raftLog.acceptApplying(ents[ents.length - 1]!.index, entsSize(ents), !this.asyncStorageWrites);
    }
  }

  /** True when ready() would return something to do. */
  hasReady(): boolean {
    const r = this.raft;
    const ss = this.#prevSoftSt;
    if (r.lead !== ss.lead || r.state !== ss.raftState) return true;
    const hs = this.#prevHardSt;
    const committed = r.raftLog.committed;
    if (
      (r.term !== 0 || r.vote !== NONE || committed !== 0) &&
      (r.term !== hs.term || r.vote !== hs.vote || committed !== hs.commit)
    ) {
      return true;
    }
    const log = r.raftLog;
    if (log.hasNextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (log.hasNextUnstableEnts() || log.hasNextCommittedEnts(!this.asyncStorageWrites)) return true;
    return r.readStates.length !== 0;
  }

  /**
   * Classic mode: the last Ready was persisted (and applied); steps the self-acknowledgements it
   * left. Throws in async mode.
   */
  advance(_rd?: Ready): void {
    const r = this.raft;
    if (this.asyncStorageWrites) r.panic('Advance must not be called when using AsyncStorageWrites');
    const steps = this.#stepsOnAdvance;
    this.#stepsOnAdvance = [];
    for (const m of steps) r.step(m);
  }

  /** The node's status (allocates; Progress only on the leader). */
  status(): Status {
    return getStatus(this.raft);
  }

  /** The node's basic status (no Progress). */
  basicStatus(): BasicStatus {
    return getBasicStatus(this.raft);
  }

  /** Visits every Progress in ID order (the objects are live: do not keep or modify them). */
  withProgress(visitor: (id: bigint, typ: ProgressType, pr: Progress) => void): void {
    this.raft.trk.visit((id, pr) => {
      visitor(id, pr.isLearner ? ProgressType.ProgressTypeLearner : ProgressType.ProgressTypePeer, pr);
    });
  }

  /** The transport failed to reach `id`. */
  reportUnreachable(id: bigint): void {
    this.raft.step(base(MessageType.MsgUnreachable, NONE, id));
  }

  /** Reports the outcome of a snapshot sent to `id` (required for every MsgSnap). */
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    const m = base(MessageType.MsgSnapStatus, NONE, id);
    m.reject = status === SnapshotStatus.SnapshotFailure;
    this.raft.step(m);
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeader(transferee: bigint): void {
    this.raft.step(base(MessageType.MsgTransferLeader, NONE, transferee));
  }

  /** A follower forgets its leader (so it may grant pre-votes despite the lease). */
  forgetLeader(): void {
    this.#check(this.raft.step(base(MessageType.MsgForgetLeader, NONE, NONE)));
  }

  /** Requests a read index; the answer arrives as a ReadState carrying `rctx`. */
  readIndex(rctx: Uint8Array): void {
    const m = base(MessageType.MsgReadIndex, NONE, NONE);
    m.entries = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: rctx }];
    this.raft.step(m);
  }
}
