/**
 * A crash at each failpoint of the Ready/apply loop, under load: the member dies at the point
 * (SIGKILL from inside), restarts clean, and the scenario's checks hold (linearizable history
 * with every acknowledged write visible at the end, converged replicas, service back).
 */
import { test } from 'node:test';
import { crashAtFailpoint, testFollowerCrashes, transferTo } from './support/failpoint-crash.js';
import { others, runScenario } from './support/scenario.js';

testFollowerCrashes([
  'raftBeforeSave',
  'raftAfterSave',
  'applyBeforeEntry',
  'applyAfterEntry',
  'raftBeforeFollowerSend',
]);

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
