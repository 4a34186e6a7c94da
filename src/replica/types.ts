/**
 * The public types of raftwire/replica: the state machine a user supplies, the options, the
 * events and the status.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../logger/index.js';
import type { TransportTlsOptions } from '../transport/index.js';

/** A committed entry handed to the state machine. `data` is the proposer's bytes (a view: copy to keep). */
export interface AppliedEntry {
  index: number;
  term: number;
  data: Uint8Array;
}

/** What the user replicates. */
export interface StateMachine<R> {
  /**
   * Applies a committed entry: called in log order, exactly once per index (across restarts,
   * entries at or below the restored snapshot's index are never re-applied; the host persists
   * nothing else, so the state machine's snapshot is the only durable record of what was
   * applied). Empty entries and membership changes are not passed here. A throw (or rejection)
   * is fatal: the replica stops.
   */
  apply(entry: AppliedEntry): R | Promise<R>;
  /** A consistent image at the last applied index (called between applies; no apply runs until it is consumed). */
  snapshot(): Uint8Array | AsyncIterable<Uint8Array>;
  /** Replaces the whole state with an image produced by `snapshot()` (on this or another member). */
  restore(image: AsyncIterable<Uint8Array>): Promise<void>;
}

/** A member: its ID and the URLs its peers reach it at. */
export interface MemberSpec {
  id: bigint;
  peerUrls: string[];
}

/** Options of Replica.start. */
export interface ReplicaOptions<R> {
  /** This member's ID (not 0). */
  id: bigint;
  /** The cluster ID (default 0x1000n, raftexample's). */
  clusterId?: bigint;
  /** WAL in `<dataDir>/wal`, snapshots in `<dataDir>/snap`. Created when missing. */
  dataDir: string;
  /** The members: bootstraps an empty directory (this member must be in it); the peers to reach when joining. Ignored on restart, except as a source of peer URLs. */
  initialCluster: readonly MemberSpec[];
  /** Joins an existing cluster: an empty log, no bootstrap entries (the member was added with addMember). */
  join?: boolean;
  /** The state machine. */
  stateMachine: StateMachine<R>;
  /** Where the peer server binds (`http(s)://host:port`); default this member's first peer URL. Port 0 picks one. */
  listenPeerUrl?: string;
  /** A snapshot is taken every this many applied entries (default 10000). */
  snapshotCount?: number;
  /** Entries kept in memory after a snapshot for slow followers (default 5000, etcd's). */
  snapshotCatchUpEntries?: number;
  /** WAL segment size in bytes (default 64 000 000, etcd's); segments are preallocated, so tests use smaller ones. */
  walSegmentSizeBytes?: number;
  /**
   * How a WAL save is made durable: `o_dsync` (default) writes through an O_DSYNC handle, one
   * system call per group; `fdatasync` writes, then fdatasyncs (etcd's way).
   */
  walSync?: 'o_dsync' | 'fdatasync';
  /** Milliseconds per raft tick (default 100). */
  tickMs?: number;
  /** Election timeout in ticks (default 10). */
  electionTicks?: number;
  /** Heartbeat interval in ticks (default 1). */
  heartbeatTicks?: number;
  /**
   * Time limit of propose, readBarrier and membership calls made without their own signal
   * (default 7000 ms: etcd's 5 s request timeout + 2 election timeouts). On expiry they reject
   * with RAFTWIRE_REPLICA_OUTCOME_UNKNOWN (or PROPOSAL_DROPPED when nothing reached raft).
   * (Refinement of the contract: without it a forwarded proposal lost in transit would wait forever.)
   */
  requestTimeoutMs?: number;
  /** TLS for the peer server and for dialing peers. */
  peerTls?: TransportTlsOptions;
  /** Structured logger (pino-compatible); silent by default. */
  logger?: Logger;
  /** prom-client registry for the transport's etcd_network_* metrics (a private one when absent). */
  registry?: Registry;
}

/** A member as the applied configuration knows it. */
export interface MemberStatus {
  id: bigint;
  peerUrls: string[];
  role: 'voter' | 'learner';
}

/** The transport's view of one peer. */
export interface PeerLinkStatus {
  id: bigint;
  /** True while the transport considers the peer reachable. */
  active: boolean;
  /** ISO time the peer last became active, null while inactive. */
  activeSince: string | null;
  /** Whether each inbound stream (the one this member writes to) is attached. */
  streams: { msgappv2: boolean; message: boolean };
  /** The last probe round trip, null before the first. */
  rttMs: number | null;
  /** Messages to this peer dropped since start (full queues). */
  dropped: number;
}

/** The leader's view of one member's replication (raft's Progress). */
export interface ProgressStatus {
  id: bigint;
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  inflight: number;
  recentActive: boolean;
}

/** A snapshot of the replica's state (see Replica.status). */
export interface ReplicaStatus {
  id: bigint;
  clusterId: bigint;
  /** The leader's ID, undefined when none is known. */
  leader: bigint | undefined;
  /** ISO time this member last saw the current leader elected, null without a leader. */
  leaderSince: string | null;
  role: 'leader' | 'follower' | 'candidate' | 'pre-candidate' | 'learner';
  term: number;
  commit: number;
  applied: number;
  snapshotIndex: number;
  members: MemberStatus[];
  /** Leader only, else []. */
  progress: ProgressStatus[];
  peers: PeerLinkStatus[];
  /** True while the peer transport is paused (`Replica.isolate`). */
  isolated: boolean;
  /** Snapshots this member sent to followers since start: in progress, done, failed. */
  snapshotSends: { inFlight: number; sent: number; failed: number };
}

/** The events a Replica emits. */
export interface ReplicaEvents {
  /** The leader changed (undefined: no leader known). */
  leader: [{ leader: bigint | undefined; term: number }];
  /** Entries were applied up to `index` (once per batch, not per entry). */
  applied: [{ index: number }];
  /** A snapshot was taken and persisted at `index`. */
  'snapshot-saved': [{ index: number }];
  /** A snapshot received from the leader was installed at `index`. */
  'snapshot-installed': [{ index: number }];
  /** The applied membership changed. */
  members: [{ members: MemberStatus[] }];
  /** The replica stopped because of this error (a ReplicaError with code STOPPED or MEMBER_REMOVED, with the cause). */
  fatal: [Error];
}
