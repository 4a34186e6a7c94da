/**
 * Config: the parameters of one raft instance (etcd raft's Config, camelCased) and their
 * validation. Like etcd, almost nothing has a default: zero values are used as given, except where
 * validateConfig fills one in.
 */
import { LOCAL_APPEND_THREAD, LOCAL_APPLY_THREAD, NONE } from '../raftpb/index.js';
import { RaftConfigError } from './errors.js';
import { discardLogger, type RaftLogger } from './logger.js';
import type { Storage } from './storage.js';

/** How ReadIndex requests are confirmed. */
export const ReadOnlyOption = {
  /** Confirm leadership with a heartbeat round to a quorum (the default, and safe). */
  ReadOnlySafe: 0,
  /** Trust the leader lease (requires checkQuorum; unsafe under clock drift). */
  ReadOnlyLeaseBased: 1,
} as const;
/** One of ReadOnlyOption's values. */
export type ReadOnlyOption = (typeof ReadOnlyOption)[keyof typeof ReadOnlyOption];

/** "No limit" for the byte-size settings (etcd's math.MaxUint64). */
export const NO_LIMIT = Number.POSITIVE_INFINITY;

/** The parameters of a raft instance. Field names follow etcd's Config. */
export interface Config {
  /** This node's ID; neither 0 nor a local thread target. */
  id: bigint;
  /** Ticks without a leader before campaigning; must exceed heartbeatTick. */
  electionTick: number;
  /** Ticks between leader heartbeats; > 0. */
  heartbeatTick: number;
  /** The stable part of the log (read only for raft). */
  storage: Storage;
  /** On restart: the last index the state machine already applied (0 = unset). */
  applied?: number;
  /** Use MsgStorageAppend/MsgStorageApply messages instead of Ready/Advance. */
  asyncStorageWrites?: boolean;
  /** Byte cap (Entry encoding size) of the entries of one MsgApp; 0 = one entry; NO_LIMIT. */
  maxSizePerMsg?: number;
  /** Byte cap of committed entries being applied at once; 0 = maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /** Leader's cap on uncommitted payload bytes; 0 = no limit. */
  maxUncommittedEntriesSize?: number;
  /** Max MsgApps in flight per follower in StateReplicate; > 0. */
  maxInflightMsgs: number;
  /** Max payload bytes in flight per follower; 0 = no limit, else ≥ maxSizePerMsg. */
  maxInflightBytes?: number;
  /** Leader steps down without a recently active quorum; enables the vote lease. */
  checkQuorum?: boolean;
  /** Two-phase elections (thesis §9.6). */
  preVote?: boolean;
  /** ReadIndex mode; ReadOnlyLeaseBased requires checkQuorum. */
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them. */
  disableProposalForwarding?: boolean;
  /** Skip the propose-time checks of conf changes. */
  disableConfChangeValidation?: boolean;
  /** A leader that removes or demotes itself becomes follower. */
  stepDownOnRemoval?: boolean;
  /** Where raft logs; discarded by default. */
  logger?: RaftLogger;
  /**
   * Random source for the election timeout: returns a float in [0, 1) like Math.random (the
   * default). Inject a seeded one for reproducible tests.
   */
  random?: () => number;
}

/** A Config after validation: every optional field resolved. */
export interface ValidConfig {
  id: bigint;
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  applied: number;
  asyncStorageWrites: boolean;
  maxSizePerMsg: number;
  maxCommittedSizePerReady: number;
  maxUncommittedEntriesSize: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
  checkQuorum: boolean;
  preVote: boolean;
  readOnlyOption: ReadOnlyOption;
  disableProposalForwarding: boolean;
  disableConfChangeValidation: boolean;
  stepDownOnRemoval: boolean;
  logger: RaftLogger;
  random: () => number;
}

