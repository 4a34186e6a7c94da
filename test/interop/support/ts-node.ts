/**
 * One raftwire Transport in this test process, served on its own loopback port, with a raft that
 * records every callback, counters of what its HTTP server served, and cleanup when the test ends.
 */

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { Message } from '../../../src/raftpb/index.js';
import { Snapshotter } from '../../../src/snap/index.js';
import {
  createPeerServer,
  type Raft,
  type SnapshotStatus,
  Transport,
  type TransportError,
  type TransportOptions,
} from '../../../src/transport/index.js';
import { captureLogger, type LogLine } from './capture-logger.js';
import type { TestLeaf } from './certs.js';
import { EventLog } from './event-log.js';
import { messageHex } from './messages.js';

/** A message the TS raft received, with its encoding captured at the moment of `process`. */
export interface TsReceived {
  readonly message: Message;
  readonly hex: string;
}

/** A raft that records every transport callback. */
export class RecordingRaft implements Raft {
  readonly received = new EventLog<TsReceived>();
  readonly unreachable = new EventLog<bigint>();
  readonly snapshots = new EventLog<{ readonly id: bigint; readonly status: SnapshotStatus }>();
  /** IDs `isIdRemoved` reports as removed. */
  readonly removed = new Set<bigint>();

  process(m: Message): Promise<void> {
    // Encode now: entry data may be a view into a buffer the transport reuses later.
    this.received.push({ message: m, hex: messageHex(m) });
    return Promise.resolve();
  }
  isIdRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }
  reportUnreachable(id: bigint): void {
    this.unreachable.push(id);
  }
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    this.snapshots.push({ id, status });
  }
}

/** How to start a TS node. */
export interface TsNodeOptions {
  readonly id: bigint;
  /** Default 0x1000. */
  readonly clusterId?: bigint;
  /** Port to bind (to restart a node on its old address); default ephemeral. */
  readonly port?: number;
  readonly tls?: TestLeaf;
  /** With `tls`: the CN a client certificate must carry (etcd --peer-cert-allowed-cn). */
  readonly allowedCN?: string;
  /** Answer stream GETs with a plain 404, so peers reach this node only through the pipeline. */
  readonly refuseStreams?: boolean;
  readonly snapDir?: string;
  /** Announce the node's own URL (Transport `urls`, sent to peers as X-PeerURLs). */
  readonly advertise?: boolean;
  /** Extra Transport options. */
  readonly transport?: Partial<TransportOptions>;
}

/** What the node's HTTP server served. */
export interface TsServerStats {
  posts: number;
  snapshotPosts: number;
  msgappGets: number;
  messageGets: number;
  refusedGets: number;
}

/** A started TS transport with its server. */
export class TsNode {
  readonly raft = new RecordingRaft();
  /** Every line the transport and its peer server logged. */
  readonly logs = new EventLog<LogLine>();
  private readonly logger = captureLogger(this.logs);
  /** Critical errors the transport emitted ('error' events, etcd's ErrorC). */
  readonly errors = new EventLog<TransportError>();
  readonly stats: TsServerStats = {
    posts: 0,
    snapshotPosts: 0,
    msgappGets: 0,
    messageGets: 0,
    refusedGets: 0,
  };
  /** The transport (created by `start`). */
  transport!: Transport;
  readonly id: bigint;
  /** Status of every stream GET this node answered that has ended (accepted streams end on close). */
  readonly streamStatuses: number[] = [];
  private readonly streamSockets = { msgapp: new Map<Socket, number>(), message: new Map<Socket, number>() };
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private stopped = false;
  private refuse: boolean;
  url = '';
  port = 0;

  private constructor(private readonly opts: TsNodeOptions) {
    this.id = opts.id;
    this.refuse = opts.refuseStreams ?? false;
  }

  /** Creates the transport once the node's own URL is known (for `advertise`). */
  private createTransport(): Transport {
    const opts = this.opts;
    const tls = opts.tls
      ? {
          tls: {
            cert: readFileSync(opts.tls.cert),
            key: readFileSync(opts.tls.key),
            ca: readFileSync(opts.tls.ca),
            clientCertAuth: true,
            ...(opts.allowedCN === undefined ? {} : { allowedCN: opts.allowedCN }),
          },
        }
      : {};
    const tr = new Transport({
      id: opts.id,
      clusterId: opts.clusterId ?? 0x1000n,
      raft: this.raft,
      ...tls,
      ...(opts.snapDir === undefined ? {} : { snapshotter: new Snapshotter(opts.snapDir) }),
      ...(opts.advertise ? { urls: [this.url] } : {}),
      logger: this.logger,
      ...opts.transport,
    });
    tr.on('error', (err) => this.errors.push(err));
    return tr;
  }

  /** Starts a node; it is stopped when the test `t` ends. */
  static async start(t: TestContext, opts: TsNodeOptions): Promise<TsNode> {
    const node = new TsNode(opts);
    t.after(() => node.stop());
    await node.listen();
    return node;
  }

  /**
   * Serves the transport through raftwire's own `createPeerServer` (its TLS posture included),
   * with a counting wrapper as the request listener. With `advertise`, the port must be known
   * before the transport exists, so a plain node:http server is used instead.
   */
  private async listen(): Promise<void> {
    const o = this.opts;
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      const path = req.url ?? '';
      if (path.startsWith('/raft/stream/')) {
        if (this.refuse) {
          this.stats.refusedGets++;
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
          return;
        }
        const kind = path.startsWith('/raft/stream/msgapp/') ? 'msgapp' : 'message';
        if (kind === 'msgapp') this.stats.msgappGets++;
        else this.stats.messageGets++;
        this.streamSockets[kind].set(req.socket, req.socket.bytesWritten);
        res.once('close', () => this.streamStatuses.push(res.statusCode));
      } else if (path === '/raft/snapshot') {
        this.stats.snapshotPosts++;
      } else if (path === '/raft' && req.method === 'POST') {
        this.stats.posts++;
      }
      if (handler === undefined) res.writeHead(503).end();
      else handler(req, res);
    };
    let server: Server;
    if (o.advertise) {
      if (o.tls) throw new Error('TsNode: advertise is for plain http only');
      server = createServer(listener);
    } else {
      this.transport = this.createTransport();
      this.transport.start();
      handler = this.transport.handler();
      server = createPeerServer(this.transport, { logger: this.logger });
      server.removeAllListeners('request');
      server.on('request', listener);
    }
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.url = `${o.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
    if (o.advertise) {
      this.transport = this.createTransport();
      this.transport.start();
      handler = this.transport.handler();
    }
  }

  /** Bytes this node's server wrote on each stream type's responses (its messages to peers). */
  streamBytes(): { msgapp: number; message: number } {
    const sum = (m: Map<Socket, number>): number => {
      let n = 0;
      for (const [s, start] of m) n += s.bytesWritten - start;
      return n;
    };
    return { msgapp: sum(this.streamSockets.msgapp), message: sum(this.streamSockets.message) };
  }

  /** Starts or stops refusing stream GETs. */
  refuseStreams(on: boolean): void {
    this.refuse = on;
  }

  /** Stops the transport and the server, destroying every connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.transport?.stop();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
