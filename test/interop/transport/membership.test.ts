/**
 * Peers, remotes and peer URLs between raftwire and etcd 3.4.23: remotes (pipeline-only catch-up
 * peers), remotes learned from X-PeerURLs, updatePeer after a member moves, removePeer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../support/wait.js';
import { startGoNode } from '../support/go-node.js';
import { GO_ID, heartbeat, isProbe, messageMix, sortedHex, TS_ID } from '../support/messages.js';
import { startPair, waitStreams } from '../support/pair.js';
import { TsNode } from '../support/ts-node.js';

test('TS addRemote: messages to a remote go through POST /raft only', async (t) => {
  const go = await startGoNode(t, { id: GO_ID });
  const ts = await TsNode.start(t, { id: TS_ID });
  ts.transport.addRemote(GO_ID, [go.url]);
  const msgs = messageMix(TS_ID, GO_ID);
  ts.transport.send(msgs);
  const got = await go.waitReceived(msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.ok(got.every((r) => r.via === 'http'));
  assert.equal((await go.stats()).posts, msgs.length);
});

test('Go addRemote: a Go remote reaches TS through POST /raft only', async (t) => {
  const go = await startGoNode(t, { id: GO_ID });
  const ts = await TsNode.start(t, { id: TS_ID });
  await go.addRemote(TS_ID, [ts.url]);
  const msgs = messageMix(GO_ID, TS_ID);
  await go.send(msgs);
  const got = await ts.raft.received.waitFor('messages', () => true, msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.equal(ts.stats.posts, msgs.length);
});

test('X-PeerURLs: Go learns a remote from a TS POST and answers through it', async (t) => {
  // TS announces its URL and refuses streams (so it POSTs); Go has never heard of TS.
  const go = await startGoNode(t, { id: GO_ID });
  const tsA = await TsNode.start(t, { id: TS_ID, refuseStreams: true, advertise: true });
  tsA.transport.addPeer(GO_ID, [go.url]);
  tsA.transport.send([heartbeat(TS_ID, GO_ID, 1)]);
  await go.waitReceived(1);
  await go.send([heartbeat(GO_ID, TS_ID, 2)]);
  const [got] = await tsA.raft.received.waitFor(
    'reply through the learned remote',
    (r) => r.message.commit === 2,
  );
  assert.equal(got?.message.from, GO_ID);
  assert.equal(tsA.stats.posts, 1, 'it came as a POST (a remote has no streams)');
});

test('X-PeerURLs: TS learns a remote from a Go POST and answers through it', async (t) => {
  const go = await startGoNode(t, { id: GO_ID, refuseStreams: true });
  const ts = await TsNode.start(t, { id: TS_ID });
  await go.addPeer(TS_ID, [ts.url]);
  // Go's streams are refused and TS does not know Go: Go's heartbeat is a POST with X-PeerURLs.
  await go.send([heartbeat(GO_ID, TS_ID, 1)]);
  await ts.raft.received.waitFor('Go heartbeat', (r) => r.message.commit === 1);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 2)]);
  const [got] = await go.waitReceived(1, (r) => r.message.commit === 2);
  assert.equal(got?.via, 'http');
});

test('updatePeer: after Go moves to a new port, TS reaches it at the new URL', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  await go.kill();
  const moved = await startGoNode(t, { id: GO_ID });
  await moved.addPeer(TS_ID, [ts.url]);
  ts.transport.updatePeer(GO_ID, [moved.url]);
  let commit = 100;
  await waitFor(
    'the moved Go node to receive',
    () => {
      if (moved.received().some((r) => !isProbe(r.message))) return true;
      ts.transport.send([heartbeat(TS_ID, GO_ID, commit++)]);
      return false;
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  const got = moved.received().filter((r) => !isProbe(r.message));
  assert.ok(got.length > 0, 'the moved Go node receives');
  assert.ok(got.every((r) => r.message.from === TS_ID && r.message.commit >= 100));
});

test('removePeer: after TS removes Go, nothing more is sent to it', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 1)]);
  await go.waitReceived(1, (r) => r.message.commit === 1);
  ts.transport.removePeer(GO_ID);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 2)]);
  await sleep(300);
  assert.equal(go.received().filter((r) => r.message.commit === 2).length, 0);
  assert.equal(ts.transport.activePeers(), 0);
});
