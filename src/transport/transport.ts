/**
 * Transport: etcd 3.4.23's rafthttp.Transport. Owns the peers (streams + pipeline + snapshot
 * sender), the remotes (pipeline only), the prober, the HTTP clients and the HTTP handler.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { FAILPOINTS_ON, failpoint } from '../failpoint/index.js';
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
import type { Channel } from './metrics.js';
import { TransportMetrics } from './metrics.js';
import { Peer } from './peer.js';
import { Prober } from './prober.js';
import { Remote } from './remote.js';
import { createRouter } from './router.js';
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

/** The link to one peer, as `Transport.peerStatus()` reports it. */
export interface PeerLinkStatus {
  /** The peer's ID. */
  id: bigint;
  /** True while the peer is active: the last stream dial, stream write or POST to it succeeded. */
  active: boolean;
  /** When the peer last became active; undefined while inactive. */
  activeSince: Date | undefined;
  /**
   * Per stream type, whether the peer's stream to us is attached, i.e. `send` can use it now
   * (msgappv2 carries MsgApp, message carries the rest; without them messages go by pipeline).
   */
  streams: { msgappv2: boolean; message: boolean };
  /** Smoothed round-trip time of the /raft/probing probes; undefined before the first success or with probing off. */
  rttMs: number | undefined;
  /** Messages to or from this peer dropped because a queue was full, since addPeer. */
  dropped: number;
}

/**
 * Internal access for createPeerServer and the test-only fault injection (fault-injection.ts). Not
 * exported from raftwire/transport.
 */
export const transportInternals: unique symbol = Symbol('raftwire.transport.internals');

/** What `transport[transportInternals]()` returns. */
export interface TransportInternals {
  readonly tls: TransportTlsOptions | undefined;
  readonly peers: ReadonlyMap<bigint, Peer>;
  readonly remotes: ReadonlyMap<bigint, Remote>;
}

/**
 * etcd's rafthttp transport.
 *
 * Lifecycle: `new Transport(options)` → `start()` → `stop()`; a stopped transport cannot be started
 * again. Membership changes (`addPeer`, `removePeer`, `updatePeer`, `addRemote`,
 * `removeAllPeers`) need a started, not stopped transport and throw a TransportError with code
 * `RAFTWIRE_TRANSPORT_STOPPED` otherwise. `send` never throws: it drops with a counter, a
 * rate-limited warning and `reportUnreachable` exactly where etcd drops, and ignores messages to
 * members it does not know (which is every member before `start` and after `stop`).
 * `sendSnapshot` rejects with a TransportError. The queries (`activeSince`, `activePeers`,
 * `peerStatus`) answer in every state. `handler()` may be called in every state; its listener
 * accepts peer streams only for peers added and not removed.
 */
export class Transport extends EventEmitter<TransportEvents> {
  /** This member's ID. */
  readonly id: bigint;
  /** The cluster ID. */
  readonly clusterId: bigint;
  readonly #tls: TransportTlsOptions | undefined;
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
  private isPaused = false;

