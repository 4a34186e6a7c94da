/**
 * Streams over real loopback (etcd stream_test.go and the bad-input inventory): writers attach and
 * replace connections, readers interpret dial answers as etcd does, and malformed or stalled
 * streams close just that stream, with a logged reason and a failure counter, then redial.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { MessageType, newMessage } from '../../src/raftpb/index.js';
import { Transport, type TransportError, TransportErrorCode } from '../../src/transport/index.js';
import { encodeFrames } from '../../src/transport/message-codec.js';
import { waitFor } from '../support/wait.js';
import {
  fakePeer,
  MemoryLogger,
  metricValue,
  RecordingRaft,
  startNode,
  startPair,
  track,
  withTimeout,
} from './harness.js';

const hb = (commit: number) =>
  newMessage({ type: MessageType.MsgHeartbeat, to: 1n, from: 2n, term: 1, commit });

/** A raw stream GET to `port` as peer 1; collects the raw bytes; `ended` resolves when the server closes. */
function dialRaw(port: number, path = '/raft/stream/message/1') {
  const s = connect(port, '127.0.0.1');
  const data: Buffer[] = [];
  const ended = new Promise<void>((resolve) => s.on('close', () => resolve()));
  s.on('data', (c) => data.push(c));
  s.on('error', () => {});
  s.write(
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nX-Raft-To: 2\r\n\r\n`,
  );
  return {
    socket: s,
    ended,
    text: () => Buffer.concat(data).toString('latin1'),
    bytes: () => Buffer.concat(data),
  };
}

describe('stream writer', () => {
  it('attaching a newer connection ends the older one cleanly; messages go to the newest; stop ends it', async () => {
    // Peer 1 holds its stream dials open without answering: a peer URL nobody listens on would
    // make the node's own stream readers fail every 100 ms, and each failure deactivates the peer,
    // so `activePeers() === 1` would hold only between a writer attach and the next failed dial.
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) return;
      req.resume().on('end', () => res.writeHead(204).end());
    });
    const node = await startNode(2n);
    node.tr.addPeer(1n, [peer.url]);
    const port = Number(new URL(node.url).port);
    const first = dialRaw(port);
    await waitFor('first attached', () => first.text().includes('200 OK'));
    await waitFor('active', () => node.tr.activePeers() === 1);
    const second = dialRaw(port);
    await waitFor('second attached', () => second.text().includes('200 OK'));
    await waitFor('first ended with the last chunk', () => first.text().endsWith('0\r\n\r\n'));
    node.tr.send([hb(77)]);
    const frame = encodeFrames([hb(77)]).toString('latin1');
    await waitFor('message on the newer connection', () => second.text().includes(frame));
    assert.ok(!first.text().includes(frame));
    await node.close();
    await withTimeout(second.ended, 2_000, 'second closed by stop');
    assert.ok(second.text().endsWith('0\r\n\r\n'));
    await peer.close();
  });

  it('a connection the peer closed makes the writer non-working: traffic falls back to the pipeline', async () => {
    const posts: string[] = [];
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) {
        res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end();
        return;
      }
      posts.push(req.url!);
      req.resume().on('end', () => res.writeHead(204).end());
    });
    const node = await startNode(2n);
    node.tr.addPeer(1n, [peer.url]);
    const port = Number(new URL(node.url).port);
    const conn = dialRaw(port);
    await waitFor('attached', () => conn.text().includes('200 OK'));
    conn.socket.destroy();
    await waitFor('lost logged', () => node.logger.has('lost TCP streaming connection with remote peer'));
    node.tr.send([hb(5)]);
    await waitFor('pipeline POST', () => posts.length === 1);
    assert.deepEqual(posts, ['/raft']);
    await node.close();
    await peer.close();
  });
});

describe('stream reader', () => {
  async function readerAgainst(handle: (res: ServerResponse, path: string) => void) {
    const dials: string[] = [];
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) {
        dials.push(req.url!);
        handle(res, req.url!);
      } else req.resume().on('end', () => res.writeHead(204).end());
    });
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
    });
    tr.start();
    track(() => tr.stop());
    const errors: TransportError[] = [];
    tr.on('error', (e) => errors.push(e));
    tr.addPeer(2n, [peer.url]);
    return {
      tr,
      raft,
      logger,
      registry,
      dials,
      errors,
      async close() {
        await tr.stop();
        await peer.close();
      },
    };
  }

  for (const [status, body] of [
    [405, 'Method Not Allowed\n'],
    [404, 'error sender not found\n'],
    [412, 'cluster ID mismatch\n'],
    [412, 'incompatible version\n'],
  ] as const) {
    it(`a ${status} "${body.trim()}" answer is a dial failure without an error event; it redials at the limiter's pace`, async () => {
      const r = await readerAgainst((res) =>
        res.writeHead(status, { 'X-Server-Version': '3.4.23', 'X-Etcd-Cluster-Id': '1001' }).end(body),
      );
      await waitFor('redials', () => r.dials.length >= 6);
      assert.equal(r.errors.length, 0);
      assert.equal(r.tr.activePeers(), 0);
      assert.equal(r.raft.messages.length, 0);
      if (body.startsWith('cluster')) {
        const line = r.logger.lines.find(
          (l) => l.msg === 'request sent was ignored by remote peer due to cluster ID mismatch',
        );
        assert.ok(line);
        assert.equal(line.fields['local-member-cluster-id'], '1000');
        assert.equal(line.fields['remote-peer-cluster-id'], '1001');
      }
      await r.close();
    });
  }

  it('410 Gone is the critical member-removed error', async () => {
    const r = await readerAgainst((res) =>
      res.writeHead(410, { 'X-Server-Version': '3.4.23' }).end('removed member\n'),
    );
    await waitFor('error event', () => r.errors.length >= 1);
    assert.equal(r.errors[0]!.code, TransportErrorCode.MemberRemoved);
    await r.close();
  });

  it('a 404 without X-Server-Version (etcd 2.0) is "unsupported stream type": no deactivation, no error', async () => {
    const r = await readerAgainst((res) => res.writeHead(404).end('404 page not found\n'));
    await waitFor('redials', () => r.dials.length >= 4);
    assert.equal(r.errors.length, 0);
    assert.ok(
      !r.logger.lines.some(
        (l) => typeof l.fields.error === 'string' && (l.fields.error as string).includes('dial'),
      ),
    );
    await r.close();
  });

  it('stop while a dial is pending returns promptly', async () => {
    const r = await readerAgainst(() => {});
    await waitFor('dials pending', () => r.dials.length === 2);
    await withTimeout(r.close(), 2_000, 'stop during dial');
  });

  const bad: Array<[string, string, Buffer]> = [
    ['an oversized length prefix', '/raft/stream/message/1', Buffer.from('0000000020000001', 'hex')],
    ['a truncated protobuf frame', '/raft/stream/message/1', Buffer.from('00000000000000043a0a0800', 'hex')],
    ['a garbage msgappv2 record', '/raft/stream/msgapp/1', Buffer.from('07', 'hex')],
    [
      'a garbage msgappv2 entry',
      '/raft/stream/msgapp/1',
      Buffer.from(`01${'0000000000000001'}${'0000000000000003'}ffffff${'0000000000000000'}`, 'hex'),
    ],
  ];
  for (const [what, path, bytes] of bad) {
    it(`${what} closes that stream with a logged reason and a failure counter, then it redials`, async () => {
      const r = await readerAgainst((res, p) => {
        res.writeHead(200, { 'X-Server-Version': '3.4.23' });
        if (p === path) res.write(bytes);
        else res.flushHeaders();
      });
      await waitFor('redial after the bad stream', () => r.dials.filter((d) => d === path).length >= 2);
      const line = r.logger.lines.find(
        (l) =>
          l.msg === 'lost TCP streaming connection with remote peer' &&
          String(l.fields.error).includes('RAFTWIRE_TRANSPORT_'),
      );
      assert.ok(line, 'reason logged with an error code');
      assert.ok(
        (await metricValue(r.registry, 'etcd_network_peer_received_failures_total', { From: '2' })) >= 1,
      );
      assert.equal(r.raft.messages.length, 0);
      await r.close();
    });
  }
});

