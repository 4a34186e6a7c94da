/**
 * Membership and leadership under load: a leader-transfer storm, a follower replaced by a new
 * member with a fresh data directory. Every scenario also runs the "no two leaders in a term"
 * sampler (runScenario), which sees the new members too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { moreWrites } from './support/failpoint-crash.js';
import type { FaultCluster } from './support/fault-cluster.js';
import { runScenario } from './support/scenario.js';

const hex = (id: number): string => id.toString(16);

/** A bounded request to member `id` (no 20 s wait: a storm must keep its pace). */
async function ask(
  c: FaultCluster,
  id: number,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5000,
): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(`${c.member(id).base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.status, text: await r.text() };
  } catch (e) {
    return { status: 0, text: String(e) };
  }
}

/** The leader as the running members agree on it (waits up to `timeoutMs`). */
async function currentLeader(c: FaultCluster, timeoutMs = 10_000): Promise<number> {
  return c.waitLeader(timeoutMs);
}

/** Starts a member defined after setup (`id`) with --join, behind its own proxy. */
function startJoining(c: FaultCluster, id: number): void {
  c.start(id, { join: true, args: ['--listen-peer', `http://127.0.0.1:${c.member(id).peerPort}`] });
}

/** Defines member `id` (its proxy too), adds it through member `via`, starts it with --join. */
async function addMember(c: FaultCluster, via: number, id: number): Promise<void> {
  await c.setup(id);
  const url = `http://127.0.0.1:${c.proxy(id).port}`;
  const r = await ask(c, via, 'POST', '/-/members', { peerUrls: [url], id: hex(id) }, 15_000);
  assert.equal(r.status, 201, `add member ${id} through ${via}: ${r.status} ${r.text}`);
  startJoining(c, id);
}

/** Waits until member `id` is listed as a voter by member `via`. */
async function untilVoter(c: FaultCluster, via: number, id: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await ask(c, via, 'GET', '/-/members', undefined, 2000);
    if (r.status === 200) {
      const list = JSON.parse(r.text) as { members: Array<{ id: string; role: string }> };
      if (list.members.some((m) => m.id === hex(id) && m.role === 'voter')) return;
    }
    if (Date.now() > deadline)
      throw new Error(`member ${id} not a voter in ${timeoutMs} ms: ${r.text}\n${c.logs()}`);
    await sleep(100);
  }
}

