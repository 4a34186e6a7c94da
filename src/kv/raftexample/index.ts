/**
 * raftwire's raftexample mode: what a member needs to replicate one key space with etcd 3.4.23's
 * contrib/raftexample members (see docs/interop.md and ../shared/reference/raftexample.md).
 */
export {
  RAFTEXAMPLE_RAFT_CONFIG,
  RAFTEXAMPLE_SERVER_VERSION,
  raftexampleBootstrap,
  raftexampleDirs,
  raftexampleMembers,
} from './config.js';
export { RaftexampleApplyError, RaftexampleGobError, RaftexampleSnapshotError } from './errors.js';
export { parseUintBase0 } from './go-parse-uint.js';
export { detectContentType } from './go-sniff.js';
export { decodeKvEntry } from './gob-decode.js';
export { encodeKvEntry, KV_TYPE_DEFINITION } from './gob-encode.js';
export type { RaftexampleBackend, RaftexampleHandlerOptions } from './http-api.js';
export { createRaftexampleHandler } from './http-api.js';
export type { RaftexampleMemberOptions } from './member.js';
export { RaftexampleMember } from './member.js';
export { RAW_TARGET_HEADER, RawTargetConnection, requestTarget } from './raw-target.js';
export type { DecodedSnapshotJson, KvMap } from './snapshot-json.js';
export {
  decodeSnapshotJson,
  encodeSnapshotJson,
  kvMapKey,
  kvMapKeyBytes,
} from './snapshot-json.js';
export type { RaftexampleAppliedEntry } from './state-machine.js';
export { RaftexampleStateMachine } from './state-machine.js';
