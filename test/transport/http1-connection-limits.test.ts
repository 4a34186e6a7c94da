/**
 * The pipeline client's limits against a misbehaving peer: a malformed chunked body fails the
 * request at once (it does not wait for the response deadline), and an endless or oversized
 * response head or body is cut off at a fixed size instead of being buffered.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { Http1Connection } from '../../src/transport/http1-connection.js';
import { TransportError, TransportErrorCode } from '../../src/transport/index.js';

/** A raw server that answers the first request head on each connection with `answer(socket)`. */
async function rawServer(answer: (s: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    let buf = '';
    s.on('error', () => {});
    s.on('data', (c) => {
      buf += c.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        buf = '';
        answer(s);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const HEAD = 'POST /raft HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n';
/** A response deadline far beyond the test timeout: a request that waits for it has stalled. */
const DEADLINE_MS = 600_000;

function failsWith(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TransportError, String(e));
    assert.equal(e.code, TransportErrorCode.ConnectionFailed);
    assert.match(e.message, pattern);
    return true;
  };
}

const cases: Array<[string, (s: Socket) => void, RegExp]> = [
  [
    'a chunk size that is not hex',
    (s) => s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n'),
    /malformed chunked body: bad chunk size/,
  ],
  [
    'a negative chunk size',
    (s) => s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n'),
    /bad chunk size/,
  ],
  [
    'a chunk not followed by CRLF',
    (s) =>
      s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n'),
    /chunk not followed by CRLF/,
  ],
  [
    'a chunk-size line that never ends',
    (s) =>
      s.write(`HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(4096)}`),
    /chunk-size line too long/,
  ],
  [
    'chunks adding up past the body cap',
    (s) => s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\nffffff\r\n'),
    /body exceeds/,
  ],
  [
    'a Content-Length past the body cap',
    (s) => s.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100000000\r\n\r\n'),
    /exceeds/,
  ],
  [
    'a response head that never ends',
    (s) => {
      s.write('HTTP/1.1 204 No Content\r\n');
      const line = `X-Filler: ${'a'.repeat(1000)}\r\n`;
      for (let i = 0; i < 40; i++) s.write(line);
    },
    /response head exceeds 16384 bytes/,
  ],
];

for (const [what, answer, pattern] of cases) {
  test(`${what} fails the request at once`, async (t) => {
    const server = await rawServer(answer);
    t.after(() => server.close());
    const conn = new Http1Connection({
      url: server.url,
      tls: undefined,
      dialTimeoutMs: 0,
      responseTimeoutMs: DEADLINE_MS,
    });
    t.after(() => conn.close());
    await assert.rejects(conn.request(HEAD, new Uint8Array(0)), failsWith(pattern));
    assert.equal(conn.closed, true);
  });
}

test('chunk extensions and a head just under the cap are accepted', async (t) => {
  const filler = `X-Filler: ${'b'.repeat(15 * 1024)}\r\n`;
  const server = await rawServer((s) =>
    s.write(
      `HTTP/1.1 412 Precondition Failed\r\n${filler}X-Etcd-Cluster-Id: 1000\r\nTransfer-Encoding: chunked\r\n\r\n14;name=value\r\ncluster ID mismatch\n\r\n0\r\n\r\n`,
    ),
  );
  t.after(() => server.close());
  const conn = new Http1Connection({
    url: server.url,
    tls: undefined,
    dialTimeoutMs: 0,
    responseTimeoutMs: DEADLINE_MS,
  });
  t.after(() => conn.close());
  const res = await conn.request(HEAD, new Uint8Array(0));
  assert.deepEqual(res, { status: 412, body: 'cluster ID mismatch\n', clusterId: '1000' });
});
