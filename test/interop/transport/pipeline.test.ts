/**
 * The pipeline fallback between raftwire and etcd 3.4.23. A stream from X to Y is dialled by Y
 * at X's /raft/stream/…; when X answers those dials 404, X has no stream writer for Y and every
 * message X sends Y goes as its own POST /raft.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GO_ID, heartbeat, messageMix, sortedHex, TS_ID } from '../support/messages.js';
import { startPair } from '../support/pair.js';

test('TS → Go: with TS refusing stream dials, every message goes through POST /raft intact', async (t) => {
  const { ts, go } = await startPair(t, { refuseStreams: true });
  const msgs = messageMix(TS_ID, GO_ID);
  ts.transport.send(msgs);
  const got = await go.waitReceived(msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.ok(got.every((r) => r.via === 'http'));
  assert.equal((await go.stats()).posts, msgs.length, 'one POST per message');
  assert.equal(ts.stats.msgappGets + ts.stats.messageGets, 0, 'no stream was ever attached on the TS side');
});

test('Go → TS: with Go refusing stream dials, every message goes through POST /raft intact', async (t) => {
  const { ts, go } = await startPair(t, {}, { refuseStreams: true });
  const msgs = messageMix(GO_ID, TS_ID);
  await go.send(msgs);
  const got = await ts.raft.received.waitFor('messages', () => true, msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.equal(ts.stats.posts, msgs.length, 'one POST per message');
  const gs = await go.stats();
  assert.equal(gs.msgappGets + gs.messageGets, 0, 'no stream was ever attached on the Go side');
});

test('pipeline both ways at once, with streams refused on both sides, many messages', async (t) => {
  const { ts, go } = await startPair(t, { refuseStreams: true }, { refuseStreams: true });
  const toGo = Array.from({ length: 10 }, () => messageMix(TS_ID, GO_ID)).flat();
  const toTs = Array.from({ length: 10 }, () => messageMix(GO_ID, TS_ID)).flat();
  // The pipeline queue holds 64: send in slices the 4 workers drain.
  for (let i = 0; i < toGo.length; i += 32) {
    ts.transport.send(toGo.slice(i, i + 32));
    await go.send(toTs.slice(i, i + 32));
    await go.waitReceived(Math.min(i + 32, toGo.length));
    await ts.raft.received.waitFor('messages', () => true, Math.min(i + 32, toTs.length));
  }
  assert.deepEqual(sortedHex(go.received()), sortedHex(toGo));
  assert.deepEqual(sortedHex(ts.raft.received.items), sortedHex(toTs));
  assert.equal(ts.stats.posts, toTs.length);
  assert.equal((await go.stats()).posts, toGo.length);
});

test('idle pipeline connections outliving the servers’ 5 s deadlines are not reused blindly', async (t) => {
  // etcd's peer listener closes a connection after 5 s without a read; Node's server closes idle
  // keep-alive connections after 5 s. A POST after that must still arrive, both ways.
  const { ts, go } = await startPair(t, { refuseStreams: true }, { refuseStreams: true });
  ts.transport.send([heartbeat(TS_ID, GO_ID, 1)]);
  await go.send([heartbeat(GO_ID, TS_ID, 1)]);
  await go.waitReceived(1);
  await ts.raft.received.waitFor('first POST', () => true);
  await sleep(5_600);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 2)]);
  await go.send([heartbeat(GO_ID, TS_ID, 2)]);
  await go.waitReceived(1, (r) => r.message.commit === 2);
  await ts.raft.received.waitFor('second POST', (r) => r.message.commit === 2);
  assert.equal(ts.raft.unreachable.items.length, 0, 'TS reported no failed POST');
  assert.equal(go.events.filter((e) => e.ev === 'reportUnreachable').length, 0, 'Go reported no failed POST');
});
