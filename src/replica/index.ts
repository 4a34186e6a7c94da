/**
 * raftwire/replica: a replicated state machine host — one member's raft Node (async storage
 * writes, PreVote, CheckQuorum), WAL and snapshots in a data directory, the peer transport and
 * its server, and the apply loop. See docs/replica.md.
 *
 * Refinements of the replica/kv contract (names and semantics otherwise as agreed):
 * - `ReplicaOptions.requestTimeoutMs` (default 5000 + 2 election timeouts): the deadline of
 *   propose/readBarrier/membership/transfer calls made without a signal; `walSegmentSizeBytes`.
 * - Request methods take `RequestOptions` (`{signal?}`).
 * - Error codes beyond the contract's three: PROPOSAL_DROPPED (nothing applied, safe to retry),
 *   UNAVAILABLE (read barrier without an answer in time), FOREIGN_DATA_DIR, CORRUPT_DATA_DIR,
 *   MEMBER_REMOVED, CONF_CHANGE_PENDING, MEMBER_EXISTS, MEMBER_NOT_FOUND,
 *   LEADER_TRANSFER_FAILED, STATE_MACHINE, INVALID_OPTIONS, LISTEN (see ReplicaErrorCode).
 * - The `fatal` event's error is a ReplicaError whose code names the cause (STATE_MACHINE,
 *   CORRUPT_DATA_DIR, MEMBER_REMOVED, or STOPPED with `cause`); requests then reject with STOPPED.
 */
export { ReplicaError, ReplicaErrorCode } from './errors.js';
export type {
  InlineRaftSettings,
  InlineReplicaEvents,
  InlineReplicaOptions,
  InlineStateMachine,
} from './inline-replica.js';
export { InlineReplica, RAFTEXAMPLE_RAFT_SETTINGS } from './inline-replica.js';
export type { RequestOptions } from './replica.js';
export { Replica } from './replica.js';
export type {
  AppliedEntry,
  MemberSpec,
  MemberStatus,
  PeerLinkStatus,
  ProgressStatus,
  ReplicaEvents,
  ReplicaOptions,
  ReplicaStatus,
  StateMachine,
} from './types.js';
