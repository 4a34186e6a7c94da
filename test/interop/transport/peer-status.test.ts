/**
 * Peer status across raftwire and etcd 3.4.23: both sides see each other active once the streams
 * are up, and inactive when the other side goes away.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { waitFor } from '../../support/wait.js';
import { startGoNode } from '../support/go-node.js';
import { GO_ID, heartbeat, TS_ID } from '../support/messages.js';
import { startPair, waitStreams } from '../support/pair.js';
import { TsNode } from '../support/ts-node.js';

test('both sides report the other active once streams are up', async (t) => {
  const before = Date.now();
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  assert.equal(ts.transport.activePeers(), 1);
  const since = ts.transport.activeSince(GO_ID);
  assert.ok(since instanceof Date && since.getTime() >= before - 1000 && since.getTime() <= Date.now());
  assert.equal(await go.activePeers(), 1);
  const goSince = await go.activeSince(TS_ID);
  assert.ok(goSince >= before - 1000 && goSince <= Date.now(), `Go active since ${goSince}`);
});

test('TS sees Go inactive after Go crashes, Go sees TS inactive after TS stops', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  await go.kill();
  await waitFor('TS sees Go inactive', () => ts.transport.activePeers() === 0, { timeoutMs: 10_000 });
  assert.equal(ts.transport.activeSince(GO_ID), undefined);

  const { ts: ts2, go: go2 } = await startPair(t);
  await waitStreams(ts2, go2);
  await ts2.stop();
  await waitFor('Go sees TS inactive', async () => (await go2.activePeers()) === 0, { timeoutMs: 10_000 });
  assert.equal(await go2.activeSince(TS_ID), 0);
});

test('idle streams stay up past the 5 s read deadlines: link heartbeats keep them alive both ways', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const goStats = await go.stats();
  const tsGets = ts.stats.msgappGets + ts.stats.messageGets;
  const tsPosts = ts.stats.posts;
  const since = ts.transport.activeSince(GO_ID)?.getTime();
  const goSince = await go.activeSince(TS_ID);
  await sleep(6_500);
  const goStats2 = await go.stats();
  assert.equal(
    goStats2.msgappGets + goStats2.messageGets,
    goStats.msgappGets + goStats.messageGets,
    'TS never re-dialled',
  );
  assert.equal(ts.stats.msgappGets + ts.stats.messageGets, tsGets, 'Go never re-dialled');
  assert.equal(ts.transport.activeSince(GO_ID)?.getTime(), since);
  assert.equal(await go.activeSince(TS_ID), goSince);
  assert.ok(goStats2.messageBytes > goStats.messageBytes, 'Go wrote link heartbeats meanwhile');
  assert.ok(ts.streamBytes().message > 0);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 5)]);
  await go.send([heartbeat(GO_ID, TS_ID, 5)]);
  const [r] = await go.waitReceived(1, (x) => x.message.commit === 5);
  await ts.raft.received.waitFor('heartbeat', (x) => x.message.commit === 5);
  assert.equal(r?.via, 'stream');
  assert.equal((await go.stats()).posts, goStats.posts, 'no POST to Go');
  assert.equal(ts.stats.posts, tsPosts, 'no POST to TS');
});

test('the TS prober gets healthy answers from Go’s /raft/probing and records round trips', async (t) => {
  const registry = new Registry();
  const { ts, go } = await startPair(t, { transport: { metrics: registry, probeIntervalMs: 50 } });
  await waitStreams(ts, go);
  const rttCount = async (): Promise<number> => {
    const text = await registry.metrics();
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(`etcd_network_peer_round_trip_time_seconds_count{To="${GO_ID.toString(16)}"}`),
      );
    return Number(line?.split(' ').at(-1) ?? 0);
  };
  await waitFor('a probe round trip to Go is recorded', async () => (await rttCount()) >= 2, {
    timeoutMs: 10_000,
  });
});

test('the URL picker moves past a dead URL to a live one, both implementations', async (t) => {
  const dead = await deadUrl();
  const go = await startGoNode(t, { id: GO_ID });
  const ts = await TsNode.start(t, { id: TS_ID });
  ts.transport.addPeer(GO_ID, [dead, go.url]);
  await go.addPeer(TS_ID, [dead, ts.url]);
  let commit = 1;
  await waitFor(
    'both sides delivered through the live URL',
    async () => {
      ts.transport.send([heartbeat(TS_ID, GO_ID, commit)]);
      await go.send([heartbeat(GO_ID, TS_ID, commit)]);
      commit++;
      return go.received().length > 0 && ts.raft.received.items.length > 0;
    },
    { timeoutMs: 10_000 },
  );
  await waitStreams(ts, go);
});

/** A loopback URL nothing listens on (a port bound and released). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
