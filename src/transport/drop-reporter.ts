/**
 * Counting and rate-limited logging of dropped messages: every drop bumps counters; a warning per
 * peer and channel is logged at most once per DROP_WARNING_INTERVAL_MS with the number suppressed.
 */
import type { Logger } from '../logger/index.js';
import { messageTypeName } from '../raftpb/index.js';
import { DROP_WARNING_INTERVAL_MS } from './constants.js';
import type { Channel, TransportMetrics } from './metrics.js';

/** Counts every dropped message and logs a rate-limited warning per peer and channel. */
export class DropReporter {
  private readonly logger: Logger;
  private readonly metrics: TransportMetrics;
  private readonly now: () => number;
  private readonly lastWarn = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, metrics: TransportMetrics, now: () => number) {
    this.logger = logger;
    this.metrics = metrics;
    this.now = now;
  }

  /**
   * Records one dropped message of `type` for `peer` (hex) on `channel`. `direction` picks the etcd
   * counter also bumped: sent failures {To} for 'send', received failures {From} for 'receive'.
   */
  drop(
    peer: string,
    channel: Channel,
    type: number,
    direction: 'send' | 'receive',
    active: boolean,
    msg: string,
  ): void {
    const typeName = messageTypeName(type);
    this.metrics.dropped.inc({ Peer: peer, Channel: channel, Type: typeName });
    if (direction === 'send') this.metrics.sentFailures.inc({ To: peer });
    else this.metrics.receivedFailures.inc({ From: peer });
    const key = `${peer}/${channel}`;
    const now = this.now();
    const last = this.lastWarn.get(key);
    if (last !== undefined && now - last.at < DROP_WARNING_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    this.lastWarn.set(key, { at: now, suppressed: 0 });
    this.logger.warn(
      {
        'message-type': typeName,
        'remote-peer-id': peer,
        'remote-peer-active': active,
        channel,
        'suppressed-since-last-warning': last?.suppressed ?? 0,
      },
      msg,
    );
  }
}
