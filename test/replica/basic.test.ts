import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestCluster, tempDir } from './helpers.js';

test('three replicas bootstrap, elect, and apply proposals made on the leader and on a follower', async (t) => {
  const { dir, cleanup } = await tempDir('basic');
  const c = new TestCluster(dir);
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  const ids = [1n, 2n, 3n];
  await Promise.all(ids.map((id) => c.start(id, ids)));
  const leader = await c.leader();
  const follower = ids.find((id) => id !== leader) as bigint;
  const r1 = await c.replicas.get(leader)?.propose(Buffer.from('on-leader'));
  const r2 = await c.replicas.get(follower)?.propose(Buffer.from('on-follower'));
  assert.ok(typeof r1 === 'number' && typeof r2 === 'number' && r2 > r1);
  assert.equal(c.machines.get(leader)?.values.get(r1), 'on-leader');
  assert.equal(c.machines.get(follower)?.values.get(r2), 'on-follower');
  // A read barrier on every member sees both writes applied.
  for (const id of ids) {
    const idx = await c.replicas.get(id)?.readBarrier();
    assert.ok((idx ?? 0) >= r2);
    assert.deepEqual(c.machines.get(id)?.list(), ['on-leader', 'on-follower']);
  }
  const st = c.replicas.get(leader)?.status();
  assert.equal(st?.role, 'leader');
  assert.equal(st?.members.length, 3);
  assert.equal(st?.progress.length, 3);
});
