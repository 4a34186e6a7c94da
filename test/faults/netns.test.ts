/**
 * Faults at the network layer: each member in its own network namespace on a test bridge, faults as
 * nftables rules (support/netns-cluster.ts), through runScenario's pass criteria. Needs root.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryOp } from '../../src/testing/index.js';
import { projectRoot } from '../support/paths.js';
import { links, NetnsNetwork, namespaces, requireNetAdmin, sh } from './support/netns.js';
import { NetnsCluster } from './support/netns-cluster.js';
import { others, runScenario, type ScenarioResult } from './support/scenario.js';

const netns = (args: string[]): NetnsCluster => new NetnsCluster(args);

/** Pairs of invoke and completion of the history events in [from, to). */
function completions(
  h: readonly HistoryOp[],
  invokedFrom: number,
  completedBefore: number,
): [HistoryOp, HistoryOp][] {
  const open = new Map<number, [number, HistoryOp]>();
  const out: [HistoryOp, HistoryOp][] = [];
  h.forEach((e, i) => {
    if (e.type === 'invoke') open.set(e.process, [i, e]);
    else {
      const inv = open.get(e.process);
      open.delete(e.process);
      if (inv !== undefined && inv[0] >= invokedFrom && i < completedBefore) out.push([inv[1], e]);
    }
  });
  return out;
}