function checkSize(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!Number.isInteger(v) && v !== NO_LIMIT)) {
    throw new RaftConfigError(`${name} must be a non-negative integer or NO_LIMIT (got ${String(v)})`);
  }
  // Values past 2^53 cannot be told apart; they all mean "no limit" in practice.
  return v > Number.MAX_SAFE_INTEGER ? NO_LIMIT : v;
}

function checkTick(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new RaftConfigError(`${name} must be an integer (got ${String(v)})`);
  }
  return v;
}

/**
 * Checks a Config and resolves its defaults, as etcd's Config.validate does (same messages).
 * Throws RaftConfigError.
 */
export function validateConfig(c: Config): ValidConfig {
  if (typeof c.id !== 'bigint' || c.id === NONE) throw new RaftConfigError('cannot use none as id');
  if (c.id === LOCAL_APPEND_THREAD || c.id === LOCAL_APPLY_THREAD) {
    throw new RaftConfigError('cannot use local target as id');
  }
  if (c.id < 0n || c.id > LOCAL_APPEND_THREAD) throw new RaftConfigError('id must fit in 64 bits');
  const heartbeatTick = checkTick('heartbeatTick', c.heartbeatTick);
  if (heartbeatTick <= 0) throw new RaftConfigError('heartbeat tick must be greater than 0');
  const electionTick = checkTick('electionTick', c.electionTick);
  if (electionTick <= heartbeatTick) {
    throw new RaftConfigError('election tick must be greater than heartbeat tick');
  }
  if (c.storage === undefined || c.storage === null) throw new RaftConfigError('storage cannot be nil');
  const applied = c.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) {
    throw new RaftConfigError(`applied must be a non-negative integer (got ${String(c.applied)})`);
  }
  const maxSizePerMsg = checkSize('maxSizePerMsg', c.maxSizePerMsg);
  let maxUncommittedEntriesSize = checkSize('maxUncommittedEntriesSize', c.maxUncommittedEntriesSize);
  if (maxUncommittedEntriesSize === 0) maxUncommittedEntriesSize = NO_LIMIT;
  let maxCommittedSizePerReady = checkSize('maxCommittedSizePerReady', c.maxCommittedSizePerReady);
  if (maxCommittedSizePerReady === 0) maxCommittedSizePerReady = maxSizePerMsg;
  const maxInflightMsgs = c.maxInflightMsgs;
  if (typeof maxInflightMsgs !== 'number' || !(maxInflightMsgs > 0) || !Number.isInteger(maxInflightMsgs)) {
    throw new RaftConfigError('max inflight messages must be greater than 0');
  }
  let maxInflightBytes = checkSize('maxInflightBytes', c.maxInflightBytes);
  if (maxInflightBytes === 0) maxInflightBytes = NO_LIMIT;
  else if (maxInflightBytes < maxSizePerMsg) {
    throw new RaftConfigError('max inflight bytes must be >= max message size');
  }
  const readOnlyOption = c.readOnlyOption ?? ReadOnlyOption.ReadOnlySafe;
  if (
    readOnlyOption !== ReadOnlyOption.ReadOnlySafe &&
    readOnlyOption !== ReadOnlyOption.ReadOnlyLeaseBased
  ) {
    throw new RaftConfigError(`unknown readOnlyOption ${String(readOnlyOption)}`);
  }
  const checkQuorum = c.checkQuorum ?? false;
  if (readOnlyOption === ReadOnlyOption.ReadOnlyLeaseBased && !checkQuorum) {
    throw new RaftConfigError('CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased');
  }
  return {
    id: c.id,
    electionTick,
    heartbeatTick,
    storage: c.storage,
    applied,
    asyncStorageWrites: c.asyncStorageWrites ?? false,
    maxSizePerMsg,
    maxCommittedSizePerReady,
    maxUncommittedEntriesSize,
    maxInflightMsgs,
    maxInflightBytes,
    checkQuorum,
    preVote: c.preVote ?? false,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    disableConfChangeValidation: c.disableConfChangeValidation ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    logger: c.logger ?? discardLogger,
    random: c.random ?? Math.random,
  };
}
