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
// The wire codecs, for tools and tests that speak the protocol without a Transport.
export {
  encodeFrames,
  isLinkHeartbeat,
  LINK_HEARTBEAT,
  MessageFrameDecoder,
} from './message-codec.js';
/** Channel names used in logs, drop counters and queue gauges. */
export type { Channel } from './metrics.js';
export { TransportMetrics } from './metrics.js';
export { MsgAppV2Decoder, MsgAppV2Encoder } from './msgappv2-codec.js';
export type { PeerServerOptions } from './peer-server.js';
export { createPeerServer } from './peer-server.js';
export { encodeSnapshotHead } from './snapshot-body.js';
export { directorySnapshotStore, snapshotDbFileName } from './snapshot-store.js';
export type { ServerState } from './stats.js';
export { FollowerStats, LeaderStats, ServerStats } from './stats.js';
export type { PeerLinkState, PeerRequestListener, TransportEvents } from './transport.js';
export { Transport } from './transport.js';
export type {
  Raft,
  SnapshotMessage,
  SnapshotStore,
  TransportOptions,
  TransportTlsOptions,
} from './types.js';
export { SnapshotStatus } from './types.js';
