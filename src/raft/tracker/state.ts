/** The flow-control states of a follower's Progress (etcd's `tracker.StateType`). */

/** How the leader replicates to a follower. */
export const ProgressStateType = {
  /** At most one MsgApp per heartbeat interval while the follower's log position is probed. */
  StateProbe: 0,
  /** Optimistic pipelining of MsgApps, bounded by the inflight window. */
  StateReplicate: 1,
  /** A snapshot is being sent; no MsgApp until it is acknowledged or reported. */
  StateSnapshot: 2,
} as const;
/** One of the {@link ProgressStateType} values. */
export type ProgressStateType = (typeof ProgressStateType)[keyof typeof ProgressStateType];

const names = ['StateProbe', 'StateReplicate', 'StateSnapshot'];

/** The Go name of a progress state (`StateProbe` …), as etcd prints it. */
export function progressStateName(s: ProgressStateType): string {
  return names[s] ?? `StateType(${s})`;
}
