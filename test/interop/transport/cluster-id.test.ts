/**
 * Cluster-ID mismatch between raftwire and etcd 3.4.23: each side refuses the other's streams and
 * POSTs with 412, reports the peer unreachable, and delivers nothing to raft.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { lineText } from '../support/capture-logger.js';
import { GO_ID, messageMix, TS_ID } from '../support/messages.js';
import { startPair } from '../support/pair.js';

test('cluster ID mismatch: both sides refuse, nothing is delivered either way', async (t) => {
  const { ts, go } = await startPair(t, { clusterId: 0x1000n }, { clusterId: 0x2000n });
  ts.transport.send(messageMix(TS_ID, GO_ID));
  await go.send(messageMix(GO_ID, TS_ID));
  // Streams never attach, so both fall back to POSTs, which the other side answers 412.
  await ts.raft.unreachable.waitFor('reportUnreachable(Go)', (id) => id === GO_ID);
  await go.waitEvent('reportUnreachable', (e) => e.id === TS_ID.toString(16));
  await sleep(300); // anything that would still arrive, would arrive by now
  assert.equal(go.received().length, 0);
  assert.equal(ts.raft.received.items.length, 0);
  assert.match(go.stderrText(), /cluster ID mismatch/);
  const mentions = ts.logs.filter((l) => /cluster/i.test(lineText(l)));
  assert.ok(mentions.length > 0, 'the TS side logged the mismatch');
  assert.ok(
    mentions.some((l) => lineText(l).includes('2000') && lineText(l).includes('1000')),
    'a TS log line names both cluster IDs',
  );
});
