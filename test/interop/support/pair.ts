/** A TS node and a Go node that know each other, and the wait for their streams. */

import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../support/wait.js';
import { type GoNode, type GoNodeOptions, startGoNode } from './go-node.js';
import { GO_ID, heartbeat, isProbe, TS_ID } from './messages.js';
import { TsNode, type TsNodeOptions } from './ts-node.js';

/** Starts a Go node (GO_ID) and a TS node (TS_ID) and adds each as the other's peer. */
export async function startPair(
  t: TestContext,
  ts: Partial<TsNodeOptions> = {},
  go: Partial<GoNodeOptions> = {},
): Promise<{ ts: TsNode; go: GoNode }> {
  const goNode = await startGoNode(t, { id: GO_ID, ...go });
  const tsNode = await TsNode.start(t, { id: TS_ID, ...ts });
  tsNode.transport.addPeer(GO_ID, [goNode.url]);
  await goNode.addPeer(TS_ID, [tsNode.url]);
  return { ts: tsNode, go: goNode };
}

/**
 * Sends probe heartbeats both ways until both nodes' servers have attached both stream types and
 * a round of probes arrives on each side without any pipeline POST.
 */
export async function waitStreams(ts: TsNode, go: GoNode, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    'streams between TS and Go',
    async () => {
      const gs = await go.stats();
      const attached =
        gs.msgappGets > 0 && gs.messageGets > 0 && ts.stats.msgappGets > 0 && ts.stats.messageGets > 0;
      const postsBefore = gs.posts + ts.stats.posts;
      const goProbes = go.received().filter((r) => isProbe(r.message)).length;
      const tsProbes = ts.raft.received.filter((r) => isProbe(r.message)).length;
      ts.transport.send([heartbeat(TS_ID, GO_ID, 0, 1)]);
      await go.send([heartbeat(GO_ID, TS_ID, 0, 1)]);
      await sleep(30); // a round of probes in flight
      if (!attached) return false;
      const arrived =
        go.received().filter((r) => isProbe(r.message)).length > goProbes &&
        ts.raft.received.filter((r) => isProbe(r.message)).length > tsProbes;
      return arrived && (await go.stats()).posts + ts.stats.posts === postsBefore;
    },
    { timeoutMs, intervalMs: 1, describe: () => go.stderrText() },
  );
}
