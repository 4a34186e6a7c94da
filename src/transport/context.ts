/**
 * What every part of a transport shares: identity, raft, logger, metrics, clients, clocks. Built
 * once by the Transport constructor and handed to peers, remotes, readers, writers and handlers.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { Logger } from '../logger/index.js';
import type { DropReporter } from './drop-reporter.js';
import type { TransportError } from './errors.js';
import type { TransportMetrics } from './metrics.js';
import type { LeaderStats, ServerStats } from './stats.js';
import type { Raft, SnapshotStore } from './types.js';

/** Shared state of one transport, handed to every part of it. */
export interface TransportContext {
  readonly localId: bigint;
  /** Local ID in etcd's text form (lower-case hex). */
  readonly localHex: string;
  readonly clusterHex: string;
  readonly raft: Raft;
  readonly logger: Logger;
  readonly metrics: TransportMetrics;
  readonly drops: DropReporter;
  readonly now: () => number;
  /** Headers of every outgoing etcd request (X-Server-From, versions, cluster ID, X-PeerURLs). */
  readonly baseHeaders: Readonly<Record<string, string>>;
  /** Long-lived stream GETs: one connection per stream, no pooling. */
  readonly streamClient: Dispatcher;
  /**
   * GET /raft/probing (the prober's client). POST /raft does not use it: each pipeline worker owns
   * an Http1Connection (see pipeline.ts).
   */
  readonly probeClient: Dispatcher;
  /** POST /raft/snapshot: own connections so a long upload never holds a pipeline slot. */
  readonly snapshotClient: Dispatcher;
  readonly dialRetryIntervalMs: number;
  /** TCP/TLS connect timeout in ms (0 = none). */
  readonly dialTimeoutMs: number;
  /** node:tls options of the pipeline's own connections; undefined without TLS material. */
  readonly tlsClient: ConnectionOptions | undefined;
  readonly snapshotProgressTimeoutMs: number;
  readonly snapshotter: SnapshotStore | undefined;
  readonly serverStats: ServerStats | undefined;
  readonly leaderStats: LeaderStats | undefined;
  /** etcd's ErrorC: critical errors (member removed). */
  readonly reportCritical: (err: TransportError) => void;
  /** Called when a request from an unknown member carried X-PeerURLs (etcd AddRemote). */
  readonly addRemote: (id: bigint, urls: string[]) => void;
}

/** Describes an error for a log line: its code when it has one, then its message and cause. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}${cause}`;
  }
  return String(err);
}
