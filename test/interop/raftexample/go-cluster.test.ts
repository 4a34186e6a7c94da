/**
 * The Go raftexample cluster harness itself (go-cluster.ts), as later mixed-cluster tests will
 * use it: three members elect a leader; when the leader is frozen (SIGSTOP) the others elect a new
 * one at a higher term; writes through any member, the thawed old leader included, are then
 * served by every member.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goLeader, startGoCluster } from './go-cluster.js';
import { rawRequest } from './raw-http.js';

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Go raftexample cluster harness', () => {
  it('elects, re-elects around a frozen leader, and serves writes on every member', async (t) => {
    const cluster = await startGoCluster(t, 3);
    const first = goLeader(cluster);
    assert.ok(first, 'a leader');
    const firstTerm = first.leaderTerm();
    first.pause();
    t.after(() => first.resume());
    await until(() => (goLeader(cluster)?.leaderTerm() ?? 0) > firstTerm, 30_000, 'a new leader');
    const second = goLeader(cluster);
    assert.ok(second && second.id !== first.id);
    assert.equal(
      (await rawRequest(second.kvPort, 'PUT', '/during', new TextEncoder().encode('1'))).status,
      204,
    );
    first.resume();
    // raftexample answers a PUT before commit, and a thawed leader that has not yet heard of the
    // new term can lose the proposal it accepted ("proposals can be lost on leader change", raftexample.md): the same
    // idempotent PUT is repeated until the member itself serves it.
    await until(
      async () => {
        const put = await rawRequest(first.kvPort, 'PUT', '/after', new TextEncoder().encode('2'));
        assert.equal(put.status, 204);
        const deadline = Date.now() + 3_000;
        while (Date.now() < deadline) {
          if ((await rawRequest(first.kvPort, 'GET', '/after')).body.toString() === '2') return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      },
      30_000,
      '/after written through the thawed member',
    );
    for (const m of cluster.members) {
      for (const [key, val] of [
        ['/during', '1'],
        ['/after', '2'],
      ] as const) {
        await until(
          async () => (await rawRequest(m.kvPort, 'GET', key)).body.toString() === val,
          30_000,
          `${key} on member ${m.id}`,
        );
      }
    }
  });
});
