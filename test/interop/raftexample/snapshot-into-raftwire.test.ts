/**
 * Script step 6 of the raftexample reference: Go members 1 and 2 and raftwire member 3 (an initial
 * member); raftwire is down while the Go members take 20 100 PUTs, so their snapshots (every
 * 10 000 entries) compact away the entries it lacks. Restarted on its data, raftwire receives the
 * Go leader's snapshot inline in a MsgSnap over POST /raft, installs it (its log says so; the
 * `.snap` file is in raftexample-3-snap) and then serves what the Go members serve — except
 * invalid UTF-8, which Go's snapshot JSON replaced with U+FFFD, as a Go member restoring that
 * snapshot would. Restarted again, alone, it serves from that snapshot at once.
 *
 * The reference freezes the member with SIGSTOP instead. Tried first: the kernel buffers of the
 * frozen member's open streams and pipeline connections took the leader's MsgApps (raftexample
 * batches many entries per message, 256 in flight), so the member caught up from the log and no
 * snapshot was needed. A stopped process takes nothing, so the snapshot is certain.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { raftexampleDirs } from '../../../src/kv/raftexample/index.js';
import {
  awaitValue,
  bulkPut,
  ESCAPE_CASES,
  leader,
  plainItems,
  put,
  ready,
  startMixed,
  tails,
  tryRequest,
  until,
} from './mixed-cluster.js';

describe('a Go leader snapshots into a raftwire member', () => {
  it('raftwire installs the inline MsgSnap and serves the same keys', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'raftwire']);
    await ready(cluster);
    const [g1, g2, rw] = cluster.members;
    assert.ok(g1 && g2 && rw);
    for (const c of ESCAPE_CASES) await put(g1, c.key, c.val);
    await awaitValue(rw, ESCAPE_CASES[0]?.key as Uint8Array, ESCAPE_CASES[0]?.val as Uint8Array);
    const stopped = await rw.stop();
    assert.deepEqual(stopped, { code: 0, signal: null });
    const items = plainItems(20_100);
    const started = Date.now();
    await until(
      'a Go leader',
      () => leader([g1, g2]) !== undefined && leader(cluster.members)?.kind === 'go',
      20_000,
      () => tails(cluster.members),
    );
    await Promise.all([
      bulkPut(g1.kvPort, items.slice(0, 10_050), 32),
      bulkPut(g2.kvPort, items.slice(10_050), 32),
    ]);
    const putMs = Date.now() - started;
    const last = items[items.length - 1] as { key: string; val: string };
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const g of [g1, g2]) await awaitValue(g, enc(last.key), enc(last.val));
    await until(
      'a Go snapshot',
      () => /saved snapshot|compacted log at index/i.test(g1.log() + g2.log()),
      20_000,
      () => tails([g1, g2]),
    );
    const rw2 = cluster.spawn('raftwire', 3);
    await awaitValue(rw2, enc(last.key), enc(last.val), 40_000);
    assert.match(rw2.log(), /installed snapshot/, `raftwire installed a snapshot\n${tails([rw2])}`);
    const snaps = readdirSync(raftexampleDirs(cluster.dir, 3n).snapDir).filter((n) => n.endsWith('.snap'));
    assert.ok(snaps.length >= 1, 'the received snapshot is saved in raftexample-3-snap');
    // A sample of the plain keys, as the Go member serves them.
    for (let i = 0; i < items.length; i += 97) {
      const it = items[i] as { key: string; val: string };
      const a = await tryRequest(rw2.kvPort, 'GET', it.key);
      const b = await tryRequest(g1.kvPort, 'GET', it.key);
      assert.equal(a.status, 200, it.key);
      assert.deepEqual([a.status, a.body.toString('hex')], [b.status, b.body.toString('hex')], it.key);
    }
    for (const c of ESCAPE_CASES) await awaitValue(rw2, c.key, c.afterSnapshot, 5_000);

    // Restarted with that snapshot on disk and no leader to talk to (the Go members frozen), it
    // serves from the snapshot at once; raftexample 3.4.23 would never open its KV port here.
    assert.deepEqual(await rw2.stop(), { code: 0, signal: null });
    g1.pause();
    g2.pause();
    t.after(() => {
      g1.resume();
      g2.resume();
    });
    const rw3 = cluster.spawn('raftwire', 3);
    await awaitValue(rw3, enc('/k100'), enc('v100'), 20_000);
    for (const c of ESCAPE_CASES) await awaitValue(rw3, c.key, c.afterSnapshot, 5_000);
    assert.match(rw3.log(), /"snapshot-index":[1-9]/, 'replayed from the snapshot');
    g1.resume();
    g2.resume();
    t.diagnostic(`20 100 PUTs through the Go members in ${putMs} ms; snapshot files ${snaps.join(', ')}`);
  });
});
