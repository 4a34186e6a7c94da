/** A deliberately naive committed-index computation (etcd's `alternativeMajorityCommittedIndex`). */
import { type AckedIndexer, INDEX_INFINITY, type MajorityConfig } from '../../../src/raft/quorum/index.js';

/** For every acked index, count the voters at or above it; the largest with a quorum wins. */
export function alternativeMajorityCommittedIndex(c: MajorityConfig, l: AckedIndexer): number {
  if (c.size === 0) return INDEX_INFINITY;
  const acked: number[] = [];
  for (const id of c) {
    const idx = l.ackedIndex(id);
    if (idx !== undefined) acked.push(idx);
  }
  const q = Math.floor(c.size / 2) + 1;
  let best = 0;
  for (const candidate of new Set(acked)) {
    const votes = acked.filter((idx) => idx >= candidate).length;
    if (votes >= q && candidate > best) best = candidate;
  }
  return best;
}
