/**
 * Transport: etcd 3.4.23's rafthttp.Transport. Owns the peers (streams + pipeline + snapshot
 * sender), the remotes (pipeline only), the prober, the HTTP clients and the HTTP handler.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { type Logger, noopLogger } from '../logger/index.js';
import { type Message, MessageType, messageSize } from '../raftpb/index.js';
import { ETCD_MIN_CLUSTER_VERSION, ETCD_WIRE_VERSION } from '../version.js';
import {
  DEFAULT_DIAL_RETRY_INTERVAL_MS,
  PIPELINE_CONNECTIONS,
  PIPELINE_KEEPALIVE_TIMEOUT_MS,
  PROBE_INTERVAL_MS,
  SNAPSHOT_PROGRESS_TIMEOUT_MS,
  STREAM_KEEPALIVE_TIMEOUT_MS,
} from './constants.js';
import type { TransportContext } from './context.js';
import { DropReporter } from './drop-reporter.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { createHandler } from './http-handler.js';
import type { Channel } from './metrics.js';
import { TransportMetrics } from './metrics.js';
import { Peer } from './peer.js';
import { Prober } from './prober.js';
import { Remote } from './remote.js';
import { directorySnapshotStore } from './snapshot-store.js';
import type { LeaderStats, ServerStats } from './stats.js';
import { clientConnectOptions, clientTlsOptions } from './tls.js';
import type { SnapshotMessage, TransportOptions, TransportTlsOptions } from './types.js';
import { parsePeerUrls } from './urls.js';

/** A node:http request listener serving etcd's /raft endpoints. */
export type PeerRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What `Transport.peerStatus` reports for one peer. */
export interface PeerLinkState {
  active: boolean;
  /** When the peer last became active; undefined while inactive. */
  activeSince: Date | undefined;
  /** Whether the outgoing msgappv2 and message streams are attached. */
  streams: { msgappv2: boolean; message: boolean };
  /** Smoothed /raft/probing round trip in ms; undefined before the first probe answer. */
  rttMs: number | undefined;
  /** Messages dropped on full send queues since the peer was added. */
  dropped: number;
}

/** Events of a Transport. `error` carries critical errors only (etcd's ErrorC), e.g. MemberRemovedError. */
export interface TransportEvents {
  error: [err: TransportError];
}

/**
 * etcd's rafthttp transport. `send` never blocks and never throws for a full queue: it drops with a
 * counter, a rate-limited warning and `reportUnreachable`, exactly where etcd drops.
 */
export class Transport extends EventEmitter<TransportEvents> {
  /** This member's ID. */
  readonly id: bigint;
  /** The cluster ID. */
  readonly clusterId: bigint;
  /** The TLS material given to the constructor (used by createPeerServer). */
  readonly tls: TransportTlsOptions | undefined;
  /** The metrics (etcd_network_* and raftwire_network_*), in the injected or a private registry. */
  readonly metrics: TransportMetrics;
  /** v2 server stats, when given. */
  readonly serverStats: ServerStats | undefined;
  /** v2 leader stats, when given. */
  readonly leaderStats: LeaderStats | undefined;
  private readonly ctx: TransportContext;
  private readonly logger: Logger;
  private readonly agents: Agent[];
  private readonly prober: Prober;
  private readonly peers = new Map<bigint, Peer>();
  private readonly remotes = new Map<bigint, Remote>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly queueSource = { queueDepths: () => this.queueDepths() };
  private started = false;
  private stopped = false;

