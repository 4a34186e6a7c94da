/**
 * Merged snapshots over real loopback (etcd snapshot_test.go TestSnapshotSend, plus stalls): the
 * database streams into the receiver's snapshot directory (temp file, fsync, rename) before raft
 * sees the MsgSnap; bad sources, size mismatches and stalls on either end fail cleanly on both
 * ends, leave no file, and are reported to raft.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MessageType, newConfState, newMessage, newSnapshot } from '../../src/raftpb/index.js';
import { Snapshotter } from '../../src/snap/index.js';
import { SnapshotStatus, TransportError, TransportErrorCode } from '../../src/transport/index.js';
import { encodeSnapshotHead } from '../../src/transport/snapshot-body.js';
import { waitFor } from '../support/wait.js';
import { fakePeer, metricValue, startNode, type TestNode } from './harness.js';

const snapMsg = (index: number) =>
  newMessage({
    type: MessageType.MsgSnap,
    to: 2n,
    from: 1n,
    term: 3,
    snapshot: newSnapshot({
      index,
      term: 2,
      data: new TextEncoder().encode('v2store'),
      confState: newConfState({ voters: [1n, 2n] }),
    }),
  });

function bytes(n: number, seed = 7): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function* chunked(data: Buffer, size: number, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) {
    if (failAfter !== undefined && off >= failAfter) throw new Error('disk read failed');
    yield data.subarray(off, off + size);
  }
}

describe('sendSnapshot between two transports', () => {
  let a: TestNode;
  let b: TestNode;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftwire-snap-'));
    a = await startNode(1n, { snapshotProgressTimeoutMs: 500 });
    b = await startNode(2n, { snapshotter: new Snapshotter(dir), snapshotProgressTimeoutMs: 500 });
    a.tr.addPeer(2n, [b.url]);
    b.tr.addPeer(1n, [a.url]);
  });
  after(async () => {
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an exact-size database arrives as <index %016x>.snap.db before raft gets the MsgSnap; both ends report success', async () => {
    const db = bytes(3 * 1024 * 1024 + 17);
    await a.tr.sendSnapshot({
      message: snapMsg(1000),
      body: Readable.from(chunked(db, 64 * 1024)),
      dbSize: db.length,
    });
    assert.deepEqual(await readdir(dir), ['00000000000003e8.snap.db']);
    assert.ok((await readFile(join(dir, '00000000000003e8.snap.db'))).equals(db));
    await b.raft.waitForMessages(1);
    assert.equal(b.raft.messages[0]!.type, MessageType.MsgSnap);
    assert.equal(b.raft.messages[0]!.snapshot!.metadata.index, 1000);
    assert.deepEqual(a.raft.snapshots, [[2n, SnapshotStatus.SnapshotFinish]]);
    assert.equal(await metricValue(a.registry, 'etcd_network_snapshot_send_success', { To: '2' }), 1);
    assert.equal(await metricValue(b.registry, 'etcd_network_snapshot_receive_success', { From: '1' }), 1);
  });

  const bad: Array<[string, () => { body: AsyncIterable<Uint8Array>; dbSize?: number }, string]> = [
    [
      'a body that fails while reading',
      () => ({ body: chunked(bytes(1 << 20), 16 * 1024, 256 * 1024) }),
      TransportErrorCode.SnapshotSourceFailed,
    ],
    [
      'a declared size larger than the body',
      () => ({ body: chunked(bytes(100_000), 10_000), dbSize: 100_001 }),
      TransportErrorCode.SnapshotSizeMismatch,
    ],
    [
      'a declared size smaller than the body',
      () => ({ body: chunked(bytes(100_000), 10_000), dbSize: 99_999 }),
      TransportErrorCode.SnapshotSizeMismatch,
    ],
  ];
  for (const [what, make, code] of bad) {
    it(`${what} fails on both ends, leaves no file, reports SnapshotFailure`, async () => {
      const before = { snaps: a.raft.snapshots.length, msgs: b.raft.messages.length };
      const recvFailures = () =>
        metricValue(b.registry, 'etcd_network_snapshot_receive_failures', { From: '1' });
      const failuresBefore = await recvFailures();
      const index = 2000 + a.raft.snapshots.length;
      await assert.rejects(a.tr.sendSnapshot({ message: snapMsg(index), ...make() }), (e: unknown) =>
        isCode(e, code),
      );
      assert.deepEqual(a.raft.snapshots.slice(before.snaps), [[2n, SnapshotStatus.SnapshotFailure]]);
      assert.ok(a.raft.unreachable.includes(2n));
      // The receiver sees the cut-off upload on its own schedule: wait for its failure, then its cleanup.
      await waitFor('receiver failure counted', async () => (await recvFailures()) > failuresBefore);
      await waitFor('receiver cleaned up', async () => (await readdir(dir)).length === 1);
      assert.deepEqual(await readdir(dir), ['00000000000003e8.snap.db']);
      assert.equal(b.raft.messages.length, before.msgs);
    });
  }

  it('a sender whose source stalls gives up after the progress timeout, not per read', async () => {
    let release!: () => void;
    async function* stalls() {
      // Progress every 200 ms for a while (longer than the 500 ms timeout in total), then nothing.
      for (let i = 0; i < 6; i++) {
        yield bytes(1000, i);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise<void>((r) => (release = r));
    }
    const sent = a.tr.sendSnapshot({ message: snapMsg(3000), body: stalls() });
    await assert.rejects(sent, (e: unknown) => isCode(e, TransportErrorCode.SnapshotStalled));
    release();
    assert.ok(
      a.logger.lines.some(
        (l) =>
          l.msg === 'failed to send database snapshot' &&
          String(l.fields.error).includes('RAFTWIRE_TRANSPORT_SNAPSHOT_STALLED'),
      ),
    );
    assert.ok((await metricValue(a.registry, 'etcd_network_snapshot_send_failures', { To: '2' })) >= 1);
  });

  it('a receiver closes an upload that stopped making progress, counts it and leaves no file', async () => {
    const port = Number(new URL(b.url).port);
    const head = encodeSnapshotHead(snapMsg(4000));
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.write(
      `POST /raft/snapshot HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const first = Buffer.concat([head, bytes(5000)]);
    s.write(`${first.length.toString(16)}\r\n`);
    s.write(first);
    s.write('\r\n');
    await closed;
    assert.ok(b.logger.has(/snapshot upload made no progress/));
    assert.ok((await metricValue(b.registry, 'etcd_network_snapshot_receive_failures', { From: '1' })) >= 1);
    await waitFor('temp file removed', async () => (await readdir(dir)).length === 1);
    assert.deepEqual(await readdir(dir), ['00000000000003e8.snap.db']);
  });

  it('a snapshot to an unknown member fails at once', async () => {
    await assert.rejects(
      a.tr.sendSnapshot({ message: { ...snapMsg(1), to: 9n }, body: chunked(bytes(10), 10) }),
      (e: unknown) => isCode(e, TransportErrorCode.MemberNotFound),
    );
  });
});

describe('snapshot sender against a receiver that stops reading', () => {
  it('times out on lack of progress and reports failure', async () => {
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) {
        res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end();
        return;
      }
      req.pause();
    });
    const a = await startNode(1n, { snapshotProgressTimeoutMs: 500 });
    a.tr.addPeer(2n, [peer.url]);
    async function* endless() {
      const chunk = bytes(64 * 1024);
      for (;;) yield chunk;
    }
    await assert.rejects(a.tr.sendSnapshot({ message: snapMsg(5), body: endless() }), (e: unknown) =>
      isCode(e, TransportErrorCode.SnapshotStalled),
    );
    assert.deepEqual(a.raft.snapshots, [[2n, SnapshotStatus.SnapshotFailure]]);
    await a.close();
    await peer.close();
  });
});

function isCode(e: unknown, code: string): boolean {
  assert.ok(e instanceof TransportError, String(e));
  assert.equal(e.code, code);
  return true;
}
