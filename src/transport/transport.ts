/**
 * Transport: etcd 3.4.23's rafthttp.Transport. Owns the peers (streams + pipeline + snapshot
 * sender), the remotes (pipeline only), the probers, the HTTP clients and the HTTP handler.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Message } from '../raftpb/index.js';
import { TransportError, TransportErrorCode } from './errors.js';
import type { Raft, SnapshotMessage, TransportOptions } from './types.js';

/** A node:http request listener serving etcd's /raft endpoints. */
export type PeerRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Events of a Transport. `error` carries critical errors only (etcd's ErrorC), e.g. MemberRemovedError. */
export interface TransportEvents {
  error: [err: TransportError];
}

/**
 * etcd's rafthttp transport. `send` never blocks and never throws for a full queue: it drops with a
 * counter, a rate-limited warning and `reportUnreachable`, exactly where etcd drops.
 */
export class Transport extends EventEmitter<TransportEvents> {
  /** This member's ID. */
  readonly id: bigint;
  /** The cluster ID. */
  readonly clusterId: bigint;
  private readonly raft: Raft;
  private started = false;
  private stopped = false;

  constructor(options: TransportOptions) {
    super();
    this.id = options.id;
    this.clusterId = options.clusterId;
    this.raft = options.raft;
  }

  /** Prepares the HTTP clients and probers. Must precede every other call. */
  async start(): Promise<void> {
    if (this.stopped) throw new TransportError(TransportErrorCode.Stopped, 'transport stopped');
    this.started = true;
  }

  /** A node:http request listener for POST /raft, GET /raft/stream/…, POST /raft/snapshot, /raft/probing. */
  handler(): PeerRequestListener {
    return (_req, res) => {
      res.writeHead(404).end();
    };
  }

  /** Adds a peer (a full member): starts its streams, pipeline and snapshot sender. No-op if known. */
  addPeer(_id: bigint, _urls: string[]): void {
    this.assertRunning();
  }

  /** Stops and forgets a peer. */
  removePeer(_id: bigint): void {}

  /** Replaces a peer's URLs (open streams stay up). Unknown IDs are ignored. */
  updatePeer(_id: bigint, _urls: string[]): void {}

  /** Adds a remote: a pipeline-only helper to reach a member that is not (yet) a peer. */
  addRemote(_id: bigint, _urls: string[]): void {}

  /** Removes every peer. */
  removeAllPeers(): void {}

  /** Sends messages: never blocks, never throws for a full queue. `to == 0` and unknown targets are skipped. */
  send(_msgs: readonly Message[]): void {}

  /**
   * Sends a merged snapshot (MsgSnap + streamed database) over POST /raft/snapshot. Resolves true
   * when the peer accepted it (204), false otherwise; never rejects. raft is told through reportSnapshot.
   */
  async sendSnapshot(_m: SnapshotMessage): Promise<boolean> {
    return false;
  }

  /** When the peer last became active, or undefined while it is inactive or unknown. */
  activeSince(_id: bigint): Date | undefined {
    return undefined;
  }

  /** Number of peers currently active. */
  activePeers(): number {
    return 0;
  }

  /** Drops all outgoing messages and ignores incoming stream messages, for every peer (test hook). */
  pause(): void {}

  /** Undoes pause(). */
  resume(): void {}

  /** pause() for one peer and its remote. */
  cutPeer(_id: bigint): void {}

  /** resume() for one peer and its remote. */
  mendPeer(_id: bigint): void {}

  /** Stops every peer and remote, prober, timer and socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    void this.raft;
  }

  private assertRunning(): void {
    if (!this.started || this.stopped) {
      throw new TransportError(TransportErrorCode.Stopped, 'transport stopped or not started');
    }
  }
}
