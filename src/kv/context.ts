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
}
