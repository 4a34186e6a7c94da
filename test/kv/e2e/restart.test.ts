/** A full-cluster crash (SIGKILL of every member) loses nothing that was acknowledged. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessCluster } from './process-cluster.js';

test('a full-cluster SIGKILL and restart from disk loses no acknowledged write', async (t) => {
  const cluster = new ProcessCluster(['--snapshot-count', '100']);
  t.after(() => cluster.close());
  await cluster.startAll(3);
  const acknowledged = new Map<string, string>();
  let stop = false;
  // 8 writers on all members; the crash hits while writes are in flight.
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      const key = `/w${w}-${i}`;
      try {
        const r = await cluster.req((w % 3) + 1, 'PUT', key, { body: `${w}:${i}` });
        if (r.status === 204) acknowledged.set(key, `${w}:${i}`);
      } catch {
        return; // the member died mid-request: the outcome of this one is unknown
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await Promise.all([1, 2, 3].map((id) => cluster.kill(id)));
  stop = true;
  await Promise.all(writers);
  assert.ok(acknowledged.size > 50, `only ${acknowledged.size} writes were acknowledged`);
  for (const id of [1, 2, 3]) cluster.start(id);
  await cluster.waitLeader();
  for (const [key, value] of acknowledged) {
    const r = await cluster.req(1 + (key.length % 3), 'GET', key);
    assert.equal(r.status, 200, `${key} lost after restart`);
    assert.equal(r.text, value);
  }
});

test('SIGTERM closes a member gracefully (exit 0), and it restarts from its directory', async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  await cluster.startAll(3);
  assert.equal((await cluster.req(1, 'PUT', '/x', { body: '1' })).status, 204);
  assert.equal(await cluster.kill(2, 'SIGTERM'), 0);
  assert.equal(await cluster.kill(3, 'SIGINT'), 0);
  cluster.start(2);
  cluster.start(3);
  await cluster.waitLeader();
  assert.equal((await cluster.req(3, 'GET', '/x')).text, '1');
});
