/**
 * The pipeline against real loopback peers (etcd pipeline_test.go): success only on exactly 204,
 * follower stats, failures move on and report, 4 in flight + 64 queued then drops, 403 is the
 * critical member-removed error, and stop is prompt even when the peer hangs.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { MessageType, newEntry, newMessage } from '../../src/raftpb/index.js';
import {
  LeaderStats,
  SnapshotStatus,
  Transport,
  type TransportError,
  TransportErrorCode,
} from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import {
  fakePeer,
  MemoryLogger,
  metricValue,
  RecordingRaft,
  startNode,
  track,
  withTimeout,
} from './harness.js';

/** A transport whose peer 2 is `url`, whose streams never come up (the fake answers 404 to dials). */
async function transportTo(url: string, extra: { leaderStats?: LeaderStats } = {}) {
  const raft = new RecordingRaft();
  const logger = new MemoryLogger();
  const registry = new Registry();
  const tr = new Transport({
    id: 1n,
    clusterId: 0x1000n,
    raft,
    logger,
    metrics: registry,
    probeIntervalMs: 0,
    ...extra,
  });
  tr.start();
  track(() => tr.stop());
  tr.addPeer(2n, [url]);
  return { tr, raft, logger, registry };
}

function streamsRefused(req: IncomingMessage, res: ServerResponse): boolean {
  if (!req.url!.startsWith('/raft/stream/')) return false;
  res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end('error sender not found\n');
  return true;
}

const app = (i: number) =>
  newMessage({
    type: MessageType.MsgApp,
    to: 2n,
    from: 1n,
    term: 1,
    logTerm: 1,
    index: i,
    commit: i,
    entries: [newEntry({ term: 1, index: i + 1 })],
  });

