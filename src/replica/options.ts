/**
 * Replica options: validation, defaults, and the raft configuration every replica runs with
 * (etcd's server settings: PreVote and CheckQuorum on, 1 MiB messages, 512 in flight, async
 * storage writes).
 */

import type { Logger } from '../logger/index.js';
import type { MemoryStorage } from '../raft/index.js';
import { raftLoggerFrom } from '../raft/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import type { ReplicaOptions } from './types.js';

/** raftexample's cluster ID. */
export const DEFAULT_CLUSTER_ID = 0x1000n;

/** The raft Config of a replica. */
export function raftConfig<R>(o: ReplicaOptions<R>, storage: MemoryStorage, applied: number, logger: Logger) {
  return {
    id: o.id,
    electionTick: o.electionTicks ?? 10,
    heartbeatTick: o.heartbeatTicks ?? 1,
    storage,
    applied,
    asyncStorageWrites: true,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 512,
    maxUncommittedEntriesSize: 1 << 30,
    checkQuorum: true,
    preVote: true,
    logger: raftLoggerFrom(logger, { component: 'raft' }),
  };
}

/** Throws INVALID_OPTIONS for options that cannot work. */
export function validate<R>(o: ReplicaOptions<R>): void {
  const bad = (msg: string) => new ReplicaError(ReplicaErrorCode.InvalidOptions, msg);
  if (typeof o.id !== 'bigint' || o.id <= 0n || o.id > 0xffffffffffffffffn)
    throw bad('id must be a non-zero uint64 bigint');
  if (typeof o.dataDir !== 'string' || o.dataDir === '') throw bad('dataDir is required');
  if (o.stateMachine === undefined) throw bad('stateMachine is required');
  for (const [name, v] of [
    ['snapshotCount', o.snapshotCount],
    ['tickMs', o.tickMs],
    ['electionTicks', o.electionTicks],
    ['heartbeatTicks', o.heartbeatTicks],
    ['requestTimeoutMs', o.requestTimeoutMs],
    ['walSegmentSizeBytes', o.walSegmentSizeBytes],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw bad(`${name} must be a positive integer`);
  }
  if (o.walSync !== undefined && o.walSync !== 'o_dsync' && o.walSync !== 'fdatasync')
    throw bad(`walSync must be 'o_dsync' or 'fdatasync', not ${JSON.stringify(o.walSync)}`);
  if (
    o.snapshotCatchUpEntries !== undefined &&
    !(Number.isInteger(o.snapshotCatchUpEntries) && o.snapshotCatchUpEntries >= 0)
  ) {
    throw bad('snapshotCatchUpEntries must be a non-negative integer');
  }
}
