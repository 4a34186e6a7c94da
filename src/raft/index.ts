/**
 * raftwire/raft: etcd raft's consensus core (etcd-io/raft v3.6 semantics on etcd 3.4's wire).
 * Applications drive a RawNode (synchronous, etcd's RawNode) or a Node (asynchronous, etcd's
 * Node) over a Storage; see docs/raft.md.
 *
 * This door exports what applications need, and nothing else: everything here keeps its
 * documented meaning across patch and minor releases. The state machine's internals (`Raft`,
 * `RaftLog`, `Unstable`, the quorum, tracker and confchange packages) are not part of the API;
 * tests and tools import them by path (`src/raft/raft.js`, …).
 */

export { ConfChangeError } from './confchange/index.js';
export type { Config } from './config.js';
export { NO_LIMIT, ReadOnlyOption } from './config.js';
export {
  BootstrapError,
  isRaftFatal,
  NodeStoppedError,
  ProposalDroppedError,
  RaftConfigError,
  RaftErrorCode,
  RaftFatalError,
  RaftUsageError,
  StepLocalMsgError,
  StepPeerNotFoundError,
} from './errors.js';
export type { DefaultLoggerOptions, RaftLogger, RaftLogLevel } from './logger.js';
export { DefaultLogger, DiscardLogger, discardLogger, raftLoggerFrom } from './logger.js';
export type { Clock, IntervalTimer, NodeOptions, ProposeOptions } from './node.js';
export { Node } from './node.js';
export type { Peer, Ready, SoftState } from './rawnode.js';
export { ProgressType, RawNode, SnapshotStatus } from './rawnode.js';
export type { ReadState } from './read-only.js';
export type { BasicStatus, Status } from './status.js';
export { StateType, stateTypeName, statusToJSON } from './status.js';
export type { InitialState, Storage, StorageCallStats } from './storage.js';
export {
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrUnavailable,
  MemoryStorage,
} from './storage.js';
export type { Inflights, Progress, TrackerConfig } from './tracker/index.js';
export { ProgressStateType, progressStateName } from './tracker/index.js';
export { describeReady, describeSoftState, isLocalMsg, isLocalMsgTarget, isResponseMsg } from './util.js';
