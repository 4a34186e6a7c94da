/**
 * The apply loop: hands committed normal entries to the state machine in order, exactly once per
 * index, unwrapping the proposal envelope, and settles the proposals this replica made with the
 * state machine's result. Conf changes go to the replica's handler. A synchronous `apply` costs
 * no microtask per entry.
 */
import { FAILPOINTS_ON, failpointAsync } from '../failpoint/index.js';
import { type Entry, EntryType } from '../raftpb/index.js';
import { isEnvelope, ownSeq, payload, type Session } from './envelope.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import type { Pending } from './pending.js';
import type { StateMachine } from './types.js';

/** Applies committed entries and settles this replica's proposals. */
export class ApplyLoop<R> {
  /** The last applied index. */
  applied: number;
  /** This replica's proposals by sequence number. */
  readonly proposals = new Map<number, Pending<R>>();

  constructor(
    private readonly sm: StateMachine<R>,
    private readonly session: Session,
    private readonly onConfChange: (e: Entry) => void,
    applied: number,
  ) {
    this.applied = applied;
  }

  /**
   * Applies `entries` (skipping those at or below `applied`). A state machine failure is thrown
   * as a ReplicaError (STATE_MACHINE) with the cause; the entry counts as not applied.
   */
  async apply(entries: readonly Entry[], running: () => boolean): Promise<void> {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index <= this.applied) continue;
      if (!running()) return;
      if (e.type === EntryType.EntryNormal) {
        const d = e.data;
        if (d !== undefined && d.length > 0) {
          if (!isEnvelope(d)) {
            throw new ReplicaError(
              ReplicaErrorCode.CorruptDataDir,
              `entry ${e.index} is not a replica proposal (unknown envelope version ${d[0]})`,
            );
          }
          if (FAILPOINTS_ON) await failpointAsync('applyBeforeEntry');
          let result: R | Promise<R>;
          try {
            result = this.sm.apply({ index: e.index, term: e.term, data: payload(d) });
            if (result !== null && typeof (result as Promise<R>)?.then === 'function') result = await result;
          } catch (err) {
            throw new ReplicaError(
              ReplicaErrorCode.StateMachine,
              `state machine failed to apply entry ${e.index}: ${err instanceof Error ? err.message : String(err)}`,
              { cause: err },
            );
          }
          this.applied = e.index;
          if (FAILPOINTS_ON) await failpointAsync('applyAfterEntry');
          const seq = ownSeq(this.session, d);
          if (seq >= 0) {
            const p = this.proposals.get(seq);
            if (p !== undefined) {
              this.proposals.delete(seq);
              p.resolve(result as R);
            }
          }
          continue;
        }
      } else {
        this.onConfChange(e);
      }
      this.applied = e.index;
    }
  }

  /** Rejects every proposal waiting here. */
  rejectAll(err: unknown): void {
    const ps = [...this.proposals.values()];
    this.proposals.clear();
    for (const p of ps) p.reject(err);
  }
}
