/**
 * Go ↔ Go: two rafthttp-node processes (real etcd 3.4.23 transports) talking to each other. This
 * is the reference behaviour the TS interop tests hold raftwire to, and it proves the harness
 * itself reports what the Go transport does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type Message, MessageType } from '../../../src/raftpb/index.js';
import { waitFor } from '../../support/wait.js';
import { makeCa, makeLeaf } from '../support/certs.js';
import { type GoNode, type GoNodeOptions, type GoReceived, startGoNode } from '../support/go-node.js';
import {
  GO_ID,
  GO_ID_2,
  heartbeat,
  messageHex,
  messageMix,
  msgAppRun,
  msgSnap,
} from '../support/messages.js';

async function pair(t: TestContext, a: Partial<GoNodeOptions> = {}, b: Partial<GoNodeOptions> = {}) {
  const na = await startGoNode(t, { id: GO_ID, ...a });
  const nb = await startGoNode(t, { id: GO_ID_2, ...b });
  await na.addPeer(GO_ID_2, [nb.url]);
  await nb.addPeer(GO_ID, [na.url]);
  return [na, nb] as const;
}

test('Go ↔ Go: every message kind arrives field for field over the streams, both ways', async (t) => {
  const [a, b] = await pair(t);
  await waitStreams(a, b);
  const postsBefore = (await a.stats()).posts + (await b.stats()).posts;
  const ab = messageMix(GO_ID, GO_ID_2);
  const ba = messageMix(GO_ID_2, GO_ID);
  await a.send(ab);
  await b.send(ba);
  const gotB = await b.waitReceived(ab.length, notProbe);
  const gotA = await a.waitReceived(ba.length, notProbe);
  assert.deepEqual(sortedHex(gotB), sortedHex(ab));
  assert.deepEqual(sortedHex(gotA), sortedHex(ba));
  assert.ok(gotA.every((r) => r.via === 'stream') && gotB.every((r) => r.via === 'stream'));
  assert.equal((await a.stats()).posts + (await b.stats()).posts, postsBefore);
});

test('Go ↔ Go: MsgApp goes on msgappv2, heartbeats on the message stream', async (t) => {
  const [a, b] = await pair(t);
  // First traffic may race the stream attach; resend probes until one arrives by stream.
  await waitStreams(a, b);
  const before = await a.stats();
  const apps = msgAppRun(GO_ID, GO_ID_2, 200, 10);
  await a.send(apps);
  await b.waitReceived(200, (r) => r.message.type === MessageType.MsgApp);
  const mid = await a.stats();
  const hbs = Array.from({ length: 200 }, (_, i) => heartbeat(GO_ID, GO_ID_2, i + 1));
  await a.send(hbs);
  await b.waitReceived(200, (r) => r.message.type === MessageType.MsgHeartbeat && notProbe(r));
  const after = await a.stats();
  const appPayload = apps.reduce((s, m) => s + (m.entries[0]?.data?.length ?? 0), 0);
  assert.ok(mid.msgappBytes - before.msgappBytes >= appPayload, 'MsgApps went on msgappv2');
  assert.ok(mid.messageBytes - before.messageBytes < 200 * 10, 'MsgApps did not go on the message stream');
  assert.ok(after.messageBytes - mid.messageBytes >= 200 * 20, 'heartbeats went on the message stream');
  assert.ok(after.msgappBytes - mid.msgappBytes < 200 * 10, 'heartbeats did not go on msgappv2');
  assert.equal(after.posts, before.posts);
});

test('Go ↔ Go: a node that refuses stream dials sends everything through the pipeline', async (t) => {
  const [a, b] = await pair(t, { refuseStreams: true });
  const msgs = messageMix(GO_ID, GO_ID_2);
  // a's streams are refused, so a has no stream writer to b: each message is a POST to b.
  await a.send(msgs);
  const got = await b.waitReceived(msgs.length);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));
  assert.ok(got.every((r) => r.via === 'http'));
  assert.equal((await b.stats()).posts, msgs.length);
  assert.ok((await a.stats()).refusedGets > 0);
});

test('Go ↔ Go: sendSnapshot with a 3 MiB body is saved by the snapshotter, checksum intact', async (t) => {
  const [a, b] = await pair(t);
  const m = msgSnap(GO_ID, GO_ID_2, 4242, new TextEncoder().encode('{"v2store":true}'));
  const size = 3 * 1024 * 1024 + 17;
  await a.sendSnapshot(m, size, 99);
  const sent = await a.waitEvent('snapshotSent');
  assert.equal(sent.ok, true);
  const [got] = await b.waitReceived(1, (r) => r.message.type === MessageType.MsgSnap);
  assert.equal(got?.hex, messageHex(m));
  assert.equal(got?.via, 'http');
  assert.equal(got?.snapDb?.size, size);
  assert.equal(got?.snapDb?.sha256, sent.sha256);
  await a.waitEvent('reportSnapshot', (e) => e.status === 'finish' && e.id === GO_ID_2.toString(16));
});

test('Go ↔ Go: a member the peer reports removed gets 410 on its stream dials and an ErrorC', async (t) => {
  const [a, b] = await pair(t);
  await b.setRemoved(GO_ID, true);
  await a.removePeer(GO_ID_2);
  await a.addPeer(GO_ID_2, [b.url]);
  const e = await a.waitEvent('errorC');
  assert.match(String(e.error), /permanently removed/);
});

test('Go ↔ Go: mutual TLS with certificates from one CA; a foreign CA is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await makeCa(dir, 'ca');
  const rogue = await makeCa(dir, 'rogue-ca');
  const [a, b] = await pair(
    t,
    { tls: await makeLeaf(dir, ca, 'node-a') },
    { tls: await makeLeaf(dir, ca, 'node-b') },
  );
  assert.match(a.url, /^https:/);
  const msgs = messageMix(GO_ID, GO_ID_2);
  await waitStreams(a, b);
  await a.send(msgs);
  const got = await b.waitReceived(msgs.length, notProbe);
  assert.deepEqual(sortedHex(got), sortedHex(msgs));

  const c = await startGoNode(t, { id: 0x77n, tls: await makeLeaf(dir, rogue, 'node-c') });
  await c.addPeer(GO_ID_2, [b.url]);
  await b.addPeer(0x77n, [c.url]);
  await c.send([heartbeat(0x77n, GO_ID_2, 1)]);
  await c.waitEvent('reportUnreachable');
  assert.equal(b.received().filter((r) => r.message.from === 0x77n).length, 0);
});

/** The heartbeats `waitStreams` sends (term 1, commit 0); test traffic never looks like that. */
/** Hex of each message, sorted: streams and the pipeline do not keep order between them. */
function sortedHex(msgs: readonly { hex: string }[] | readonly Message[]): string[] {
  return msgs.map((m) => ('hex' in m ? m.hex : messageHex(m))).sort();
}