describe('stream liveness (slow: read deadlines are 5 s)', () => {
  it('a stalled peer stream is closed by the 5 s read deadline, while heartbeats keep an idle real pair connected', async () => {
    const stalled = (async () => {
      const dials: string[] = [];
      const peer = await fakePeer((req, res) => {
        if (req.url!.startsWith('/raft/stream/')) {
          dials.push(req.url!);
          res.writeHead(200, { 'X-Server-Version': '3.4.23' });
          res.flushHeaders();
        }
      });
      const logger = new MemoryLogger();
      const tr = new Transport({
        id: 1n,
        clusterId: 0x1000n,
        raft: new RecordingRaft(),
        logger,
        probeIntervalMs: 0,
      });
      tr.start();
      track(() => tr.stop());
      tr.addPeer(2n, [peer.url]);
      await waitFor('redial after the read deadline', () => dials.length >= 4, { timeoutMs: 9_000 });
      assert.ok(logger.lines.some((l) => l.msg === 'lost TCP streaming connection with remote peer'));
      await tr.stop();
      await peer.close();
    })();
    const idle = (async () => {
      const [a, b] = await startPair();
      const established = (n: typeof a) =>
        n.logger.lines.filter((l) => l.msg === 'established TCP streaming connection with remote peer')
          .length;
      // startPair returns once both writers attached on each side; each side's two readers log
      // their own line right after, so wait for all four before taking the baseline.
      await waitFor('readers established', () => established(a) >= 4 && established(b) >= 4);
      const before = [established(a), established(b)];
      await new Promise((r) => setTimeout(r, 6_500));
      assert.deepEqual([established(a), established(b)], before);
      assert.ok(!a.logger.has('lost TCP streaming connection with remote peer'));
      assert.equal(a.tr.activePeers(), 1);
      await a.close();
      await b.close();
    })();
    await Promise.all([stalled, idle]);
  });
});
