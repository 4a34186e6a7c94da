/**
 * The reference's negative step 8, on a throwaway cluster: Go raftexample members 1 and 2 and an
 * in-process raftwire member 3 (InlineReplica + RaftexampleStateMachine, what `--compat
 * raftexample` runs) that proposes an entry Go's gob decoder rejects (a value message with no type
 * definition). Every member that applies it stops: the Go members die with raftexample's
 * `log.Fatalf` (exit status 1), and the raftwire member stops with a fatal error naming the entry —
 * which is why raftwire's encoder is held to Go's bytes and its decoder to Go's verdicts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeKvEntry,
  RaftexampleStateMachine,
  raftexampleDirs,
} from '../../../src/kv/raftexample/index.js';
import { InlineReplica, ReplicaErrorCode } from '../../../src/replica/index.js';
import { awaitValue, type Member, startMixed, tails, until } from './mixed-cluster.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('a malformed gob entry', () => {
  it('kills the Go members that apply it and stops the raftwire member', async (t) => {
    // Two Go members; member 3 runs in this process.
    const cluster = await startMixed(t, ['go', 'go', 'external']);
    const [go1, go2] = cluster.members as [Member, Member];
    const store = new RaftexampleStateMachine();
    const dirs = raftexampleDirs(cluster.dir, 3n);
    const rw = await InlineReplica.start({
      id: 3n,
      peers: cluster.clusterArg.split(',').map((u, i) => ({ id: BigInt(i + 1), peerUrls: [u] })),
      walDir: dirs.walDir,
      snapDir: dirs.snapDir,
      stateMachine: {
        apply: (e) => store.apply(e),
        snapshot: () => store.snapshot(),
        restore: (d) => store.restore([d]),
      },
    });
    t.after(() => rw.close());
    const fatals: Error[] = [];
    rw.on('fatal', (e) => fatals.push(e));
    await rw.propose(encodeKvEntry(enc('/good'), enc('v')), { signal: AbortSignal.timeout(30_000) });
    await awaitValue(go1, enc('/good'), enc('v'));
    await awaitValue(go2, enc('/good'), enc('v'));

    await assert.rejects(rw.propose(Uint8Array.from([0x03, 0xff, 0x82, 0x00])), (e: { code?: string }) => {
      assert.equal(e.code, ReplicaErrorCode.Stopped);
      return true;
    });
    assert.equal(fatals.length, 1);
    assert.match(
      String(fatals[0]?.message),
      /cannot apply the entry at index \d+: .*gob: unknown type id or corrupted data/,
    );
    // The entry is committed (member 3 applied it), so the Go leader applies it and dies. A Go
    // follower dies too if it learned the commit index before the leader and member 3 stopped;
    // if not, it is left alone with an uncommitted tail it can never commit. So: at least one Go
    // member exits, and every Go member that exits does so with raftexample's status 1.
    const first = await Promise.race([
      Promise.race([go1.exit, go2.exit]),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref()),
    ]);
    assert.notEqual(first, 'timeout', `no Go member stopped\n${tails([go1, go2])}`);
    // The other gets a moment to finish applying (its exit would come within milliseconds).
    const done: { code: number | null }[] = [];
    for (const m of [go1, go2]) void m.exit.then((e) => done.push(e));
    await new Promise((r) => setTimeout(r, 2_000));
    assert.ok(done.length >= 1);
    for (const e of done) assert.equal(e.code, 1, 'raftexample log.Fatalf exits with status 1');
    await until(
      'a Go member to log the decode failure',
      () => /could not decode message/.test(go1.log() + go2.log()),
      1000,
      () => tails([go1, go2]),
    );
    assert.equal(store.get(enc('/good'))?.length, 1, 'the good entry stays applied');
  });
});
