import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestCluster, tempDir, waitFor } from './helpers.js';

/** Every member applied each index at most once, and holds exactly the values acknowledged (in order). */
function checkExactlyOnce(c: TestCluster, acked: string[]): void {
  for (const [id, sm] of c.machines) {
    for (const [index, n] of sm.counts) assert.equal(n, 1, `member ${id} applied ${index} ${n} times`);
    assert.deepEqual(sm.list(), acked, `member ${id} state`);
  }
}

test('exactly-once apply across full-cluster restarts, with and without snapshots', async (t) => {
  const { dir, cleanup } = await tempDir('restart');
  const c = new TestCluster(dir, { snapshotCount: 7, snapshotCatchUpEntries: 3 });
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  const ids = [1n, 2n, 3n];
  const acked: string[] = [];
  for (let round = 0; round < 3; round++) {
    await Promise.all(ids.map((id) => c.start(id, ids)));
    const leader = await c.leader();
    for (let i = 0; i < 10; i++) {
      const via = ids[i % 3] as bigint;
      const v = `r${round}-${i}`;
      await c.replicas.get(via)?.propose(Buffer.from(v));
      acked.push(v);
    }
    // Every member has applied everything acknowledged (a barrier on each).
    for (const id of ids) await c.replicas.get(id)?.readBarrier();
    checkExactlyOnce(c, acked);
    assert.ok((c.replicas.get(leader)?.status().snapshotIndex ?? 0) > 0, 'a snapshot was taken');
    await c.closeAll();
  }
  // After the last restart the state came back from a snapshot plus the WAL tail.
  await Promise.all(ids.map((id) => c.start(id, ids)));
  await c.leader();
  for (const id of ids) await c.replicas.get(id)?.readBarrier();
  checkExactlyOnce(c, acked);
  await waitFor(() => [...c.machines.values()].every((m) => m.restores > 0), 5000, 'restores');
});
