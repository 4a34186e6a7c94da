/**
 * etcd's peerStatus: whether a peer is active and since when. Every channel of the peer reports to
 * it; only transitions are logged and counted.
 */
import type { Logger } from '../logger/index.js';
import type { TransportMetrics } from './metrics.js';

/** Active/inactive state of one peer, shared by all its channels. */
export class PeerStatus {
  private active = false;
  private sinceMs = 0;
  private readonly local: string;
  private readonly peer: string;
  private readonly logger: Logger;
  private readonly metrics: TransportMetrics;
  private readonly now: () => number;

  constructor(local: string, peer: string, logger: Logger, metrics: TransportMetrics, now: () => number) {
    this.local = local;
    this.peer = peer;
    this.logger = logger;
    this.metrics = metrics;
    this.now = now;
  }

  isActive(): boolean {
    return this.active;
  }

  /** Time (ms since epoch) the peer last became active; 0 while inactive. */
  since(): number {
    return this.sinceMs;
  }

  activate(): void {
    if (this.active) return;
    this.logger.info({ 'remote-peer-id': this.peer }, 'peer became active');
    this.active = true;
    this.sinceMs = this.now();
    this.metrics.activePeers.inc({ Local: this.local, Remote: this.peer });
  }

  /** `source` is the channel (e.g. "stream Message"), `action` what failed ("dial", "write"…). */
  deactivate(source: string, action: string, reason: string): void {
    const msg = `failed to ${action} ${this.peer} on ${source} (${reason})`;
    if (this.active) {
      this.logger.warn(
        { 'remote-peer-id': this.peer, error: msg },
        'peer became inactive (message send to peer failed)',
      );
      this.active = false;
      this.sinceMs = 0;
      this.metrics.activePeers.dec({ Local: this.local, Remote: this.peer });
      this.metrics.disconnectedPeers.inc({ Local: this.local, Remote: this.peer });
      return;
    }
    this.logger.debug({ 'remote-peer-id': this.peer, error: msg }, 'peer deactivated again');
  }

  /** Stop: an active peer no longer counts in the active-peers gauge. */
  close(): void {
    if (this.active) {
      this.active = false;
      this.sinceMs = 0;
      this.metrics.activePeers.dec({ Local: this.local, Remote: this.peer });
    }
  }
}
