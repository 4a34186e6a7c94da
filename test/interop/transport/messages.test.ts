/**
 * raftwire ↔ etcd 3.4.23 over the streams: every message kind, both directions, field for field,
 * and which stream (msgappv2 or message) carried what.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Message, MessageType, newEntry, newMessage } from '../../../src/raftpb/index.js';
import { waitFor } from '../../support/wait.js';
import { startGoNode } from '../support/go-node.js';
import {
  GO_ID,
  GO_ID_2,
  heartbeat,
  isProbe,
  messageHex,
  messageMix,
  msgApp,
  msgAppRun,
  pseudoRandomBytes,
  sortedHex,
  TS_ID,
} from '../support/messages.js';
import { startPair, waitStreams } from '../support/pair.js';

test('TS → Go: every message kind arrives field for field over the streams', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const postsBefore = (await go.stats()).posts;
  const msgs = messageMix(TS_ID, GO_ID);
  ts.transport.send(msgs);
  const got = await go.waitReceived(msgs.length, (r) => !isProbe(r.message));
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.ok(got.every((r) => r.via === 'stream'));
  assert.equal((await go.stats()).posts, postsBefore, 'nothing went through the pipeline');
  // 64-bit IDs survive in the envelope, not just in the bytes compared above.
  assert.ok(got.every((r) => r.message.from === TS_ID && r.message.to === GO_ID));
});

test('Go → TS: every message kind arrives field for field over the streams', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const postsBefore = ts.stats.posts;
  const msgs = messageMix(GO_ID, TS_ID);
  await go.send(msgs);
  const got = await ts.raft.received.waitFor('mix', (r) => !isProbe(r.message), msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.equal(ts.stats.posts, postsBefore, 'nothing went through the pipeline');
  assert.ok(got.every((r) => r.message.from === GO_ID && r.message.to === TS_ID));
});

test('TS → Go: MsgApp rides msgappv2 in order, heartbeats ride the message stream', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const before = ts.streamBytes();
  const apps = msgAppRun(TS_ID, GO_ID, 500, 1000, 5);
  for (let i = 0; i < apps.length; i += 50) ts.transport.send(apps.slice(i, i + 50));
  const gotApps = await go.waitReceived(apps.length, (r) => r.message.type === MessageType.MsgApp);
  assert.deepEqual(
    gotApps.map((r) => r.hex),
    apps.map(messageHex),
    'one stream keeps the order',
  );
  const mid = ts.streamBytes();
  const payload = apps.reduce((s, m) => s + (m.entries[0]?.data?.length ?? 0), 0);
  assert.ok(
    mid.msgapp - before.msgapp >= payload,
    `msgappv2 carried the MsgApps (${mid.msgapp - before.msgapp} B)`,
  );
  assert.ok(
    mid.message - before.message < 500,
    `message stream idle meanwhile (${mid.message - before.message} B)`,
  );

  const hbs = Array.from({ length: 300 }, (_, i) => heartbeat(TS_ID, GO_ID, i + 1, 5));
  ts.transport.send(hbs);
  const gotHbs = await go.waitReceived(
    hbs.length,
    (r) => r.message.type === MessageType.MsgHeartbeat && !isProbe(r.message),
  );
  assert.deepEqual(
    gotHbs.map((r) => r.hex),
    hbs.map(messageHex),
  );
  const after = ts.streamBytes();
  assert.ok(
    after.message - mid.message >= 300 * 20,
    `message stream carried the heartbeats (${after.message - mid.message} B)`,
  );
  assert.ok(after.msgapp - mid.msgapp < 500, `msgappv2 idle meanwhile (${after.msgapp - mid.msgapp} B)`);
});

test('Go → TS: MsgApp rides msgappv2 in order, heartbeats ride the message stream', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const before = await go.stats();
  const apps = msgAppRun(GO_ID, TS_ID, 500, 1000, 5);
  await go.send(apps);
  const gotApps = await ts.raft.received.waitFor(
    'MsgApps',
    (r) => r.message.type === MessageType.MsgApp,
    apps.length,
  );
  assert.deepEqual(
    gotApps.map((r) => r.hex),
    apps.map(messageHex),
    'one stream keeps the order',
  );
  const mid = await go.stats();
  const payload = apps.reduce((s, m) => s + (m.entries[0]?.data?.length ?? 0), 0);
  assert.ok(mid.msgappBytes - before.msgappBytes >= payload, 'msgappv2 carried the MsgApps');
  assert.ok(mid.messageBytes - before.messageBytes < 500, 'message stream idle meanwhile');

  const hbs = Array.from({ length: 300 }, (_, i) => heartbeat(GO_ID, TS_ID, i + 1, 5));
  await go.send(hbs);
  const gotHbs = await ts.raft.received.waitFor(
    'heartbeats',
    (r) => r.message.type === MessageType.MsgHeartbeat && !isProbe(r.message),
    hbs.length,
  );
  assert.deepEqual(
    gotHbs.map((r) => r.hex),
    hbs.map(messageHex),
  );
  const after = await go.stats();
  assert.ok(after.messageBytes - mid.messageBytes >= 300 * 20, 'message stream carried the heartbeats');
  assert.ok(after.msgappBytes - mid.msgappBytes < 500, 'msgappv2 idle meanwhile');
  assert.equal(after.posts, before.posts);
});

/** Big messages: a 4 MiB MsgApp entry (msgappv2) and a 3 MiB MsgProp (message stream). */
function bigMessages(from: bigint, to: bigint): Message[] {
  const app = msgApp({ from, to, term: 4, index: 77, commit: 70, entryBytes: 4 * 1024 * 1024, seed: 11 });
  const prop = newMessage({
    type: MessageType.MsgProp,
    from,
    to,
    entries: [1, 2, 3].map((i) => newEntry({ data: pseudoRandomBytes(1024 * 1024, i) })),
  });
  return [app, prop];
}

