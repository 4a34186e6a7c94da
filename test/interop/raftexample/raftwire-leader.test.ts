/**
 * Script step 4 of the raftexample reference: in a cluster of Go members 1 and 2 and a raftwire
 * member 3, the Go leaders are frozen (SIGSTOP) until raftwire wins an election; PUTs sent to the
 * Go follower are forwarded to the raftwire leader (MsgProp) and served by every member, the
 * frozen Go member included once it is thawed and caught up by raftwire.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awaitValue, leader, makeRaftwireLead, put, ready, startMixed, tails } from './mixed-cluster.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('raftwire leads a raftexample cluster', () => {
  it('takes writes forwarded by a Go follower and replicates them to every member', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'raftwire']);
    await ready(cluster);
    const rw = cluster.members[2];
    assert.ok(rw);
    const frozen = await makeRaftwireLead(cluster.members);
    t.after(() => frozen?.resume());
    const term = rw.leaderTerm();
    assert.equal(leader(cluster.members), rw, 'raftwire leads');
    // The Go follower still running (the other one may be frozen).
    const follower = cluster.members.find((m) => m.kind === 'go' && m !== frozen);
    assert.ok(follower);
    const puts = Array.from({ length: 40 }, (_, i) => ({
      key: enc(`/via-go-${i}${i % 2 === 0 ? '?q' : '%20x'}`),
      val: i % 3 === 0 ? new Uint8Array(0) : Uint8Array.from({ length: 300 }, (_, j) => (i * 31 + j) % 256),
    }));
    for (const p of puts) await put(follower, p.key, p.val);
    frozen?.resume();
    for (const m of cluster.members) for (const p of puts) await awaitValue(m, p.key, p.val, 20_000);
    assert.equal(rw.leaderTerm(), term, 'raftwire led throughout');
    assert.equal(leader(cluster.members), rw, `no other member was elected\n${tails(cluster.members)}`);
  });
});
