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

/**
 * The metric called `config.name` in `registry`: the one already registered there (several
 * transports may share a registry), else a new `Kind` registered in it. The name is spelled once.
 */
function reuse<C extends { name: string }, T extends Metric>(
  registry: Registry,
  Kind: new (config: C & { registers: Registry[] }) => T,
  config: C,
): T {
  return (
    (registry.getSingleMetric(config.name) as T | undefined) ?? new Kind({ ...config, registers: [registry] })
  );
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
    const snapBuckets = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2];
    const rttBuckets = Array.from({ length: 16 }, (_, k) => 0.0001 * 2 ** k);
    this.activePeers = reuse(registry, Gauge, {
      name: 'etcd_network_active_peers',
      help: 'The current number of active peer connections.',
      labelNames: ['Local', 'Remote'],
    });
    this.disconnectedPeers = reuse(registry, Counter, {
      name: 'etcd_network_disconnected_peers_total',
      help: 'The total number of disconnected peers.',
      labelNames: ['Local', 'Remote'],
    });
    this.sentBytes = reuse(registry, Counter, {
      name: 'etcd_network_peer_sent_bytes_total',
      help: 'The total number of bytes sent to peers.',
      labelNames: ['To'],
    });
    this.receivedBytes = reuse(registry, Counter, {
      name: 'etcd_network_peer_received_bytes_total',
      help: 'The total number of bytes received from peers.',
      labelNames: ['From'],
    });
    this.sentFailures = reuse(registry, Counter, {
      name: 'etcd_network_peer_sent_failures_total',
      help: 'The total number of send failures from peers.',
      labelNames: ['To'],
    });
    this.receivedFailures = reuse(registry, Counter, {
      name: 'etcd_network_peer_received_failures_total',
      help: 'The total number of receive failures from peers.',
      labelNames: ['From'],
    });
    this.snapshotSend = reuse(registry, Counter, {
      name: 'etcd_network_snapshot_send_success',
      help: 'Total number of successful snapshot sends',
      labelNames: ['To'],
    });
    this.snapshotSendInflights = reuse(registry, Gauge, {
      name: 'etcd_network_snapshot_send_inflights_total',
      help: 'Total number of inflight snapshot sends',
      labelNames: ['To'],
    });
    this.snapshotSendFailures = reuse(registry, Counter, {
      name: 'etcd_network_snapshot_send_failures',
      help: 'Total number of snapshot send failures',
      labelNames: ['To'],
    });
    this.snapshotSendSeconds = reuse(registry, Histogram, {
      name: 'etcd_network_snapshot_send_total_duration_seconds',
      help: 'Total latency distributions of v3 snapshot sends',
      labelNames: ['To'],
      buckets: snapBuckets,
    });
    this.snapshotReceive = reuse(registry, Counter, {
      name: 'etcd_network_snapshot_receive_success',
      help: 'Total number of successful snapshot receives',
      labelNames: ['From'],
    });
    this.snapshotReceiveInflights = reuse(registry, Gauge, {
      name: 'etcd_network_snapshot_receive_inflights_total',
      help: 'Total number of inflight snapshot receives',
      labelNames: ['From'],
    });
    this.snapshotReceiveFailures = reuse(registry, Counter, {
      name: 'etcd_network_snapshot_receive_failures',
      help: 'Total number of snapshot receive failures',
      labelNames: ['From'],
    });
    this.snapshotReceiveSeconds = reuse(registry, Histogram, {
      name: 'etcd_network_snapshot_receive_total_duration_seconds',
      help: 'Total latency distributions of v3 snapshot receives',
      labelNames: ['From'],
      buckets: snapBuckets,
    });
    this.rttSeconds = reuse(registry, Histogram, {
      name: 'etcd_network_peer_round_trip_time_seconds',
      help: 'Round-Trip-Time histogram between peers',
      labelNames: ['To'],
      buckets: rttBuckets,
    });
    this.dropped = reuse(registry, Counter, {
      name: 'raftwire_network_peer_dropped_messages_total',
      help: 'Messages dropped because a queue was full, per peer, channel and message type.',
      labelNames: ['Peer', 'Channel', 'Type'],
    });
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
        registers: [registry],
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
