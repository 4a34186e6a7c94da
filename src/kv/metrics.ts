/**
 * The service's Prometheus metrics (docs/kv.md#metrics): etcd's server names where etcd has one,
 * sampled from the host's status at scrape time, plus HTTP request counters. A metric the replica
 * host already registered under the same name in the same registry is left to it.
 */
import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import type { KvHost } from './host.js';

function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T | undefined {
  return registry.getSingleMetric(name) === undefined ? make() : undefined;
}

/** The kv service's metrics. */
export class KvMetrics {
  readonly registry: Registry;
  /** Proposals waiting for their outcome (etcd_server_proposals_pending). */
  pending = 0;
  readonly proposalsFailed: Counter | undefined;
  readonly leaderChanges: Counter | undefined;
  readonly httpRequests: Counter<'method' | 'code'>;
  readonly httpSeconds: Histogram<'method'>;

  constructor(host: KvHost, keys: () => number, registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const gauge = (name: string, help: string, sample: () => number): void => {
      reuse(
        registry,
        name,
        () =>
          new Gauge({
            name,
            help,
            registers,
            collect() {
              this.set(sample());
            },
          }),
      );
    };
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', () =>
      host.status().leader === undefined ? 0 : 1,
    );
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', () =>
      host.status().leader === host.id ? 1 : 0,
    );
    gauge(
      'etcd_server_proposals_committed_total',
      'The total number of consensus proposals committed.',
      () => host.status().commit,
    );
    gauge(
      'etcd_server_proposals_applied_total',
      'The total number of consensus proposals applied.',
      () => host.status().applied,
    );
    gauge(
      'etcd_server_proposals_pending',
      'The current number of pending proposals to commit.',
      () => this.pending,
    );
    gauge('etcd_server_id', 'Server or member ID in hexadecimal format. 1 for current member.', () => 1);
    gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', keys);
    this.proposalsFailed = reuse(
      registry,
      'etcd_server_proposals_failed_total',
      () =>
        new Counter({
          name: 'etcd_server_proposals_failed_total',
          help: 'The total number of failed proposals seen.',
          registers,
        }),
    );
    this.leaderChanges = reuse(
      registry,
      'etcd_server_leader_changes_seen_total',
      () =>
        new Counter({
          name: 'etcd_server_leader_changes_seen_total',
          help: 'The number of leader changes seen.',
          registers,
        }),
    );
    this.httpRequests =
      (registry.getSingleMetric('raftwire_http_requests_total') as Counter<'method' | 'code'> | undefined) ??
      new Counter({
        name: 'raftwire_http_requests_total',
        help: 'Client API requests answered, by method and status code.',
        labelNames: ['method', 'code'],
        registers,
      });
    this.httpSeconds =
      (registry.getSingleMetric('raftwire_http_request_duration_seconds') as
        | Histogram<'method'>
        | undefined) ??
      new Histogram({
        name: 'raftwire_http_request_duration_seconds',
        help: 'Client API request latency, by method.',
        labelNames: ['method'],
        buckets: [
          0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
        ],
        registers,
      });
  }
}
