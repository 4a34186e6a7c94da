/**
 * raftwire/transport: etcd 3.4.23's rafthttp in TypeScript, on the same wire. See docs/transport.md.
 */
export type { TransportErrorCode as TransportErrorCodeValue } from './errors.js';
export {
  ClusterIdMismatchError,
  FrameDecodeError,
  MemberRemovedError,
  TransportError,
  TransportErrorCode,
} from './errors.js';
export type { ServerState } from './stats.js';
export { FollowerStats, LeaderStats, ServerStats } from './stats.js';
export type { PeerRequestListener, TransportEvents } from './transport.js';
export { Transport } from './transport.js';
export type {
  Raft,
  SnapshotMessage,
  SnapshotStore,
  TransportOptions,
  TransportTlsOptions,
} from './types.js';
export { SnapshotStatus } from './types.js';
