/** The state the client API's route handlers share. */
import type { Logger } from '../logger/index.js';
import type { KvHost } from './host.js';
import type { KvMetrics } from './metrics.js';
import type { KvStateMachine } from './state-machine.js';

/** The request context the route handlers share. */
export interface KvContext {
  host: KvHost;
  store: KvStateMachine;
  metrics: KvMetrics;
  logger: Logger;
  requestTimeoutMs: number;
  clientUrl: string | undefined;
  /** Enables the supervisor-only endpoints (/-/supervised/*) for requests bearing it. */
  supervisorToken: string | undefined;
  /** Client requests answered since start (the status page's throughput and latency charts). */
  requests: RequestStats;
}

/** Answered client requests since start, as /-/status reports them under "requests". */
export interface RequestStats {
  /** Key reads answered (GET/HEAD of a key or a listing, any status but 5xx). */
  reads: number;
  /** Writes answered 2xx, 404 or 412 (PUT/DELETE that went through raft). */
  writes: number;
  /** Sum of those writes' latencies in ms (Δ/Δwrites is the mean commit latency). */
  writeMsTotal: number;
}
