/**
 * One key-value member: a raftwire/replica Replica over a KvStateMachine, and the client API on its
 * own port. What `raftwire node` runs; embeddable as it is.
 */
import { Registry } from 'prom-client';
import { type Logger, noopLogger } from '../logger/index.js';
import { Replica, type ReplicaOptions } from '../replica/index.js';
import type { KvHost } from './host.js';
import { KvServer, type KvServerTlsOptions } from './kv-server.js';
import { type KvApplyResult, KvStateMachine } from './state-machine.js';

/** Options of KvNode.start: the replica's options (without the state machine) and the client API's. */
export interface KvNodeOptions
  extends Omit<ReplicaOptions<KvApplyResult>, 'stateMachine' | 'registry' | 'logger'> {
  /** Client API port (0 picks one). */
  clientPort: number;
  /** Client API bind address; default all interfaces. */
  clientHost?: string;
  /** The client URL shown in /-/status. */
  clientUrl?: string;
  clientTls?: KvServerTlsOptions;
  /** Largest PUT body in bytes (default 1.5 MiB). */
  maxValueBytes?: number;
  /** Time limit of a write or linearizable read in ms (default 5000). */
  requestTimeoutMs?: number;
  /** Enables the supervisor-only endpoints (see KvServerOptions.supervisorToken). */
  supervisorToken?: string;
  logger?: Logger;
  registry?: Registry;
}

/** A running key-value member. */
export class KvNode {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly replica: Replica<KvApplyResult>,
    readonly store: KvStateMachine,
    readonly server: KvServer,
  ) {}

  /** Starts the replica (replaying its data directory), then the client API. */
  static async start(options: KvNodeOptions): Promise<KvNode> {
    const {
      clientPort,
      clientHost,
      clientUrl,
      clientTls,
      maxValueBytes,
      requestTimeoutMs,
      supervisorToken,
      logger = noopLogger,
      registry = new Registry(),
      ...replicaOptions
    } = options;
    const store = new KvStateMachine();
    const replica = await Replica.start<KvApplyResult>({
      ...replicaOptions,
      stateMachine: store,
      logger,
      registry,
    });
    const host: KvHost = replica;
    const server = new KvServer({
      host,
      store,
      registry,
      logger: logger.child({ component: 'kv' }),
      ...(clientUrl === undefined ? {} : { clientUrl }),
      ...(clientTls === undefined ? {} : { tls: clientTls }),
      ...(maxValueBytes === undefined ? {} : { maxValueBytes }),
      ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
      ...(supervisorToken === undefined ? {} : { supervisorToken }),
    });
    try {
      await server.listen(clientPort, clientHost);
    } catch (err) {
      await server.close().catch(() => {});
      await replica.close();
      throw err;
    }
    return new KvNode(replica, store, server);
  }

  /** Stops the client API, then the replica (in-flight writes finish or fail; the WAL is synced). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.server.close();
      await this.replica.close();
    })();
    return this.closing;
  }
}
