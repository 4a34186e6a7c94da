/** ConfState comparison (etcd's raftpb/confstate.go). */
import type { ConfState } from './types.js';

function sortedEqual(a: readonly bigint[], b: readonly bigint[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
  const y = [...b].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
  return x.every((v, i) => v === y[i]);
}

/** etcd's ConfState.Equivalent: same members (order-free) and same AutoLeave. */
export function confStatesEquivalent(a: ConfState, b: ConfState): boolean {
  return (
    sortedEqual(a.voters, b.voters) &&
    sortedEqual(a.learners, b.learners) &&
    sortedEqual(a.votersOutgoing, b.votersOutgoing) &&
    sortedEqual(a.learnersNext, b.learnersNext) &&
    a.autoLeave === b.autoLeave
  );
}
