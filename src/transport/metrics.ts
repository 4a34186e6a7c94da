/**
 * etcd's etcd_network_* metrics (names, labels and buckets of etcd 3.4.23 rafthttp/metrics.go) in an
 * injected prom-client Registry, plus raftwire's per-peer, per-channel drop counters and queue-depth
 * gauges. Several transports may share one registry: metrics are registered once and reused.
 */
import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';

/** A channel name as used in logs, drop counters and queue gauges (etcd's names). */
export type Channel = 'streamMsgAppV2' | 'streamMsg' | 'pipeline' | 'sendMsgSnap' | 'recvMsg' | 'recvProp';

/** Something whose queue depth the gauge samples at scrape time (no cost on the hot path). */
export interface QueueDepthSource {
  queueDepths(): Iterable<[peer: string, channel: Channel, depth: number]>;
}

function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The transport's metrics. */
export class TransportMetrics {
  readonly registry: Registry;
  readonly activePeers: Gauge<'Local' | 'Remote'>;
  readonly disconnectedPeers: Counter<'Local' | 'Remote'>;
  readonly sentBytes: Counter<'To'>;
  readonly receivedBytes: Counter<'From'>;
  readonly sentFailures: Counter<'To'>;
  readonly receivedFailures: Counter<'From'>;
  readonly snapshotSend: Counter<'To'>;
  readonly snapshotSendInflights: Gauge<'To'>;
  readonly snapshotSendFailures: Counter<'To'>;
  readonly snapshotSendSeconds: Histogram<'To'>;
  readonly snapshotReceive: Counter<'From'>;
  readonly snapshotReceiveInflights: Gauge<'From'>;
  readonly snapshotReceiveFailures: Counter<'From'>;
  readonly snapshotReceiveSeconds: Histogram<'From'>;
  readonly rttSeconds: Histogram<'To'>;
  /** raftwire: messages dropped per peer, channel and message type. */
  readonly dropped: Counter<'Peer' | 'Channel' | 'Type'>;
  /** raftwire: messages waiting per peer and channel, sampled at scrape time. */
  readonly queueDepth: Gauge<'Peer' | 'Channel'>;
  private readonly sources = new Set<QueueDepthSource>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const snapBuckets = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2];
    const rttBuckets = Array.from({ length: 16 }, (_, k) => 0.0001 * 2 ** k);
    this.activePeers = reuse(
      registry,
      'etcd_network_active_peers',
      () =>
        new Gauge({
          name: 'etcd_network_active_peers',
          help: 'The current number of active peer connections.',
          labelNames: ['Local', 'Remote'],
          registers,
        }),
    );
    this.disconnectedPeers = reuse(
      registry,
      'etcd_network_disconnected_peers_total',
      () =>
        new Counter({
          name: 'etcd_network_disconnected_peers_total',
          help: 'The total number of disconnected peers.',
          labelNames: ['Local', 'Remote'],
          registers,
        }),
    );
    this.sentBytes = reuse(
      registry,
      'etcd_network_peer_sent_bytes_total',
      () =>
        new Counter({
          name: 'etcd_network_peer_sent_bytes_total',
          help: 'The total number of bytes sent to peers.',
          labelNames: ['To'],
          registers,
        }),
    );
    this.receivedBytes = reuse(
      registry,
      'etcd_network_peer_received_bytes_total',
      () =>
        new Counter({
          name: 'etcd_network_peer_received_bytes_total',
          help: 'The total number of bytes received from peers.',
          labelNames: ['From'],
          registers,
        }),
    );
    this.sentFailures = reuse(
      registry,
      'etcd_network_peer_sent_failures_total',
      () =>
        new Counter({
          name: 'etcd_network_peer_sent_failures_total',
          help: 'The total number of send failures from peers.',
          labelNames: ['To'],
          registers,
        }),
    );
    this.receivedFailures = reuse(
      registry,
      'etcd_network_peer_received_failures_total',
      () =>
        new Counter({
          name: 'etcd_network_peer_received_failures_total',
          help: 'The total number of receive failures from peers.',
          labelNames: ['From'],
          registers,
        }),
    );
    this.snapshotSend = reuse(
      registry,
      'etcd_network_snapshot_send_success',
      () =>
        new Counter({
          name: 'etcd_network_snapshot_send_success',
          help: 'Total number of successful snapshot sends',
          labelNames: ['To'],
          registers,
        }),
    );
    this.snapshotSendInflights = reuse(
      registry,
      'etcd_network_snapshot_send_inflights_total',
      () =>
        new Gauge({
          name: 'etcd_network_snapshot_send_inflights_total',
          help: 'Total number of inflight snapshot sends',
          labelNames: ['To'],
          registers,
        }),
    );
    this.snapshotSendFailures = reuse(
      registry,
      'etcd_network_snapshot_send_failures',
      () =>
        new Counter({
          name: 'etcd_network_snapshot_send_failures',
          help: 'Total number of snapshot send failures',
          labelNames: ['To'],
          registers,
        }),
    );
    this.snapshotSendSeconds = reuse(
      registry,
      'etcd_network_snapshot_send_total_duration_seconds',
      () =>
        new Histogram({
          name: 'etcd_network_snapshot_send_total_duration_seconds',
          help: 'Total latency distributions of v3 snapshot sends',
          labelNames: ['To'],
          buckets: snapBuckets,
          registers,
        }),
    );
    this.snapshotReceive = reuse(
      registry,
      'etcd_network_snapshot_receive_success',
      () =>
        new Counter({
          name: 'etcd_network_snapshot_receive_success',
          help: 'Total number of successful snapshot receives',
          labelNames: ['From'],
          registers,
        }),
    );
    this.snapshotReceiveInflights = reuse(
      registry,
      'etcd_network_snapshot_receive_inflights_total',
      () =>
        new Gauge({
          name: 'etcd_network_snapshot_receive_inflights_total',
          help: 'Total number of inflight snapshot receives',
          labelNames: ['From'],
          registers,
        }),
    );
    this.snapshotReceiveFailures = reuse(
      registry,
      'etcd_network_snapshot_receive_failures',
      () =>
        new Counter({
          name: 'etcd_network_snapshot_receive_failures',
          help: 'Total number of snapshot receive failures',
          labelNames: ['From'],
          registers,
        }),
    );
    this.snapshotReceiveSeconds = reuse(
      registry,
      'etcd_network_snapshot_receive_total_duration_seconds',
      () =>
        new Histogram({
          name: 'etcd_network_snapshot_receive_total_duration_seconds',
          help: 'Total latency distributions of v3 snapshot receives',
          labelNames: ['From'],
          buckets: snapBuckets,
          registers,
        }),
    );
    this.rttSeconds = reuse(
      registry,
      'etcd_network_peer_round_trip_time_seconds',
      () =>
        new Histogram({
          name: 'etcd_network_peer_round_trip_time_seconds',
          help: 'Round-Trip-Time histogram between peers',
          labelNames: ['To'],
          buckets: rttBuckets,
          registers,
        }),
    );
    this.dropped = reuse(
      registry,
      'raftwire_network_peer_dropped_messages_total',
      () =>
        new Counter({
          name: 'raftwire_network_peer_dropped_messages_total',
          help: 'Messages dropped because a queue was full, per peer, channel and message type.',
          labelNames: ['Peer', 'Channel', 'Type'],
          registers,
        }),
    );
    const sources = this.sources;
    // A shared registry keeps the first gauge; every transport adds its queues to that gauge's sources.
    const existing = registry.getSingleMetric('raftwire_network_peer_queue_depth') as
      | (Gauge<'Peer' | 'Channel'> & { raftwireSources?: Set<QueueDepthSource> })
      | undefined;
    if (existing?.raftwireSources !== undefined) {
      this.queueDepth = existing;
      this.sources = existing.raftwireSources;
    } else {
      const gauge = new Gauge({
        name: 'raftwire_network_peer_queue_depth',
        help: 'Messages waiting in a per-peer queue, per channel (sampled when scraped).',
        labelNames: ['Peer', 'Channel'],
        registers,
        collect() {
          this.reset();
          for (const s of sources)
            for (const [peer, channel, depth] of s.queueDepths())
              this.set({ Peer: peer, Channel: channel }, depth);
        },
      }) as Gauge<'Peer' | 'Channel'> & { raftwireSources?: Set<QueueDepthSource> };
      gauge.raftwireSources = sources;
      this.queueDepth = gauge;
    }
  }

  /** Samples `source`'s queues whenever the registry is scraped. */
  addQueueSource(source: QueueDepthSource): void {
    this.sources.add(source);
  }

  removeQueueSource(source: QueueDepthSource): void {
    this.sources.delete(source);
  }
}
