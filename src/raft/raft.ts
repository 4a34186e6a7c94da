/**
 * The raft consensus state machine (etcd-io/raft v3.6 raft.go): roles, ticks, elections (with
 * PreVote and CheckQuorum), log replication with flow control, snapshots, configuration changes,
 * ReadIndex, leader transfer and the self-acknowledgements that make asynchronous storage writes
 * safe. It does no I/O: input arrives through `step` and `tick`, output accumulates in `msgs`,
 * `msgsAfterAppend`, `readStates` and the log, and RawNode hands it out as Ready.
 *
 * Log lines reproduce etcd's text exactly (IDs in lowercase hex), since the interaction test data
 * depends on them.
 */
import { isRaftwireError } from '../errors/index.js';
import {
  type ConfChange,
  type ConfChangeV2,
  type ConfState,
  confChangeAsV2,
  confChangeEnterJoint,
  confChangeLeaveJoint,
  confStatesEquivalent,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  encodeConfChange,
  encodeConfChangeV2,
  type HardState,
  type Message,
  MessageType,
  messageTypeName,
  NONE,
  type Snapshot,
} from '../raftpb/index.js';
import { Changer } from './confchange/confchange.js';
import { restore as restoreConfState } from './confchange/restore.js';
import { type Config, ReadOnlyOption, validateConfig } from './config.js';
import { isRaftFatal, ProposalDroppedError, RaftErrorCode, RaftFatalError } from './errors.js';
import { newLog, type RaftLog } from './log.js';
import type { RaftLogger } from './logger.js';
import { VoteResult } from './quorum/quorum.js';
import type { SoftState } from './rawnode.js';
import { ReadOnly, type ReadState } from './read-only.js';
import { StateType, stateTypeName } from './status.js';
import { testingKnobs } from './testing-knobs.js';
import { Inflights } from './tracker/inflights.js';
import { Progress } from './tracker/progress.js';
import type { ProgressMap } from './tracker/progress-map.js';
import { ProgressStateType } from './tracker/state.js';
import { ProgressTracker, type TrackerConfig } from './tracker/tracker.js';
import { entsSize, goFormatConfChange, payloadsSize, voteRespMsgType } from './util.js';

/** The kinds of campaign (the transfer one travels as the MsgVote context). */
export const CampaignType = {
  PreElection: 'CampaignPreElection',
  Election: 'CampaignElection',
  Transfer: 'CampaignTransfer',
} as const;
/** One of CampaignType's values. */
export type CampaignType = (typeof CampaignType)[keyof typeof CampaignType];

/** The bytes of "CampaignTransfer": a MsgVote carrying them bypasses the CheckQuorum lease. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode(CampaignType.Transfer);

const hex = (id: bigint): string => id.toString(16);

function isCampaignTransfer(ctx: Uint8Array | undefined): boolean {
  if (ctx === undefined || ctx.length !== CAMPAIGN_TRANSFER.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== CAMPAIGN_TRANSFER[i]) return false;
  return true;
}

const { COMPACTED, UNAVAILABLE, SNAPSHOT_TEMPORARILY_UNAVAILABLE } = RaftErrorCode;

/** A message with every field present (one object shape for all messages raft creates). */
function msg(
  type: MessageType,
  to: bigint,
  index = 0,
  logTerm = 0,
  entries: Entry[] = [],
  commit = 0,
  term = 0,
): Message {
  return {
    type,
    to,
    from: NONE,
    term,
    logTerm,
    index,
    entries,
    commit,
    snapshot: undefined,
    reject: false,
    rejectHint: 0,
    context: undefined,
  };
}

/** The MsgProp that proposes `cc` (undefined: the empty V2 that leaves a joint config). */
export function confChangeToMsg(cc: ConfChange | ConfChangeV2 | undefined): Message {
  let e: Entry;
  if (cc === undefined) e = { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: undefined };
  else if ('changes' in cc)
    e = { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(cc) };
  else e = { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) };
  return msg(MessageType.MsgProp, NONE, 0, 0, [e]);
}

/**
 * One raft peer's state machine. Internal: applications use RawNode (or Node); tests reach into
 * the fields directly, as etcd's own tests do.
 */
export class Raft {
  readonly id: bigint;
  term = 0;
  vote: bigint = NONE;
  readStates: ReadState[] = [];
  raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state: StateType = StateType.StateFollower;
  /** True when this node is a learner in the current configuration. */
  isLearner = false;
  /** Messages to send now (never to this node). */
  msgs: Message[] = [];
  /** Responses (MsgAppResp, MsgVoteResp, MsgPreVoteResp) to send once local state is durable. */
  msgsAfterAppend: Message[] = [];
  lead: bigint = NONE;
  /** The target of a leadership transfer in progress, or NONE. */
  leadTransferee: bigint = NONE;
  /** Index of the latest possibly unapplied conf change; proposals wait until applied reaches it. */
  pendingConfIndex = 0;
  readonly disableConfChangeValidation: boolean;
  /** Leader: payload bytes appended but not yet committed (an estimate that never overshoots). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  checkQuorum: boolean;
  preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** Election timeout of the current term, in [electionTimeout, 2·electionTimeout − 1]. */
  randomizedElectionTimeout = 0;
  disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  readonly logger: RaftLogger;
  /** MsgReadIndex requests waiting for this leader's first commit in its term. */
  pendingReadIndexMessages: Message[] = [];
  readonly #random: () => number;