  /**
   * Builds a transport that is not running yet (no socket, timer or peer until `start()` and
   * `addPeer`). Throws TransportError `RAFTWIRE_TRANSPORT_INVALID_OPTION` for an ID outside uint64
   * or a negative duration or rate, `RAFTWIRE_TRANSPORT_INVALID_URL` for bad `urls`.
   */
  constructor(options: TransportOptions) {
    super();
    checkOptions(options);
    this.id = options.id;
    this.clusterId = options.clusterId;
    this.#tls = options.tls;
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
    const probeClient = new Agent({
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
    this.agents = [streamClient, probeClient, snapshotClient];
    const rate = options.dialRetryPerSecond;
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
      probeClient,
      snapshotClient,
      dialRetryIntervalMs: rate !== undefined && rate > 0 ? 1000 / rate : DEFAULT_DIAL_RETRY_INTERVAL_MS,
      snapshotProgressTimeoutMs: options.snapshotProgressTimeoutMs ?? SNAPSHOT_PROGRESS_TIMEOUT_MS,
      dialTimeoutMs: options.dialTimeoutMs ?? 0,
      tlsClient: clientTlsOptions(options.tls),
      snapshotter: options.snapshotter,
      serverStats: options.serverStats,
      leaderStats: options.leaderStats,
      reportCritical: (err) => this.reportCritical(err),
      addRemote: (id, urls) => this.learnRemote(id, urls),
    };
    this.prober = new Prober(this.ctx, options.probeIntervalMs ?? PROBE_INTERVAL_MS);
  }

  /**
   * Starts the transport: membership changes are accepted from now on and the queue-depth gauge
   * samples its queues. Synchronous; a second call is a no-op. Throws a TransportError with code
   * `RAFTWIRE_TRANSPORT_STOPPED` after `stop()` (a stopped transport cannot restart).
   */
  start(): void {
    if (this.stopped) throw new TransportError(TransportErrorCode.Stopped, 'transport stopped');
    if (this.started) return;
    this.started = true;
    this.metrics.addQueueSource(this.queueSource);
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.started && !this.stopped;
  }

  /**
   * A node:http request listener for POST /raft, GET /raft/stream/…, POST /raft/snapshot and
   * /raft/probing (etcd's Transport.Handler). Usable in every state; stream requests are accepted
   * only from peers added and not removed, so none before `start` or after `stop` (404), while
   * POST /raft, POST /raft/snapshot and probes are served in every state (as etcd's handler is).
   */
  handler(): PeerRequestListener {
    return createRouter({
      ctx: this.ctx,
      tls: this.#tls,
      getPeer: (id) => (this.stopped ? undefined : this.peers.get(id)),
      knows: (id) => this.peers.has(id) || this.remotes.has(id),
    });
  }

  /**
   * Adds a peer (a full member): starts its stream readers (they dial at once), its pipeline and
   * snapshot sender; its stream writers wait for the peer to dial us. No-op for a known peer.
   * Throws TransportError `RAFTWIRE_TRANSPORT_INVALID_URL` for bad URLs, `RAFTWIRE_TRANSPORT_STOPPED`
   * when not running.
   */
  addPeer(id: bigint, urls: string[]): void {
    this.assertRunning();
    if (this.peers.has(id)) return;
    const parsed = parsePeerUrls(urls);
    const hex = id.toString(16);
    const follower = this.leaderStats?.follower(hex);
    const peer = new Peer(this.ctx, id, parsed, follower);
    if (this.isPaused) peer.pause();
    this.peers.set(id, peer);
    this.prober.add(id, parsed);
    this.logger.info({ 'remote-peer-id': hex, 'remote-peer-urls': parsed }, 'added remote peer');
  }

  /**
   * Stops and forgets a peer; its queued messages are discarded and `stop()` waits for it to wind
   * down. Unknown IDs are logged and ignored (etcd 3.6 behaviour). Throws TransportError
   * `RAFTWIRE_TRANSPORT_STOPPED` when not running.
   */
  removePeer(id: bigint): void {
    this.assertRunning();
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

  /**
   * Replaces a peer's URLs and restarts at the first one; open streams stay up. Unknown IDs are
   * ignored (as etcd does, before looking at the URLs). Throws TransportError
   * `RAFTWIRE_TRANSPORT_INVALID_URL` for bad URLs, `RAFTWIRE_TRANSPORT_STOPPED` when not running.
   */
  updatePeer(id: bigint, urls: string[]): void {
    this.assertRunning();
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

  /**
   * Adds a remote: a pipeline-only route to a member that is not a peer (etcd AddRemote; also
   * learned from the X-PeerURLs of requests we serve). No-op for peers and known remotes. Throws
   * TransportError `RAFTWIRE_TRANSPORT_INVALID_URL` for bad URLs, `RAFTWIRE_TRANSPORT_STOPPED` when
   * not running.
   */
  addRemote(id: bigint, urls: string[]): void {
    this.assertRunning();
    this.learnRemote(id, urls);
  }

  /** addRemote for the handler: ignored when not running. */
  private learnRemote(id: bigint, urls: string[]): void {
    if (!this.running || this.peers.has(id) || this.remotes.has(id)) return;
    const parsed = parsePeerUrls(urls);
    const remote = new Remote(this.ctx, id, parsed);
    if (this.isPaused) remote.pause();
    this.remotes.set(id, remote);
    this.logger.info(
      { 'remote-peer-id': id.toString(16), 'remote-peer-urls': parsed },
      'added new remote peer',
    );
  }

  /** `removePeer` for every peer. Throws TransportError `RAFTWIRE_TRANSPORT_STOPPED` when not running. */
  removeAllPeers(): void {
    this.assertRunning();
    for (const id of [...this.peers.keys()]) this.removePeer(id);
  }

  /**
   * Sends messages: never blocks, never throws. Per message: `to == 0` is skipped; a peer gets it on
   * the channel etcd's peer.pick chooses; a remote on its pipeline; unknown targets (all of them
   * when not running) are logged at debug and skipped. A full queue drops the message with a
   * counter, a rate-limited warning and `raft.reportUnreachable`.
   */
  send(msgs: readonly Message[]): void {
    if (FAILPOINTS_ON) {
      try {
        failpoint('transportBeforeSend');
      } catch {
        return; // throw / error(…) at this point: the batch is lost, as the network may lose it
      }
    }
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
   * Sends a merged snapshot (MsgSnap + streamed database) over POST /raft/snapshot. Resolves when
   * the peer answered 204. Rejects with a TransportError otherwise: `RAFTWIRE_TRANSPORT_STOPPED`
   * when not running, `RAFTWIRE_TRANSPORT_MEMBER_NOT_FOUND` when `message.to` is not a peer, else
   * the transfer's failure (e.g. `…_SNAPSHOT_STALLED`, `…_SNAPSHOT_SIZE_MISMATCH`,
   * `…_UNEXPECTED_STATUS`, `…_CONNECTION_FAILED`, `…_MEMBER_REMOVED`). Once the transfer started,
   * raft hears the outcome through `reportSnapshot` before the promise settles. A `Readable` body
   * is destroyed in every case.
   */
  async sendSnapshot(m: SnapshotMessage): Promise<void> {
    const peer = this.running ? this.peers.get(m.message.to) : undefined;
    if (peer === undefined) {
      const err = this.running
        ? new TransportError(
            TransportErrorCode.MemberNotFound,
            `member ${m.message.to.toString(16)} not found`,
          )
        : new TransportError(
            TransportErrorCode.Stopped,
            this.stopped ? 'transport stopped' : 'transport not started',
          );
      this.logger.warn(
        { 'remote-peer-id': m.message.to.toString(16), error: err.message, code: err.code },
        'failed to send database snapshot',
      );
      const destroy = (m.body as { destroy?: () => void }).destroy;
      if (typeof destroy === 'function') destroy.call(m.body);
      throw err;
    }
    return peer.sendSnapshot(m);
  }

  /**
   * etcd's Transport.Pause: cuts this member off from every peer and remote (also those added
   * later) without closing anything. Outgoing messages are dropped silently (no drop counter, no
   * reportUnreachable), incoming stream messages are ignored, pipelines stop; requests the peer
   * server answers (pipeline, snapshots) are still processed, and snapshots are still sent, as in
   * etcd. For fault drills (`raftwire cluster`'s isolate control) and tests. Any state.
   */
  pause(): void {
    this.isPaused = true;
    for (const p of this.peers.values()) p.pause();
    for (const r of this.remotes.values()) r.pause();
  }

  /** etcd's Transport.Resume: undoes `pause`. Any state. */
  resume(): void {
    this.isPaused = false;
    for (const p of this.peers.values()) p.resume();
    for (const r of this.remotes.values()) r.resume();
  }

  /** True between `pause` and `resume`. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** When the peer last became active, or undefined while it is inactive or unknown. Any state. */
  activeSince(id: bigint): Date | undefined {
    const since = this.peers.get(id)?.status.since() ?? 0;
    return since === 0 ? undefined : new Date(since);
  }

  /** Number of peers currently active (0 before start and after stop). */
  activePeers(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.status.since() !== 0) n++;
    return n;
  }

  /** The link to every peer (not remotes), in the order they were added; empty when not running. */
  peerStatus(): PeerLinkStatus[] {
    const out: PeerLinkStatus[] = [];
    for (const p of this.peers.values()) {
      const since = p.status.since();
      out.push({
        id: p.id,
        active: p.status.isActive(),
        activeSince: since === 0 ? undefined : new Date(since),
        streams: p.streams(),
        rttMs: this.prober.rttMs(p.id),
        dropped: p.dropped,
      });
    }
    return out;
  }

  /** Internal access; see `transportInternals`. */
  [transportInternals](): TransportInternals {
    return { tls: this.#tls, peers: this.peers, remotes: this.remotes };
  }

  /**
   * Stops every peer and remote, the prober, every timer and every client socket, and ends every
   * stream response we serve; in-flight pipeline POSTs are cancelled and in-flight snapshot sends
   * fail with `RAFTWIRE_TRANSPORT_STOPPED`. Resolves when all of it is closed. Idempotent; allowed
   * before `start` (the transport then never starts).
   */
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
    if (!this.running) {
      throw new TransportError(
        TransportErrorCode.Stopped,
        this.stopped ? 'transport stopped' : 'transport not started',
      );
    }
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Rejects options no transport can run with. */
function checkOptions(o: TransportOptions): void {
  for (const [name, v] of [
    ['id', o.id],
    ['clusterId', o.clusterId],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX)
      throw new TransportError(
        TransportErrorCode.InvalidOption,
        `${name} must be a bigint in [0, 2^64), got ${String(v)}`,
      );
  }
  for (const [name, v] of [
    ['dialTimeoutMs', o.dialTimeoutMs],
    ['dialRetryPerSecond', o.dialRetryPerSecond],
    ['probeIntervalMs', o.probeIntervalMs],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new TransportError(
        TransportErrorCode.InvalidOption,
        `${name} must be a finite number >= 0, got ${v}`,
      );
  }
  const progress = o.snapshotProgressTimeoutMs;
  if (progress !== undefined && !(Number.isFinite(progress) && progress > 0))
    throw new TransportError(
      TransportErrorCode.InvalidOption,
      `snapshotProgressTimeoutMs must be a finite number > 0, got ${progress}`,
    );
}
