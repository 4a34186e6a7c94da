/**
 * stop() leaves nothing behind: after a busy session (streams both ways, pipeline, snapshot,
 * probes, a stalled peer) and stop, the process holds the same sockets, servers and timers as
 * before it started. Checked with process.getActiveResourcesInfo().
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { MessageType, newConfState, newEntry, newMessage, newSnapshot } from '../../src/raftpb/index.js';
import { Snapshotter } from '../../src/snap/index.js';
import { waitFor } from '../support/wait.js';
import { fakePeer, startPair } from './harness.js';

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
}

it('stop closes every socket, server, timer and file it opened', async (t) => {
  await settle();
  const before = resources();
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-leak-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hung = await fakePeer((req) => req.pause());
  const [a, b] = await startPair(
    { probeIntervalMs: 200 },
    { snapshotter: new Snapshotter(dir), probeIntervalMs: 200 },
  );
  a.tr.addPeer(3n, [hung.url]);
  a.tr.send([
    newMessage({
      type: MessageType.MsgApp,
      to: 2n,
      from: 1n,
      term: 1,
      logTerm: 1,
      index: 0,
      entries: [newEntry({ term: 1, index: 1 })],
    }),
    newMessage({ type: MessageType.MsgHeartbeat, to: 3n, from: 1n }),
    newMessage({ type: MessageType.MsgSnap, to: 2n, from: 1n }),
  ]);
  b.tr.send([newMessage({ type: MessageType.MsgAppResp, to: 1n, from: 2n })]);
  await a.tr.sendSnapshot({
    message: newMessage({
      type: MessageType.MsgSnap,
      to: 2n,
      from: 1n,
      snapshot: newSnapshot({ index: 9, term: 1, confState: newConfState({ voters: [1n, 2n] }) }),
    }),
    body: (async function* () {
      yield new Uint8Array(100_000);
    })(),
  });
  await b.raft.waitForMessages(3);
  await a.raft.waitForMessages(1);
  await waitFor('a probe', async () =>
    (await a.registry.getSingleMetric('etcd_network_peer_round_trip_time_seconds')!.get()).values.some(
      (v) => v.labels.To === '2' && v.value > 0,
    ),
  );
  // A peer removed just before stop is still being stopped when stop() begins.
  a.tr.addPeer(4n, [hung.url]);
  a.tr.removePeer(4n);
  await a.close();
  await b.close();
  await hung.close();
  await rm(dir, { recursive: true, force: true });
  await settle();
  assert.deepEqual(resources(), before);
});