  /** Validates `config` and starts as a follower from the Storage's initial state. */
  constructor(config: Config) {
    const c = validateConfig(config);
    this.id = c.id;
    this.logger = c.logger;
    this.#random = c.random;
    this.raftLog = newLog(c.storage, c.logger, c.maxCommittedSizePerReady);
    const { hardState, confState } = c.storage.initialState();
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize;
    this.trk = new ProgressTracker(c.maxInflightMsgs, c.maxInflightBytes);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.disableConfChangeValidation = c.disableConfChangeValidation;
    this.stepDownOnRemoval = c.stepDownOnRemoval;

    const lastIndex = this.raftLog.lastIndex();
    const [cfg, prs] = this.#restoreConfState(confState, lastIndex);
    this.#assertConfStatesEquivalent(confState, this.switchToConfig(cfg, prs));

    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (c.applied > 0) this.raftLog.appliedTo(c.applied, 0);
    this.becomeFollower(this.term, NONE);

    const nodes = this.trk
      .voterNodes()
      .map((n) => hex(n))
      .join(',');
    const lastTerm = this.raftLog.lastTerm();
    this.logger.info(
      `newRaft ${hex(this.id)} [peers: [${nodes}], term: ${this.term}, commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${lastTerm}]`,
    );
  }

  /** Logs a broken invariant and throws (etcd panics). */
  panic(text: string, cause?: unknown): never {
    this.logger.panic(text);
    throw new RaftFatalError(text, cause === undefined ? undefined : { cause });
  }

