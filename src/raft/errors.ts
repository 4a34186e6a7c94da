/**
 * Errors of the raft core. Each has a stable code, listed in docs/raft.md under "Errors".
 */
import { RaftwireError } from '../errors/index.js';

/** Config failed validation; the message says which field and why (etcd's text). */
export class RaftConfigError extends RaftwireError {
  constructor(message: string) {
    super('RAFTWIRE_RAFT_CONFIG', message);
  }
}

/** etcd's ErrProposalDropped: the proposal was ignored (no leader, transfer in progress, …). */
export class ProposalDroppedError extends RaftwireError {
  constructor() {
    super('RAFTWIRE_RAFT_PROPOSAL_DROPPED', 'raft proposal dropped');
  }
}

/** etcd's ErrStepLocalMsg: a local message type arrived from the network. */
export class StepLocalMsgError extends RaftwireError {
  constructor() {
    super('RAFTWIRE_RAFT_STEP_LOCAL_MSG', 'raft: cannot step raft local message');
  }
}

/** etcd's ErrStepPeerNotFound: a response arrived from a node that has no Progress. */
export class StepPeerNotFoundError extends RaftwireError {
  constructor() {
    super('RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND', 'raft: cannot step as peer not found');
  }
}

/** RawNode.bootstrap was refused (no peers, or the Storage is not empty). */
export class BootstrapError extends RaftwireError {
  constructor(message: string) {
    super('RAFTWIRE_RAFT_BOOTSTRAP', message);
  }
}

/**
 * A broken invariant or an unexpected storage failure (where etcd panics). The raft instance must
 * not be used afterwards.
 */
export class RaftFatalError extends RaftwireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RAFTWIRE_RAFT_FATAL', message, options);
  }
}
