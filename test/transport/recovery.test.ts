/**
 * Recovery over real loopback (etcd functional_test TestSendMessageWhenStreamIsBroken, plus
 * restarts and a stalled stream reader): traffic finds its way back after every connection is cut
 * or a peer restarts on the same address; a peer that stops reading its stream loses it to the
 * write deadline; a process() error with its own writeTo answers with it (TestServeRaftPrefix).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { encodeMessage, MessageType, newEntry, newMessage } from '../../src/raftpb/index.js';
import { createPeerServer } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import { startNode, startPair } from './harness.js';

const hb = (to: bigint, from: bigint, commit: number) =>
  newMessage({ type: MessageType.MsgHeartbeat, to, from, term: 1, commit });

describe('recovery', () => {
  it('after every connection is cut on both sides, a heartbeat re-sent every millisecond gets through quickly', async () => {
    const [a, b] = await startPair();
    a.server.closeAllConnections();
    b.server.closeAllConnections();
    let attempts = 0;
    while (b.raft.messages.length === 0 && attempts < 2_000) {
      a.tr.send([hb(2n, 1n, attempts)]);
      attempts++;
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.ok(b.raft.messages.length > 0, 'delivered');
    await a.close();
    await b.close();
  });

  it('a peer restarting on the same address gets its streams back and traffic resumes both ways', async (t) => {
    const [a, b] = await startPair();
    const port = (b.server.address() as AddressInfo).port;
    a.tr.send([hb(2n, 1n, 1)]);
    await b.raft.waitForMessages(1);
    await b.close();
    // A new incarnation of member 2 on the same port.
    const b2 = await startNode(2n);
    await new Promise<void>((resolve) => b2.server.close(() => resolve()));
    const server = createPeerServer(b2.tr, { logger: b2.logger });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    t.after(async () => {
      await b2.tr.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    b2.tr.addPeer(1n, [a.url]);
    await waitFor('active again', () => a.tr.activePeers() === 1 && b2.tr.activePeers() === 1);
    await waitFor('delivered to the new incarnation', () => {
      a.tr.send([hb(2n, 1n, 2)]);
      return b2.raft.messages.length > 0;
    });
    b2.tr.send([hb(1n, 2n, 3)]);
    await waitFor('delivered back', () => a.raft.messages.some((m) => m.commit === 3));
    await a.close();
  });

  it('a peer that stops reading its stream loses it to the 5 s write deadline (slow)', async () => {
    const node = await startNode(2n);
    node.tr.addPeer(1n, ['http://127.0.0.1:1']);
    const port = Number(new URL(node.url).port);
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    let head = '';
    s.on('data', (c) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) s.pause();
    });
    s.write(
      `GET /raft/stream/message/1 HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nX-Raft-To: 2\r\n\r\n`,
    );
    await waitFor('attached', () => head.includes('200 OK'));
    const big = newMessage({
      type: MessageType.MsgApp,
      to: 1n,
      from: 2n,
      entries: [newEntry({ data: new Uint8Array(256 * 1024) })],
    });
    await waitFor(
      'write deadline',
      () => {
        node.tr.send(Array.from({ length: 16 }, () => big));
        return node.logger.lines.some(
          (l) =>
            l.msg === 'lost TCP streaming connection with remote peer' &&
            String(l.fields.reason).includes('RAFTWIRE_TRANSPORT_WRITE_TIMEOUT'),
        );
      },
      { timeoutMs: 15_000 },
    );
    assert.ok(node.raft.unreachable.includes(1n));
    s.destroy();
    await node.close();
  });

  it('a process() rejection with its own writeTo answers with it; a plain one is a cut 500', async () => {
    const node = await startNode(2n);
    node.raft.onProcess = async (m) => {
      if (m.commit === 1)
        throw Object.assign(new Error('forbidden'), {
          writeTo: (res: import('node:http').ServerResponse) => res.writeHead(403).end('go away\n'),
        });
      if (m.commit === 2) throw new Error('boom');
    };
    const port = Number(new URL(node.url).port);
    const post = (commit: number) =>
      new Promise<{ status: number; body: string; aborted: boolean }>((resolve) => {
        const body = encodeMessage(hb(2n, 1n, commit));
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/raft',
            headers: {
              'X-Server-Version': '3.4.23',
              'X-Min-Cluster-Version': '3.0.0',
              'X-Etcd-Cluster-ID': '1000',
              'Content-Length': body.length,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, body: text, aborted: false }));
            res.on('error', () => resolve({ status: res.statusCode!, body: text, aborted: true }));
            res.on('aborted', () => resolve({ status: res.statusCode!, body: text, aborted: true }));
          },
        );
        req.on('error', () => {});
        req.end(body);
      });
    assert.deepEqual(await post(1), { status: 403, body: 'go away\n', aborted: false });
    const plain = await post(2);
    assert.equal(plain.status, 500);
    assert.equal(plain.aborted, true);
    assert.deepEqual(await post(3), { status: 204, body: '', aborted: false });
    await node.close();
  });
});
