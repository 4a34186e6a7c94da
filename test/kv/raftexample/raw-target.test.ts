/**
 * RawTargetConnection: node's HTTP server behind it sees raw bytes past ASCII in request targets as
 * the client sent them (through `requestTarget`), on keep-alive connections with pipelined
 * requests, Content-Length and chunked bodies (whose bytes are never rewritten, even when they look
 * like a request line), the input split at every byte; a client's own copy of the header is
 * dropped; what it cannot frame is passed through for node's parser to judge.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { RAW_TARGET_HEADER, RawTargetConnection, requestTarget } from '../../../src/kv/raftexample/index.js';

interface Seen {
  target: string;
  body: string;
  forged: string | undefined;
}

async function serve(t: TestContext): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const http = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        target: requestTarget(req),
        body: Buffer.concat(chunks).toString('latin1'),
        forged: req.headers['x-forged'] as string | undefined,
      });
      res.end(`ok ${seen.length}`);
    });
  });
  const net = createNetServer((socket) => http.emit('connection', new RawTargetConnection(socket)));
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => net.close(() => resolve()));
  });
  const a = net.address();
  return { port: typeof a === 'object' && a !== null ? a.port : 0, seen };
}

/** Writes `bytes` in pieces of `step` bytes and reads until the server closes. */
function exchange(port: number, bytes: Buffer, step: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close; got ${out}`));
    }, 10_000);
    sock.on('data', (c: Buffer) => {
      out += c.toString('latin1');
    });
    sock.once('error', reject);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.once('connect', async () => {
      for (let i = 0; i < bytes.length; i += step) {
        sock.write(bytes.subarray(i, i + step));
        if (step < bytes.length) await new Promise((r) => setImmediate(r));
      }
    });
  });
}

const l1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('RawTargetConnection', () => {
  const raw = l1('/ключ?q=ä');
  const fake = l1('GET /ложь HTTP/1.1\r\nHost: x\r\n\r\n');
  const requests = Buffer.from(
    [
      `PUT ${raw} HTTP/1.1\r\nHost: x\r\nContent-Length: ${fake.length}\r\n${RAW_TARGET_HEADER}: 2f78\r\n\r\n${fake}`,
      `POST /plain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n${fake.slice(0, 5)}\r\n${(fake.length - 5).toString(16)}\r\n${fake.slice(5)}\r\n0\r\nX-Trailer: 1\r\n\r\n`,
      `\r\nGET ${l1('/\u00ff')}%41 HTTP/1.1\r\nHost: x\r\nX-Forged: no\r\n\r\n`,
      `GET /${RAW_TARGET_HEADER} HTTP/1.1\r\nHost: x\r\n${RAW_TARGET_HEADER.toUpperCase()}: 2f6f776e6564\r\nConnection: close\r\n\r\n`,
    ].join(''),
    'latin1',
  );
  const expected: Seen[] = [
    { target: raw, body: fake, forged: undefined },
    { target: '/plain', body: fake, forged: undefined },
    { target: l1('/\u00ff%41'), body: '', forged: 'no' },
    { target: `/${RAW_TARGET_HEADER}`, body: '', forged: undefined },
  ];

  for (const step of [1, 7, 100_000]) {
    it(`keeps raw targets and bodies, pipelined, written ${step} byte(s) at a time`, async (t) => {
      const { port, seen } = await serve(t);
      const out = await exchange(port, requests, step);
      assert.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 4, out);
      assert.deepEqual(seen, expected);
    });
  }

  it('passes through what it cannot frame: node answers 400 as without it', async (t) => {
    const { port, seen } = await serve(t);
    const out = await exchange(
      port,
      Buffer.from('PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 'latin1'),
      100,
    );
    assert.match(out, /^HTTP\/1\.1 400 Bad Request/);
    assert.deepEqual(seen, []);
  });
});
