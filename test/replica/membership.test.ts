import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { Replica, ReplicaErrorCode } from '../../src/replica/index.js';
import { MemoryLogger } from '../support/memory-logger.js';
import { withDeadline } from '../support/wait.js';
import { FAST, freePorts, MemoryStateMachine, TestCluster, tempDir, waitFor } from './helpers.js';

test('a 4th member joins as a learner and is promoted; a removed member is refused for good', async (t) => {
  const { dir, cleanup } = await tempDir('members');
  const c = new TestCluster(dir, { snapshotCount: 20, snapshotCatchUpEntries: 5 });
  t.after(async () => {
    // Bounded, so a close that hangs fails here, by name, rather than at the runner's timeout.
    await withDeadline(
      30_000,
      () => 'closing the cluster',
      () => c.closeAll(),
    );
    await cleanup();
  });
  const t0 = Date.now();
  const steps: string[] = [];
  const step = (s: string) => steps.push(`${Date.now() - t0} ms: ${s}`);
  // Member 4's log (debug level, last lines kept): printed if the test runs out of time.
  const log4 = new MemoryLogger(300);
  await withDeadline(
    120_000,
    () => `steps reached: ${steps.join('; ')}\nmember 4's last log lines:\n${log4.tail(60).join('\n')}`,
    async () => {
      const ids = [1n, 2n, 3n];
      step('start 3 members');
      await Promise.all(ids.map((id) => c.start(id, ids)));
      step('wait for a leader');
      const leader = await c.leader();
      const lr = c.replicas.get(leader) as Replica<number>;
      step('30 proposals');
      for (let i = 0; i < 30; i++) await lr.propose(Buffer.from(`v${i}`));

      // Join member 4 through a follower's API: learner first.
      const [port] = await freePorts(1);
      c.urls.set(4n, `http://127.0.0.1:${port}`);
      const follower = ids.find((id) => id !== leader) as bigint;
      const roles: string[] = [];
      lr.on('members', ({ members }) => {
        const m4 = members.find((m) => m.id === 4n);
        if (m4 !== undefined) roles.push(m4.role);
      });
      // One change at a time: a second change while the first is in flight is refused.
      const fr = c.replicas.get(follower) as Replica<number>;
      const first = fr.addMember(4n, [c.urls.get(4n) as string]);
      await assert.rejects(fr.addMember(5n, ['http://127.0.0.1:1']), (e) =>
        isRaftwireError(e, ReplicaErrorCode.ConfChangePending),
      );
      step('add member 4 (learner)');
      await first;
      assert.equal(fr.status().members.find((m) => m.id === 4n)?.role, 'learner');
      await assert.rejects(fr.addMember(4n, ['http://127.0.0.1:1']), (e) =>
        isRaftwireError(e, ReplicaErrorCode.MemberExists),
      );
      step('start member 4 (join)');
      const r4 = await c.start(4n, [...ids, 4n], { join: true, logger: log4 });
      await waitFor(
        () => lr.status().members.find((m) => m.id === 4n && m.role === 'voter'),
        20_000,
        'member 4 promoted to voter',
      );
      assert.deepEqual(roles.slice(0, 2), ['learner', 'voter']);
      step('member 4 read barrier');
      await r4.readBarrier();
      assert.equal(c.machines.get(4n)?.list().length, 30);
      assert.equal(r4.status().members.length, 4);

      // The joined member restarts from its directory alone (its URL is not in initialCluster).
      step('stop member 4');
      await c.stop(4n);
      step('restart member 4 from its directory');
      const again = await c.start(4n, ids, { logger: log4 });
      assert.equal(again.peerAddress.port, Number(new URL(c.urls.get(4n) as string).port));
      step('restarted member 4 read barrier');
      await again.readBarrier();
      assert.equal(c.machines.get(4n)?.list().length, 30);

      // Remove a follower other than the one we joined through.
      const victim = ids.find((id) => id !== leader && id !== follower) as bigint;
      step('remove a member');
      await lr.removeMember(victim);
      await waitFor(
        () => [...c.replicas.entries()].every(([id, r]) => id === victim || r.status().members.length === 3),
        10_000,
        'every remaining member applied the removal',
      );
      step('stop the removed member');
      await c.stop(victim);
      // Its streams are refused by the others (410 Gone).
      const url = `${c.urls.get(leader)}/raft/stream/message/${victim.toString(16)}`;
      step('its stream refused');
      const res = await fetch(url, {
        headers: {
          'X-Server-From': victim.toString(16),
          'X-Server-Version': '3.4.23',
          'X-Min-Cluster-Version': '3.0.0',
          'X-Raft-To': leader.toString(16),
          'X-Etcd-Cluster-ID': '1000',
        },
      });
      assert.equal(res.status, 410);
      await res.body?.cancel();
      // Adding the ID again is refused.
      await assert.rejects(lr.addMember(victim, ['http://127.0.0.1:1']), (e) =>
        isRaftwireError(e, ReplicaErrorCode.MemberRemoved),
      );
      // Restarting it from its directory: a clear typed error (at start, or as the fatal event).
      step('restart the removed member');
      const outcome = await Replica.start<number>({
        id: victim,
        dataDir: c.dirs.get(victim) as string,
        initialCluster: c.spec(ids),
        stateMachine: new MemoryStateMachine(),
        ...FAST,
      }).then(
        (r) =>
          new Promise<unknown>((resolve) => {
            const timer = setTimeout(async () => {
              await r.close();
              resolve(
                new Error('the restarted removed member neither failed to start nor stopped within 20 s'),
              );
            }, 20_000);
            r.once('fatal', async (e) => {
              clearTimeout(timer);
              await r.close();
              resolve(e);
            });
          }),
        (e: unknown) => e,
      );
      assert.ok(isRaftwireError(outcome, ReplicaErrorCode.MemberRemoved), String(outcome));
      // ...and from then on always at start.
      step('start it again');
      await assert.rejects(
        Replica.start<number>({
          id: victim,
          dataDir: c.dirs.get(victim) as string,
          initialCluster: c.spec(ids),
          stateMachine: new MemoryStateMachine(),
          ...FAST,
        }),
        (e) => isRaftwireError(e, ReplicaErrorCode.MemberRemoved),
      );
      // The cluster still works with 3 voters.
      step('propose after the removal');
      const idx = await c.replicas.get(4n)?.propose(Buffer.from('after-removal'));
      assert.ok((idx ?? 0) > 0);
    },
  );
});
