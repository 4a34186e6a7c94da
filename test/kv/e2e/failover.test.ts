/** Killed members rejoin: a follower by snapshot after compaction, and a leader. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessCluster, until } from './process-cluster.js';

test('a killed follower rejoins by snapshot after the log was compacted past it', async (t) => {
  const cluster = new ProcessCluster(['--snapshot-count', '20', '--snapshot-catch-up-entries', '10']);
  t.after(() => cluster.close());
  await cluster.startAll(3);
  const leader = await cluster.waitLeader();
  const follower = [1, 2, 3].find((id) => id !== leader) as number;
  const other = [1, 2, 3].find((id) => id !== leader && id !== follower) as number;
  assert.equal((await cluster.req(leader, 'PUT', '/before', { body: 'b' })).status, 204);
  await cluster.kill(follower);
  // Far more than snapshot-count + the catch-up tail would keep: the leader must send a snapshot.
  for (let i = 0; i < 300; i++) {
    const put = await cluster.req(i % 2 === 0 ? leader : other, 'PUT', `/during-${i}`, { body: `v${i}` });
    assert.equal(put.status, 204, put.text);
  }
  cluster.start(follower);
  await until(`member ${follower} catches up`, async () => {
    const r = await cluster.req(follower, 'GET', '/during-299?serializable');
    return r.status === 200 && r.text === 'v299';
  });
  for (const i of [0, 57, 150, 298]) {
    assert.equal((await cluster.req(follower, 'GET', `/during-${i}?serializable`)).text, `v${i}`);
  }
  assert.equal((await cluster.req(follower, 'GET', '/before?serializable')).text, 'b');
  const metrics = (await cluster.req(follower, 'GET', '/-/metrics')).text;
  assert.match(
    metrics,
    /^etcd_network_snapshot_receive_success\{From="[0-9a-f]+"\} [1-9]/m,
    'installed a snapshot',
  );
  // and it serves linearizable reads and writes again
  assert.equal((await cluster.req(follower, 'PUT', '/after', { body: 'a' })).status, 204);
  assert.equal((await cluster.req(leader, 'GET', '/after')).text, 'a');
});

test('a killed leader: the others elect a new one, keep every acknowledged write, and the old leader rejoins', async (t) => {
  const cluster = new ProcessCluster(['--snapshot-count', '50']);
  t.after(() => cluster.close());
  await cluster.startAll(3);
  const leader = await cluster.waitLeader();
  for (let i = 0; i < 40; i++)
    assert.equal((await cluster.req(leader, 'PUT', `/a-${i}`, { body: `${i}` })).status, 204);
  await cluster.kill(leader);
  const next = await cluster.waitLeader(30_000, leader);
  const survivor = [1, 2, 3].find((id) => id !== leader && id !== next) as number;
  for (let i = 0; i < 40; i++) assert.equal((await cluster.req(survivor, 'GET', `/a-${i}`)).text, `${i}`);
  for (let i = 0; i < 40; i++)
    assert.equal((await cluster.req(survivor, 'PUT', `/b-${i}`, { body: `${i}` })).status, 204);
  cluster.start(leader);
  await until(`old leader ${leader} catches up`, async () => {
    const r = await cluster.req(leader, 'GET', '/b-39?serializable');
    return r.status === 200 && r.text === '39';
  });
  assert.equal((await cluster.req(leader, 'GET', '/a-0')).text, '0');
  assert.equal(await cluster.waitLeader(), next, 'the old leader rejoins as a follower');
});