  /** True when a leader is known. */
  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  /** The volatile state (leader, role). */
  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  /** The state to persist (term, vote, commit). */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /**
   * Queues `m` for sending: stamps From (if unset) and the term (except on MsgProp/MsgReadIndex,
   * which travel with term 0, and vote traffic, which carries its own). Responses that promise
   * durability wait in msgsAfterAppend.
   */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (
      t === MessageType.MsgVote ||
      t === MessageType.MsgVoteResp ||
      t === MessageType.MsgPreVote ||
      t === MessageType.MsgPreVoteResp
    ) {
      if (m.term === 0) this.panic(`term should be set when sending ${messageTypeName(t)}`);
    } else {
      if (m.term !== 0)
        this.panic(`term should not be set when sending ${messageTypeName(t)} (was ${m.term})`);
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    if (t === MessageType.MsgAppResp || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVoteResp) {
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id)
        this.panic(`message should not be self-addressed when sending ${messageTypeName(t)}`);
      this.msgs.push(m);
    }
  }

  /** Sends an append (possibly empty, carrying the commit index) to `to`. */
  sendAppend(to: bigint): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends an append with new entries to `to` if its Progress allows; with sendIfEmpty false an
   * append without entries is not sent. Falls back to a snapshot when the needed entries are
   * compacted. Returns true if a message was queued.
   */
  maybeSendAppend(to: bigint, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    return pr !== undefined && this.#maybeSendAppendTo(to, pr, sendIfEmpty);
  }

  #maybeSendAppendTo(to: bigint, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const log = this.raftLog;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    try {
      prevTerm = log.term(prevIndex);
    } catch (e) {
      // The log was compacted past what the follower needs: send a snapshot instead.
      if (isRaftwireError(e, COMPACTED) || isRaftwireError(e, UNAVAILABLE))
        return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    let ents: Entry[] = [];
    let unavailable = false;
    // A throttled StateReplicate sends only empty appends, so that lost messages cannot stall it.
    if (pr.state !== ProgressStateType.StateReplicate || !pr.inflights.full()) {
      try {
        ents = log.entries(pr.next, this.maxMsgSize);
      } catch (e) {
        if (!isRaftwireError(e, COMPACTED) && !isRaftwireError(e, UNAVAILABLE)) throw e;
        unavailable = true;
      }
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    if (unavailable) return this.maybeSendSnapshot(to, pr);
    const commit = log.committed;
    this.send(msg(MessageType.MsgApp, to, prevIndex, prevTerm, ents, commit));
    pr.sentEntries(ents.length, payloadsSize(ents));
    pr.updateSentCommit(commit);
    return true;
  }

  /** Sends the storage's snapshot to `to` if it is recently active. */
  maybeSendSnapshot(to: bigint, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(`ignore sending snapshot to ${hex(to)} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (isRaftwireError(e, SNAPSHOT_TEMPORARILY_UNAVAILABLE)) {
        this.logger.debug(
          `${hex(this.id)} failed to send snapshot to ${hex(to)} because snapshot is temporarily unavailable`,
        );
        return false;
      }
      if (isRaftFatal(e)) throw e;
      return this.panic(`failed to get snapshot for ${hex(to)}: ${(e as Error).message}`, e);
    }
    if (snapshot.metadata.index === 0) this.panic('need non-empty snapshot');
    const sindex = snapshot.metadata.index;
    const sterm = snapshot.metadata.term;
    this.logger.debug(
      `${hex(this.id)} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] sent snapshot[index: ${sindex}, term: ${sterm}] to ${hex(to)} [${pr.toString()}]`,
    );
    pr.becomeSnapshot(sindex);
    this.logger.debug(`${hex(this.id)} paused sending replication messages to ${hex(to)} [${pr.toString()}]`);
    const m = msg(MessageType.MsgSnap, to);
    m.snapshot = snapshot;
    this.send(m);
    return true;
  }

  /** Sends a heartbeat carrying commit = min(match, committed) and the ReadIndex context. */
  sendHeartbeat(to: bigint, ctx: Uint8Array | undefined): void {
    const pr = this.trk.progress.get(to);
    if (pr !== undefined) this.#sendHeartbeatTo(to, pr, ctx);
  }

  #sendHeartbeatTo(to: bigint, pr: Progress, ctx: Uint8Array | undefined): void {
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, this.raftLog.committed);
    const m = msg(MessageType.MsgHeartbeat, to, 0, 0, [], commit);
    m.context = ctx;
    this.send(m);
    pr.updateSentCommit(commit);
  }

  /** Sends appends to every peer that is not up to date. */
  bcastAppend(): void {
    this.trk.visit((id, pr) => {
      if (id !== this.id) this.#maybeSendAppendTo(id, pr, true);
    });
  }

  /** Heartbeats every peer, carrying the newest pending ReadIndex context. */
  bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingRequestCtx();
    this.bcastHeartbeatWithCtx(ctx === undefined || ctx.length === 0 ? undefined : ctx);
  }

  /** Heartbeats every peer with the given ReadIndex context. */
  bcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    this.trk.visit((id, pr) => {
      if (id !== this.id) this.#sendHeartbeatTo(id, pr, ctx);
    });
  }

  /** Moves the applied cursor (size: bytes of the entries applied) and auto-leaves a joint config. */
  appliedTo(index: number, size: number): void {
    const oldApplied = this.raftLog.applied;
    const newApplied = Math.max(index, oldApplied);
    this.raftLog.appliedTo(newApplied, size);
    if (
      this.trk.config.autoLeave &&
      newApplied >= this.pendingConfIndex &&
      this.state === StateType.StateLeader
    ) {
      // The empty V2 (nil data) counts zero against the uncommitted quota, so only a leader
      // transfer can refuse it; then the next advance tries again.
      const m = confChangeToMsg(undefined);
      const err = this.step(m);
      if (err !== undefined) {
        this.logger.debug(
          `not initiating automatic transition out of joint configuration ${this.trk.config.toString()}: ${err.message}`,
        );
      } else {
        this.logger.info(
          `initiating automatic transition out of joint configuration ${this.trk.config.toString()}`,
        );
      }
    }
  }

  /** The snapshot at its index is durable and applied. */
  appliedSnap(snap: Snapshot): void {
    const index = snap.metadata.index;
    this.raftLog.stableSnapTo(index);
    this.appliedTo(index, 0);
  }

  /** Advances the commit index from the quorum's matches; true if it moved. Leader only. */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** Resets the per-term state (etcd's reset). */
  reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    const maxInflight = this.trk.maxInflight;
    const maxBytes = this.trk.maxInflightBytes;
    const prs = this.trk.progress;
    for (const [id, pr] of prs) {
      const fresh = new Progress({
        match: id === this.id ? last : 0,
        next: last + 1,
        inflights: new Inflights(maxInflight, maxBytes),
        isLearner: pr.isLearner,
      });
      prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
  }

  /**
   * Appends entries at the current term (assigning terms and indexes in place) unless the
   * uncommitted-size limit refuses them; the leader acknowledges them to itself once durable.
   */
  appendEntry(es: Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      e.term = this.term;
      e.index = li + 1 + i;
    }
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warning(
        `${hex(this.id)} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`,
      );
      return false;
    }
    li = this.raftLog.append(es);
    // Self-ack after persistence: stepped back once the append is durable.
    this.send(msg(MessageType.MsgAppResp, this.id, li));
    return true;
  }

  /** Advances the clock one tick. */
  tick(): void {
    if (this.state === StateType.StateLeader) this.tickHeartbeat();
    else this.tickElection();
  }

  /** Followers and candidates: campaign when the randomized election timeout passes. */
  tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      const err = this.step(msg(MessageType.MsgHup, NONE));
      if (err !== undefined) this.logger.debug(`error occurred during election: ${err.message}`);
    }
  }

  /** Leader: heartbeat every heartbeatTimeout, check quorum every electionTimeout. */
  tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        const m = msg(MessageType.MsgCheckQuorum, NONE);
        m.from = this.id;
        const err = this.step(m);
        if (err !== undefined)
          this.logger.debug(`error occurred during checking sending heartbeat: ${err.message}`);
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.StateLeader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.StateLeader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      const m = msg(MessageType.MsgBeat, NONE);
      m.from = this.id;
      const err = this.step(m);
      if (err !== undefined)
        this.logger.debug(`error occurred during checking sending heartbeat: ${err.message}`);
    }
  }

  /** Becomes follower of `lead` (or of nobody) at `term`. */
  becomeFollower(term: number, lead: bigint): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.StateFollower;
    this.logger.info(`${hex(this.id)} became follower at term ${this.term}`);
  }

  /** Becomes candidate: next term, vote for self. */
  becomeCandidate(): void {
    if (this.state === StateType.StateLeader) this.panic('invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.StateCandidate;
    this.logger.info(`${hex(this.id)} became candidate at term ${this.term}`);
  }

  /** Becomes pre-candidate: same term and vote, only the role changes. */
  becomePreCandidate(): void {
    if (this.state === StateType.StateLeader) this.panic('invalid transition [leader -> pre-candidate]');
    // Only the role changes: no new term, no vote, no clock reset.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateType.StatePreCandidate;
    this.logger.info(`${hex(this.id)} became pre-candidate at term ${this.term}`);
  }

  /** Becomes leader of the current term and appends its empty entry. */
  becomeLeader(): void {
    if (this.state === StateType.StateFollower) this.panic('invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.StateLeader;
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // Conservatively: no conf change until everything from earlier terms is applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    if (!this.appendEntry([{ term: 0, index: 0, type: EntryType.EntryNormal, data: undefined }])) {
      this.panic('empty entry was dropped');
    }
    this.logger.info(`${hex(this.id)} became leader at term ${this.term}`);
  }

  /** Starts a campaign of type `t` if this node may (not leader, promotable, no unapplied conf change). */
  hup(t: CampaignType): void {
    if (this.state === StateType.StateLeader) {
      this.logger.debug(`${hex(this.id)} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warning(`${hex(this.id)} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warning(
        `${hex(this.id)} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`,
      );
      return;
    }
    this.logger.info(`${hex(this.id)} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  /** True if committed but unapplied entries contain a conf change (scanned page by page). */
  hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    if (log.applied >= log.committed) return false;
    let found = false;
    const lo = log.applied + 1;
    const hi = log.committed + 1;
    try {
      log.scan(lo, hi, log.maxApplyingEntsSize, (ents) => {
        for (const e of ents) {
          if (e.type === EntryType.EntryConfChange || e.type === EntryType.EntryConfChangeV2) {
            found = true;
            return false;
          }
        }
        return true;
      });
    } catch (e) {
      this.panic(`error scanning unapplied entries [${lo}, ${hi}): ${(e as Error).message}`);
    }
    return found;
  }

  /** Becomes (pre-)candidate and asks every voter, in ascending ID order, for its vote. */
  campaign(t: CampaignType): void {
    if (!this.promotable()) {
      this.logger.warning(`${hex(this.id)} is unpromotable; campaign() should have been called`);
    }
    let term: number;
    let voteMsg: MessageType;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    const ids = this.trk.config.voters.ids().slice();
    for (const id of ids) {
      if (id === this.id) {
        // The self-vote counts once it is durable, like any other vote.
        this.send(msg(voteRespMsgType(voteMsg), id, 0, 0, [], 0, term));
        continue;
      }
      const lastIndex = this.raftLog.lastIndex();
      const lastTerm = this.raftLog.lastTerm();
      this.logger.info(
        `${hex(this.id)} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${messageTypeName(voteMsg)} request to ${hex(id)} at term ${this.term}`,
      );
      const m = msg(voteMsg, id, lastIndex, lastTerm, [], 0, term);
      if (t === CampaignType.Transfer) m.context = CAMPAIGN_TRANSFER.slice();
      this.send(m);
    }
  }

  poll(id: bigint, t: MessageType, v: boolean): { granted: number; rejected: number; result: VoteResult } {
    if (v)
      this.logger.info(`${hex(this.id)} received ${messageTypeName(t)} from ${hex(id)} at term ${this.term}`);
    else
      this.logger.info(
        `${hex(this.id)} received ${messageTypeName(t)} rejection from ${hex(id)} at term ${this.term}`,
      );
    this.trk.recordVote(id, v);
    return this.trk.tallyVotes();
  }

  /**
   * The entry point of every message. Returns an error (ProposalDroppedError) instead of throwing
   * for the expected refusals; broken invariants throw RaftFatalError.
   */
  step(m: Message): Error | undefined {
    // Term handling first, which may make us step down.
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = isCampaignTransfer(m.context);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Heard from a leader within the minimum election timeout: neither update the term nor vote.
          this.logger.info(
            `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] ignored ${messageTypeName(m.type)} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return undefined;
        }
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change the term for a PreVote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // A granted pre-vote carries our future term; the term changes once we win.
      } else {
        this.logger.info(
          `${hex(this.id)} [term: ${this.term}] received a ${messageTypeName(m.type)} message with higher term from ${hex(m.from)} [term: ${m.term}]`,
        );
        if (
          m.type === MessageType.MsgApp ||
          m.type === MessageType.MsgHeartbeat ||
          m.type === MessageType.MsgSnap
        ) {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, NONE);
        }
      }
    } else if (m.term < this.term) {
      if (
        (this.checkQuorum || this.preVote) &&
        (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)
      ) {
        // A stale leader (or a node rejoining after a partition) learns our term from this reply.
        this.send(msg(MessageType.MsgAppResp, m.from));
      } else if (m.type === MessageType.MsgPreVote) {
        this.logger.info(
          `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] rejected ${messageTypeName(m.type)} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
        );
        const resp = msg(MessageType.MsgPreVoteResp, m.from, 0, 0, [], 0, this.term);
        resp.reject = true;
        this.send(resp);
      } else if (m.type === MessageType.MsgStorageAppendResp) {
        if (m.index !== 0) {
          // The entries may have been overwritten in a later term: not stable (ABA race).
          this.logger.info(
            `${hex(this.id)} [term: ${this.term}] ignored entry appends from a ${messageTypeName(m.type)} message with lower term [term: ${m.term}]`,
          );
        }
        // A snapshot is committed state: valid whatever the term.
        if (m.snapshot !== undefined) this.appliedSnap(m.snapshot);
      } else {
        this.logger.info(
          `${hex(this.id)} [term: ${this.term}] ignored a ${messageTypeName(m.type)} message with lower term from ${hex(m.from)} [term: ${m.term}]`,
        );
      }
      return undefined;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? CampaignType.PreElection : CampaignType.Election);
        break;
      case MessageType.MsgStorageAppendResp:
        if (m.index !== 0) this.raftLog.stableTo(m.index, m.logTerm);
        if (m.snapshot !== undefined) this.appliedSnap(m.snapshot);
        break;
      case MessageType.MsgStorageApplyResp:
        if (m.entries.length > 0) {
          const index = m.entries[m.entries.length - 1]!.index;
          this.appliedTo(index, entsSize(m.entries));
          this.reduceUncommittedSize(payloadsSize(m.entries));
        }
        break;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        this.#handleVote(m);
        break;
      default:
        switch (this.state) {
          case StateType.StateLeader:
            return this.#stepLeader(m);
          case StateType.StateFollower:
            return this.#stepFollower(m);
          default:
            return this.#stepCandidate(m);
        }
    }
    return undefined;
  }

  #handleVote(m: Message): void {
    // We can vote if this is a repeat of a vote we've already cast, or we haven't voted and know
    // no leader in this term, or this is a PreVote for a future term.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.MsgPreVote && m.term > this.term);
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    if (canVote && (this.raftLog.isUpToDate(m.index, m.logTerm) || testingKnobs.voteIgnoresLog)) {
      // Learners vote too: they may have been promoted without knowing it yet.
      this.logger.info(
        `${hex(this.id)} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${hex(this.vote)}] cast ${messageTypeName(m.type)} for ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      // The response carries the message's term (ahead of ours for pre-votes), so the candidate
      // does not drop it as stale.
      this.send(msg(voteRespMsgType(m.type), m.from, 0, 0, [], 0, m.term));
      if (m.type === MessageType.MsgVote) {
        // Only real votes are recorded.
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info(
        `${hex(this.id)} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${hex(this.vote)}] rejected ${messageTypeName(m.type)} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      const resp = msg(voteRespMsgType(m.type), m.from, 0, 0, [], 0, this.term);
      resp.reject = true;
      this.send(resp);
    }
  }

  #stepLeader(m: Message): Error | undefined {
    // Message types that need no Progress of the sender.
    switch (m.type) {
      case MessageType.MsgBeat:
        this.bcastHeartbeat();
        return undefined;
      case MessageType.MsgCheckQuorum:
        if (!this.trk.quorumActive()) {
          this.logger.warning(`${hex(this.id)} stepped down to follower since quorum is not active`);
          this.becomeFollower(this.term, NONE);
        }
        // Everyone but us starts the next round inactive.
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
        return undefined;
      case MessageType.MsgProp:
        return this.#propose(m);
      case MessageType.MsgReadIndex:
        // Postpone until this leader has committed an entry in its term, even as the only voter:
        // until then its commit index may be behind what it acknowledged before a restart (with
        // asynchronous storage writes, entries are applied before the HardState carrying their
        // commit index is durable). etcd answers a single voter at once (simulator seed 1010).
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return undefined;
        }
        this.#sendMsgReadIndexResponse(m);
        return undefined;
      case MessageType.MsgForgetLeader:
        return undefined; // no-op on a leader
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(`${hex(this.id)} no progress available for ${hex(m.from)}`);
      return undefined;
    }
    switch (m.type) {
      case MessageType.MsgAppResp:
        this.#handleAppResp(m, pr);
        break;
      case MessageType.MsgHeartbeatResp:
        this.#handleHeartbeatResp(m, pr);
        break;
      case MessageType.MsgSnapStatus:
        if (pr.state !== ProgressStateType.StateSnapshot) return undefined;
        if (!m.reject) {
          pr.becomeProbe();
          this.logger.debug(
            `${hex(this.id)} snapshot succeeded, resumed sending replication messages to ${hex(m.from)} [${pr.toString()}]`,
          );
        } else {
          // Clear the pending snapshot first, or we would probe from the never-applied snapshot.
          pr.pendingSnapshot = 0;
          pr.becomeProbe();
          this.logger.debug(
            `${hex(this.id)} snapshot failed, resumed sending replication messages to ${hex(m.from)} [${pr.toString()}]`,
          );
        }
        // Wait for a MsgAppResp (success) or a heartbeat interval (failure) before the next append.
        pr.msgAppFlowPaused = true;
        break;
      case MessageType.MsgUnreachable:
        // An append was probably lost.
        if (pr.state === ProgressStateType.StateReplicate) pr.becomeProbe();
        this.logger.debug(
          `${hex(this.id)} failed to send message to ${hex(m.from)} because it is unreachable [${pr.toString()}]`,
        );
        break;
      case MessageType.MsgTransferLeader:
        this.#handleTransferLeader(m, pr);
        break;
    }
    return undefined;
  }

  #propose(m: Message): Error | undefined {
    if (m.entries.length === 0) this.panic(`${hex(this.id)} stepped empty MsgProp`);
    if (!this.trk.progress.has(this.id)) {
      // Removed while leader: drop new proposals.
      return new ProposalDroppedError();
    }
    if (this.leadTransferee !== NONE) {
      this.logger.debug(
        `${hex(this.id)} [term ${this.term}] transfer leadership to ${hex(this.leadTransferee)} is in progress; dropping proposal`,
      );
      return new ProposalDroppedError();
    }
    const ents = m.entries;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type === EntryType.EntryNormal) continue;
      let cc: ConfChange | ConfChangeV2;
      const data = e.data ?? new Uint8Array(0);
      if (e.type === EntryType.EntryConfChange) cc = decodeConfChange(data);
      else if (e.type === EntryType.EntryConfChangeV2) cc = decodeConfChangeV2(data);
      else continue;
      const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
      const alreadyJoint = this.trk.config.voters.outgoing.size > 0;
      const wantsLeaveJoint = confChangeAsV2(cc).changes.length === 0;
      let failedCheck = '';
      if (alreadyPending) {
        failedCheck = `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.raftLog.applied})`;
      } else if (alreadyJoint && !wantsLeaveJoint) {
        failedCheck = 'must transition out of joint config first';
      } else if (!alreadyJoint && wantsLeaveJoint) {
        failedCheck = 'not in joint state; refusing empty conf change';
      }
      if (failedCheck !== '' && !this.disableConfChangeValidation) {
        this.logger.info(
          `${hex(this.id)} ignoring conf change ${goFormatConfChange(cc)} at config ${this.trk.config.toString()}: ${failedCheck}`,
        );
        // The refused change still occupies its index, as an empty normal entry.
        ents[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: undefined };
      } else {
        this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
      }
    }
    if (!this.appendEntry(ents)) return new ProposalDroppedError();
    this.bcastAppend();
    return undefined;
  }

  #handleAppResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // RejectHint is the suggested base of the next probe; LogTerm (if set) the follower's term
      // there, which lets the leader skip every index whose term is higher than that.
      this.logger.debug(
        `${hex(this.id)} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${hex(m.from)} for index ${m.index}`,
      );
      let nextProbeIdx = m.rejectHint;
      if (m.logTerm > 0) nextProbeIdx = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm)[0];
      if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
        this.logger.debug(`${hex(this.id)} decreased progress of ${hex(m.from)} to [${pr.toString()}]`);
        if (pr.state === ProgressStateType.StateReplicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    // Update on a higher match, or when the ack can move a probing peer back to replicating.
    if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressStateType.StateProbe)) {
      if (pr.state === ProgressStateType.StateProbe) {
        pr.becomeReplicate();
      } else if (pr.state === ProgressStateType.StateSnapshot && pr.match + 1 >= this.raftLog.firstIndex()) {
        // Any snapshot that lets the log catch the follower up will do, whatever its index.
        this.logger.debug(
          `${hex(this.id)} recovered from needing snapshot, resumed sending replication messages to ${hex(m.from)} [${pr.toString()}]`,
        );
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === ProgressStateType.StateReplicate) {
        pr.inflights.freeLE(m.index);
      }
      if (this.maybeCommit()) {
        // The first commit of the term also releases the postponed ReadIndex requests.
        this.#releasePendingReadIndexMessages();
        this.bcastAppend();
      } else if (this.id !== m.from && pr.canBumpCommit(this.raftLog.committed)) {
        // The follower may be missing the latest commit index.
        this.sendAppend(m.from);
      }
      // Flow control moved: send as many further appends as the window allows.
      if (this.id !== m.from) {
        while (this.maybeSendAppend(m.from, false)) {
          // keep sending
        }
      }
      if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
        this.logger.info(`${hex(this.id)} sent MsgTimeoutNow to ${hex(m.from)} after received MsgAppResp`);
        this.sendTimeoutNow(m.from);
      }
    }
  }

  #handleHeartbeatResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // Even a full window gets an (empty) append, so lost appends cannot stall the follower; a
    // caught-up follower in StateProbe gets one to move back to StateReplicate.
    if (pr.match < this.raftLog.lastIndex() || pr.state === ProgressStateType.StateProbe) {
      this.sendAppend(m.from);
    }
    if (
      this.readOnly.option !== ReadOnlyOption.ReadOnlySafe ||
      m.context === undefined ||
      m.context.length === 0
    ) {
      return;
    }
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined || this.trk.config.voters.voteResult(acks) !== VoteResult.VoteWon) return;
    for (const rs of this.readOnly.advance(m)) {
      const resp = this.responseToReadIndexReq(rs.req, rs.index);
      if (resp !== undefined) this.send(resp);
    }
  }

  #handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) {
      this.logger.debug(`${hex(this.id)} is learner. Ignored transferring leadership`);
      return;
    }
    const leadTransferee = m.from;
    const lastLeadTransferee = this.leadTransferee;
    if (lastLeadTransferee !== NONE) {
      if (lastLeadTransferee === leadTransferee) {
        this.logger.info(
          `${hex(this.id)} [term ${this.term}] transfer leadership to ${hex(leadTransferee)} is in progress, ignores request to same node ${hex(leadTransferee)}`,
        );
        return;
      }
      this.abortLeaderTransfer();
      this.logger.info(
        `${hex(this.id)} [term ${this.term}] abort previous transferring leadership to ${hex(lastLeadTransferee)}`,
      );
    }
    if (leadTransferee === this.id) {
      this.logger.debug(`${hex(this.id)} is already leader. Ignored transferring leadership to self`);
      return;
    }
    this.logger.info(
      `${hex(this.id)} [term ${this.term}] starts to transfer leadership to ${hex(leadTransferee)}`,
    );
    // The transfer must finish within one election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = leadTransferee;
    if (pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(leadTransferee);
      this.logger.info(
        `${hex(this.id)} sends MsgTimeoutNow to ${hex(leadTransferee)} immediately as ${hex(leadTransferee)} already has up-to-date log`,
      );
    } else {
      this.sendAppend(leadTransferee);
    }
  }

  /** Shared by candidates and pre-candidates; each tallies only its own response type. */
  #stepCandidate(m: Message): Error | undefined {
    const myVoteRespType =
      this.state === StateType.StatePreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
    switch (m.type) {
      case MessageType.MsgProp:
        this.logger.info(`${hex(this.id)} no leader at term ${this.term}; dropping proposal`);
        return new ProposalDroppedError();
      case MessageType.MsgApp:
        this.becomeFollower(m.term, m.from); // always m.term === this.term
        this.handleAppendEntries(m);
        break;
      case MessageType.MsgHeartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case MessageType.MsgSnap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        break;
      case myVoteRespType: {
        const { granted, rejected, result } = this.poll(m.from, m.type, !m.reject);
        this.logger.info(
          `${hex(this.id)} has received ${granted} ${messageTypeName(m.type)} votes and ${rejected} vote rejections`,
        );
        if (result === VoteResult.VoteWon) {
          if (this.state === StateType.StatePreCandidate) {
            this.campaign(CampaignType.Election);
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === VoteResult.VoteLost) {
          // A pre-vote response carries our future term: stay at ours.
          this.becomeFollower(this.term, NONE);
        }
        break;
      }
      case MessageType.MsgTimeoutNow:
        this.logger.debug(
          `${hex(this.id)} [term ${this.term} state ${stateTypeName(this.state)}] ignored MsgTimeoutNow from ${hex(m.from)}`,
        );
        break;
    }
    return undefined;
  }

  #stepFollower(m: Message): Error | undefined {
    switch (m.type) {
      case MessageType.MsgProp:
        if (this.lead === NONE) {
          this.logger.info(`${hex(this.id)} no leader at term ${this.term}; dropping proposal`);
          return new ProposalDroppedError();
        }
        if (this.disableProposalForwarding) {
          this.logger.info(
            `${hex(this.id)} not forwarding to leader ${hex(this.lead)} at term ${this.term}; dropping proposal`,
          );
          return new ProposalDroppedError();
        }
        this.send({ ...m, to: this.lead });
        break;
      case MessageType.MsgApp:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        break;
      case MessageType.MsgHeartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case MessageType.MsgSnap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case MessageType.MsgTransferLeader:
        if (this.lead === NONE) {
          this.logger.info(`${hex(this.id)} no leader at term ${this.term}; dropping leader transfer msg`);
          return undefined;
        }
        this.send({ ...m, to: this.lead });
        break;
      case MessageType.MsgForgetLeader:
        if (this.readOnly.option === ReadOnlyOption.ReadOnlyLeaseBased) {
          this.logger.error('ignoring MsgForgetLeader due to ReadOnlyLeaseBased');
          return undefined;
        }
        if (this.lead !== NONE) {
          this.logger.info(`${hex(this.id)} forgetting leader ${hex(this.lead)} at term ${this.term}`);
          this.lead = NONE;
        }
        break;
      case MessageType.MsgTimeoutNow:
        this.logger.info(
          `${hex(this.id)} [term ${this.term}] received MsgTimeoutNow from ${hex(m.from)} and starts an election to get leadership.`,
        );
        // Transfers never use pre-vote: we are not recovering from a partition.
        this.hup(CampaignType.Transfer);
        break;
      case MessageType.MsgReadIndex:
        if (this.lead === NONE) {
          this.logger.info(`${hex(this.id)} no leader at term ${this.term}; dropping index reading msg`);
          return undefined;
        }
        this.send({ ...m, to: this.lead });
        break;
      case MessageType.MsgReadIndexResp:
        if (m.entries.length !== 1) {
          this.logger.error(
            `${hex(this.id)} invalid format of MsgReadIndexResp from ${hex(m.from)}, entries count: ${m.entries.length}`,
          );
          return undefined;
        }
        this.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data ?? new Uint8Array(0) });
        break;
    }
    return undefined;
  }

  /** Follower side of MsgApp: append, or reject with a hint. */
  handleAppendEntries(m: Message): void {
    const log = this.raftLog;
    if (m.index < log.committed) {
      this.send(msg(MessageType.MsgAppResp, m.from, log.committed));
      return;
    }
    const lastNew = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(msg(MessageType.MsgAppResp, m.from, lastNew));
      return;
    }
    this.logger.debug(
      `${hex(this.id)} [logterm: ${log.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${hex(m.from)}`,
    );
    // Hint: the largest (index, term) at or below the probe whose term is ≤ the leader's term
    // there; it skips our whole uncommitted tail of higher terms.
    const hintIndex0 = Math.min(m.index, log.lastIndex());
    const [hintIndex, hintTerm] = log.findConflictByTerm(hintIndex0, m.logTerm);
    const resp = msg(MessageType.MsgAppResp, m.from, m.index, hintTerm);
    resp.reject = true;
    resp.rejectHint = hintIndex;
    this.send(resp);
  }

  /** Follower side of MsgHeartbeat: commit and echo the context. */
  handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    const resp = msg(MessageType.MsgHeartbeatResp, m.from);
    resp.context = m.context;
    this.send(resp);
  }

  /** Follower side of MsgSnap: restore (or ignore) and acknowledge. */
  handleSnapshot(m: Message): void {
    // A MsgSnap without a snapshot is treated as the empty snapshot.
    const s: Snapshot = m.snapshot ?? {
      data: undefined,
      metadata: {
        index: 0,
        term: 0,
        confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      },
    };
    const sindex = s.metadata.index;
    const sterm = s.metadata.term;
    if (this.restore(s)) {
      this.logger.info(
        `${hex(this.id)} [commit: ${this.raftLog.committed}] restored snapshot [index: ${sindex}, term: ${sterm}]`,
      );
      this.send(msg(MessageType.MsgAppResp, m.from, this.raftLog.lastIndex()));
    } else {
      this.logger.info(
        `${hex(this.id)} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${sindex}, term: ${sterm}]`,
      );
      this.send(msg(MessageType.MsgAppResp, m.from, this.raftLog.committed));
    }
  }

  /**
   * Resets the log and configuration to the snapshot. False if it was ignored (stale, or we are
   * not a follower, or it does not include us) or only fast-forwarded the commit index.
   */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== StateType.StateFollower) {
      // Defense in depth: should never happen.
      this.logger.warning(`${hex(this.id)} attempted to restore snapshot as leader; should never happen`);
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = s.metadata.confState;
    const found =
      cs.voters.includes(this.id) || cs.learners.includes(this.id) || cs.votersOutgoing.includes(this.id);
    if (!found) {
      this.logger.warning(
        `${hex(this.id)} attempted to restore snapshot but it is not in the ConfState ${goConfState(cs)}; should never happen`,
      );
      return false;
    }
    const index = s.metadata.index;
    const term = s.metadata.term;
    if (this.raftLog.matchTerm(index, term)) {
      this.logger.info(
        `${hex(this.id)} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] fast-forwarded commit to snapshot [index: ${index}, term: ${term}]`,
      );
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    // Rebuild the configuration from the snapshot's ConfState.
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    const [cfg, prs] = this.#restoreConfState(cs, this.raftLog.lastIndex());
    this.#assertConfStatesEquivalent(cs, this.switchToConfig(cfg, prs));
    this.logger.info(
      `${hex(this.id)} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] restored snapshot [index: ${index}, term: ${term}]`,
    );
    return true;
  }

  #restoreConfState(cs: ConfState, lastIndex: number): [TrackerConfig, ProgressMap] {
    try {
      return restoreConfState(new Changer(this.trk, lastIndex), cs);
    } catch (e) {
      return this.panic(`unable to restore config ${goConfState(cs)}: ${(e as Error).message}`);
    }
  }

  #assertConfStatesEquivalent(a: ConfState, b: ConfState): void {
    if (!confStatesEquivalent(a, b)) {
      this.panic(`ConfStates not equivalent after sorting:\n${goConfState(a)}\n${goConfState(b)}`);
    }
  }

  /** True when this node may become leader: a voter with no snapshot pending. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasNextOrInProgressSnapshot();
  }

  /** Applies a (committed) conf change to the tracker; returns the new ConfState. */
  applyConfChange(cc: ConfChangeV2): ConfState {
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let res: [TrackerConfig, ProgressMap];
    if (confChangeLeaveJoint(cc)) {
      res = changer.leaveJoint();
    } else {
      const joint = confChangeEnterJoint(cc);
      res =
        joint !== undefined ? changer.enterJoint(joint.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(res[0], res[1]);
  }

  /**
   * Installs a new configuration and reacts to it: a removed or demoted leader steps down (with
   * stepDownOnRemoval); a leader commits what the new quorum allows and probes new peers.
   */
  switchToConfig(cfg: TrackerConfig, prs: ProgressMap): ConfState {
    this.trk.config = cfg;
    this.trk.progress = prs;
    this.logger.info(`${hex(this.id)} switched to configuration ${this.trk.config.toString()}`);
    const cs = this.trk.confState();
    const pr = prs.get(this.id);
    this.isLearner = pr?.isLearner === true;
    if ((pr === undefined || this.isLearner) && this.state === StateType.StateLeader) {
      if (this.stepDownOnRemoval) this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== StateType.StateLeader || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      // Probe the newly added replicas right away.
      this.trk.visit((id, pr) => {
        if (id !== this.id) this.#maybeSendAppendTo(id, pr, false);
      });
    }
    // Abort a transfer to a node that was removed or demoted.
    if (this.leadTransferee !== NONE && !this.trk.config.voters.ids().has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }

  /** Loads a persisted HardState (its commit must be within the log). */
  loadState(state: HardState): void {
    if (state.commit < this.raftLog.committed || state.commit > this.raftLog.lastIndex()) {
      this.panic(
        `${hex(this.id)} state.commit ${state.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = state.commit;
    this.term = state.term;
    this.vote = state.vote;
  }

  /** True once the randomized election timeout has elapsed. */
  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Draws a new election timeout in [electionTimeout, 2·electionTimeout − 1]. */
  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.#random() * this.electionTimeout);
  }

  /** Tells `to` to campaign at once (leader transfer). */
  sendTimeoutNow(to: bigint): void {
    this.send(msg(MessageType.MsgTimeoutNow, to));
  }

  /** Forgets a leadership transfer in progress. */
  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** True if this node has committed an entry of its current term. */
  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  /** Local requests become a ReadState; remote ones get a MsgReadIndexResp (returned). */
  responseToReadIndexReq(req: Message, readIndex: number): Message | undefined {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.entries[0]?.data ?? new Uint8Array(0) });
      return undefined;
    }
    return msg(MessageType.MsgReadIndexResp, req.from, readIndex, 0, req.entries);
  }

  /**
   * Charges proposed payload bytes to the uncommitted quota; false if over the limit. An empty
   * uncommitted tail admits any one proposal, and empty payloads are always admitted.
   */
  increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  /** Releases committed payload bytes from the quota (saturating at 0). */
  reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  #releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) {
      this.logger.error('pending MsgReadIndex should be released only after first commit in current term');
      return;
    }
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.#sendMsgReadIndexResponse(m);
  }

  #sendMsgReadIndexResponse(m: Message): void {
    // The only voter needs no heartbeat round, but only if that voter is this node: a leader
    // removed from a one-voter configuration must not answer for the other voter (simulator seed
    // 1514; etcd checks IsSingleton alone).
    if (this.trk.isSingleton() && this.trk.config.voters.incoming.has(this.id)) {
      const resp = this.responseToReadIndexReq(m, this.raftLog.committed);
      if (resp !== undefined) this.send(resp);
      return;
    }
    if (this.readOnly.option === ReadOnlyOption.ReadOnlySafe && !testingKnobs.readIndexWithoutQuorum) {
      const ctx = m.entries[0]?.data;
      this.readOnly.addRequest(this.raftLog.committed, m);
      // The leader acks its own request.
      this.readOnly.recvAck(this.id, ctx);
      this.bcastHeartbeatWithCtx(ctx);
    } else {
      const resp = this.responseToReadIndexReq(m, this.raftLog.committed);
      if (resp !== undefined) this.send(resp);
    }
  }
}

/** Go's `%+v`-free `%v` of a ConfState in warnings: `{[1 2] [] [] [] false}`. */
function goConfState(cs: ConfState): string {
  const b = (v: readonly bigint[]) => `[${v.join(' ')}]`;
  return `{${b(cs.voters)} ${b(cs.learners)} ${b(cs.votersOutgoing)} ${b(cs.learnersNext)} ${cs.autoLeave}}`;
}
