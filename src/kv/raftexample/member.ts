/**
 * A raftexample member: raftexample's key-value state machine on an InlineReplica (the replica
 * host that behaves on the wire and on disk as raftexample's raftNode), with raftexample's HTTP
 * API on the client port. What `raftwire node --compat raftexample` runs.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { type Logger, noopLogger } from '../../logger/index.js';
import { InlineReplica, type InlineReplicaOptions } from '../../replica/index.js';
import { RAFTEXAMPLE_RAFT_CONFIG, raftexampleDirs } from './config.js';
import { encodeKvEntry } from './gob-encode.js';
import { createRaftexampleHandler } from './http-api.js';
import { RawTargetConnection } from './raw-target.js';
import { RaftexampleStateMachine } from './state-machine.js';

/** Options of RaftexampleMember.start (raftexample's flags, plus what a test or embedder needs). */
export interface RaftexampleMemberOptions {
  /** `--id`: the raft ID. */
  id: bigint;
  /** `--cluster`: every initial member's peer URL, member i at position i−1. */
  cluster: readonly string[];
  /** `--port`: the client API port (all interfaces; 0 picks one). */
  port: number;
  /** `--join`: an empty log, no bootstrap (add the member with `POST /<id>` on a member first). */
  join?: boolean;
  /** Where `raftexample-<id>` and `raftexample-<id>-snap` live (raftexample: its working directory). */
  dir: string;
  /** How long a PUT/POST/DELETE waits for its entry to be applied here before 503 (default 10 000 ms). */
  requestTimeoutMs?: number;
  logger?: Logger;
  /** Overrides for tests only (timing, snapshot count); default raftexample's. */
  replica?: Partial<
    Pick<InlineReplicaOptions, 'raft' | 'snapshotCount' | 'snapshotCatchUpEntries' | 'walSegmentSizeBytes'>
  >;
}

/** A running raftexample member. */
export class RaftexampleMember {
  #closing: Promise<void> | undefined;

  private constructor(
    readonly replica: InlineReplica,
    readonly store: RaftexampleStateMachine,
    readonly server: Server,
    readonly listener: NetServer,
  ) {}

  /** The client API's bound port. */
  get port(): number {
    const a = this.listener.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Replays the data directories, joins the peers, then serves the client API. */
  static async start(o: RaftexampleMemberOptions): Promise<RaftexampleMember> {
    const logger = o.logger ?? noopLogger;
    const store = new RaftexampleStateMachine();
    const { walDir, snapDir } = raftexampleDirs(o.dir, o.id);
    const c = RAFTEXAMPLE_RAFT_CONFIG;
    const replica = await InlineReplica.start({
      id: o.id,
      clusterId: c.clusterId,
      peers: o.cluster.map((url, i) => ({ id: BigInt(i + 1), peerUrls: [url] })),
      join: o.join === true,
      walDir,
      snapDir,
      stateMachine: {
        apply: (e) => store.apply(e),
        snapshot: () => store.snapshot(),
        restore: (data) => store.restore([data]),
      },
      raft: {
        tickMs: c.tickMs,
        electionTicks: c.electionTicks,
        heartbeatTicks: c.heartbeatTicks,
        maxSizePerMsg: c.maxSizePerMsg,
        maxInflightMsgs: c.maxInflightMsgs,
        maxUncommittedEntriesSize: c.maxUncommittedEntriesSize,
        checkQuorum: c.checkQuorum,
        preVote: c.preVote,
        ...o.replica?.raft,
      },
      snapshotCount: o.replica?.snapshotCount ?? c.snapshotCount,
      snapshotCatchUpEntries: o.replica?.snapshotCatchUpEntries ?? c.snapshotCatchUpEntries,
      ...(o.replica?.walSegmentSizeBytes !== undefined
        ? { walSegmentSizeBytes: o.replica.walSegmentSizeBytes }
        : {}),
      logger,
    });
    const kvLogger = logger.child({ component: 'raftexample-api' });
    const handler = createRaftexampleHandler(
      {
        get: (key) => store.get(key),
        put: (key, value, { signal }) => replica.propose(encodeKvEntry(key, value), { signal }),
        proposeConfChange: (cc, { signal }) => replica.proposeConfChange(cc, { signal }),
      },
      {
        requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
        rawTargets: true,
        onBackendError: (error, method) =>
          kvLogger.warn(
            { method, error: error instanceof Error ? error.message : String(error) },
            'request failed',
          ),
      },
    );
    const server = createServer(handler);
    // Connections reach the HTTP server through RawTargetConnection, so that raw bytes past ASCII
    // in a request target are keys, as with Go's net/http.
    const listener = createNetServer((socket) => server.emit('connection', new RawTargetConnection(socket)));
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(o.port, () => {
          listener.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      await replica.close();
      throw e;
    }
    return new RaftexampleMember(replica, store, server, listener);
  }

  /** Stops the client API, then the replica. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = this.listener.listening
        ? new Promise<void>((resolve) => this.listener.close(() => resolve()))
        : Promise.resolve();
      this.server.closeAllConnections();
      await closed;
      await this.replica.close();
    })();
    return this.#closing;
  }
}
