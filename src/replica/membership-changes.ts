/**
 * Membership changes (etcd's rules): V1 conf changes whose context carries the member's peer
 * URLs and whose ID tracks the proposer's request; one change at a time; a removed ID can never
 * come back (refused when proposed, and turned into a no-op at apply on every member alike, as
 * etcd's ErrIDRemoved); learners promoted by the leader once caught up.
 */
import type { Logger } from '../logger/index.js';
import { type Node, StateType } from '../raft/index.js';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  formatId,
} from '../raftpb/index.js';
import type { Transport } from '../transport/index.js';
import { removedError } from './data-dir.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { decodeContext, encodeContext, type Membership } from './membership.js';
import { type Pending, trackRequest } from './pending.js';

/** A learner is promoted once its match reaches this share of the leader's last index (etcd's 90%). */
const LEARNER_READY_PERCENT = 0.9;
/** Progress state "replicate". */
const STATE_REPLICATE = 1;

/** What membership changes work with. */
export interface ConfHost {
  readonly id: bigint;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly members: Membership;
  /** IDs refused on the peer port. */
  readonly removedKnown: Set<bigint>;
  node(): Node;
  transport(): Transport;
  confState: ConfState;
  applied(): number;
  /** The error for a request made while the replica is not running, else undefined. */
  refusal(): ReplicaError | undefined;
  /** A new unique request ID. */
  nextId(): bigint;
  /** The applied membership changed. */
  changed(): void;
  /** This member was removed. */
  removedSelf(): void;
}

/** Proposes, applies and tracks membership changes. */
export class MembershipChanges {
  readonly #waits = new Map<bigint, Pending<void>>();
  #promoting: bigint | undefined;
  #promoteTimer: NodeJS.Timeout | undefined;

  constructor(private readonly h: ConfHost) {}

  /** Applies a committed conf change entry. */
  apply(e: Entry): void {
    const h = this.h;
    const data = e.data ?? new Uint8Array(0);
    if (e.type !== EntryType.EntryConfChange) {
      // raftwire proposes V1 only; a V2 entry (another tool) is applied to raft as is.
      h.confState = h.node().applyConfChange(decodeConfChangeV2(data));
      return;
    }
    const cc: ConfChange = decodeConfChange(data);
    const waiter = this.#waits.get(cc.id);
    if (waiter !== undefined) this.#waits.delete(cc.id);
    if (this.#promoting !== undefined && cc.nodeId === this.#promoting) this.#endPromotion();
    const adds =
      cc.type === ConfChangeType.ConfChangeAddNode || cc.type === ConfChangeType.ConfChangeAddLearnerNode;
    if (adds && h.members.removed.has(cc.nodeId)) {
      h.confState = h.node().applyConfChange({ ...cc, nodeId: 0n });
      waiter?.reject(removedError(cc.nodeId));
      return;
    }
    h.confState = h.node().applyConfChange(cc);
    const id = cc.nodeId;
    if (adds) {
      h.members.add(id, decodeContext(cc.context));
      const known = h.members.urls.get(id) ?? [];
      if (id !== h.id && known.length > 0) h.transport().addPeer(id, known);
    } else if (cc.type === ConfChangeType.ConfChangeRemoveNode) {
      h.members.remove(id);
      h.removedKnown.add(id);
      if (id !== h.id) h.transport().removePeer(id);
    }
    h.logger.info({ type: cc.type, 'member-id': formatId(id), index: e.index }, 'applied membership change');
    h.changed();
    waiter?.resolve();
    if (cc.type === ConfChangeType.ConfChangeRemoveNode && id === h.id) queueMicrotask(() => h.removedSelf());
  }

  /** True while a change is in flight (ours, a promotion, a joint config, or the leader's pending one). */
  pending(): boolean {
    const h = this.h;
    if (this.#waits.size > 0 || this.#promoting !== undefined) return true;
    if (h.confState.votersOutgoing.length > 0) return true;
    const r = h.node().rawNode.raft;
    return r.state === StateType.StateLeader && r.pendingConfIndex > h.applied();
  }

  /** Proposes one change; resolves once it is applied here. */
  propose(type: ConfChangeType, id: bigint, urls: string[] | undefined, signal?: AbortSignal): Promise<void> {
    const h = this.h;
    const refused = h.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    if (this.pending()) {
      return Promise.reject(
        new ReplicaError(
          ReplicaErrorCode.ConfChangePending,
          'a membership change is in progress; one change at a time',
        ),
      );
    }
    const ccId = h.nextId();
    const cc: ConfChange = {
      id: ccId,
      type,
      nodeId: id,
      context: urls === undefined ? undefined : encodeContext(urls),
    };
    const p: Pending<void> = trackRequest(
      h.timeoutMs,
      signal,
      () => this.#waits.delete(ccId),
      (stepSignal) => h.node().proposeConfChange(cc, { signal: stepSignal() }),
      () => h.refusal(),
    );
    this.#waits.set(ccId, p);
    return p.promise;
  }

  /** On the leader: promotes the first learner that caught up (one at a time). */
  maybePromote(): void {
    const h = this.h;
    const r = h.node().rawNode.raft;
    if (r.state !== StateType.StateLeader || h.confState.learners.length === 0 || this.pending()) return;
    const last = r.raftLog.lastIndex();
    for (const id of h.confState.learners) {
      const pr = r.trk.progress.get(id);
      if (pr === undefined || pr.state !== STATE_REPLICATE || pr.match < last * LEARNER_READY_PERCENT)
        continue;
      this.#promoting = id;
      h.logger.info({ 'member-id': formatId(id), match: pr.match, 'leader-last': last }, 'promoting learner');
      const cc: ConfChange = {
        id: h.nextId(),
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: id,
        context: undefined,
      };
      // Unmarked if it is not applied in time (lost with a leader change): a later tick retries.
      this.#promoteTimer = setTimeout(() => this.#endPromotion(), h.timeoutMs);
      h.node()
        .proposeConfChange(cc)
        .catch(() => this.#endPromotion());
      return;
    }
  }

  #endPromotion(): void {
    this.#promoting = undefined;
    if (this.#promoteTimer !== undefined) clearTimeout(this.#promoteTimer);
    this.#promoteTimer = undefined;
  }

  /** Rejects every waiting change and clears the promotion timer. */
  close(err: unknown): void {
    this.#endPromotion();
    for (const p of this.#waits.values()) p.reject(err);
    this.#waits.clear();
  }
}