function notProbe(r: GoReceived): boolean {
  return !(r.message.type === MessageType.MsgHeartbeat && r.message.term === 1 && r.message.commit === 0);
}

/**
 * Sends probe heartbeats both ways until both servers have attached both stream types and a round
 * of probes arrives on each side without any pipeline POST (the writers are then working).
 */
async function waitStreams(a: GoNode, b: GoNode): Promise<void> {
  const probes = (n: GoNode): number => n.received().filter((r) => !notProbe(r)).length;
  await waitFor(
    'streams between the Go nodes',
    async () => {
      const [sa, sb] = [await a.stats(), await b.stats()];
      const attached = sa.msgappGets > 0 && sa.messageGets > 0 && sb.msgappGets > 0 && sb.messageGets > 0;
      const before = [probes(a), probes(b)];
      await a.send([heartbeat(a.id, b.id, 0, 1)]);
      await b.send([heartbeat(b.id, a.id, 0, 1)]);
      await new Promise((r) => setTimeout(r, 25)); // a round of probes in flight
      if (!attached) return false;
      const [sa2, sb2] = [await a.stats(), await b.stats()];
      const arrived = probes(a) > (before[0] ?? 0) && probes(b) > (before[1] ?? 0);
      return arrived && sa2.posts === sa.posts && sb2.posts === sb.posts;
    },
    { timeoutMs: 10_000, intervalMs: 1 },
  );
}