test('leader-transfer storm (a transfer to a random member every ~300 ms for 4 s)', async (t) => {
  const outcomes = new Map<number, number>();
  let moved = 0;
  const r = await runScenario(t, {
    name: 'transfer-storm',
    fault: async (c) => {
      const end = performance.now() + 4000;
      while (performance.now() < end) {
        const started = performance.now();
        const leader = await currentLeader(c);
        const others = [1, 2, 3].filter((id) => id !== leader);
        const to = others[Math.floor(Math.random() * others.length)] as number;
        const a = await ask(c, leader, 'POST', '/-/leader', { id: hex(to) }, 3000);
        outcomes.set(a.status, (outcomes.get(a.status) ?? 0) + 1);
        if (a.status === 204) moved++;
        const rest = 300 - (performance.now() - started);
        if (rest > 0) await sleep(rest);
      }
    },
  });
  t.diagnostic(`transfer-storm: transfers answered ${JSON.stringify(Object.fromEntries(outcomes))}`);
  assert.ok(moved >= 5, `only ${moved} transfers completed: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  // Every completed transfer is a new term; the sampler saw most of them.
  assert.ok(
    r.leaders.termsWithLeader >= 4,
    `the sampler saw ${r.leaders.termsWithLeader} terms with a leader`,
  );
});

test('replace a member (remove a follower for good, add a fresh member, it catches up)', async (t) => {
  const r = await runScenario(t, {
    name: 'replace-member',
    fault: async (c, leader) => {
      const gone = [1, 2, 3].find((id) => id !== leader) as number;
      const del = await ask(c, leader, 'DELETE', `/-/members/${hex(gone)}`, undefined, 15_000);
      assert.equal(del.status, 204, `remove ${gone}: ${del.status} ${del.text}`);
      await c.kill(gone, 'SIGKILL');
      await sleep(500);
      const via = await currentLeader(c);
      await addMember(c, via, 4);
      await untilVoter(c, via, 4);
      // The new member takes a write of its own (a key outside the workload's).
      const put = await ask(c, 4, 'PUT', '/replaced-by-4', undefined, 5000);
      assert.equal(put.status, 204, `PUT through member 4: ${put.status} ${put.text}`);
    },
  });
  const live = [...r.cluster.members.values()].filter((m) => m.child !== undefined).map((m) => m.id);
  assert.equal(live.length, 3, `live members ${live}`);
  assert.ok(live.includes(4), `member 4 is not running: ${live}`);
  assert.equal(r.leaders.members, 4, 'the leader sampler polled the new member too');
});

test('membership churn (3 rounds: add a 4th member, it becomes a voter, remove it for good)', async (t) => {
  const r = await runScenario(t, {
    name: 'membership-churn',
    fault: async (c) => {
      for (const id of [4, 5, 6]) {
        const via = await currentLeader(c);
        await addMember(c, via, id);
        await untilVoter(c, via, id);
        const leader = await currentLeader(c);
        const del = await ask(c, leader, 'DELETE', `/-/members/${hex(id)}`, undefined, 15_000);
        assert.equal(del.status, 204, `remove ${id}: ${del.status} ${del.text}`);
        await c.kill(id, 'SIGKILL');
      }
    },
  });
  const live = [...r.cluster.members.values()].filter((m) => m.child !== undefined).map((m) => m.id);
  assert.deepEqual(live, [1, 2, 3]);
  assert.equal(r.leaders.members, 6, 'the leader sampler polled every added member');
  const list = await ask(r.cluster, 1, 'GET', '/-/members');
  const ids = (JSON.parse(list.text) as { members: Array<{ id: string }> }).members.map((m) => m.id).sort();
  assert.deepEqual(ids, ['1', '2', '3']);
});

test('a follower down past compaction is brought back by a snapshot', async (t) => {
  let sentBefore = 0;
  let sentAfter = 0;
  let leaderId = 0;
  let downApplied = 0;
  let leaderSnap = 0;
  const snapshotsSent = async (c: FaultCluster, id: number): Promise<number> => {
    const s = (await c.status(id)) as { snapshotSends?: { sent: number } } | undefined;
    return s?.snapshotSends?.sent ?? -1;
  };
  await runScenario(t, {
    name: 'down-past-compaction',
    args: ['--snapshot-count', '25', '--snapshot-catch-up-entries', '5'],
    fault: async (c, leader, w) => {
      leaderId = leader;
      const follower = [1, 2, 3].find((id) => id !== leader) as number;
      downApplied = Number((await c.status(follower))?.applied ?? 0);
      await c.kill(follower, 'SIGKILL');
      await moreWrites(w, 80);
      leaderSnap = Number((await c.status(leader))?.snapshotIndex ?? 0);
      sentBefore = await snapshotsSent(c, leader);
      c.startMember(follower);
      await c.converge();
      sentAfter = await snapshotsSent(c, leader);
    },
  });
  t.diagnostic(
    `down-past-compaction: follower down at applied ${downApplied}, leader snapshot at ${leaderSnap}, ` +
      `leader's snapshots sent ${sentBefore} -> ${sentAfter}`,
  );
  // The leader compacted past the follower's log (it keeps 5 entries behind its snapshot)...
  assert.ok(
    leaderSnap - 5 > downApplied,
    `leader ${leaderId} did not compact past ${downApplied}: ${leaderSnap}`,
  );
  // ...so the restarted follower could only be brought back by a snapshot.
  assert.ok(sentAfter > sentBefore, `leader ${leaderId} sent no snapshot (${sentBefore} -> ${sentAfter})`);
});
