/**
 * Building blocks of the mixed-cluster scenarios: seeded proposals and the final entry-by-entry
 * comparison of every member's log.
 */
import assert from 'node:assert/strict';
import { formatId } from '../../../src/raftpb/index.js';
import { toHex } from '../../support/hex.js';
import { logDifferences, type MixedCluster, seededRandom } from './cluster.js';
import type { ClusterNode } from './cluster-node.js';

const BATCH = 100;

/**
 * Proposes `count` payloads through `node` in batches (each 8..72 seeded random bytes prefixed by
 * the proposer and sequence number, so every payload is unique), adding their hex to `into`.
 */
export async function proposeFrom(
  node: ClusterNode,
  count: number,
  seed: number,
  into: Set<string>,
): Promise<void> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i += BATCH) {
    const batch: Uint8Array[] = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      const tail = new Uint8Array(8 + Math.floor(random() * 64));
      for (let k = 0; k < tail.length; k++) tail[k] = Math.floor(random() * 256);
      const head = new TextEncoder().encode(`${node.kind}${formatId(node.id)}/${seed}/${j}:`);
      const data = new Uint8Array(head.length + tail.length);
      data.set(head);
      data.set(tail, head.length);
      into.add(toHex(data));
      batch.push(data);
    }
    await node.propose(batch);
  }
}

/**
 * Asserts the running members agree: same applied index, commit and state-machine chain value
 * (which covers the whole history, snapshots included), and every entry two members both applied
 * is identical in term, index, type and data. Returns the number of entries compared.
 */
export async function assertIdenticalLogs(c: MixedCluster): Promise<number> {
  const lead = await c.waitLeader();
  const st = await c.node(lead).status();
  await c.waitApplied(st.lastIndex);
  const all = await c.snapshotAll();
  const ref = all.find((m) => m.id === lead) ?? all[0];
  assert.ok(ref !== undefined);
  let compared = 0;
  for (const m of all) {
    const who: string = `${m.kind} ${formatId(m.id)} vs ${ref.kind} ${formatId(ref.id)}`;
    assert.equal(m.status.applied, ref.status.applied, `applied index, ${who}`);
    assert.equal(m.status.commit, ref.status.commit, `hard state commit, ${who}`);
    assert.equal(m.log.hash, ref.log.hash, `state machine chain value, ${who}`);
    // Each member's own record is contiguous up to its applied index.
    m.log.entries.forEach((e, i) => {
      assert.equal(
        e.index,
        (m.log.entries[0]?.index ?? 0) + i,
        `contiguous log of ${m.kind} ${formatId(m.id)}`,
      );
    });
    assert.equal(m.log.entries.at(-1)?.index ?? m.status.snapshotIndex, m.status.applied);
    assert.deepEqual(logDifferences(m.log.entries, ref.log.entries), [], who);
    const overlap = m.log.entries.filter((e) => e.index >= (ref.log.entries[0]?.index ?? Infinity)).length;
    compared += overlap;
  }
  return compared;
}
