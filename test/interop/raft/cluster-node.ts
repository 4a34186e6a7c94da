/**
 * What the mixed-cluster tests see of a member, whichever implementation runs it: the commands
 * of the Go raft-node harness and their TypeScript twins, and the same event stream.
 */
import type { NodeEvents } from './node-events.js';
import type { LoggedEntry } from './state-machine.js';

/** Which implementation runs a member. */
export type NodeKind = 'go' | 'ts';

/** An event of a member: leaderChanged {lead, term}, applied {index}, readState {index, rctx},
 * snapshotApplied {index}, removed {index}, ready, listening, fatal, exit. */
export interface NodeEvent {
  readonly ev: string;
  readonly [field: string]: unknown;
}

/** The member list handed to `start`. */
export interface MemberSpec {
  readonly id: bigint;
  readonly url: string;
}

/** The V1 conf changes the harnesses propose. */
export type ConfChangeKind = 'add' | 'addLearner' | 'remove';

/** One change of a ConfChangeV2; `url` (for adds) travels in the V2 context. */
export interface ConfChangeV2Item {
  readonly type: ConfChangeKind;
  readonly nodeId: bigint;
  readonly url?: string;
}

/** How a ConfChangeV2 uses joint consensus: etcd's ConfChangeTransition. */
export type ConfChangeTransitionKind = 'auto' | 'implicit' | 'explicit';

/** Options of `start`, the same for both kinds. */
export interface StartOptions {
  /** Every member of the cluster (this one included), for the transport and bootstrap. */
  readonly peers: readonly MemberSpec[];
  /** Join an existing cluster: start with an empty log instead of bootstrapping `peers`. */
  readonly join?: boolean;
  /** Milliseconds per tick (default 20). */
  readonly tickMs?: number;
  /** Election timeout in ticks (default 10; heartbeat is 1 tick). */
  readonly electionTick?: number;
  /** Snapshot every this many applied entries (0 = only on `compact`). */
  readonly snapCount?: number;
  /** Entries kept before an automatic snapshot's index when compacting. */
  readonly catchUp?: number;
  /** Two-phase elections (etcd's --pre-vote; default off as in etcd 3.4). */
  readonly preVote?: boolean;
  /** ReadIndex by leader lease (ReadOnlyLeaseBased) instead of a heartbeat round. */
  readonly leaseReads?: boolean;
  /** raftwire members only: asynchronous storage writes instead of Ready/Advance (Go ignores it). */
  readonly asyncStorageWrites?: boolean;
}

/** A member's status as reported by its harness. */
export interface MemberStatus {
  readonly lead: bigint;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly snapshotIndex: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The state machine's chain value at `applied` (hex). */
  readonly hash: string;
  readonly state: string;
  readonly voters: readonly bigint[];
  readonly learners: readonly bigint[];
  /** The outgoing voters while in a joint configuration (empty otherwise). */
  readonly votersOutgoing: readonly bigint[];
  readonly autoLeave: boolean;
}

/** The entries a member applied (since its last start or installed snapshot) and its chain value. */
export interface MemberLog {
  readonly entries: readonly LoggedEntry[];
  readonly applied: number;
  readonly hash: string;
}

/** One member, Go or TypeScript. */
export interface ClusterNode {
  readonly kind: NodeKind;
  readonly id: bigint;
  /** The peer URL (stable across restarts). */
  readonly url: string;
  readonly events: NodeEvents;
  start(opts: StartOptions): Promise<void>;
  /** Proposes each payload in order; resolves when raft accepted all of them. */
  propose(data: readonly Uint8Array[]): Promise<void>;
  /**
   * Proposes a V1 conf change: AddNode (also promotes a learner) or AddLearnerNode with the
   * member's URL as context, or RemoveNode.
   */
  proposeConfChange(type: ConfChangeKind, nodeId: bigint, context?: string): Promise<void>;
  /**
   * Proposes a ConfChangeV2: the changes, with the URLs of added members in its context as a JSON
   * object {id in hex: url}; no changes leaves a joint configuration.
   */
  proposeConfChangeV2(
    changes: readonly ConfChangeV2Item[],
    transition: ConfChangeTransitionKind,
  ): Promise<void>;
  transferLeader(transferee: bigint): Promise<void>;
  readIndex(rctx: Uint8Array): Promise<void>;
  campaign(): Promise<void>;
  status(): Promise<MemberStatus>;
  log(from?: number): Promise<MemberLog>;
  /** Snapshots at the applied index now and compacts, keeping `keep` entries before it. */
  compact(keep: number): Promise<number>;
  /** Isolates the member: its transport drops everything it sends and receives on streams. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
  /** Abrupt stop (SIGKILL for Go). Durable state survives for a restart. */
  kill(): Promise<void>;
}