/** A node process that creates a 1-member network, prints its prefix and waits. */
function spawnNetworkHolder(): { child: ReturnType<typeof spawn>; prefix: Promise<string> } {
  const mod = join(projectRoot, 'dist', 'test', 'faults', 'support', 'netns.js');
  const code = `import { NetnsNetwork } from ${JSON.stringify(mod)}; const n = new NetnsNetwork(); n.create(1); console.log(n.prefix); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const prefix = new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (c: Buffer) => resolve(c.toString().trim()));
    child.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return { child, prefix };
}

const present = (prefix: string): string[] =>
  [...namespaces(), ...links()].filter((n) => n.startsWith(prefix));

test('netns harness: members in their namespaces, nft faults, everything removed after a scenario', async (t) => {
  requireNetAdmin();
  // A network left by a killed run (SIGKILL: no handler runs) ...
  const killed = spawnNetworkHolder();
  t.after(() => killed.child.kill('SIGKILL'));
  const stalePrefix = await killed.prefix;
  killed.child.kill('SIGKILL');
  await new Promise((r) => killed.child.once('exit', r));
  assert.notDeepEqual(present(stalePrefix), [], 'the killed holder left its network');
  // ... and one whose process got SIGTERM: the handler removes it.
  const termed = spawnNetworkHolder();
  t.after(() => termed.child.kill('SIGKILL'));
  const termPrefix = await termed.prefix;
  assert.notDeepEqual(present(termPrefix), []);
  termed.child.kill('SIGTERM');
  await new Promise((r) => termed.child.once('exit', r));
  assert.deepEqual(present(termPrefix), [], 'SIGTERM handler removed the network');

  let r: ScenarioResult<NetnsCluster> | undefined;
  let pids: number[] = [];
  await t.test('isolate a follower via nft for 1 s', async (st) => {
    r = await runScenario(st, {
      name: 'netns-harness',
      cluster: netns,
      afterMs: 1000,
      fault: async (c, leader) => {
        // The stale sweep at setup removed the killed run's network.
        assert.ok(
          c.swept.some((n) => n.startsWith(stalePrefix)),
          `swept ${c.swept}`,
        );
        assert.deepEqual(present(stalePrefix), []);
        for (const m of c.members.values()) {
          const pid = m.child?.pid as number;
          pids.push(pid);
          // ip netns exec exec'd: the child is node itself, inside member's namespace.
          assert.equal(readlinkSync(`/proc/${pid}/exe`), process.execPath);
          assert.equal(sh('ip', ['netns', 'identify', String(pid)]).trim(), c.net.ns(m.id));
          // Only the bridge subnet is routed: no default route out of the namespace.
          const routes = sh('ip', ['netns', 'exec', c.net.ns(m.id), 'ip', 'route'])
            .trim()
            .split('\n');
          assert.deepEqual(routes.length, 1, `routes of member ${m.id}: ${routes}`);
          assert.ok(routes[0]?.startsWith(`${c.net.subnet}.0/24 dev eth0`), `route: ${routes[0]}`);
        }
        const f = others(leader)[0] as number;
        c.isolate(f);
        assert.match(c.ruleset(f), /drop/);
        await sleep(1000);
        assert.ok(c.dropped(f) > 0, 'the isolated follower dropped nothing');
        c.heal();
        assert.doesNotMatch(c.ruleset(f), /drop/);
      },
    });
  });
  assert.ok(r !== undefined);
  assert.deepEqual(r.cluster.net.leftovers(), [], 'namespaces/links left after the scenario');
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `member pid ${pid} still runs`);
  pids = [];
});

test('no quorum anywhere: all 3 members cut from each other for 3 s via nft, then healed', async (t) => {
  let window: { writes: [HistoryOp, HistoryOp][]; served: [HistoryOp, HistoryOp][] } | undefined;
  let probeOutcomes: string[] = [];
  await runScenario(t, {
    name: 'netns-no-quorum',
    cluster: netns,
    afterMs: 2000,
    recoveryBoundMs: 20_000,
    fault: async (c, _leader, w) => {
      c.partition([[1], [2], [3]]);
      const from = w.history.length;
      // One write of the test's own on every member, so the window holds writes whatever the
      // workload's random choices (with six clients and 2 s timeouts it sometimes completed none):
      // each must end unknown, neither acknowledged nor refused.
      const probes = Promise.all(
        [1, 2, 3].map((id) => w.write(900 + id, c.member(id).base, `no-quorum-probe-${id}`)),
      );
      await sleep(3000);
      probeOutcomes = (await probes).map((r) => r.outcome);
      const to = w.history.length;
      for (const id of [1, 2, 3]) assert.ok(c.dropped(id) > 0, `member ${id} dropped nothing`);
      c.heal();
      const done = completions(w.history, from, to);
      window = {
        writes: done.filter(([i]) => i.f === 'write'),
        served: done.filter(
          ([i, e]) => e.type === 'ok' && (i.f === 'read' || i.f === 'write' || i.f === 'cas'),
        ),
      };
    },
  });
  assert.ok(window !== undefined);
  // Nothing that needs a quorum was served while there was none (a read would be stale).
  assert.deepEqual(window.served, [], 'operations served without a quorum');
  assert.deepEqual(probeOutcomes, ['info', 'info', 'info'], 'the probe writes, one per member');
  const outcomes = window.writes.map(([, e]) => e.type);
  assert.ok(outcomes.includes('info'), `no write timed out as unknown during the fault: ${outcomes}`);
  assert.ok(!outcomes.includes('fail'), `a write failed instead of timing out: ${outcomes}`);
  t.diagnostic(`during the fault: ${outcomes.length} writes completed, all unknown (info)`);
});

test('30% random packet loss between all members for 3 s (nft numgen)', async (t) => {
  await runScenario(t, {
    name: 'netns-loss30',
    cluster: netns,
    fault: async (c) => {
      for (const id of [1, 2, 3]) c.loss(id, 30);
      assert.match(c.ruleset(1), /numgen random mod 100 < 30/);
      await sleep(3000);
      const dropped = [1, 2, 3].map((id) => c.dropped(id));
      c.heal();
      assert.ok(
        dropped.every((d) => d > 0),
        `every member dropped some packets: ${dropped}`,
      );
      t.diagnostic(`packets dropped at random per member: ${dropped.join(', ')}`);
    },
  });
});

test("one-way via nft: the leader's output to the others dropped for 3 s", async (t) => {
  await runScenario(t, {
    name: 'netns-one-way',
    cluster: netns,
    fault: async (c, leader) => {
      for (const o of others(leader)) c.cut(leader, o);
      // Output drop only: the followers' own rule tables are empty.
      for (const o of others(leader)) assert.doesNotMatch(c.ruleset(o), /drop/);
      await sleep(3000);
      assert.ok(c.dropped(leader) > 0);
      c.heal();
    },
  });
});

test('bridge via nft: the two followers cannot reach each other, the leader reaches both (3 s)', async (t) => {
  await runScenario(t, {
    name: 'netns-bridge',
    cluster: netns,
    fault: async (c, leader) => {
      const [a, b] = others(leader) as [number, number];
      c.cut(a, b);
      c.cut(b, a);
      assert.doesNotMatch(c.ruleset(leader), /drop/);
      await sleep(3000);
      c.heal();
    },
  });
});

test('bandwidth via tc tbf: everything the leader sends limited to 200 kbit/s for 3 s', async (t) => {
  await runScenario(t, {
    name: 'netns-tbf',
    cluster: netns,
    fault: async (c, leader) => {
      const t0 = performance.now();
      c.rateLimit(leader, 200);
      assert.match(c.qdisc(leader), /tbf .*rate 200Kbit/);
      await sleep(3000);
      const stats = c.qdisc(leader);
      const seconds = (performance.now() - t0) / 1000;
      c.heal();
      assert.doesNotMatch(c.qdisc(leader), /tbf/);
      const sent = Number(/Sent (\d+) bytes/.exec(stats)?.[1] ?? Number.NaN);
      const overlimits = Number(/overlimits (\d+)/.exec(stats)?.[1] ?? Number.NaN);
      // The bucket held the leader to 25 000 B/s plus its 16 KiB burst (and one packet in flight),
      // and the workload pushed it against the limit (packets held back: overlimits).
      const bound = 25_000 * 1.05 * seconds + 16_384 + 1_514; // 5 % for tbf clock rounding
      assert.ok(
        sent > 0 && sent <= bound,
        `the leader sent ${sent} bytes in ${seconds.toFixed(2)} s (bound ${bound})`,
      );
      assert.ok(overlimits > 0, `the tbf never held a packet back: ${stats}`);
      t.diagnostic(
        `leader sent ${sent} bytes through a 200 kbit/s tbf in ${seconds.toFixed(2)} s: ${stats.split('\n')[1]?.trim()}`,
      );
    },
  });
});

test('NetnsNetwork names fit interface limits and stay inside 198.18.0.0/15', () => {
  const n = new NetnsNetwork();
  assert.ok(`${n.prefix}br`.length <= 15 && `${n.prefix}v9`.length <= 15);
  const [a, b] = n.hostAddress.split('.').map(Number) as [number, number];
  assert.equal(a, 198);
  assert.ok(b === 18 || b === 19);
});
