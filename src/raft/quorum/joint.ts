/** Joint quorums: two majority configs that must both agree (etcd's `quorum.JointConfig`). */
import { MajorityConfig } from './majority.js';
import { type AckedIndexer, VoteResult } from './quorum.js';

/**
 * The voters of a (possibly joint) configuration: `incoming` always decides; `outgoing` is
 * non-empty only during joint consensus, and then decisions need a majority of both.
 */
export class JointConfig {
  /** The incoming (current) majority config. */
  readonly incoming: MajorityConfig;
  /** The outgoing majority config; empty when the configuration is not joint. */
  readonly outgoing: MajorityConfig;

  constructor(
    incoming: MajorityConfig = new MajorityConfig(),
    outgoing: MajorityConfig = new MajorityConfig(),
  ) {
    this.incoming = incoming;
    this.outgoing = outgoing;
  }

  /** True while in joint consensus (the outgoing half is non-empty). */
  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** A deep copy. */
  clone(): JointConfig {
    return new JointConfig(this.incoming.clone(), this.outgoing.clone());
  }

  /** `(1 2 3)`, or `(1 2 3)&&(1 2)` when joint. */
  toString(): string {
    return this.outgoing.size > 0 ? `${this.incoming}&&${this.outgoing}` : this.incoming.toString();
  }

  /** The union of both halves, as a majority config (sorted iteration). */
  ids(): MajorityConfig {
    const m = this.incoming.clone();
    for (const id of this.outgoing.ids()) m.add(id);
    return m;
  }

  /** The acked-index chart over the union of both halves. */
  describe(l: AckedIndexer): string {
    return this.ids().describe(l);
  }

  /** The largest index committed by both halves (the minimum of the two). */
  committedIndex(l: AckedIndexer): number {
    return Math.min(this.incoming.committedIndex(l), this.outgoing.committedIndex(l));
  }

  /** Agreement passes through; a loss in either half loses; otherwise pending. */
  voteResult(votes: ReadonlyMap<bigint, boolean>): VoteResult {
    const r1 = this.incoming.voteResult(votes);
    const r2 = this.outgoing.voteResult(votes);
    if (r1 === r2) return r1;
    if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) return VoteResult.VoteLost;
    return VoteResult.VotePending;
  }
}
