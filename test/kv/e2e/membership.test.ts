/** Runtime membership through the admin API: a 4th member joins, a member is removed for good. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { ProcessCluster, until } from './process-cluster.js';

/** Dials a member's peer stream endpoint as member `from` would; resolves with the status code. */
function dialStream(peerPort: number, from: number, to: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: peerPort,
        path: `/raft/stream/message/${from.toString(16)}`,
        headers: {
          'X-Server-From': from.toString(16),
          'X-Raft-To': to.toString(16),
          'X-Etcd-Cluster-ID': '1000',
          'X-Server-Version': '3.4.23',
          'X-Min-Cluster-Version': '3.0.0',
        },
        agent: false,
        timeout: 5000,
      },
      (res) => {
        res.destroy();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

test('a 4th member added at runtime joins, catches up and becomes a voter; a removed member is refused', async (t) => {
  const cluster = new ProcessCluster(['--snapshot-count', '30']);
  t.after(() => cluster.close());
  await cluster.startAll(3);
  for (let i = 0; i < 60; i++)
    assert.equal((await cluster.req(1 + (i % 3), 'PUT', `/k-${i}`, { body: `${i}` })).status, 204);
  await cluster.define(4);
  const url4 = `http://127.0.0.1:${cluster.member(4).peerPort}`;
  const added = await cluster.req(2, 'POST', '/-/members', { body: JSON.stringify({ peerUrls: [url4] }) });
  assert.equal(added.status, 201, added.text);
  assert.deepEqual(JSON.parse(added.text), { id: '4', peerUrls: [url4] });
  cluster.start(4, { join: true });
  await until('member 4 serves every key', async () => {
    const r = await cluster.req(4, 'GET', '/k-59');
    return r.status === 200 && r.text === '59';
  });
  await until('member 4 is a voter', async () => {
    const members = JSON.parse((await cluster.req(1, 'GET', '/-/members')).text) as {
      members: Array<{ id: string; role: string }>;
    };
    return members.members.some((m) => m.id === '4' && m.role === 'voter');
  });
  assert.equal((await cluster.req(4, 'PUT', '/from-4', { body: 'x' })).status, 204);
  assert.equal((await cluster.req(1, 'GET', '/from-4')).text, 'x');

  // remove member 3 (through member 1); it stops, the rest keep going, its streams are refused
  const removed = await cluster.req(1, 'DELETE', '/-/members/3');
  assert.equal(removed.status, 204, removed.text);
  // applied on member 1 when DELETE answers; member 4 applies it a moment later
  await until('member 4 applied the removal', async () => {
    const list = JSON.parse((await cluster.req(4, 'GET', '/-/members')).text) as {
      members: Array<{ id: string }>;
    };
    return (
      list.members
        .map((m) => m.id)
        .sort()
        .join(',') === '1,2,4'
    );
  });
  await until('member 3 stopped', async () => (await cluster.status(3)) === undefined, 30_000);
  // it exits on its own (status 1: a fatal "member removed") once it learns of its removal
  await until('member 3 exited', async () => cluster.member(3).child?.exitCode !== null, 30_000);
  assert.equal(await cluster.kill(3), 1, cluster.member(3).output);
  await cluster.waitLeader(30_000, 3); // member 3 may have been the leader
  for (const id of [1, 2, 4]) assert.equal(await dialStream(cluster.member(id).peerPort, 3, id), 410);
  assert.equal((await cluster.req(2, 'PUT', '/after-removal', { body: 'y' })).status, 204);
  assert.equal((await cluster.req(4, 'GET', '/after-removal')).text, 'y');
  // the removed ID cannot come back
  const again = await cluster.req(1, 'POST', '/-/members', {
    body: JSON.stringify({ id: '3', peerUrls: [`http://127.0.0.1:${cluster.member(3).peerPort}`] }),
  });
  assert.equal(again.status, 409, again.text);
});
