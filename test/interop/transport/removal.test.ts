/**
 * Member removal between raftwire and etcd 3.4.23: a removed member's stream dials are answered
 * 410 Gone, and the removed side raises its critical error (TS 'error' event, Go ErrorC).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import { MemberRemovedError, TransportErrorCode } from '../../../src/transport/index.js';
import { startGoNode } from '../support/go-node.js';
import { GO_ID, heartbeat, TS_ID } from '../support/messages.js';
import { TsNode } from '../support/ts-node.js';

test('Go says TS was removed: TS stream dials get 410 and TS emits MemberRemovedError', async (t) => {
  const go = await startGoNode(t, { id: GO_ID });
  await go.setRemoved(TS_ID, true);
  const ts = await TsNode.start(t, { id: TS_ID });
  await go.addPeer(TS_ID, [ts.url]);
  ts.transport.addPeer(GO_ID, [go.url]);
  const [err] = await ts.errors.waitFor('error event', () => true);
  assert.ok(err instanceof MemberRemovedError);
  assert.ok(isRaftwireError(err, TransportErrorCode.MemberRemoved));
  assert.match(err.message, /permanently removed/);
  assert.equal(go.received().length, 0);
});

test('TS says Go was removed: Go stream dials get 410 and Go reports it on ErrorC', async (t) => {
  const go = await startGoNode(t, { id: GO_ID });
  const ts = await TsNode.start(t, { id: TS_ID });
  ts.raft.removed.add(GO_ID);
  ts.transport.addPeer(GO_ID, [go.url]);
  await go.addPeer(TS_ID, [ts.url]);
  const e = await go.waitEvent('errorC');
  assert.match(String(e.error), /the member has been permanently removed from the cluster/);
  assert.ok(ts.streamStatuses.length > 0);
  assert.ok(
    ts.streamStatuses.every((s) => s === 410),
    `every stream dial of the removed member was answered 410 (${ts.streamStatuses})`,
  );
});

test('a POST from a member Go considers removed is answered 403 and TS emits MemberRemovedError', async (t) => {
  // Streams refused on both sides: TS has no stream writer (so it POSTs) and its own stream dials
  // get 404, not 410. The only signal is then etcdserver's 403 to the pipeline POST.
  const go = await startGoNode(t, { id: GO_ID, refuseStreams: true });
  await go.setRemoved(TS_ID, true);
  const ts = await TsNode.start(t, { id: TS_ID, refuseStreams: true });
  ts.transport.addPeer(GO_ID, [go.url]);
  await go.addPeer(TS_ID, [ts.url]);
  ts.transport.send([heartbeat(TS_ID, GO_ID, 7)]);
  await go.waitEvent('refused', (e) => e.from === TS_ID.toString(16));
  const [err] = await ts.errors.waitFor('error event', () => true);
  assert.ok(isRaftwireError(err, TransportErrorCode.MemberRemoved));
  assert.equal(go.received().length, 0);
});
