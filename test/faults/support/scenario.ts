/**
 * One fault scenario: a 3-member cluster behind fault proxies, the workload running, the fault
 * injected and healed, then the pass criteria: the history (with final reads of every key on
 * every member, so every acknowledged write must still be visible) is linearizable; all members
 * converge to the same applied index and state hash; the cluster took writes again within a
 * bound after the fault ended. The history is saved under the OS temp dir when a check fails.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkHistory } from '../../../src/testing/index.js';
import { FaultCluster } from './fault-cluster.js';
import { LeaderSampler, type SamplerSummary } from './leader-sampler.js';
import { TORTURE_SEED, tortureLoadMs } from './torture.js';
import { Workload, type WorkloadOptions } from './workload.js';

/** What a scenario configures. */
export interface ScenarioOptions<C extends FaultCluster = FaultCluster> {
  name: string;
  /** Extra flags for every member. */
  args?: string[];
  /** Environment of each member's first start. */
  env?: (id: number) => Record<string, string> | undefined;
  /** Load before the fault (ms, default 1000). */
  warmupMs?: number;
  /** Injects the fault and ends it; runs with the workload going. */
  fault: (c: C, leader: number, w: Workload) => Promise<void>;
  /** Load after the fault ended (ms, default 1500). */
  afterMs?: number;
  /** Longest wait for the first ok write after the fault ended (default 20 s). */
  recoveryBoundMs?: number;
  workload?: Partial<WorkloadOptions>;
  /** Makes the cluster (default: a FaultCluster with proxies) from the member flags. */
  cluster?: (args: string[]) => C;
  /** Fails the scenario after this long (default 150 s; torture load is added). */
  timeoutMs?: number;
}

/** What a scenario measured. */
export interface ScenarioResult<C extends FaultCluster = FaultCluster> {
  cluster: C;
  workload: Workload;
  operations: number;
  recoveryMs: number;
  applied: number;
  /** What the "no two leaders in a term" sampler saw. */
  leaders: SamplerSummary;
}

/** The members of a 3-member scenario cluster other than `leader`. */
export const others = (leader: number): number[] => [1, 2, 3].filter((id) => id !== leader);

export const DEFAULT_ARGS = ['--request-timeout', '2000', '--log-level', 'warn'];

/**
 * Runs one scenario and checks it; fails (never hangs) after `o.timeoutMs` (default 150 s, plus
 * the torture load), with the members' logs. The runner's own timeout bounds whole files
 * (scripts/test.sh), so each scenario bounds itself; t.after still closes the cluster.
 */
export async function runScenario<C extends FaultCluster = FaultCluster>(
  t: TestContext,
  o: ScenarioOptions<C>,
): Promise<ScenarioResult<C>> {
  const load = tortureLoadMs();
  const ms = (o.timeoutMs ?? 150_000) + (load === undefined ? 0 : load[0] + load[1]);
  let timer: NodeJS.Timeout | undefined;
  let cluster: C | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${o.name}: scenario did not finish within ${ms} ms\n${cluster?.logs() ?? ''}`)),
      ms,
    );
  });
  try {
    return await Promise.race([
      scenario(t, o, (c) => {
        cluster = c;
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function scenario<C extends FaultCluster>(
  t: TestContext,
  o: ScenarioOptions<C>,
  made: (c: C) => void,
): Promise<ScenarioResult<C>> {
  const args = [...DEFAULT_ARGS, ...(o.args ?? [])];
  const c = (o.cluster?.(args) ?? new FaultCluster(args)) as C;
  made(c);
  let w: Workload | undefined;
  const sampler = new LeaderSampler(c);
  t.after(async () => {
    await sampler.stop();
    await w?.stop();
    await c.close();
  });
  await c.setup(3);
  sampler.start();
  const leader = await c.startAllMembers(o.env);
  w = new Workload({ targets: () => c.liveBases(), ...o.workload });
  w.start();
  const load = tortureLoadMs();
  await sleep(load?.[0] ?? o.warmupMs ?? 1000);
  await o.fault(c, leader, w);
  const healedAt = performance.now();
  // Service must come back: a write acknowledged after the fault ended, within the bound.
  const bound = o.recoveryBoundMs ?? 20_000;
  const wl = w;
  const firstOk = await new Promise<number>((resolve, reject) => {
    const check = setInterval(() => {
      const t1 = wl.okWriteTimes.find((x) => x > healedAt);
      if (t1 !== undefined) {
        clearInterval(check);
        resolve(t1 - healedAt);
      } else if (performance.now() - healedAt > bound) {
        clearInterval(check);
        reject(
          new Error(`${o.name}: no write acknowledged within ${bound} ms after the fault ended\n${c.logs()}`),
        );
      }
    }, 20);
  });
  await sleep(load?.[1] ?? o.afterMs ?? 1500);
  await w.stop();
  const converged = await c.converge();
  await w.finalReads(c.liveBases());
  await sampler.stop();
  const leaders = sampler.summary();
  assert.deepEqual(sampler.conflicts(), [], `${o.name}: two leaders in one term`);
  assert.ok(leaders.termsWithLeader >= 1, `${o.name}: the sampler never saw a leader`);
  const file = join(tmpdir(), `raftwire-fault-${o.name}-${process.pid}.jsonl`);
  const verdict = checkHistory(w.history, { timeoutMs: 60_000 });
  if (verdict.outcome !== 'linearizable') w.save(file);
  assert.equal(
    verdict.outcome,
    'linearizable',
    `${o.name}: ${verdict.outcome === 'not-linearizable' ? `${verdict.explanation}\n${verdict.timeline}` : verdict.outcome === 'undecided' ? verdict.reason : ''} (history: ${file})`,
  );
  assert.ok(w.counts.okWrites >= 10, `${o.name}: only ${w.counts.okWrites} writes acknowledged`);
  assert.ok(w.counts.okReads >= 10, `${o.name}: only ${w.counts.okReads} reads answered`);
  t.diagnostic(
    `${o.name} (seed ${TORTURE_SEED}): ${w.history.length / 2} ops (ok ${w.counts.ok}, fail ${w.counts.fail}, info ${w.counts.info}), ` +
      `first write ${Math.round(firstOk)} ms after the fault ended, applied ${converged.applied}; ` +
      `leader sampler: ${leaders.samples} samples, ${leaders.terms} terms (${leaders.termsWithLeader} with a leader)`,
  );
  return {
    cluster: c,
    workload: w,
    operations: w.history.length / 2,
    recoveryMs: firstOk,
    applied: converged.applied,
    leaders,
  };
}

/** SIGKILLs member `id`, waits `downMs`, restarts it (without failpoints). */
export async function crashAndRestart(c: FaultCluster, id: number, downMs = 1000): Promise<void> {
  await c.kill(id, 'SIGKILL');
  await sleep(downMs);
  c.startMember(id);
}
