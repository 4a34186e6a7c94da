/**
 * The transport's public types: what it needs from raft, from a snapshot store, and its options.
 */
import type { Readable } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger/index.js';
import type { Message } from '../raftpb/index.js';
import type { LeaderStats, ServerStats } from './stats.js';

/** etcd raft's SnapshotStatus, as reported through `Raft.reportSnapshot`. */
export const SnapshotStatus = {
  SnapshotFinish: 1,
  SnapshotFailure: 2,
} as const;
/** A snapshot outcome: SnapshotFinish (1) or SnapshotFailure (2). */
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

/** What the transport hands messages and delivery reports to (etcd rafthttp.Raft). */
export interface Raft {
  /**
   * Takes a message received from a peer. Stream traffic is processed one message at a time per
   * queue (proposals on their own queue). May reject: the transport logs it and goes on (a pipeline
   * POST is then answered 500, as etcd does).
   */
  process(m: Message): Promise<void>;
  /** True when `id` was removed from the cluster: its stream dials are answered 410. */
  isIdRemoved(id: bigint): boolean;
  /** A message to `id` could not be delivered (queue full, connection failed). */
  reportUnreachable(id: bigint): void;
  /** Outcome of a snapshot sent to `id`. */
  reportSnapshot(id: bigint, status: SnapshotStatus): void;
}

/**
 * Where a received snapshot database goes (etcd snap.Snapshotter.SaveDBFrom). raftwire/snap's
 * `Snapshotter` implements it (`snapshotter: new Snapshotter(dir)`); the transport itself writes no
 * files.
 */
export interface SnapshotStore {
  /**
   * Streams `body` (the database bytes following the snapshot message) to durable storage for the
   * snapshot at `index`, and resolves to the number of bytes saved. Must leave no partial file
   * behind when it rejects or when `body` throws.
   */
  saveDBFrom(body: AsyncIterable<Uint8Array>, index: number): Promise<number>;
}

/** A merged snapshot to send: etcd's snap.Message (a MsgSnap plus a streamed database). */
export interface SnapshotMessage {
  /** The MsgSnap (its `to` picks the peer; `snapshot.metadata` is filled). */
  message: Message;
  /** The database bytes, read once, in order, without being held in memory. */
  body: AsyncIterable<Uint8Array> | Readable;
  /**
   * Declared database size in bytes. When set, a body that yields fewer or more bytes fails the
   * transfer (etcd's exact-length reader); when absent the body is sent until it ends.
   */
  dbSize?: number;
}

/** TLS for `https` peer URLs and for the peer server (etcd's --peer-* flags). PEM strings or buffers. */
export interface TransportTlsOptions {
  /** This member's certificate: server certificate and client certificate. */
  cert?: string | Buffer;
  /** The private key of `cert`. */
  key?: string | Buffer;
  /** Trusted CA(s): verifies peers' server certificates and, on the server, client certificates. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Server: require and verify client certificates (etcd --peer-client-cert-auth; implied by `ca`). */
  clientCertAuth?: boolean;
  /** Server: a client certificate's subject CN must equal this (etcd --peer-cert-allowed-cn). */
  allowedCN?: string;
  /** Server: a client certificate must be valid for this host name or IP (--peer-cert-allowed-hostname). */
  allowedHostname?: string;
  /** Client: do not verify peers' server certificates (etcd --peer-auto-tls). */
  insecureSkipVerify?: boolean;
  /** Client: SNI and verification name; default the peer URL's host. */
  serverName?: string;
  /** Server: certificate revocation list(s) (etcd --peer-crl-file). */
  crl?: string | Buffer | Array<string | Buffer>;
}

/** Constructor options of `Transport`. Durations are in milliseconds. */
export interface TransportOptions {
  /** This member's ID. */
  id: bigint;
  /** The cluster ID every request and response carries (X-Etcd-Cluster-ID). */
  clusterId: bigint;
  /** Receives messages and delivery reports. */
  raft: Raft;
  /** This member's peer URLs, sent in X-PeerURLs so peers can reach back; omitted when absent. */
  urls?: string[];
  /** Structured logger (pino-compatible); silent by default. */
  logger?: Logger;
  /** TLS material for https peers and for `createPeerServer`. */
  tls?: TransportTlsOptions;
  /** TCP (and TLS) connect timeout in ms; 0 = none (etcd default for raftexample). Default 0. */
  dialTimeoutMs?: number;
  /** Stream redial rate (per second), burst 1: the first redial is immediate. Default 10 (every 100 ms). */
  dialRetryPerSecond?: number;
  /**
   * Stores received snapshot databases (e.g. raftwire/snap's `new Snapshotter(dir)`). Without it an
   * incoming POST /raft/snapshot is answered 500 and nothing is written.
   */
  snapshotter?: SnapshotStore;
  /** A prom-client Registry for the etcd_network_* metrics; a private one when absent. */
  metrics?: Registry;
  /** v2 server stats (etcd ServerStats); counted only when given. */
  serverStats?: ServerStats;
  /** v2 leader stats (etcd LeaderStats); follower entries are created by addPeer. */
  leaderStats?: LeaderStats;
  /** Wall clock in ms since the epoch (peer status `since`, probing, stats). Default Date.now. */
  now?: () => number;
  /** No-progress timeout of snapshot transfers, both ends, in ms. Default 10 000. */
  snapshotProgressTimeoutMs?: number;
  /** Interval of the /raft/probing prober in ms; 0 disables probing. Default 4 000. */
  probeIntervalMs?: number;
}
