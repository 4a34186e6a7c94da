/**
 * The Transport API over real loopback (etcd transport_test.go, peer_test.go): cut/mend, pause,
 * add/remove/update peers, peer.pick routing, the receive side's two queues, drops with counters
 * and rate-limited warnings, rejected process() calls, and the v2 stats objects.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type Message, MessageType, newEntry, newMessage } from '../../src/raftpb/index.js';
import { cutPeer, mendPeer, pauseTransport, resumeTransport } from '../../src/transport/fault-injection.js';
import { LeaderStats, ServerStats, Transport, TransportErrorCode } from '../../src/transport/index.js';
import { encodeFrames } from '../../src/transport/message-codec.js';
import { MsgAppV2Encoder } from '../../src/transport/msgappv2-codec.js';
import { waitFor } from '../support/wait.js';
import { fakePeer, metricValue, RecordingRaft, startNode, startPair } from './harness.js';

const hb = (to: bigint, from: bigint, commit: number) =>
  newMessage({ type: MessageType.MsgHeartbeat, to, from, term: 1, commit });

describe('transport API', () => {
  it('cutPeer drops traffic to that peer; mendPeer restores it', async () => {
    const [a, b] = await startPair();
    cutPeer(a.tr, 2n);
    a.tr.send([hb(2n, 1n, 1)]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.raft.messages.length, 0);
    mendPeer(a.tr, 2n);
    a.tr.send([hb(2n, 1n, 2)]);
    await b.raft.waitForMessages(1);
    assert.equal(b.raft.messages[0]!.commit, 2);
    // pause also ignores incoming stream messages; resume undoes it.
    pauseTransport(b.tr);
    a.tr.send([hb(2n, 1n, 3)]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.raft.messages.length, 1);
    resumeTransport(b.tr);
    a.tr.send([hb(2n, 1n, 4)]);
    await b.raft.waitForMessages(2);
    assert.equal(b.raft.messages[1]!.commit, 4);
    await a.close();
    await b.close();
  });

  it('pause() cuts every peer, also one added while paused; resume() restores them', async (t) => {
    const [a, b] = await startPair();
    t.after(async () => {
      await a.close();
      await b.close();
    });
    a.tr.pause();
    assert.equal(a.tr.paused, true);
    a.tr.send([hb(2n, 1n, 1)]);
    // A peer added while paused starts paused.
    a.tr.removePeer(2n);
    a.tr.addPeer(2n, [b.url]);
    a.tr.send([hb(2n, 1n, 2)]);
    // b still hears from a once a resumes: the first message b gets is the one sent after it.
    a.tr.resume();
    assert.equal(a.tr.paused, false);
    await waitFor('a stream to b again', () => a.tr.peerStatus()[0]?.streams.message === true, {
      timeoutMs: 10_000,
    });
    a.tr.send([hb(2n, 1n, 3)]);
    await b.raft.waitForMessages(1);
    assert.deepEqual(
      b.raft.messages.map((m) => m.commit),
      [3],
    );
  });

  it('addPeer creates the follower stats entry, a duplicate is a no-op, removePeer deletes both', async () => {
    const leaderStats = new LeaderStats('1');
    const a = await startNode(1n, { leaderStats });
    a.tr.addPeer(2n, ['http://127.0.0.1:1']);
    a.tr.addPeer(2n, ['http://127.0.0.1:2']);
    assert.deepEqual([...leaderStats.followers.keys()], ['2']);
    assert.equal(a.logger.lines.filter((l) => l.msg === 'added remote peer').length, 1);
    a.tr.removePeer(2n);
    assert.equal(leaderStats.followers.size, 0);
    a.tr.send([hb(2n, 1n, 1)]);
    assert.ok(a.logger.has('ignored message send request; unknown remote peer target'));
    a.tr.removePeer(2n);
    assert.ok(a.logger.has('skipped removing already removed peer'));
    await a.close();
  });

  it('updatePeer moves traffic to the new URLs; invalid URL lists are rejected', async () => {
    const posts: string[] = [];
    const mk = (name: string) =>
      fakePeer((req, res) => {
        if (req.url!.startsWith('/raft/stream/')) {
          res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end();
          return;
        }
        posts.push(name);
        req.resume().on('end', () => res.writeHead(204).end());
      });
    const [p1, p2] = [await mk('old'), await mk('new')];
    const a = await startNode(1n);
    a.tr.addPeer(2n, [p1.url]);
    a.tr.send([hb(2n, 1n, 1)]);
    await waitFor('first post', () => posts.length === 1);
    a.tr.updatePeer(2n, [p2.url]);
    a.tr.send([hb(2n, 1n, 2)]);
    await waitFor('second post', () => posts.length === 2);
    assert.deepEqual(posts, ['old', 'new']);
    for (const bad of [[], ['ftp://x:1'], ['http://127.0.0.1'], ['http://127.0.0.1:1/path']]) {
      assert.throws(
        () => a.tr.addPeer(3n, bad),
        (e: unknown) => (e as { code?: string }).code === TransportErrorCode.InvalidUrl,
        JSON.stringify(bad),
      );
    }
    await a.close();
    await p1.close();
    await p2.close();
  });

  it('refuses addPeer before start and after stop', async () => {
    const tr = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft() });
    assert.throws(
      () => tr.addPeer(2n, ['http://127.0.0.1:1']),
      (e: unknown) => (e as { code?: string }).code === TransportErrorCode.Stopped,
    );
    tr.start();
    await tr.stop();
    assert.throws(
      () => tr.addPeer(2n, ['http://127.0.0.1:1']),
      (e: unknown) => (e as { code?: string }).code === TransportErrorCode.Stopped,
    );
    assert.throws(
      () => tr.start(),
      (e: unknown) => (e as { code?: string }).code === TransportErrorCode.Stopped,
    );
  });
});

describe('peer.pick routing (etcd TestPeerPick)', () => {
  it('MsgSnap → pipeline always; MsgApp → msgappv2, else message stream, else pipeline; others → message stream, else pipeline', async () => {
    const posts: number[] = [];
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) {
        res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end();
        return;
      }
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', () => {
          posts.push(Buffer.concat(chunks)[1]!);
          res.writeHead(204).end();
        });
    });
    const node = await startNode(2n);
    node.tr.addPeer(1n, [peer.url]);
    const port = Number(new URL(node.url).port);
    const app = newMessage({
      type: MessageType.MsgApp,
      to: 1n,
      from: 2n,
      term: 1,
      logTerm: 1,
      index: 0,
      entries: [newEntry({ term: 1, index: 1 })],
    });
    const snap = newMessage({ type: MessageType.MsgSnap, to: 1n, from: 2n });
    const heartbeat = hb(1n, 2n, 1);
    // No streams: everything by pipeline.
    node.tr.send([app, heartbeat, snap]);
    await waitFor('three POSTs', () => posts.length === 3);
    assert.deepEqual(
      posts.sort(),
      [MessageType.MsgApp, MessageType.MsgSnap, MessageType.MsgHeartbeat].sort(),
    );
    // Message stream only: MsgApp and heartbeats go there, MsgSnap still by pipeline.
    const raw = (path: string) => {
      const s = connect(port, '127.0.0.1');
      const data: Buffer[] = [];
      s.on('data', (c) => data.push(c)).on('error', () => {});
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nX-Raft-To: 2\r\n\r\n`,
      );
      return { s, text: () => Buffer.concat(data).toString('latin1') };
    };
    const msgStream = raw('/raft/stream/message/1');
    await waitFor('message stream', () => msgStream.text().includes('200 OK'));
    node.tr.send([app, heartbeat, snap]);
    const frames = (m: Message) => encodeFrames([m]).toString('latin1');
    await waitFor(
      'message stream traffic',
      () =>
        msgStream.text().includes(frames(app)) &&
        msgStream.text().includes(frames(heartbeat)) &&
        posts.length === 4,
    );
    assert.equal(posts[3], MessageType.MsgSnap);
    // Both streams: MsgApp goes to msgappv2.
    const appStream = raw('/raft/stream/msgapp/1');
    await waitFor('msgapp stream', () => appStream.text().includes('200 OK'));
    node.tr.send([app]);
    const record = new MsgAppV2Encoder().encode([app]).toString('latin1');
    await waitFor('msgappv2 traffic', () => appStream.text().includes(record));
    msgStream.s.destroy();
    appStream.s.destroy();
    await node.close();
    await peer.close();
  });
});

describe('receive side', () => {
  it('a blocked proposal does not stall other traffic; its queue is separate', async () => {
    const [a, b] = await startPair();
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    b.raft.onProcess = (m) => (m.type === MessageType.MsgProp ? blocked : Promise.resolve());
    a.tr.send([
      newMessage({
        type: MessageType.MsgProp,
        to: 2n,
        from: 1n,
        entries: [newEntry({ data: new Uint8Array([1]) })],
      }),
    ]);
    a.tr.send([hb(2n, 1n, 9)]);
    await b.raft.waitForMessages(1);
    assert.equal(b.raft.messages[0]!.type, MessageType.MsgHeartbeat);
    unblock();
    await b.raft.waitForMessages(2);
    assert.equal(b.raft.messages[1]!.type, MessageType.MsgProp);
    await a.close();
    await b.close();
  });

  it('a rejected process() is logged and later messages still arrive', async () => {
    const [a, b] = await startPair();
    let first = true;
    b.raft.onProcess = async () => {
      if (first) {
        first = false;
        throw new Error('raft said no');
      }
    };
    a.tr.send([hb(2n, 1n, 1), hb(2n, 1n, 2)]);
    await b.raft.waitForMessages(1);
    assert.equal(b.raft.messages[0]!.commit, 2);
    assert.ok(
      b.logger.lines.some(
        (l) => l.msg === 'failed to process Raft message' && String(l.fields.error).includes('raft said no'),
      ),
    );
    await a.close();
    await b.close();
  });

  it('a full receive queue drops with a counter and one rate-limited warning', async () => {
    const [a, b] = await startPair();
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    b.raft.onProcess = () => blocked;
    const msgs = Array.from({ length: 4096 + 1 + 10 }, (_, i) => hb(2n, 1n, i));
    // In slices, one per event-loop turn, so the sender's own 4096-slot stream queue never fills.
    for (let i = 0; i < msgs.length; i += 1000) {
      a.tr.send(msgs.slice(i, i + 1000));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(
      '10 receive drops',
      async () =>
        (await metricValue(b.registry, 'etcd_network_peer_received_failures_total', { From: '1' })) === 10,
    );
    assert.equal(
      await metricValue(b.registry, 'raftwire_network_peer_dropped_messages_total', {
        Peer: '1',
        Channel: 'recvMsg',
        Type: 'MsgHeartbeat',
      }),
      10,
    );
    const warnings = b.logger.lines.filter((l) => l.msg.includes('since receiving buffer is full'));
    assert.equal(warnings.length, 1);
    const depth = await b.registry.getSingleMetric('raftwire_network_peer_queue_depth')!.get();
    assert.equal(
      depth.values.find((v) => v.labels.Peer === '1' && v.labels.Channel === 'recvMsg')?.value,
      4096,
    );
    unblock();
    await b.raft.waitForMessages(4097);
    await a.close();
    await b.close();
  });

  it('a full stream queue drops with reportUnreachable and a counter (sender side)', async () => {
    const [a, b] = await startPair();
    // Fill the message stream queue faster than it can drain in one tick.
    a.tr.send(Array.from({ length: 4096 + 5 }, (_, i) => hb(2n, 1n, i)));
    const dropped = await metricValue(a.registry, 'raftwire_network_peer_dropped_messages_total', {
      Peer: '2',
      Channel: 'streamMsg',
      Type: 'MsgHeartbeat',
    });
    assert.ok(dropped >= 5, `dropped ${dropped}`);
    assert.ok(a.raft.unreachable.length >= 5);
    await a.close();
    await b.close();
  });
});

describe('v2 stats', () => {
  it('ServerStats counts MsgApp sends (etcd SendAppendReq) and LeaderStats counts msgappv2 writes', async () => {
    const serverStats = new ServerStats('node1', '1');
    const leaderStats = new LeaderStats('1');
    const [a, b] = await startPair({ serverStats, leaderStats });
    const msgs = Array.from({ length: 10 }, (_, i) =>
      newMessage({
        type: MessageType.MsgApp,
        to: 2n,
        from: 1n,
        term: 1,
        logTerm: 1,
        index: i,
        entries: [newEntry({ term: 1, index: i + 1 })],
      }),
    );
    a.tr.send(msgs);
    await b.raft.waitForMessages(10);
    assert.equal(serverStats.sendAppendRequestCnt, 10);
    assert.equal(serverStats.state, 'StateLeader');
    assert.equal(leaderStats.follower('2').counts.success, 10);
    const json = JSON.parse(JSON.stringify({ self: serverStats, leader: leaderStats }));
    assert.equal(json.self.id, '1');
    assert.equal(json.self.leaderInfo.leader, '1');
    assert.equal(json.leader.followers['2'].counts.success, 10);
    assert.ok(json.leader.followers['2'].latency.maximum >= json.leader.followers['2'].latency.minimum);
    await a.close();
    await b.close();
  });
});
