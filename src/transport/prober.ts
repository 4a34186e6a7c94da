/**
 * etcd's peer prober: GET <url>/raft/probing every 4 s per peer through the pipeline client. Each
 * successful probe's round-trip time is observed into etcd_network_peer_round_trip_time_seconds
 * {To}, and feeds a smoothed RTT and clock-difference estimate; a monitor logs an unhealthy peer or
 * a clock difference above 1 s on etcd's cadence (5 s, then 30 s while healthy). Probes never
 * affect routing or peer activity. A failed probe moves to the peer's next URL.
 */
import {
  PROBE_CLOCK_DRIFT_WARN_MS,
  PROBE_STATUS_ERROR_INTERVAL_MS,
  PROBE_STATUS_MONITORING_INTERVAL_MS,
} from './constants.js';
import { describeError, type TransportContext } from './context.js';

interface Target {
  urls: string[];
  picked: number;
  srttMs: number;
  clockDiffMs: number;
  healthy: boolean;
  lastError: string;
  probeTimer: NodeJS.Timeout;
  monitorTimer: NodeJS.Timeout;
  abort: AbortController;
  inflight: boolean;
}

/** Probes every peer's /raft/probing on a fixed period. */
export class Prober {
  private readonly ctx: TransportContext;
  private readonly intervalMs: number;
  private readonly targets = new Map<bigint, Target>();

  constructor(ctx: TransportContext, intervalMs: number) {
    this.ctx = ctx;
    this.intervalMs = intervalMs;
  }

  /** Starts (or restarts, with new URLs) probing `id`. */
  add(id: bigint, urls: string[]): void {
    this.remove(id);
    if (this.intervalMs <= 0) return;
    const hex = id.toString(16);
    const t: Target = {
      urls,
      picked: 0,
      srttMs: 0,
      clockDiffMs: 0,
      healthy: true,
      lastError: '',
      abort: new AbortController(),
      inflight: false,
      probeTimer: setInterval(() => void this.probe(hex, t), this.intervalMs),
      monitorTimer: setTimeout(() => this.monitor(hex, t), PROBE_STATUS_ERROR_INTERVAL_MS),
    };
    this.targets.set(id, t);
    void this.probe(hex, t);
  }

  /** The smoothed probe round trip to `id` in ms, undefined before the first answer or when not probed. */
  rttMs(id: bigint): number | undefined {
    const srtt = this.targets.get(id)?.srttMs ?? 0;
    return srtt === 0 ? undefined : srtt;
  }

  remove(id: bigint): void {
    const t = this.targets.get(id);
    if (t === undefined) return;
    clearInterval(t.probeTimer);
    clearTimeout(t.monitorTimer);
    t.abort.abort();
    this.targets.delete(id);
  }

  stop(): void {
    for (const id of [...this.targets.keys()]) this.remove(id);
  }

  private async probe(hex: string, t: Target): Promise<void> {
    if (t.inflight || t.abort.signal.aborted) return;
    t.inflight = true;
    const url = t.urls[t.picked]!;
    const started = performance.now();
    try {
      const res = await this.ctx.pipelineClient.request({
        origin: url,
        path: '/raft/probing',
        method: 'GET',
        signal: t.abort.signal,
        headersTimeout: this.intervalMs,
        bodyTimeout: this.intervalMs,
      });
      const body = (await res.body.json()) as { OK?: unknown; Now?: unknown };
      if (res.statusCode !== 200 || body.OK !== true)
        throw new Error(`unexpected probe answer ${res.statusCode}`);
      const rttMs = performance.now() - started;
      t.srttMs = t.srttMs === 0 ? rttMs : 0.875 * t.srttMs + 0.125 * rttMs;
      const remoteNow = typeof body.Now === 'string' ? Date.parse(body.Now) : Number.NaN;
      if (!Number.isNaN(remoteNow)) t.clockDiffMs = this.ctx.now() - remoteNow - t.srttMs / 2;
      t.healthy = true;
      this.ctx.metrics.rttSeconds.observe({ To: hex }, rttMs / 1000);
    } catch (err) {
      if (t.abort.signal.aborted) return;
      t.healthy = false;
      t.lastError = describeError(err);
      t.picked = (t.picked + 1) % t.urls.length;
    } finally {
      t.inflight = false;
    }
  }

  private monitor(hex: string, t: Target): void {
    if (!t.healthy) {
      this.ctx.logger.warn(
        { 'remote-peer-id': hex, 'round-tripper-name': 'ROUND_TRIPPER_SNAPSHOT', error: t.lastError },
        'prober detected unhealthy status',
      );
    } else if (Math.abs(t.clockDiffMs) > PROBE_CLOCK_DRIFT_WARN_MS) {
      this.ctx.logger.warn(
        { 'remote-peer-id': hex, 'clock-drift-ms': Math.round(t.clockDiffMs), 'rtt-ms': t.srttMs },
        'prober found high clock drift',
      );
    }
    t.monitorTimer = setTimeout(
      () => this.monitor(hex, t),
      t.healthy ? PROBE_STATUS_MONITORING_INTERVAL_MS : PROBE_STATUS_ERROR_INTERVAL_MS,
    );
  }
}
