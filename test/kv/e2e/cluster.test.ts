/** Three real `raftwire node` processes: linearizable reads everywhere, and compare-and-swap races. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessCluster } from './process-cluster.js';

test('a write on every member reads back linearizably on every other member', async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  await cluster.startAll(3);
  for (let round = 0; round < 5; round++) {
    for (const writer of [1, 2, 3]) {
      const key = `/k-${round}-${writer}`;
      const put = await cluster.req(writer, 'PUT', key, { body: `v-${round}-${writer}` });
      assert.equal(put.status, 204, `PUT on ${writer}: ${put.text}`);
      const rev = put.headers.etag;
      // Immediately, without waiting: a linearizable GET on any member sees the acknowledged write.
      for (const reader of [1, 2, 3]) {
        const get = await cluster.req(reader, 'GET', key);
        assert.equal(get.status, 200, `GET on ${reader} after PUT on ${writer}: ${get.text}`);
        assert.equal(get.text, `v-${round}-${writer}`);
        assert.equal(get.headers.etag, rev);
      }
    }
  }
  const list = JSON.parse((await cluster.req(2, 'GET', '/?prefix=k-4-')).text) as {
    keys: Array<{ key: string }>;
  };
  assert.deepEqual(
    list.keys.map((k) => k.key),
    ['k-4-1', 'k-4-2', 'k-4-3'],
  );
});

test('conditional writes race from many clients on every member: exactly one wins each round', async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  await cluster.startAll(3);
  const clients = 12;
  for (let round = 0; round < 6; round++) {
    // create-if-absent
    const key = `/lock-${round}`;
    const creates = await Promise.all(
      Array.from({ length: clients }, (_, c) =>
        cluster.req((c % 3) + 1, 'PUT', key, { body: `client-${c}`, headers: { 'If-None-Match': '*' } }),
      ),
    );
    const won = creates.filter((r) => r.status === 204);
    assert.equal(won.length, 1, creates.map((r) => `${r.status} ${r.text}`).join('; '));
    assert.equal(creates.filter((r) => r.status === 412).length, clients - 1);
    const winner = creates.findIndex((r) => r.status === 204);
    assert.equal((await cluster.req(((round + 1) % 3) + 1, 'GET', key)).text, `client-${winner}`);
  }
  // compare-and-swap increments: each round every client CASes from the same revision
  assert.equal((await cluster.req(1, 'PUT', '/counter', { body: '0' })).status, 204);
  for (let round = 1; round <= 6; round++) {
    const current = await cluster.req(2, 'GET', '/counter');
    const tag = current.headers.etag as string;
    const next = String(Number(current.text) + 1);
    const tries = await Promise.all(
      Array.from({ length: clients }, (_, c) =>
        cluster.req((c % 3) + 1, 'PUT', '/counter', { body: next, headers: { 'If-Match': tag } }),
      ),
    );
    assert.equal(tries.filter((r) => r.status === 204).length, 1, tries.map((r) => r.status).join(','));
    assert.equal(tries.filter((r) => r.status === 412).length, clients - 1);
  }
  assert.equal((await cluster.req(3, 'GET', '/counter')).text, '6');
});
