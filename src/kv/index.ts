/**
 * raftwire/kv: the replicated key-value service (docs/kv.md): its state machine, entry and snapshot
 * encodings, and the HTTP client API that runs it on a raftwire/replica host.
 */

export type { Condition, Operation } from './entry-codec.js';
export { decodeOperation, ENTRY_FORMAT_VERSION, encodeOperation } from './entry-codec.js';
export type { KvErrorCodeValue } from './errors.js';
export { KvError, KvErrorCode } from './errors.js';
export type { KvHost, KvHostEvents, KvHostStatus, KvMember } from './host.js';
export type { KvNodeOptions } from './kv-node.js';
export { KvNode } from './kv-node.js';
export type { KvServerOptions, KvServerTlsOptions } from './kv-server.js';
export { DEFAULT_MAX_VALUE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, KvServer } from './kv-server.js';
export { KvMetrics } from './metrics.js';
export { keyBytes, keyString, percentDecode, percentEncode } from './percent.js';
export * from './raftexample/index.js';
export type { DecodedSnapshot, SnapshotRecord } from './snapshot-codec.js';
export { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT_VERSION } from './snapshot-codec.js';
export type { KvApplyResult, KvListing, KvValue } from './state-machine.js';
export { KvStateMachine } from './state-machine.js';
