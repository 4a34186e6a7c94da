/**
 * What goes on the wire from our side, against etcd 3.4.23's captures: the requests our transport
 * sends (client_* cases: stream GETs, pipeline POST, snapshot POST, probe) carry etcd's headers and
 * bodies, and a stream writer's chunks (link heartbeats, messages, msgappv2 records) are the bytes
 * etcd writes (server_stream_*_ok cases).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type Message, MessageType, newMessage } from '../../src/raftpb/index.js';
import { Transport } from '../../src/transport/index.js';
import { MessageFrameDecoder } from '../../src/transport/message-codec.js';
import { MsgAppV2Decoder } from '../../src/transport/msgappv2-codec.js';
import { type Json, messageFromJson } from '../raftpb/json-form.js';
import { vectorsDir } from '../support/paths.js';
import { waitFor } from '../support/wait.js';
import { RecordingRaft, startNode, type TestNode } from './harness.js';

const captures: Json[] = JSON.parse(readFileSync(join(vectorsDir, 'http_captures.json'), 'utf8')).captures;
const capture = (name: string) => captures.find((c) => c.name === name)!;
const snapVector = JSON.parse(readFileSync(join(vectorsDir, 'snapshot_body.json'), 'utf8'));

function requestHeaders(head: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

const ETCD_HEADERS = [
  'x-etcd-cluster-id',
  'x-min-cluster-version',
  'x-peerurls',
  'x-raft-to',
  'x-server-from',
  'x-server-version',
  'content-type',
];

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

describe('requests our transport sends (client_* captures)', () => {
  let fake: Server;
  let tr: Transport;
  const seen: Seen[] = [];
  before(async () => {
    fake = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.url!.startsWith('/raft/stream/')) {
          res.writeHead(200, { 'X-Server-Version': '3.4.23', 'X-Etcd-Cluster-Id': '1000' });
          res.flushHeaders();
        } else if (req.url === '/raft/probing') {
          res.end('{"OK":true,"Now":"2026-11-25T02:53:44.367722921Z"}\n');
        } else {
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as AddressInfo).port;
    tr = new Transport({
      id: 1n,
      clusterId: 0x1000n,
      raft: new RecordingRaft(),
      urls: ['http://127.0.0.1:12380', 'http://10.0.0.1:2380'],
      probeIntervalMs: 60_000,
    });
    tr.start();
    tr.addPeer(2n, [`http://127.0.0.1:${port}`]);
    await waitFor(
      'stream dials and probe',
      () =>
        seen.filter((s) => s.path.startsWith('/raft/stream/')).length === 2 &&
        seen.some((s) => s.path === '/raft/probing'),
    );
    tr.send([newMessage({ type: MessageType.MsgHeartbeat, to: 2n, from: 1n, term: 5, commit: 9 })]);
    const db = Buffer.from(snapVector.dbHex, 'hex');
    await tr.sendSnapshot({
      message: messageFromJson(snapVector.message),
      body: Readable.from([db]),
      dbSize: db.length,
    });
    await waitFor('pipeline POST', () => seen.some((s) => s.path === '/raft'));
  });
  after(async () => {
    await tr.stop();
    fake.closeAllConnections();
    await new Promise<void>((r) => fake.close(() => r()));
  });

  const cases: Array<[string, string, string]> = [
    ['client_raft_stream_msgapp_1_get', 'GET', '/raft/stream/msgapp/1'],
    ['client_raft_stream_message_1_get', 'GET', '/raft/stream/message/1'],
    ['client_raft_post', 'POST', '/raft'],
    ['client_raft_snapshot_post', 'POST', '/raft/snapshot'],
    ['client_raft_probing_get', 'GET', '/raft/probing'],
  ];
  for (const [name, method, path] of cases) {
    it(`${name}: ${method} ${path} with etcd's headers and body`, () => {
      const c = capture(name);
      const got = seen.find((s) => s.path === path && s.method === method);
      assert.ok(got, `no ${method} ${path} seen`);
      const want = requestHeaders(c.requestHead);
      for (const h of ETCD_HEADERS) assert.equal(got.headers[h], want.get(h), `header ${h}`);
      if (want.has('transfer-encoding')) assert.equal(got.headers['transfer-encoding'], 'chunked');
      if (want.has('content-length')) assert.equal(got.headers['content-length'], want.get('content-length'));
      assert.equal(got.body.toString('hex'), c.requestBodyHex ?? '');
    });
  }
});

/** Reads an HTTP/1.1 chunked stream response from a raw socket, one callback per chunk payload. */
function rawStream(
  port: number,
  path: string,
  onChunk: (payload: Buffer) => void,
): { close(): void; head: Promise<string> } {
  const s = connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let headDone = false;
  let resolveHead!: (h: string) => void;
  const head = new Promise<string>((r) => (resolveHead = r));
  s.on('data', (c) => {
    buf = Buffer.concat([buf, c]);
    if (!headDone) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      headDone = true;
      resolveHead(buf.subarray(0, end).toString());
      buf = buf.subarray(end + 4);
    }
    for (;;) {
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const size = Number.parseInt(buf.subarray(0, nl).toString(), 16);
      if (buf.length < nl + 2 + size + 2) return;
      onChunk(buf.subarray(nl + 2, nl + 2 + size));
      buf = buf.subarray(nl + 2 + size + 2);
    }
  });
  s.on('error', () => {});
  s.write(
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Server-From: 1\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nX-Raft-To: 2\r\n\r\n`,
  );
  return { close: () => s.destroy(), head };
}

/** Splits a captured chunked body into chunk payloads. */
function chunksOf(hex: string): Buffer[] {
  let b = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  while (b.length > 0) {
    const nl = b.indexOf('\r\n');
    const size = Number.parseInt(b.subarray(0, nl).toString(), 16);
    out.push(b.subarray(nl + 2, nl + 2 + size));
    b = b.subarray(nl + 2 + size + 2);
  }
  return out;
}

describe('stream writer bytes (server_stream_*_ok captures)', () => {
  let node: TestNode;
  let port: number;
  before(async () => {
    node = await startNode(2n);
    node.tr.addPeer(1n, ['http://127.0.0.1:1']);
    port = Number(new URL(node.url).port);
  });
  after(async () => {
    await node.close();
  });

  for (const [name, path, decode] of [
    ['server_stream_message_ok', '/raft/stream/message/1', () => new MessageFrameDecoder()],
    ['server_stream_msgapp_ok', '/raft/stream/msgapp/1', () => new MsgAppV2Decoder(1n, 2n)],
  ] as const) {
    it(`${name}: link heartbeat chunk, then each flush is one chunk with etcd's bytes`, async () => {
      const want = chunksOf(capture(name).responseBodyHex);
      // The captured messages, decoded from the capture itself, are re-sent through our writer.
      const dec = decode();
      const msgs: Message[] = [];
      for (const c of want) {
        dec.push(c);
        for (let m = dec.next(); m !== undefined; m = dec.next())
          if (!(m.type === MessageType.MsgHeartbeat && m.to === 0n)) msgs.push(m);
      }
      const heartbeats = want.filter((c) => c.length === 1 || c.length === 38).slice(0, 1);
      const got: Buffer[] = [];
      const conn = rawStream(port, path, (p) => got.push(Buffer.from(p)));
      assert.match(await conn.head, /^HTTP\/1\.1 200 OK/);
      await waitFor('first link heartbeat', () => got.length >= 1, { timeoutMs: 3_000 });
      assert.equal(got[0]!.toString('hex'), heartbeats[0]!.toString('hex'));
      const dataChunks = want.filter(
        (c) => !(c.length === 1 || (c.length === 38 && c[9] === 0x08 && c[11] === 0)),
      );
      for (let i = 0; i < msgs.length; i++) {
        const before = got.length;
        node.tr.send([msgs[i]!]);
        await waitFor(`chunk ${i}`, () =>
          got.some((g, k) => k >= before && g.length > 1 && !(g.length === 38 && g.equals(heartbeats[0]!))),
        );
        const chunk = got.slice(before).find((g) => g.length > 1 && !g.equals(heartbeats[0]!))!;
        assert.equal(chunk.toString('hex'), dataChunks[i]!.toString('hex'), `chunk ${i}`);
      }
      conn.close();
    });
  }
});
