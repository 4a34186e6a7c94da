/** Shared vocabulary of the quorum package: indexes, the acked-index lookup, vote outcomes. */

/**
 * The committed index of an empty majority config (etcd: `math.MaxUint64`, printed `∞`), so that a
 * joint config with one empty half behaves like the other half. Real indexes are safe integers.
 */
export const INDEX_INFINITY = Number.POSITIVE_INFINITY;

/** Formats a quorum index like etcd's `quorum.Index.String`: `∞` for {@link INDEX_INFINITY}. */
export function formatIndex(i: number): string {
  return i === INDEX_INFINITY ? '∞' : String(i);
}

/** Looks up the highest log index a voter has acknowledged; `undefined` when it has not reported. */
export interface AckedIndexer {
  ackedIndex(voterId: bigint): number | undefined;
}

/** An {@link AckedIndexer} over a plain map of voter ID to acked index. */
export function mapAckIndexer(m: ReadonlyMap<bigint, number>): AckedIndexer {
  return { ackedIndex: (id) => m.get(id) };
}

/** Outcome of a vote (etcd's `quorum.VoteResult`). */
export const VoteResult = {
  /** Neither yes nor no has reached a quorum yet. */
  VotePending: 1,
  /** A quorum voted no (or yes can no longer reach a quorum). */
  VoteLost: 2,
  /** A quorum voted yes. */
  VoteWon: 3,
} as const;
/** One of the {@link VoteResult} values. */
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

const voteResultNames: Record<number, string> = { 1: 'VotePending', 2: 'VoteLost', 3: 'VoteWon' };

/** The Go name of a vote result (`VoteWon` …), as etcd's stringer prints it. */
export function voteResultName(r: VoteResult): string {
  return voteResultNames[r] ?? `VoteResult(${r})`;
}
