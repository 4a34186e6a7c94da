/** Partitions through the fault proxies, and a paused leader (SIGSTOP): no stale read, no lost write. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { others, runScenario } from './support/scenario.js';

test('isolate the leader (peer traffic blackholed both ways for 3 s)', async (t) => {
  const r = await runScenario(t, {
    name: 'isolate-leader',
    afterMs: 2500,
    fault: async (c, leader) => {
      c.isolate(leader);
      // The majority elects another leader while the old one is cut off.
      const next = await c.waitLeaderAmong(others(leader), leader);
      assert.notEqual(next, leader);
      await sleep(1000);
      c.heal();
    },
  });
  // The isolated leader lost its role (CheckQuorum) and everyone agrees on one leader again.
  assert.ok((await r.cluster.waitLeader()) > 0);
});

test('isolate a follower for 3 s', async (t) => {
  await runScenario(t, {
    name: 'isolate-follower',
    fault: async (c, leader) => {
      c.isolate(others(leader)[0] as number);
      await sleep(3000);
      c.heal();
    },
  });
});

test('one-way partition: nothing from the leader reaches the others for 3 s', async (t) => {
  await runScenario(t, {
    name: 'one-way-from-leader',
    fault: async (c, leader) => {
      for (const o of others(leader)) c.cut(leader, o);
      await sleep(3000);
      c.heal();
    },
  });
});

test('bridge: two followers cannot talk to each other, the leader sees both (3 s)', async (t) => {
  await runScenario(t, {
    name: 'bridge',
    fault: async (c, leader) => {
      const [a, b] = others(leader) as [number, number];
      c.cut(a, b);
      c.cut(b, a);
      await sleep(3000);
      c.heal();
    },
  });
});

const PROBE_KEY = 'pause-probe';

test('SIGSTOP the leader for ~2 s: after SIGCONT it serves no stale read', async (t) => {
  let probe: { wrote: string; outcome: string; read: string | null | undefined } | undefined;
  await runScenario(t, {
    name: 'pause-leader',
    fault: async (c, leader, w) => {
      const m = c.member(leader);
      const [a, b] = others(leader) as [number, number];
      m.child?.kill('SIGSTOP');
      try {
        await c.waitLeaderAmong([a, b], leader);
        // A write through a survivor while the old leader sleeps, then a read on the old leader
        // the moment it resumes: both go into the history the checker reads. A key of its own,
        // which the workload never writes or deletes, so the read can only be that value.
        const wr = await w.write(900, c.member(a).base, PROBE_KEY);
        m.child?.kill('SIGCONT');
        const rd = await w.read(901, m.base, PROBE_KEY);
        probe = { wrote: wr.value, outcome: wr.outcome, read: rd?.value };
      } finally {
        m.child?.kill('SIGCONT');
      }
    },
  });
  assert.ok(probe !== undefined);
  t.diagnostic(`pause probe: ${JSON.stringify(probe)}`);
  // With the write acknowledged, the resumed leader either refused the read or saw that value.
  // (The workload's keys get concurrent deletes: an earlier version probed one of them and read
  // null, legitimately, which this assertion took for a stale read.)
  if (probe.outcome === 'ok' && probe.read !== undefined) assert.equal(probe.read, probe.wrote);
});
