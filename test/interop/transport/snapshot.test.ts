/**
 * Merged snapshots between raftwire and etcd 3.4.23: a MsgSnap followed by a multi-megabyte
 * database body over POST /raft/snapshot, saved by the receiver's snapshotter, checksum intact.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageType } from '../../../src/raftpb/index.js';
import { SnapshotStatus } from '../../../src/transport/index.js';
import { waitFor } from '../../support/wait.js';
import { GO_ID, messageHex, msgSnap, pseudoRandomBytes, TS_ID } from '../support/messages.js';
import { startPair, waitStreams } from '../support/pair.js';

const CHUNK = 256 * 1024;

/** A body of `chunks` × 256 KiB + `tail` bytes, produced lazily, and its SHA-256. */
function body(
  chunks: number,
  tail: number,
): { source: AsyncIterable<Uint8Array>; size: number; sha256: string } {
  const h = createHash('sha256');
  const parts: Uint8Array[] = [];
  for (let i = 0; i < chunks; i++) parts.push(pseudoRandomBytes(CHUNK, i + 1));
  parts.push(pseudoRandomBytes(tail, 999));
  for (const p of parts) h.update(p);
  async function* source(): AsyncIterable<Uint8Array> {
    for (const p of parts) yield p;
  }
  return { source: source(), size: chunks * CHUNK + tail, sha256: h.digest('hex') };
}

test('TS → Go: sendSnapshot streams a 6 MiB body that Go saves byte for byte', async (t) => {
  const { ts, go } = await startPair(t);
  const m = msgSnap(TS_ID, GO_ID, 0x3039, new TextEncoder().encode('{"members":[1,2,3]}'));
  const b = body(24, 12_345);
  await ts.transport.sendSnapshot({ message: m, body: b.source, dbSize: b.size });
  const [got] = await go.waitReceived(1, (r) => r.message.type === m.type);
  assert.equal(got?.hex, messageHex(m), 'the MsgSnap arrived field for field');
  assert.equal(got?.via, 'http');
  assert.deepEqual(got?.snapDb && { size: got.snapDb.size, sha256: got.snapDb.sha256 }, {
    size: b.size,
    sha256: b.sha256,
  });
  await ts.raft.snapshots.waitFor(
    'reportSnapshot',
    (s) => s.id === GO_ID && s.status === SnapshotStatus.SnapshotFinish,
  );
  assert.equal((await go.stats()).snapshotPosts, 1);
  // Go's own metric counts it as a successful receive from the TS member.
  const key = `etcd_network_snapshot_receive_success{From=${TS_ID.toString(16)}}`;
  await waitFor('Go counted the snapshot', async () => (await go.metrics())[key] === 1, {
    timeoutMs: 10_000,
  });
});

test('Go → TS: a 5 MiB snapshot from Go is saved by the TS snapshotter, then processed', async (t) => {
  const snapDir = await mkdtemp(join(tmpdir(), 'raftwire-snap-'));
  t.after(() => rm(snapDir, { recursive: true, force: true }));
  const { ts, go } = await startPair(t, { snapDir });
  const m = msgSnap(GO_ID, TS_ID, 0x1b39, new TextEncoder().encode('v2 store json'));
  const size = 5 * 1024 * 1024 + 3;
  await go.sendSnapshot(m, size, 4242);
  const sent = await go.waitEvent('snapshotSent', () => true, 30_000);
  assert.equal(sent.ok, true);
  const [got] = await ts.raft.received.waitFor('MsgSnap', (r) => r.message.type === m.type);
  assert.equal(got?.hex, messageHex(m), 'the MsgSnap arrived field for field');
  // etcd's snapshotter names the file %016x.snap.db after the snapshot index.
  const files = (await readdir(snapDir)).filter((f) => f.endsWith('.snap.db'));
  assert.deepEqual(files, ['0000000000001b39.snap.db']);
  const saved = await readFile(join(snapDir, '0000000000001b39.snap.db'));
  assert.equal(saved.length, size);
  assert.equal(createHash('sha256').update(saved).digest('hex'), sent.sha256);
  await go.waitEvent('reportSnapshot', (e) => e.status === 'finish' && e.id === TS_ID.toString(16));
  assert.equal(ts.stats.snapshotPosts, 1);
});

