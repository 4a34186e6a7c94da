/**
 * raftwire/replica: a replicated state machine host — one member's raft Node (async storage
 * writes, PreVote, CheckQuorum), WAL and snapshots in a data directory, the peer transport and
 * its server, and the apply loop. See docs/replica.md.
 */
export { ReplicaError, ReplicaErrorCode } from './errors.js';
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
