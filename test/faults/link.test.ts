/** Degraded links through the fault proxies: latency with jitter, connection drops, bandwidth, resets. */
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LinkFault } from '../../src/testing/fault-proxy.js';
import type { FaultCluster } from './support/fault-cluster.js';
import { runScenario } from './support/scenario.js';

function everyLink(c: FaultCluster, fault: LinkFault, only?: number): void {
  for (const from of [1, 2, 3])
    for (const to of [1, 2, 3])
      if (from !== to && (only === undefined || from === only)) c.link(from, to, fault);
}

test('latency 75 ± 50 ms on every link for 2.5 s', async (t) => {
  await runScenario(t, {
    name: 'latency-all',
    fault: async (c) => {
      everyLink(c, { kind: 'latency', ms: 75, jitterMs: 50 });
      await sleep(2500);
      c.heal();
    },
  });
});

test('latency 1500 ± 300 ms on everything the leader sends, for 3 s (past the election timeout)', async (t) => {
  await runScenario(t, {
    name: 'latency-leader',
    fault: async (c, leader) => {
      everyLink(c, { kind: 'latency', ms: 1500, jitterMs: 300 }, leader);
      await sleep(3000);
      c.heal();
    },
  });
});

test('drops: each chunk closes its connection with 20% probability, for 2.5 s', async (t) => {
  await runScenario(t, {
    name: 'drop-20',
    fault: async (c) => {
      everyLink(c, { kind: 'drop', probability: 0.2 });
      await sleep(2500);
      c.heal();
    },
  });
});

test('bandwidth: 8 kB/s on the leader outgoing links for 2.5 s', async (t) => {
  await runScenario(t, {
    name: 'bandwidth-leader',
    fault: async (c, leader) => {
      everyLink(c, { kind: 'bandwidth', bytesPerSecond: 8000 }, leader);
      await sleep(2500);
      c.heal();
    },
  });
});

test('resets: every peer connection of the leader reset for 2.5 s', async (t) => {
  await runScenario(t, {
    name: 'reset-leader',
    fault: async (c, leader) => {
      c.proxy(leader).setFault('both', { kind: 'reset' });
      for (const o of [1, 2, 3])
        if (o !== leader) c.proxy(o).setFault('both', { kind: 'reset' }, leader.toString(16));
      await sleep(2500);
      c.heal();
    },
  });
});
