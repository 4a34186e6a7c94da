/**
 * What the key-value service needs from its replica host: the subset of raftwire/replica's
 * `Replica<KvApplyResult>` it calls. A `Replica` satisfies it as it is; tests use an in-memory one.
 */
import type { KvApplyResult } from './state-machine.js';

/** A member as the host reports it. */
export interface KvMember {
  id: bigint;
  peerUrls: string[];
  role: 'voter' | 'learner';
}

/** The host's status: at least these fields (every other field is passed through to /-/status). */
export interface KvHostStatus {
  id: bigint;
  leader: bigint | undefined;
  term: number;
  commit: number;
  applied: number;
  members: KvMember[];
}

/** Leader-change events, as raftwire/replica emits them. */
export interface KvHostEvents {
  leader: [{ leader: bigint | undefined; term: number }];
}

/** The replica host the service runs on. */
export interface KvHost {
  readonly id: bigint;
  propose(data: Uint8Array, options?: { signal?: AbortSignal }): Promise<KvApplyResult>;
  readBarrier(options?: { signal?: AbortSignal }): Promise<number>;
  addMember(id: bigint, peerUrls: string[], options?: { signal?: AbortSignal }): Promise<void>;
  removeMember(id: bigint, options?: { signal?: AbortSignal }): Promise<void>;
  transferLeadership(to: bigint, options?: { signal?: AbortSignal }): Promise<void>;
  status(): KvHostStatus;
  /** Fault drill: cut this member off from its peers (the supervisor's isolate control). */
  isolate?(): void;
  /** Undoes isolate. */
  heal?(): void;
  on(event: 'leader', listener: (e: { leader: bigint | undefined; term: number }) => void): unknown;
  off(event: 'leader', listener: (e: { leader: bigint | undefined; term: number }) => void): unknown;
}