test('multi-megabyte messages cross both streams intact, both ways', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const toGo = bigMessages(TS_ID, GO_ID);
  const toTs = bigMessages(GO_ID, TS_ID);
  ts.transport.send(toGo);
  await go.send(toTs);
  const gotGo = await go.waitReceived(2, (r) => !isProbe(r.message), 30_000);
  const gotTs = await ts.raft.received.waitFor('big messages', (r) => !isProbe(r.message), 2, 30_000);
  assert.deepEqual(sortedHex(gotGo), sortedHex(toGo));
  assert.deepEqual(sortedHex(gotTs), sortedHex(toTs));
  assert.ok(gotGo.every((r) => r.via === 'stream'));
});

test('a three-member cluster (one TS, two Go): every member reaches every other, field for field', async (t) => {
  const { ts, go } = await startPair(t);
  const go2 = await startGoNode(t, { id: GO_ID_2 });
  ts.transport.addPeer(GO_ID_2, [go2.url]);
  await go2.addPeer(TS_ID, [ts.url]);
  await go2.addPeer(GO_ID, [go.url]);
  await go.addPeer(GO_ID_2, [go2.url]);
  await waitStreams(ts, go);
  await waitFor('TS has both peers active', () => ts.transport.activePeers() === 2, { timeoutMs: 10_000 });
  await waitFor(
    'each Go has both peers active',
    async () => (await go.activePeers()) === 2 && (await go2.activePeers()) === 2,
    { timeoutMs: 10_000 },
  );
  const fromTs = [...messageMix(TS_ID, GO_ID), ...messageMix(TS_ID, GO_ID_2)];
  ts.transport.send(fromTs);
  await go.send(messageMix(GO_ID, TS_ID));
  await go2.send([...messageMix(GO_ID_2, TS_ID), ...messageMix(GO_ID_2, GO_ID)]);
  const mixLen = messageMix(TS_ID, GO_ID).length;
  const atGo = await go.waitReceived(2 * mixLen, (r) => !isProbe(r.message));
  const atGo2 = await go2.waitReceived(mixLen, (r) => !isProbe(r.message));
  const atTs = await ts.raft.received.waitFor('mixes', (r) => !isProbe(r.message), 2 * mixLen);
  assert.deepEqual(sortedHex(atGo), sortedHex([...messageMix(TS_ID, GO_ID), ...messageMix(GO_ID_2, GO_ID)]));
  assert.deepEqual(sortedHex(atGo2), sortedHex(messageMix(TS_ID, GO_ID_2)));
  assert.deepEqual(sortedHex(atTs), sortedHex([...messageMix(GO_ID, TS_ID), ...messageMix(GO_ID_2, TS_ID)]));
});
