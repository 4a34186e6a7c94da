/**
 * A crash at each failpoint of the Ready/apply loop, under load: the member dies at the point
 * (SIGKILL from inside), restarts clean, and the scenario's checks hold (linearizable history
 * with every acknowledged write visible at the end, converged replicas, service back).
 */
import { test } from 'node:test';
import type { FailpointName } from '../../src/failpoint/index.js';
import { crashAtFailpoint, transferTo } from './support/failpoint-crash.js';
import { runScenario } from './support/scenario.js';

const others = (leader: number): number[] => [1, 2, 3].filter((id) => id !== leader);

const followerPoints: FailpointName[] = [
  'raftBeforeSave',
  'raftAfterSave',
  'applyBeforeEntry',
  'applyAfterEntry',
  'raftBeforeFollowerSend',
];

for (const point of followerPoints) {
  test(`crash a follower at ${point}`, async (t) => {
    await runScenario(t, {
      name: `fp-${point}`,
      warmupMs: 500,
      afterMs: 1000,
      fault: async (c, leader) => crashAtFailpoint(c, others(leader)[0] as number, point),
    });
  });
}

test('crash the leader at raftBeforeLeaderSend (leadership moved to the armed member)', async (t) => {
  await runScenario(t, {
    name: 'fp-raftBeforeLeaderSend',
    warmupMs: 500,
    afterMs: 1000,
    fault: async (c, leader) => {
      const target = others(leader)[0] as number;
      await crashAtFailpoint(c, target, 'raftBeforeLeaderSend', {
        trigger: async () => {
          await c.waitLeaderAmong([1, 2, 3]);
          await transferTo(c, leader, target);
        },
      });
    },
  });
});
