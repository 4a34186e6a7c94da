/**
 * Mutual TLS between raftwire and etcd 3.4.23 (etcd's TLSInfo with a trusted CA: both ends present
 * and verify certificates; etcd also checks the client certificate's IP SAN against the source).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { lineText } from '../support/capture-logger.js';
import { makeCa, makeLeaf, type TestCa } from '../support/certs.js';
import { startGoNode } from '../support/go-node.js';
import { GO_ID, heartbeat, isProbe, messageMix, sortedHex, TS_ID } from '../support/messages.js';
import { startPair, waitStreams } from '../support/pair.js';
import { TsNode } from '../support/ts-node.js';

async function pki(t: TestContext): Promise<{ dir: string; ca: TestCa; rogue: TestCa }> {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, ca: await makeCa(dir, 'ca'), rogue: await makeCa(dir, 'rogue-ca') };
}

test('mutual TLS: streams come up and every message kind crosses both ways intact', async (t) => {
  const { dir, ca } = await pki(t);
  const { ts, go } = await startPair(
    t,
    { tls: await makeLeaf(dir, ca, 'ts-node') },
    { tls: await makeLeaf(dir, ca, 'go-node') },
  );
  assert.match(ts.url, /^https:/);
  assert.match(go.url, /^https:/);
  await waitStreams(ts, go);
  const toGo = messageMix(TS_ID, GO_ID);
  const toTs = messageMix(GO_ID, TS_ID);
  ts.transport.send(toGo);
  await go.send(toTs);
  const gotGo = await go.waitReceived(toGo.length, (r) => !isProbe(r.message));
  const gotTs = await ts.raft.received.waitFor('mix', (r) => !isProbe(r.message), toTs.length);
  assert.deepEqual(sortedHex(gotGo), sortedHex(toGo));
  assert.deepEqual(sortedHex(gotTs), sortedHex(toTs));
  assert.ok(gotGo.every((r) => r.via === 'stream'));
});

test('mutual TLS: a TS node whose certificate comes from another CA is refused both ways', async (t) => {
  const { dir, ca, rogue } = await pki(t);
  const go = await startGoNode(t, { id: GO_ID, tls: await makeLeaf(dir, ca, 'go-node') });
  const ts = await TsNode.start(t, { id: TS_ID, tls: await makeLeaf(dir, rogue, 'rogue-node') });
  ts.transport.addPeer(GO_ID, [go.url]);
  await go.addPeer(TS_ID, [ts.url]);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 1)]);
  await go.send([heartbeat(GO_ID, TS_ID, 1)]);
  // Go cannot verify the rogue server certificate, nor Go's server the rogue client certificate.
  await ts.raft.unreachable.waitFor('reportUnreachable(Go)', (id) => id === GO_ID);
  await go.waitEvent('reportUnreachable', (e) => e.id === TS_ID.toString(16));
  assert.equal(go.received().length, 0);
  assert.equal(ts.raft.received.items.length, 0);
});

test('allowed CN: the TS server admits a Go client whose certificate CN matches', async (t) => {
  const { dir, ca } = await pki(t);
  const { ts, go } = await startPair(
    t,
    { tls: await makeLeaf(dir, ca, 'ts-node'), allowedCN: 'go-node' },
    { tls: await makeLeaf(dir, ca, 'go-node') },
  );
  await waitStreams(ts, go);
  await go.send([heartbeat(GO_ID, TS_ID, 9)]);
  await ts.raft.received.waitFor('heartbeat from Go', (r) => r.message.commit === 9);
});

test('allowed CN: the TS server turns away a Go client with another CN, and logs why', async (t) => {
  const { dir, ca } = await pki(t);
  // TS learns of Go only at the end: once TS has dialed Go's server, Go's stream writers answer on
  // that TS-opened connection, and the heartbeat would reach TS without crossing TS's server.
  const go = await startGoNode(t, { id: GO_ID, tls: await makeLeaf(dir, ca, 'go-node') });
  const ts = await TsNode.start(t, {
    id: TS_ID,
    tls: await makeLeaf(dir, ca, 'ts-node'),
    allowedCN: 'someone-else',
  });
  await go.addPeer(TS_ID, [ts.url]);
  await go.send([heartbeat(GO_ID, TS_ID, 9)]);
  await go.waitEvent('reportUnreachable', (e) => e.id === TS_ID.toString(16));
  // The warning names the peer's address and the reason: the CN it got and the one it wants.
  const [line] = await ts.logs.waitFor(
    'a warning naming both CNs',
    (l) => l.level === 'warn' && lineText(l).includes('go-node') && lineText(l).includes('someone-else'),
  );
  assert.match(line === undefined ? '' : lineText(line), /127\.0\.0\.1/);
  assert.equal(ts.raft.received.items.length, 0);
  // TS as a client is unaffected: its requests to Go still go through.
  ts.transport.addPeer(GO_ID, [go.url]);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 10)]);
  await go.waitReceived(1, (r) => r.message.commit === 10);
});
