/**
 * raftwire/raft: etcd raft's consensus core (etcd-io/raft v3.6 semantics on etcd 3.4's wire).
 * Applications drive a RawNode (or the async Node); see docs/raft.md.
 */
export type { ChangerTracker, ConfChangeResult } from './confchange/index.js';
export {
  Changer,
  ConfChangeError,
  describeChanges,
  restore,
  toConfChangeSingle,
} from './confchange/index.js';
export type { Config, ValidConfig } from './config.js';
export { NO_LIMIT, ReadOnlyOption, validateConfig } from './config.js';
export {
  BootstrapError,
  ProposalDroppedError,
  RaftConfigError,
  RaftFatalError,
  StepLocalMsgError,
  StepPeerNotFoundError,
} from './errors.js';
export { newLog, RaftLog } from './log.js';
export { Unstable } from './log-unstable.js';
export type { DefaultLoggerOptions, RaftLogger, RaftLogLevel } from './logger.js';
export { DefaultLogger, DiscardLogger, discardLogger, raftLoggerFrom } from './logger.js';
export type { Clock, IntervalTimer, NodeOptions, ProposeOptions } from './node.js';
export { Node, NodeStoppedError } from './node.js';
export type { AckedIndexer } from './quorum/index.js';
export {
  formatIndex,
  INDEX_INFINITY,
  JointConfig,
  MajorityConfig,
  mapAckIndexer,
  VoteResult,
  voteResultName,
} from './quorum/index.js';
export { CampaignType, confChangeToMsg, confStatesEquivalent, Raft } from './raft.js';
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
export type { ProgressInit } from './tracker/index.js';
export {
  Inflights,
  Progress,
  ProgressMap,
  ProgressStateType,
  ProgressTracker,
  progressStateName,
  TrackerConfig,
} from './tracker/index.js';
export {
  describeReady,
  describeSoftState,
  entsSize,
  goFormatConfChange,
  isLocalMsg,
  isLocalMsgTarget,
  isResponseMsg,
  limitSize,
  mustSync,
  payloadSize,
  payloadsSize,
  voteRespMsgType,
} from './util.js';