describe('pipeline', () => {
  it('POSTs each message to /raft with etcd headers; 204 counts a follower success and activates the peer', async () => {
    const bodies: Buffer[] = [];
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/raft');
      assert.equal(req.headers['content-type'], 'application/protobuf');
      assert.equal(req.headers['x-etcd-cluster-id'], '1000');
      assert.equal(req.headers['x-server-version'], '3.4.23');
      assert.equal(req.headers['x-min-cluster-version'], '3.0.0');
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', () => {
          bodies.push(Buffer.concat(chunks));
          res.writeHead(204).end();
        });
    });
    const leaderStats = new LeaderStats('1');
    const { tr, logger } = await transportTo(peer.url, { leaderStats });
    tr.send([app(5)]);
    await waitFor('follower success', () => leaderStats.follower('2').counts.success === 1);
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]![1], 3, 'body is the bare protobuf Message (type 3 first)');
    // (Stream dials to this fake peer fail, so the status flaps; the pipeline success activated it.)
    assert.ok(logger.has('peer became active'));
    await tr.stop();
    await peer.close();
  });

  it('treats 200, 201 and transport errors as failures: reportUnreachable, follower fail, failure counter', async () => {
    let status = 200;
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      req.resume().on('end', () => res.writeHead(status).end());
    });
    const leaderStats = new LeaderStats('1');
    const { tr, raft, registry } = await transportTo(peer.url, { leaderStats });
    tr.send([app(1)]);
    await waitFor('unreachable after 200', () => raft.unreachable.length === 1);
    status = 201;
    tr.send([app(2)]);
    await waitFor('unreachable after 201', () => raft.unreachable.length === 2);
    await peer.close();
    tr.send([app(3)]);
    await waitFor('unreachable after connection refused', () => raft.unreachable.length === 3);
    assert.equal(leaderStats.follower('2').counts.fail, 3);
    assert.equal(await metricValue(registry, 'etcd_network_peer_sent_failures_total', { To: '2' }), 3);
    await tr.stop();
  });

  it('keeps sending when every POST fails: all 50 queued messages are attempted', async () => {
    let posts = 0;
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      posts++;
      req.resume().on('end', () => res.writeHead(500).end());
    });
    const { tr, raft } = await transportTo(peer.url);
    tr.send(Array.from({ length: 50 }, (_, i) => app(i)));
    await waitFor('50 attempts', () => posts === 50 && raft.unreachable.length === 50);
    await tr.stop();
    await peer.close();
  });

  it('holds 4 in flight plus 64 queued; the next is dropped with reports, a counter and a warning', async () => {
    const held: ServerResponse[] = [];
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      req.resume();
      held.push(res);
    });
    const { tr, raft, registry, logger } = await transportTo(peer.url);
    tr.send(Array.from({ length: 68 }, (_, i) => app(i)));
    await waitFor('4 POSTs in flight', () => held.length === 4);
    assert.equal(raft.unreachable.length, 0);
    const snap = newMessage({ type: MessageType.MsgSnap, to: 2n, from: 1n });
    tr.send([snap]);
    assert.deepEqual(raft.unreachable, [2n]);
    assert.deepEqual(raft.snapshots, [[2n, SnapshotStatus.SnapshotFailure]]);
    assert.equal(
      await metricValue(registry, 'raftwire_network_peer_dropped_messages_total', {
        Peer: '2',
        Channel: 'pipeline',
        Type: 'MsgSnap',
      }),
      1,
    );
    assert.ok(logger.has('dropped internal Raft message since sending buffer is full (overloaded network)'));
    const depth = await registry.getSingleMetric('raftwire_network_peer_queue_depth')!.get();
    assert.equal(depth.values.find((v) => v.labels.Channel === 'pipeline')?.value, 64);
    // Unblock: everything queued drains and sending works again.
    for (const r of held.splice(0)) r.writeHead(204).end();
    await waitFor('drain', () => {
      for (const r of held.splice(0)) r.writeHead(204).end();
      return tr.activePeers() === 1 && raft.unreachable.length === 1;
    });
    await tr.stop();
    await peer.close();
  });

  it('403 is the critical member-removed error (etcd ErrorC), emitted once a message is sent', async () => {
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      req.resume().on('end', () => res.writeHead(403).end());
    });
    const { tr } = await transportTo(peer.url);
    const errors: TransportError[] = [];
    tr.on('error', (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(errors.length, 0);
    tr.send([app(1)]);
    await waitFor('error event', () => errors.length === 1);
    assert.equal(errors[0]!.code, TransportErrorCode.MemberRemoved);
    await tr.stop();
    await peer.close();
  });

  it('a MsgSnap via send goes by pipeline; 204 reports SnapshotFinish', async () => {
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      req.resume().on('end', () => res.writeHead(204).end());
    });
    const { tr, raft } = await transportTo(peer.url);
    tr.send([newMessage({ type: MessageType.MsgSnap, to: 2n, from: 1n })]);
    await waitFor('snapshot report', () => raft.snapshots.length === 1);
    assert.deepEqual(raft.snapshots, [[2n, SnapshotStatus.SnapshotFinish]]);
    await tr.stop();
    await peer.close();
  });

  it('stops promptly with 40 messages queued against a peer that never answers', async () => {
    const peer = await fakePeer((req, res) => {
      if (streamsRefused(req, res)) return;
      req.resume();
    });
    const { tr } = await transportTo(peer.url);
    tr.send(Array.from({ length: 40 }, (_, i) => app(i)));
    await new Promise((r) => setTimeout(r, 100));
    // etcd TestStopBlockedPipeline: in-flight requests are cancelled rather than waited for.
    await withTimeout(tr.stop(), 2_000, 'stop with hung POSTs');
    await peer.close();
  });
});

describe('pipeline handler', () => {
  it('answers 413 at once to a POST /raft declaring more than any raft message (no wait for the body)', async () => {
    const node = await startNode(2n);
    const port = Number(new URL(node.url).port);
    const s = connect(port, '127.0.0.1');
    track(async () => void s.destroy());
    let answer = '';
    s.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.write(
      `POST /raft HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nContent-Length: ${2 ** 40}\r\n\r\nxx`,
    );
    // Well under the handler's 5 s read deadline: the status comes from the header alone.
    await withTimeout(closed, 2_000, 'the 413 and the connection closed');
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /raft message too large/);
    assert.ok(node.logger.has('failed to read Raft message'));
    assert.equal(node.raft.messages.length, 0);
    await node.close();
  });
});
