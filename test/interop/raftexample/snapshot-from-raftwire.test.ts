/**
 * Script step 7 of the raftexample reference: Go members 1 and 2 and raftwire member 3, raftwire
 * leading. Go member 2 is down while 20 100 PUTs go through raftwire (each answered once
 * committed and applied), so raftwire's snapshots (every 10 000 entries, 10 000 kept) compact away
 * what member 2 lacks. Started again (on a data directory without a snapshot, so raftexample
 * 3.4.23 opens its KV port), Go member 2 receives raftwire's snapshot inline in a MsgSnap over
 * POST /raft — raftexample has no /raft/snapshot handler that works — logs "loading snapshot"
 * and serves every key as raftwire does: the JSON escaping cases byte for byte, invalid UTF-8 as
 * U+FFFD (Go's own snapshot rule, which raftwire's encoder applies).
 *
 * The reference freezes member 2 with SIGSTOP instead; see snapshot-into-raftwire.test.ts for why
 * a stopped process is used (frozen members' socket buffers take the missing entries).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  awaitValue,
  bulkPut,
  ESCAPE_CASES,
  leader,
  makeRaftwireLead,
  plainItems,
  put,
  ready,
  startMixed,
  tails,
  tryRequest,
  until,
} from './mixed-cluster.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('a raftwire leader snapshots into a Go raftexample member', () => {
  it('Go member 2 loads the inline MsgSnap and serves the same keys', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'raftwire']);
    await ready(cluster);
    const [g1, g2, rw] = cluster.members;
    assert.ok(g1 && g2 && rw);
    const frozen = await makeRaftwireLead(cluster.members);
    frozen?.resume();
    const term = rw.leaderTerm();
    for (const c of ESCAPE_CASES) await put(rw, c.key, c.val);
    await awaitValue(g2, ESCAPE_CASES[0]?.key as Uint8Array, ESCAPE_CASES[0]?.val as Uint8Array);
    await g2.stop();
    const items = plainItems(20_100);
    const started = Date.now();
    await bulkPut(rw.kvPort, items, 128);
    const putMs = Date.now() - started;
    assert.equal(leader(cluster.members), rw, 'raftwire still leads');
    assert.equal(rw.leaderTerm(), term);
    await until(
      'a raftwire snapshot',
      () => /saved snapshot/.test(rw.log()),
      10_000,
      () => tails([rw]),
    );
    const last = items[items.length - 1] as { key: string; val: string };
    const g2b = cluster.spawn('go', 2);
    await awaitValue(g2b, enc(last.key), enc(last.val), 40_000);
    assert.match(g2b.log(), /loading snapshot/, `Go member 2 loaded a snapshot\n${tails([g2b])}`);
    assert.doesNotMatch(g2b.log(), /raft\/snapshot|panic/i);
    for (let i = 0; i < items.length; i += 97) {
      const it = items[i] as { key: string; val: string };
      const a = await tryRequest(g2b.kvPort, 'GET', it.key);
      const b = await tryRequest(rw.kvPort, 'GET', it.key);
      assert.equal(a.status, 200, it.key);
      assert.deepEqual([a.status, a.body.toString('hex')], [b.status, b.body.toString('hex')], it.key);
    }
    for (const c of ESCAPE_CASES) await awaitValue(g2b, c.key, c.afterSnapshot, 5_000);
    // raftwire applied the original bytes from the log.
    for (const c of ESCAPE_CASES) await awaitValue(rw, c.key, c.val, 5_000);
    t.diagnostic(
      `20 100 PUTs through the raftwire leader (128 in flight, each answered once applied) in ${putMs} ms`,
    );
  });
});
