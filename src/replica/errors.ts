/**
 * The replica's typed errors: one class, `ReplicaError`, with a stable code per failure.
 */
import { RaftwireError } from '../errors/index.js';

/** Every code a ReplicaError carries (documented in docs/replica.md and docs/errors.md). */
export const ReplicaErrorCode = {
  /** A proposal, read or change was given up (abort, timeout) after it may have reached raft. */
  OutcomeUnknown: 'RAFTWIRE_REPLICA_OUTCOME_UNKNOWN',
  /** Raft refused the proposal before it entered the log (no leader in time, transfer, quota); nothing was applied. */
  ProposalDropped: 'RAFTWIRE_REPLICA_PROPOSAL_DROPPED',
  /** A read barrier got no read index in time (no leader, no quorum) or was aborted; nothing to undo. */
  Unavailable: 'RAFTWIRE_REPLICA_UNAVAILABLE',
  /** The peer server could not listen (address in use, permission). */
  Listen: 'RAFTWIRE_REPLICA_LISTEN',
  /** The replica was closed. */
  Closed: 'RAFTWIRE_REPLICA_CLOSED',
  /** The replica stopped on a fatal error (the `cause`). */
  Stopped: 'RAFTWIRE_REPLICA_STOPPED',
  /** The data directory belongs to another cluster or member, or is not a replica's directory. */
  ForeignDataDir: 'RAFTWIRE_REPLICA_FOREIGN_DATA_DIR',
  /** The data directory could not be read back (corrupt record, missing snapshot database). */
  CorruptDataDir: 'RAFTWIRE_REPLICA_CORRUPT_DATA_DIR',
  /** The member was removed from the cluster: it can never rejoin with this ID. */
  MemberRemoved: 'RAFTWIRE_REPLICA_MEMBER_REMOVED',
  /** A membership change is already in progress: one change at a time. */
  ConfChangePending: 'RAFTWIRE_REPLICA_CONF_CHANGE_PENDING',
  /** The member ID is already in the cluster. */
  MemberExists: 'RAFTWIRE_REPLICA_MEMBER_EXISTS',
  /** The member ID is not in the cluster (or is not a learner, for promote). */
  MemberNotFound: 'RAFTWIRE_REPLICA_MEMBER_NOT_FOUND',
  /** Leadership did not move to the requested member in time. */
  LeaderTransferFailed: 'RAFTWIRE_REPLICA_LEADER_TRANSFER_FAILED',
  /** The state machine threw while applying, snapshotting or restoring. */
  StateMachine: 'RAFTWIRE_REPLICA_STATE_MACHINE',
  /** Options given to Replica.start are invalid. */
  InvalidOptions: 'RAFTWIRE_REPLICA_INVALID_OPTIONS',
} as const;
/** One of ReplicaErrorCode's values. */
export type ReplicaErrorCode = (typeof ReplicaErrorCode)[keyof typeof ReplicaErrorCode];

/** An error of raftwire/replica. Branch on `code`; `cause` carries the underlying error when there is one. */
export class ReplicaError extends RaftwireError {
  declare readonly code: ReplicaErrorCode;

  constructor(code: ReplicaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
