/**
 * Errors of the raft core. Every one is a `RaftwireError` whose `code` is one of
 * {@link RaftErrorCode} (listed in docs/raft.md under "Errors"); branch on it with
 * `isRaftwireError(e, RaftErrorCode.X)`, never on the class or the message.
 */
import { RaftwireError } from '../errors/index.js';

/** The codes of the raft core's errors, one per failure a caller may branch on. */
export const RaftErrorCode = {
  /** Config or NodeOptions failed validation (etcd's texts). */
  CONFIG: 'RAFTWIRE_RAFT_CONFIG',
  /** etcd's ErrProposalDropped: no leader, forwarding disabled, transfer in progress, … */
  PROPOSAL_DROPPED: 'RAFTWIRE_RAFT_PROPOSAL_DROPPED',
  /** etcd's ErrStepLocalMsg: a local message type arrived from the network. */
  STEP_LOCAL_MSG: 'RAFTWIRE_RAFT_STEP_LOCAL_MSG',
  /** etcd's ErrStepPeerNotFound: a response arrived from a node that has no Progress. */
  STEP_PEER_NOT_FOUND: 'RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND',
  /** Bootstrap refused: no peers, or the Storage is not empty. */
  BOOTSTRAP: 'RAFTWIRE_RAFT_BOOTSTRAP',
  /** A broken invariant or an unexpected storage failure (where etcd panics). */
  FATAL: 'RAFTWIRE_RAFT_FATAL',
  /** etcd's ErrStopped: the Node was stopped. */
  STOPPED: 'RAFTWIRE_RAFT_STOPPED',
  /** A call that does not fit the Node's mode or state (advance with asyncStorageWrites, …). */
  USAGE: 'RAFTWIRE_RAFT_USAGE',
  /** An invalid configuration change (etcd's confchange texts). */
  CONF_CHANGE: 'RAFTWIRE_RAFT_CONF_CHANGE',
  /** Storage: the requested index predates the last snapshot (etcd's ErrCompacted). */
  COMPACTED: 'RAFTWIRE_RAFT_COMPACTED',
  /** Storage: the snapshot is not newer than the existing one (etcd's ErrSnapOutOfDate). */
  SNAP_OUT_OF_DATE: 'RAFTWIRE_RAFT_SNAP_OUT_OF_DATE',
  /** Storage: the requested entries are not available (etcd's ErrUnavailable). */
  UNAVAILABLE: 'RAFTWIRE_RAFT_UNAVAILABLE',
  /** Storage: the snapshot is being prepared (etcd's ErrSnapshotTemporarilyUnavailable). */
  SNAPSHOT_TEMPORARILY_UNAVAILABLE: 'RAFTWIRE_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE',
} as const;

/** One of the raft core's error codes. */
export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

/** Config (or a Node option) failed validation; the message says which field and why (etcd's text). */
export class RaftConfigError extends RaftwireError {
  constructor(message: string) {
    super(RaftErrorCode.CONFIG, message);
  }
}

/** etcd's ErrProposalDropped: the proposal was ignored (no leader, transfer in progress, …). */
export class ProposalDroppedError extends RaftwireError {
  constructor() {
    super(RaftErrorCode.PROPOSAL_DROPPED, 'raft proposal dropped');
  }
}

/** etcd's ErrStepLocalMsg: a local message type arrived from the network. */
export class StepLocalMsgError extends RaftwireError {
  constructor() {
    super(RaftErrorCode.STEP_LOCAL_MSG, 'raft: cannot step raft local message');
  }
}

/** etcd's ErrStepPeerNotFound: a response arrived from a node that has no Progress. */
export class StepPeerNotFoundError extends RaftwireError {
  constructor() {
    super(RaftErrorCode.STEP_PEER_NOT_FOUND, 'raft: cannot step as peer not found');
  }
}

/** RawNode.bootstrap (or Node.start) was refused (no peers, or the Storage is not empty). */
export class BootstrapError extends RaftwireError {
  constructor(message: string) {
    super(RaftErrorCode.BOOTSTRAP, message);
  }
}

/**
 * A broken invariant or an unexpected storage failure (where etcd panics). The raft instance must
 * not be used afterwards. The one way the raft core (state machine, log, tracker, confchange
 * restore, MemoryStorage) signals it; test for it with
 * `isRaftwireError(e, RaftErrorCode.FATAL)` or {@link isRaftFatal}.
 */
export class RaftFatalError extends RaftwireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(RaftErrorCode.FATAL, message, options);
  }
}

/** True when `e` is a fatal raft error (code `RAFTWIRE_RAFT_FATAL`), whatever made it. */
export function isRaftFatal(e: unknown): e is RaftwireError {
  return e instanceof RaftwireError && e.code === RaftErrorCode.FATAL;
}

/**
 * A call that does not fit the Node's mode or state: `advance()` with asyncStorageWrites,
 * `ready()` with the onReady option or a second consumer, a concurrent `next()` on the Ready
 * stream. Nothing changed; the Node keeps running.
 */
export class RaftUsageError extends RaftwireError {
  constructor(message: string) {
    super(RaftErrorCode.USAGE, message);
  }
}

/**
 * etcd's ErrStopped: the Node was stopped. When an error stopped it, that error is the `cause`
 * (calls made after the stop) — the Node never drops it.
 */
export class NodeStoppedError extends RaftwireError {
  constructor(options?: { cause?: unknown }) {
    super(RaftErrorCode.STOPPED, 'raft: stopped', options);
  }
}
