/**
 * The pipeline's own HTTP/1.1 client connection against raw TCP servers: keep-alive reuse,
 * Content-Length and chunked bodies split anywhere, Connection: close, a 500 cut before its last
 * chunk (etcd's panic), a response deadline, and the pipeline's single retry when a kept-alive
 * connection turns out to be closed before any answer.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { MessageType, messageSize, newMessage } from '../../src/raftpb/index.js';
import { Http1Connection } from '../../src/transport/http1-connection.js';
import { waitFor } from '../support/wait.js';
import { metricValue, type RecordingRaft, startNode } from './harness.js';

/** A raw server: `onRequest(socket, n)` is called for the n-th request head on each connection. */
async function rawServer(
  onRequest: (s: Socket, n: number, conn: number, head: string) => void,
): Promise<{ url: string; conns: () => number; close(): Promise<void> }> {
  let conns = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    const conn = ++conns;
    sockets.add(s);
    let n = 0;
    let buf = '';
    s.on('data', (c) => {
      buf += c.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        onRequest(s, ++n, conn, head);
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    conns: () => conns,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const HEAD = 'POST /raft HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n';
const BODY = new Uint8Array([1, 2, 3]);
const open = (url: string, responseTimeoutMs = 5_000) =>
  new Http1Connection({ url, tls: undefined, dialTimeoutMs: 0, responseTimeoutMs });

/** Writes `text` one byte per tick, so the parser sees it split everywhere. */
async function dribble(s: Socket, text: string): Promise<void> {
  for (const ch of text) {
    s.write(ch, 'latin1');
    await new Promise((r) => setImmediate(r));
  }
}

describe('Http1Connection', () => {
  it('reuses one keep-alive connection and parses 204 and Content-Length answers', async (t) => {
    const srv = await rawServer((s, n) => {
      if (n === 1) s.write('HTTP/1.1 204 No Content\r\nX-Etcd-Cluster-Id: 1000\r\n\r\n');
      else
        s.write(
          'HTTP/1.1 412 Precondition Failed\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nX-Etcd-Cluster-Id: 1001\r\n\r\ncluster ID mismatch\n',
        );
    });
    t.after(() => srv.close());
    const c = open(srv.url);
    t.after(() => c.close());
    assert.deepEqual(await c.request(HEAD, BODY), { status: 204, body: '', clusterId: '1000' });
    assert.deepEqual(await c.request(HEAD, BODY), {
      status: 412,
      body: 'cluster ID mismatch\n',
      clusterId: '1001',
    });
    assert.equal(srv.conns(), 1);
  });

  it('parses a chunked answer fed one byte at a time', async (t) => {
    const srv = await rawServer(
      (s) =>
        void dribble(
          s,
          'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
        ),
    );
    t.after(() => srv.close());
    const c = open(srv.url);
    t.after(() => c.close());
    assert.deepEqual(await c.request(HEAD, BODY), { status: 500, body: 'hello world', clusterId: undefined });
    assert.equal(c.closed, false);
  });

  it('closes after Connection: close', async (t) => {
    const srv = await rawServer((s) => s.write('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'));
    t.after(() => srv.close());
    const c = open(srv.url);
    t.after(() => c.close());
    assert.equal((await c.request(HEAD, BODY)).status, 204);
    assert.equal(c.closed, true);
  });

  it('rejects a chunked 500 whose last chunk never comes (etcd cuts the connection)', async (t) => {
    const srv = await rawServer((s) => {
      s.write(
        'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\nerror processing raft message\n\r\n',
      );
      setTimeout(() => s.destroy(), 20);
    });
    t.after(() => srv.close());
    const c = open(srv.url);
    t.after(() => c.close());
    await assert.rejects(c.request(HEAD, BODY), /connection closed/);
  });

  it('rejects when no answer comes within the response deadline', async (t) => {
    const srv = await rawServer(() => {});
    t.after(() => srv.close());
    const c = open(srv.url, 200);
    t.after(() => c.close());
    await assert.rejects(c.request(HEAD, BODY), /no response within 200 ms/);
    assert.equal(c.closed, true);
  });
});

describe('pipeline over Http1Connection', () => {
  it('retries once on a fresh connection when a kept-alive one was closed before answering', async (t) => {
    let firstPipelineConn = 0;
    let posts = 0;
    const pipelineConns = new Set<number>();
    const srv = await rawServer((s, n, conn, head) => {
      if (head.startsWith('GET /raft/stream/')) {
        s.end(
          'HTTP/1.1 404 Not Found\r\nX-Server-Version: 3.4.23\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        );
        return;
      }
      pipelineConns.add(conn);
      posts++;
      if (firstPipelineConn === 0) firstPipelineConn = conn;
      if (conn === firstPipelineConn && n === 2) {
        s.destroy();
        return;
      }
      s.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
    t.after(() => srv.close());
    const node = await startNode(1n);
    t.after(() => node.close());
    node.tr.addPeer(2n, [srv.url]);
    const hb = (commit: number) => newMessage({ type: MessageType.MsgHeartbeat, to: 2n, from: 1n, commit });
    // Whether the pipeline has finished with the messages so far: counted as sent (204) or failed.
    const sent = () => metricValue(node.registry, 'etcd_network_peer_sent_bytes_total', { To: '2' });
    const failed = () => metricValue(node.registry, 'etcd_network_peer_sent_failures_total', { To: '2' });
    node.tr.send([hb(1)]);
    // Wait for the pipeline to have read the answer, not just for the server to have the request:
    // until then the worker holding the kept-alive connection is busy, and the next message would
    // go to another worker's fresh connection, leaving nothing stale to retry.
    await waitFor('the first POST answered and read', async () => (await sent()) === messageSize(hb(1)));
    node.tr.send([hb(2)]);
    await waitFor(
      'the second POST sent or failed',
      async () => (await sent()) === messageSize(hb(1)) + messageSize(hb(2)) || (await failed()) > 0,
    );
    assert.equal(await failed(), 0, 'the retried POST succeeded');
    assert.deepEqual((node.raft as RecordingRaft).unreachable, [], 'nothing was reported unreachable');
    assert.equal(
      posts,
      3,
      'the second message was posted twice: on the kept-alive connection, then once more',
    );
    assert.equal(pipelineConns.size, 2, 'the retry used a fresh connection');
  });
});
