/**
 * Mixed cluster of 2 Go members (etcd 3.4 raft + rafthttp) and 1 raftwire member over the real
 * wire: elections won by either side, replication from both sides, identical logs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MixedCluster } from './cluster.js';
import { assertIdenticalLogs, proposeFrom } from './scenarios.js';

test('2 Go + 1 raftwire: elections, replication from both sides, identical logs', async (t) => {
  const c = await MixedCluster.start(['go', 'go', 'ts'], {}, 0x2601);
  t.after(() => c.close());
  // raftwire wins the first election.
  await c.node(3n).campaign();
  assert.equal(await c.waitLeader(), 3n);
  const proposed = new Set<string>();
  await Promise.all([proposeFrom(c.node(1n), 500, 11, proposed), proposeFrom(c.node(3n), 500, 13, proposed)]);
  await c.waitConverged(proposed);
  await assertIdenticalLogs(c);
});
