/**
 * A crash at the I/O failpoints under load: in the WAL's group write (before the write, before
 * the write that makes it durable) and in the transport's send. A follower restarted armed with
 * `<point>=1*crash` dies there (SIGKILL from inside), restarts clean, and the scenario's checks
 * hold (linearizable history with every acknowledged write visible, converged replicas, service
 * back).
 */
import { test } from 'node:test';
import type { FailpointName } from '../../src/failpoint/index.js';
import { crashAtFailpoint } from './support/failpoint-crash.js';
import { runScenario } from './support/scenario.js';

const others = (leader: number): number[] => [1, 2, 3].filter((id) => id !== leader);

const points: FailpointName[] = ['walBeforeWrite', 'walBeforeFsync', 'transportBeforeSend'];

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
