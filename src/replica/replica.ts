/**
 * Replica: one member of a replicated state machine (skeleton; the implementation follows).
 */
import { EventEmitter } from 'node:events';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import type { ReplicaEvents, ReplicaOptions, ReplicaStatus } from './types.js';

/** Options of one request. */
export interface RequestOptions {
  /** Gives up waiting; see each method for the error. */
  signal?: AbortSignal;
}

/** One member of a replicated state machine. */
export class Replica<R> extends EventEmitter<ReplicaEvents> {
  /** This member's ID. */
  readonly id: bigint;
  /** The cluster ID. */
  readonly clusterId: bigint;
  /** The peer server's bound address. */
  readonly peerAddress: { host: string; port: number };

  private constructor(options: ReplicaOptions<R>) {
    super();
    this.id = options.id;
    this.clusterId = options.clusterId ?? 0x1000n;
    this.peerAddress = { host: '', port: 0 };
  }

  /** Listens, replays the data directory, and runs. */
  static async start<R>(options: ReplicaOptions<R>): Promise<Replica<R>> {
    return new Replica(options);
  }

  /** Proposes `data`; resolves with apply()'s result once committed and applied here. */
  propose(_data: Uint8Array, _options: RequestOptions = {}): Promise<R> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** ReadIndex: resolves with the read index once applied here. */
  readBarrier(_options: RequestOptions = {}): Promise<number> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** Adds a member as a learner (promoted automatically once caught up). */
  addMember(_id: bigint, _peerUrls: string[], _options: RequestOptions = {}): Promise<void> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** Promotes a learner to voter. */
  promote(_id: bigint, _options: RequestOptions = {}): Promise<void> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** Removes a member for good. */
  removeMember(_id: bigint, _options: RequestOptions = {}): Promise<void> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** Moves leadership to `to`. */
  transferLeadership(_to: bigint, _options: RequestOptions = {}): Promise<void> {
    return Promise.reject(new ReplicaError(ReplicaErrorCode.Closed, 'not implemented yet'));
  }

  /** The current status. */
  status(): ReplicaStatus {
    return {
      id: this.id,
      clusterId: this.clusterId,
      leader: undefined,
      leaderSince: null,
      role: 'follower',
      term: 0,
      commit: 0,
      applied: 0,
      snapshotIndex: 0,
      members: [],
      progress: [],
      peers: [],
    };
  }

  /** Rejects in-flight work, stops raft, syncs and closes the WAL, stops the transport. */
  async close(): Promise<void> {}
}
