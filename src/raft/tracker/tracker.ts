/** The active configuration and the progress of every peer (etcd's `tracker.ProgressTracker`). */
import type { ConfState } from '../../raftpb/index.js';
import { JointConfig } from '../quorum/joint.js';
import { type AckedIndexer, VoteResult } from '../quorum/quorum.js';
import type { Progress } from './progress.js';
import { ProgressMap } from './progress-map.js';

const compareIds = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedIds(ids: ReadonlySet<bigint>): bigint[] {
  return [...ids].sort(compareIds);
}

/**
 * A configuration: voters (possibly joint), learners, and learners staged until the joint
 * config is left. Invariants (kept by the config changer): learners and voters are disjoint;
 * `learnersNext` ⊆ outgoing voters; when not joint, `learnersNext` is empty and `autoLeave`
 * false. Empty sets are not printed (etcd keeps them nil).
 */
export class TrackerConfig {
  /** The voters: incoming, and outgoing while joint. */
  voters: JointConfig;
  /** Leave the joint config automatically once possible (else the application proposes it). */
  autoLeave: boolean;
  /** Learners of the current configuration (never voters in either half). */
  learners: Set<bigint>;
  /**
   * Outgoing voters demoted by the joint change: they become learners on leaving the joint
   * config (they cannot be voter and learner at once).
   */
  learnersNext: Set<bigint>;

  constructor(
    init: {
      voters?: JointConfig;
      autoLeave?: boolean;
      learners?: Iterable<bigint>;
      learnersNext?: Iterable<bigint>;
    } = {},
  ) {
    this.voters = init.voters ?? new JointConfig();
    this.autoLeave = init.autoLeave ?? false;
    this.learners = new Set(init.learners);
    this.learnersNext = new Set(init.learnersNext);
  }

  /** A deep copy. */
  clone(): TrackerConfig {
    return new TrackerConfig({
      voters: this.voters.clone(),
      autoLeave: this.autoLeave,
      learners: this.learners,
      learnersNext: this.learnersNext,
    });
  }

  /** `voters=(1 2)&&(1) learners=(3) learners_next=(4) autoleave`. */
  toString(): string {
    let s = `voters=${this.voters}`;
    if (this.learners.size > 0) s += ` learners=(${sortedIds(this.learners).join(' ')})`;
    if (this.learnersNext.size > 0) s += ` learners_next=(${sortedIds(this.learnersNext).join(' ')})`;
    if (this.autoLeave) s += ' autoleave';
    return s;
  }
}

/**
 * Tracks the active configuration, each peer's {@link Progress} and the votes of the current
 * election. `progress` and `config` are replaced wholesale when a configuration change applies.
 */
export class ProgressTracker {
  /** The active configuration. */
  config: TrackerConfig;
  /** Progress of every voter and learner. */
  progress: ProgressMap;
  /** Votes received in the current election (first vote per peer counts). */
  votes: Map<bigint, boolean>;
  /** Inflight window size (messages) for new peers. */
  readonly maxInflight: number;
  /** Inflight byte limit for new peers (0 = none). */
  readonly maxInflightBytes: number;
  /** Reads each voter's match index for the quorum computations (created once: no per-call closure). */
  readonly #matchIndexer: AckedIndexer;

  constructor(maxInflight: number, maxInflightBytes = 0) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
    this.config = new TrackerConfig();
    this.progress = new ProgressMap();
    this.votes = new Map();
    this.#matchIndexer = { ackedIndex: (id) => this.progress.get(id)?.match };
  }

  /** The active configuration as a ConfState (sorted ID lists). */
  confState(): ConfState {
    return {
      voters: this.config.voters.incoming.slice(),
      votersOutgoing: this.config.voters.outgoing.slice(),
      learners: sortedIds(this.config.learners),
      learnersNext: sortedIds(this.config.learnersNext),
      autoLeave: this.config.autoLeave,
    };
  }

  /** True when the only voter is a single node (and the config is not joint). */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  /** The largest index acknowledged (match) by a quorum of the voters. */
  committed(): number {
    return this.config.voters.committedIndex(this.#matchIndexer);
  }

  /** Calls `fn` for every tracked peer in ascending ID order. */
  visit(fn: (id: bigint, pr: Progress) => void): void {
    const ids = this.progress.ids();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const pr = this.progress.get(id);
      if (pr !== undefined) fn(id, pr);
    }
  }

  /** True when a quorum of voters has been recently active (CheckQuorum). */
  quorumActive(): boolean {
    const votes = new Map<bigint, boolean>();
    for (const [id, pr] of this.progress) {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    }
    return this.config.voters.voteResult(votes) === VoteResult.VoteWon;
  }

  /** The voters of both halves, sorted. */
  voterNodes(): bigint[] {
    return this.config.voters.ids().slice();
  }

  /** The learners, sorted. */
  learnerNodes(): bigint[] {
    return sortedIds(this.config.learners);
  }

  /** Prepares a new round of vote counting. */
  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records `id`'s vote (`v` = granted); only the first vote of a peer counts. */
  recordVote(id: bigint, v: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, v);
  }

  /** Granted and rejected counts among tracked voters, and the election outcome. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }
}
