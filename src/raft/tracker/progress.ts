/** A follower's replication progress as the leader sees it (etcd's `tracker.Progress`). */
import { RaftFatalError } from '../errors.js';
import type { Inflights } from './inflights.js';
import { ProgressStateType, progressStateName } from './state.js';

/** Fields for a new {@link Progress}; `next` and `inflights` are required, the rest default to zero/false. */
export interface ProgressInit {
  match?: number;
  next: number;
  inflights: Inflights;
  isLearner?: boolean;
  recentActive?: boolean;
  state?: ProgressStateType;
  pendingSnapshot?: number;
  msgAppFlowPaused?: boolean;
  sentCommit?: number;
}

/**
 * The leader's view of one follower: what it is known to hold (`match`), what to send next
 * (`next`), and the flow-control state. Transitions follow etcd-io/raft v3.6.
 */
export class Progress {
  /** Index up to which the follower's log is known to match the leader's. */
  match: number;
  /** Index of the next entry to send; entries in (match, next) are in flight. Invariant: match < next. */
  next: number;
  /** Highest commit index in flight to the follower (may regress on probe/rejection). */
  sentCommit: number;
  /** How the leader interacts with the follower. */
  state: ProgressStateType;
  /** In StateSnapshot: the leader's last index when it decided a snapshot was needed. */
  pendingSnapshot: number;
  /** Set by any message from the follower; cleared at each CheckQuorum round. */
  recentActive: boolean;
  /** MsgApp flow throttled (probe sent, or the inflight window saturated). */
  msgAppFlowPaused: boolean;
  /** The window of MsgApps in flight. */
  inflights: Inflights;
  /** True when the follower is a learner. */
  isLearner: boolean;

  constructor(init: ProgressInit) {
    this.match = init.match ?? 0;
    this.next = init.next;
    this.sentCommit = init.sentCommit ?? 0;
    this.state = init.state ?? ProgressStateType.StateProbe;
    this.pendingSnapshot = init.pendingSnapshot ?? 0;
    this.recentActive = init.recentActive ?? false;
    this.msgAppFlowPaused = init.msgAppFlowPaused ?? false;
    this.inflights = init.inflights;
    this.isLearner = init.isLearner ?? false;
  }

  /**
   * A field-by-field copy that shares the same {@link Inflights} (etcd's struct copy, as the
   * config changer makes it: only `isLearner` is mutated on the copy).
   */
  shallowCopy(): Progress {
    return new Progress(this);
  }

  /** Moves into `state`, clearing the pause flag, the pending snapshot and the inflights. */
  resetState(state: ProgressStateType): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /**
   * Enters StateProbe. Next becomes match+1, or (coming from StateSnapshot) the pending
   * snapshot index + 1 if that is larger.
   */
  becomeProbe(): void {
    if (this.state === ProgressStateType.StateSnapshot) {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState(ProgressStateType.StateProbe);
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState(ProgressStateType.StateProbe);
      this.next = this.match + 1;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  /** Enters StateReplicate with next = match+1. */
  becomeReplicate(): void {
    this.resetState(ProgressStateType.StateReplicate);
    this.next = this.match + 1;
  }

  /** Enters StateSnapshot for a snapshot at index `snapshoti` (next = snapshoti+1). */
  becomeSnapshot(snapshoti: number): void {
    this.resetState(ProgressStateType.StateSnapshot);
    this.pendingSnapshot = snapshoti;
    this.next = snapshoti + 1;
    this.sentCommit = snapshoti;
  }

  /**
   * Accounts for a MsgApp carrying `entries` consecutive entries (from `next` on) with `bytes`
   * of payload. In StateReplicate next advances and the message enters the inflight window (a
   * full window pauses the flow); in StateProbe a non-empty MsgApp pauses the flow until the
   * next heartbeat response. Fatal in StateSnapshot.
   */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case ProgressStateType.StateReplicate:
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case ProgressStateType.StateProbe:
        if (entries > 0) this.msgAppFlowPaused = true;
        break;
      default:
        throw new RaftFatalError(`sending append in unhandled state ${progressStateName(this.state)}`);
    }
  }

  /** The same as {@link sentEntries} (the name etcd used before v3.6 settled on SentEntries). */
  updateOnEntriesSend(entries: number, bytes: number): void {
    this.sentEntries(entries, bytes);
  }

  /**
   * True if sending commit index `index` could advance the follower's commit: it is above what
   * was already sent, and what was sent does not yet cover everything up to next-1.
   */
  canBumpCommit(index: number): boolean {
    return index > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** Records that commit index `commit` was sent (etcd's `SentCommit`). */
  updateSentCommit(commit: number): void {
    this.sentCommit = commit;
  }

  /**
   * Handles an accepting MsgAppResp for index `n`: false if it is stale (n ≤ match), otherwise
   * raises match (and next if needed) and unpauses the flow.
   */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * Handles a rejected MsgApp for index `rejected` with the follower's hint `matchHint`. Returns
   * false for a stale rejection; otherwise lowers next sensibly (replicate: to match+1; probe: to
   * max(min(rejected, hint+1), match+1)) and clears the pause.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressStateType.StateReplicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** True when sending to this follower is throttled (always in StateSnapshot). */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressStateType.StateProbe:
      case ProgressStateType.StateReplicate:
        return this.msgAppFlowPaused;
      case ProgressStateType.StateSnapshot:
        return true;
      default:
        throw new RaftFatalError('unexpected state');
    }
  }

  /** etcd's format: `StateReplicate match=5 next=6 learner paused pendingSnap=3 inactive inflight=2[full]`. */
  toString(): string {
    let s = `${progressStateName(this.state)} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.count();
    if (n > 0) {
      s += ` inflight=${n}`;
      if (this.inflights.full()) s += '[full]';
    }
    return s;
  }
}