  constructor(options: TransportOptions) {
    super();
    this.id = options.id;
    this.clusterId = options.clusterId;
    this.tls = options.tls;
    this.serverStats = options.serverStats;
    this.leaderStats = options.leaderStats;
    const localHex = options.id.toString(16);
    this.logger = (options.logger ?? noopLogger).child({ 'local-member-id': localHex });
    this.metrics = new TransportMetrics(options.metrics);
    const now = options.now ?? Date.now;
    const baseHeaders: Record<string, string> = {
      'X-Server-From': localHex,
      'X-Server-Version': ETCD_WIRE_VERSION,
      'X-Min-Cluster-Version': ETCD_MIN_CLUSTER_VERSION,
      'X-Etcd-Cluster-ID': options.clusterId.toString(16),
    };
    if (options.urls !== undefined) baseHeaders['X-PeerURLs'] = parsePeerUrls(options.urls).join(',');
    const connect = clientConnectOptions(options.tls, options.dialTimeoutMs ?? 0);
    const streamClient = new Agent({ connect, pipelining: 1, keepAliveTimeout: STREAM_KEEPALIVE_TIMEOUT_MS });
    const pipelineClient = new Agent({
      connect,
      connections: PIPELINE_CONNECTIONS,
      pipelining: 1,
      keepAliveTimeout: PIPELINE_KEEPALIVE_TIMEOUT_MS,
    });
    const snapshotClient = new Agent({
      connect,
      pipelining: 1,
      keepAliveTimeout: PIPELINE_KEEPALIVE_TIMEOUT_MS,
    });
    this.agents = [streamClient, pipelineClient, snapshotClient];
    const rate = options.dialRetryPerSecond;
    const snapshotter = options.snapshotter;
    this.ctx = {
      localId: options.id,
      localHex,
      clusterHex: options.clusterId.toString(16),
      raft: options.raft,
      logger: this.logger,
      metrics: this.metrics,
      drops: new DropReporter(this.logger, this.metrics, now),
      now,
      baseHeaders,
      streamClient,
      pipelineClient,
      snapshotClient,
      dialRetryIntervalMs: rate !== undefined && rate > 0 ? 1000 / rate : DEFAULT_DIAL_RETRY_INTERVAL_MS,
      snapshotProgressTimeoutMs: options.snapshotProgressTimeoutMs ?? SNAPSHOT_PROGRESS_TIMEOUT_MS,
      dialTimeoutMs: options.dialTimeoutMs ?? 0,
      tlsClient: clientTlsOptions(options.tls),
      snapshotter: typeof snapshotter === 'string' ? directorySnapshotStore(snapshotter) : snapshotter,
      serverStats: options.serverStats,
      leaderStats: options.leaderStats,
      reportCritical: (err) => this.reportCritical(err),
      addRemote: (id, urls) => this.addRemote(id, urls),
    };
    this.prober = new Prober(this.ctx, options.probeIntervalMs ?? PROBE_INTERVAL_MS);
  }

  /** Prepares the transport. Must precede every other call; a stopped transport cannot restart. */
  async start(): Promise<void> {
    if (this.stopped) throw new TransportError(TransportErrorCode.Stopped, 'transport stopped');
    if (this.started) return;
    this.started = true;
    this.metrics.addQueueSource(this.queueSource);
  }

  /** A node:http request listener for POST /raft, GET /raft/stream/…, POST /raft/snapshot, /raft/probing. */
  handler(): PeerRequestListener {
    return createHandler({
      ctx: this.ctx,
      tls: this.tls,
      getPeer: (id) => (this.stopped ? undefined : this.peers.get(id)),
      knows: (id) => this.peers.has(id) || this.remotes.has(id),
    });
  }

  /** Adds a peer (a full member): starts its streams, pipeline and snapshot sender. No-op if known. */
  addPeer(id: bigint, urls: string[]): void {
    this.assertRunning();
    if (this.peers.has(id)) return;
    const parsed = parsePeerUrls(urls);
    const hex = id.toString(16);
    const follower = this.leaderStats?.follower(hex);
    this.peers.set(id, new Peer(this.ctx, id, parsed, follower));
    this.prober.add(id, parsed);
    this.logger.info({ 'remote-peer-id': hex, 'remote-peer-urls': parsed }, 'added remote peer');
  }

  /** Stops and forgets a peer. Unknown IDs are logged and ignored (etcd 3.6 behaviour). */
  removePeer(id: bigint): void {
    const peer = this.peers.get(id);
    const hex = id.toString(16);
    if (peer === undefined) {
      this.logger.warn({ 'remote-peer-id': hex }, 'skipped removing already removed peer');
      return;
    }
    this.peers.delete(id);
    // stop() waits for it, so nothing a removed peer opened outlives the transport.
    const stopping = peer.stop().finally(() => this.stopping.delete(stopping));
    this.stopping.add(stopping);
    this.leaderStats?.removeFollower(hex);
    this.prober.remove(id);
    this.logger.info({ 'remote-peer-id': hex }, 'removed remote peer');
  }

