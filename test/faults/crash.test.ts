/** Process crashes under load: a follower, the leader, a quorum, all (SIGKILL, then restart). */
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { crashAndRestart, others, runScenario } from './support/scenario.js';

test('crash a follower (SIGKILL, restart after 1 s)', async (t) => {
  await runScenario(t, {
    name: 'crash-follower',
    fault: async (c, leader) => crashAndRestart(c, others(leader)[0] as number),
  });
});

test('crash the leader (SIGKILL, restart after 1 s)', async (t) => {
  await runScenario(t, {
    name: 'crash-leader',
    fault: async (c, leader) => crashAndRestart(c, leader),
  });
});

test('crash a quorum (2 of 3 SIGKILLed, restarted)', async (t) => {
  await runScenario(t, {
    name: 'crash-quorum',
    fault: async (c, leader) => {
      const [a] = others(leader) as [number];
      await Promise.all([c.kill(leader, 'SIGKILL'), c.kill(a, 'SIGKILL')]);
      await sleep(1000);
      c.startMember(leader);
      c.startMember(a);
    },
  });
});

test('crash all members (SIGKILL, restarted)', async (t) => {
  await runScenario(t, {
    name: 'crash-all',
    fault: async (c) => {
      await Promise.all([1, 2, 3].map((id) => c.kill(id, 'SIGKILL')));
      await sleep(500);
      for (const id of [1, 2, 3]) c.startMember(id);
    },
  });
});
