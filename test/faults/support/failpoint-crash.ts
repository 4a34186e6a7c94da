/** Crashing a member at a failpoint in the middle of a scenario, then restarting it clean. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FailpointName } from '../../../src/failpoint/index.js';
import { freePorts } from '../../support/ports.js';
import { waitFor, withDeadline } from '../../support/wait.js';
import type { FaultCluster } from './fault-cluster.js';
import { others, runScenario } from './scenario.js';
import type { Workload } from './workload.js';

/**
 * Waits for member `id` to exit by itself; returns the exit code (null when killed by a signal).
 * The bound counts from the call, usually right after the member was (re)started: 60 s. It was
 * 20 s, and with two CI runs side by side (load average ~10) a member restarted with a failing
 * fsync logged its fatal error but had not exited 20 s after the restart; its hard stop exits 10 s
 * after a fatal, so it most likely reached the fault more than 10 s after the restart.
 */
export async function awaitExit(c: FaultCluster, id: number, ms = 60_000): Promise<number | null> {
  const m = c.member(id);
  const exited = m.exited;
  assert.ok(exited !== undefined, `member ${id} was not started`);
  const since = Date.now();
  const code = await withDeadline(
    ms,
    () =>
      `member ${id} has not exited (waited from ${since}, epoch ms as in its log lines' "time")\n${m.output.slice(-3000)}`,
    () => exited,
  );
  m.child = undefined;
  return code;
}

/**
 * SIGKILLs member `id`, runs `meanwhile` (e.g. writes past a compaction), restarts it with
 * `point=1*<action>`, makes it reach the point with `trigger` (optional), checks it died there,
 * then restarts it without failpoints.
 */
export async function crashAtFailpoint(
  c: FaultCluster,
  id: number,
  point: FailpointName,
  opts: { meanwhile?: () => Promise<void>; trigger?: () => Promise<void> } = {},
): Promise<void> {
  await c.kill(id, 'SIGKILL');
  await opts.meanwhile?.();
  c.startMember(id, { RAFTWIRE_FAILPOINTS: `${point}=1*crash` });
  if (opts.trigger !== undefined) await opts.trigger();
  await awaitExit(c, id);
  assert.match(
    c.member(id).output,
    new RegExp(`failpoint ${point}: crash`),
    `member ${id} crashed at ${point}`,
  );
  await sleep(300);
  c.startMember(id);
}

/**
 * Asks member `via` to move leadership to `to`. The answer is not checked: when `to` is armed to
 * crash as leader, the transfer is reported aborted (409) — the caller checks the crash.
 */
export async function transferTo(c: FaultCluster, via: number, to: number): Promise<number> {
  const r = await c.req(via, 'POST', '/-/leader', { body: JSON.stringify({ id: to.toString(16) }) });
  return r.status;
}

/** Waits until the workload acknowledged `n` more writes. */
export function moreWrites(w: Workload, n: number): Promise<void> {
  const target = w.counts.okWrites + n;
  return waitFor(`${n} more acknowledged writes`, () => w.counts.okWrites >= target, {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
}

/**
 * One test per point: a follower restarted armed with `<point>=1*crash` dies there under load,
 * restarts clean, and the scenario's checks hold.
 */
export function testFollowerCrashes(points: readonly FailpointName[]): void {
  for (const point of points) {
    test(`crash a follower at ${point}`, async (t) => {
      await runScenario(t, {
        name: `fp-${point}`,
        warmupMs: 500,
        afterMs: 1000,
        fault: async (c, leader) => crashAtFailpoint(c, others(leader)[0] as number, point),
      });
    });
  }
}

/**
 * One test per point: every member runs with RAFTWIRE_FAILPOINTS_HTTP, and under load the test
 * arms `<point>=1*crash` on whichever member leads at that moment (as etcd's robustness tests arm
 * gofail on the leader). The leader dies at the point — with entries it may have sent but not
 * saved, or saved but not answered — a new leader takes over, the old one restarts clean, and the
 * scenario's checks hold.
 */
export function testLeaderCrashes(points: readonly FailpointName[]): void {
  for (const point of points) {
    test(`crash the leader at ${point} (armed at run time)`, async (t) => {
      const fpPorts = await freePorts(3);
      const fpBase = (id: number) => `http://127.0.0.1:${fpPorts[id - 1]}`;
      await runScenario(t, {
        name: `fp-leader-${point}`,
        env: (id) => ({ RAFTWIRE_FAILPOINTS_HTTP: `127.0.0.1:${fpPorts[id - 1]}` }),
        fault: async (c) => {
          // Leadership may have moved since the start; arm the member that leads now.
          const leader = await c.waitLeaderAmong([1, 2, 3]);
          const armed = await fetch(`${fpBase(leader)}/${point}`, { method: 'PUT', body: '1*crash' });
          assert.equal(armed.status, 204, `arming ${point} on member ${leader}`);
          await awaitExit(c, leader); // the workload's writes drive it to the point
          assert.match(
            c.member(leader).output,
            new RegExp(`failpoint ${point}: crash`),
            `leader ${leader} crashed at ${point}`,
          );
          await c.waitLeaderAmong(others(leader), leader);
          await sleep(300);
          c.startMember(leader);
        },
      });
    });
  }
}
