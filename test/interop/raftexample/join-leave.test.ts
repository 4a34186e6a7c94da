/**
 * Script step 5 of the raftexample reference: a three-member Go raftexample cluster adds member 4
 * with `POST /4 <url>` (ConfChange V1, the URL as context); `raftwire node --compat raftexample
 * --id 4 --join` starts with an empty log, learns everything from the Go leader, serves the keys
 * written before and after it joined and takes writes itself; `DELETE /4` on a Go member removes
 * it: it applies its own removal and exits 0, and the Go members keep serving.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { raftexampleDirs } from '../../../src/kv/raftexample/index.js';
import { lowPort } from './go-cluster.js';
import { awaitValue, put, ready, startMixed, tails } from './mixed-cluster.js';
import { rawRequest } from './raw-http.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('raftwire joins and leaves a Go raftexample cluster', () => {
  it('POST /4 + --join, then DELETE /4: exit status 0, the Go members keep serving', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'go']);
    await ready(cluster);
    const [g1, g2, g3] = cluster.members;
    assert.ok(g1 && g2 && g3);
    for (let i = 0; i < 20; i++)
      await put(cluster.members[i % 3] as typeof g1, enc(`/before-${i}`), enc(`b${i}`));
    const url4 = `http://127.0.0.1:${await lowPort()}`;
    const kv4 = await lowPort();
    const added = await rawRequest(g2.kvPort, 'POST', '/4', enc(url4));
    assert.equal(added.status, 204);
    const rw = cluster.spawn('raftwire', 4, {
      cluster: `${cluster.clusterArg},${url4}`,
      kvPort: kv4,
      join: true,
    });
    for (let i = 0; i < 20; i++) await awaitValue(rw, enc(`/before-${i}`), enc(`b${i}`));
    // Writes through the new member are forwarded to the Go leader; writes elsewhere reach it.
    for (let i = 0; i < 10; i++) await put(rw, enc(`/from-4-${i}`), enc(`f${i}`));
    for (let i = 0; i < 10; i++) await put(g1, enc(`/after-${i}`), enc(`a${i}`));
    for (const m of [g1, g2, g3, rw]) {
      for (let i = 0; i < 10; i++) {
        await awaitValue(m, enc(`/from-4-${i}`), enc(`f${i}`));
        await awaitValue(m, enc(`/after-${i}`), enc(`a${i}`));
      }
    }
    assert.ok(existsSync(raftexampleDirs(cluster.dir, 4n).walDir), 'raftexample-4 holds its WAL');

    const removed = await rawRequest(g3.kvPort, 'DELETE', '/4');
    assert.equal(removed.status, 204);
    const exit = await Promise.race([
      rw.exit,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref()),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, `raftwire exits 0 on its removal\n${tails([rw])}`);
    assert.match(rw.log(), /removed from the cluster/);
    await put(g1, enc('/after-removal'), enc('still serving'));
    for (const m of [g1, g2, g3]) await awaitValue(m, enc('/after-removal'), enc('still serving'));
  });
});