  /** Replaces a peer's URLs (open streams stay up). Unknown IDs are ignored. */
  updatePeer(id: bigint, urls: string[]): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    const parsed = parsePeerUrls(urls);
    peer.update(parsed);
    this.prober.add(id, parsed);
    this.logger.info(
      { 'remote-peer-id': id.toString(16), 'updated-remote-peer-urls': parsed },
      'updated remote peer',
    );
  }

  /** Adds a remote: a pipeline-only helper to reach a member that is not a peer. No-op for peers and known remotes. */
  addRemote(id: bigint, urls: string[]): void {
    if (!this.started || this.stopped || this.peers.has(id) || this.remotes.has(id)) return;
    const parsed = parsePeerUrls(urls);
    this.remotes.set(id, new Remote(this.ctx, id, parsed));
    this.logger.info(
      { 'remote-peer-id': id.toString(16), 'remote-peer-urls': parsed },
      'added new remote peer',
    );
  }

  /** Removes every peer. */
  removeAllPeers(): void {
    for (const id of [...this.peers.keys()]) this.removePeer(id);
  }

  /** Sends messages: never blocks, never throws for a full queue. `to == 0` and unknown targets are skipped. */
  send(msgs: readonly Message[]): void {
    const peers = this.peers;
    const stats = this.serverStats;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const to = m.to;
      if (to === 0n) continue;
      const peer = peers.get(to);
      if (peer !== undefined) {
        if (stats !== undefined && m.type === MessageType.MsgApp) stats.sendAppendReq(messageSize(m));
        peer.send(m);
        continue;
      }
      const remote = this.remotes.get(to);
      if (remote !== undefined) {
        remote.send(m);
        continue;
      }
      this.logger.debug(
        { 'message-type': m.type, 'unknown-target-peer-id': to.toString(16) },
        'ignored message send request; unknown remote peer target',
      );
    }
  }

  /**
   * Sends a merged snapshot (MsgSnap + streamed database) over POST /raft/snapshot. Resolves true
   * when the peer accepted it (204), false otherwise; never rejects. raft hears through reportSnapshot.
   */
  async sendSnapshot(m: SnapshotMessage): Promise<boolean> {
    const peer = this.stopped ? undefined : this.peers.get(m.message.to);
    if (peer === undefined) {
      const err = new TransportError(
        TransportErrorCode.MemberNotFound,
        `member ${m.message.to.toString(16)} not found`,
      );
      this.logger.warn(
        { 'remote-peer-id': m.message.to.toString(16), error: err.message, code: err.code },
        'failed to send database snapshot',
      );
      const destroy = (m.body as { destroy?: () => void }).destroy;
      if (typeof destroy === 'function') destroy.call(m.body);
      return false;
    }
    return peer.sendSnapshot(m);
  }

  /** When the peer last became active, or undefined while it is inactive or unknown. */
  activeSince(id: bigint): Date | undefined {
    const since = this.peers.get(id)?.status.since() ?? 0;
    return since === 0 ? undefined : new Date(since);
  }

  /**
   * One peer's link state: active (and since when), which outgoing streams are attached, the
   * smoothed probe round trip, and the messages dropped on full send queues. Undefined for an
   * unknown peer.
   */
  peerStatus(id: bigint): PeerLinkState | undefined {
    const peer = this.peers.get(id);
    if (peer === undefined) return undefined;
    const since = peer.status.since();
    return {
      active: peer.status.isActive(),
      activeSince: since === 0 ? undefined : new Date(since),
      streams: peer.streams(),
      rttMs: this.prober.rttMs(id),
      dropped: peer.dropped,
    };
  }

  /** Number of peers currently active. */
  activePeers(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.status.since() !== 0) n++;
    return n;
  }

  /** Drops all outgoing messages and ignores incoming stream messages, for every peer (test hook). */
  pause(): void {
    for (const p of this.peers.values()) p.pause();
  }

  /** Undoes pause(). */
  resume(): void {
    for (const p of this.peers.values()) p.resume();
  }

  /** pause() for one peer and its remote. */
  cutPeer(id: bigint): void {
    this.peers.get(id)?.pause();
    this.remotes.get(id)?.pause();
  }

  /** resume() for one peer and its remote. */
  mendPeer(id: bigint): void {
    this.peers.get(id)?.resume();
    this.remotes.get(id)?.resume();
  }

  /** Stops every peer and remote, the prober, every timer and every client socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.prober.stop();
    const peers = [...this.peers.values()];
    const remotes = [...this.remotes.values()];
    this.peers.clear();
    this.remotes.clear();
    await Promise.all([...peers.map((p) => p.stop()), ...remotes.map((r) => r.stop()), ...this.stopping]);
    await Promise.all(this.agents.map((a) => a.destroy()));
    this.metrics.removeQueueSource(this.queueSource);
    this.logger.info({}, 'stopped transport');
  }

  private *queueDepths(): Iterable<[string, Channel, number]> {
    for (const p of this.peers.values()) yield* p.queueDepths();
    for (const r of this.remotes.values()) yield* r.queueDepths();
  }

  private reportCritical(err: TransportError): void {
    this.logger.error({ error: err.message, code: err.code }, 'critical transport error');
    // etcd's ErrorC is a non-blocking send: nobody listening means the error is dropped, not thrown.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private assertRunning(): void {
    if (!this.started || this.stopped) {
      throw new TransportError(
        TransportErrorCode.Stopped,
        this.stopped ? 'transport stopped' : 'transport not started',
      );
    }
  }
}