test('TS → Go: a body shorter than its declared size fails on both ends and Go keeps no file', async (t) => {
  const { ts, go } = await startPair(t);
  const m = msgSnap(TS_ID, GO_ID, 0x2000);
  const b = body(8, 100);
  await assert.rejects(
    ts.transport.sendSnapshot({ message: m, body: b.source, dbSize: b.size + 4096 }),
    (e: unknown) => (e as { code?: string }).code === 'RAFTWIRE_TRANSPORT_SNAPSHOT_SIZE_MISMATCH',
  );
  await ts.raft.snapshots.waitFor(
    'reportSnapshot',
    (s) => s.id === GO_ID && s.status === SnapshotStatus.SnapshotFailure,
  );
  await sleep(200); // Go would have processed a completed transfer by now
  assert.equal(go.received().length, 0, 'Go raft never saw the MsgSnap');
  const left = await readdir(go.snapDir);
  assert.deepEqual(left, [], 'no database and no temp file left in the Go snapshotter dir');
});

test('Go → TS: a transfer that breaks midway leaves no file and never reaches the TS raft', async (t) => {
  const snapDir = await mkdtemp(join(tmpdir(), 'raftwire-snap-'));
  t.after(() => rm(snapDir, { recursive: true, force: true }));
  const { ts, go } = await startPair(t, { snapDir });
  const m = msgSnap(GO_ID, TS_ID, 0x2001);
  await go.sendSnapshot(m, 3 * 1024 * 1024, 5, 1024 * 1024);
  const sent = await go.waitEvent('snapshotSent', () => true, 30_000);
  assert.equal(sent.ok, false);
  await go.waitEvent('reportSnapshot', (e) => e.status === 'failure');
  await sleep(200);
  assert.equal(ts.raft.received.items.length, 0, 'the TS raft never saw the MsgSnap');
  // The TS receiver notices the cut on its own schedule: give its cleanup a bounded while.
  for (const deadline = Date.now() + 5_000; (await readdir(snapDir)).length > 0 && Date.now() < deadline; )
    await sleep(20);
  assert.deepEqual(await readdir(snapDir), [], 'no database and no temp file left behind');
});

test('MsgSnap through send (raftexample style): one POST /raft each way, reported finished', async (t) => {
  const { ts, go } = await startPair(t);
  await waitStreams(ts, go);
  const toGo = msgSnap(TS_ID, GO_ID, 0x3001, pseudoRandomBytes(1024 * 1024, 31));
  const toTs = msgSnap(GO_ID, TS_ID, 0x3002, pseudoRandomBytes(1024 * 1024, 32));
  const goPosts = (await go.stats()).posts;
  const tsPosts = ts.stats.posts;
  ts.transport.send([toGo]);
  await go.send([toTs]);
  const [atGo] = await go.waitReceived(1, (r) => r.message.type === MessageType.MsgSnap);
  const [atTs] = await ts.raft.received.waitFor('MsgSnap', (r) => r.message.type === MessageType.MsgSnap);
  assert.equal(atGo?.hex, messageHex(toGo));
  assert.equal(atGo?.via, 'http', 'MsgSnap always takes the pipeline');
  assert.equal(atTs?.hex, messageHex(toTs));
  assert.equal((await go.stats()).posts, goPosts + 1);
  assert.equal(ts.stats.posts, tsPosts + 1);
  await ts.raft.snapshots.waitFor(
    'finish',
    (s) => s.id === GO_ID && s.status === SnapshotStatus.SnapshotFinish,
  );
  await go.waitEvent('reportSnapshot', (e) => e.status === 'finish' && e.id === TS_ID.toString(16));
});
