/**
 * The HTTP handler against raw exchanges captured from a real etcd 3.4.23 Transport.Handler()
 * (http_captures.json, server_* cases): the same request bytes get the same status line, the same
 * etcd-relevant headers and the same body (Date, Connection, Keep-Alive and ports ignored).
 * Local ID 2, cluster 1000, known peer 1, removed member 5, as in the capture.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Snapshotter } from '../../src/snap/index.js';
import type { Json } from '../raftpb/json-form.js';
import { vectorsDir } from '../support/paths.js';
import { startNode, type TestNode } from './harness.js';

const captures: Json[] = JSON.parse(readFileSync(join(vectorsDir, 'http_captures.json'), 'utf8')).captures;

interface RawResponse {
  status: string;
  headers: Map<string, string>;
  body: Buffer;
}

function parse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return { status: head[0]!, headers, body: raw.subarray(end + 4) };
}

/** Sends raw bytes; collects the answer until the server closes, or until the head when `headOnly`. */
function exchange(port: number, request: Buffer, headOnly: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => {
      chunks.push(c);
      if (headOnly && Buffer.concat(chunks).includes('\r\n\r\n')) s.destroy();
    });
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.write(request);
  });
}

const IGNORED = new Set(['date', 'connection', 'keep-alive']);

describe('handler answers like etcd 3.4.23 (http_captures.json)', () => {
  let node: TestNode;
  let port: number;
  let snapDir: string;
  before(async () => {
    snapDir = await mkdtemp(join(tmpdir(), 'raftwire-captures-'));
    node = await startNode(2n, { snapshotter: new Snapshotter(snapDir) });
    node.tr.addPeer(1n, ['http://127.0.0.1:1']);
    node.raft.removed.add(5n);
    node.raft.onProcess = async (m) => {
      if (m.from === 5n) throw new Error('cannot process message from removed member');
    };
    port = Number(new URL(node.url).port);
  });
  after(async () => {
    await node.close();
    await rm(snapDir, { recursive: true, force: true });
  });

  for (const c of captures.filter((x) => x.name.startsWith('server_'))) {
    it(`${c.name}${c.note ? ` — ${c.note}` : ''}`, async () => {
      const head = (c.requestHead as string).replace(/Host: 127\.0\.0\.1:\d+/, `Host: 127.0.0.1:${port}`);
      const request = Buffer.concat([
        Buffer.from(head, 'latin1'),
        Buffer.from(c.requestBodyHex ?? '', 'hex'),
      ]);
      const streaming = /_ok$/.test(c.name) && c.name.startsWith('server_stream_');
      const got = parse(await exchange(port, request, streaming));
      const want = parse(
        Buffer.concat([Buffer.from(c.responseHead, 'latin1'), Buffer.from(c.responseBodyHex ?? '', 'hex')]),
      );
      assert.equal(got.status, want.status);
      const probing = c.name === 'server_probing';
      for (const [k, v] of want.headers) {
        if (IGNORED.has(k) || (probing && k === 'content-length')) continue;
        assert.equal(got.headers.get(k), v, `header ${k}`);
      }
      for (const k of got.headers.keys()) {
        assert.ok(IGNORED.has(k) || want.headers.has(k), `unexpected header ${k}: ${got.headers.get(k)}`);
      }
      if (streaming) return;
      if (probing) {
        const body = JSON.parse(got.body.toString());
        assert.equal(body.OK, true);
        assert.ok(!Number.isNaN(Date.parse(body.Now)));
        assert.ok(got.body.toString().endsWith('}\n'));
        return;
      }
      assert.equal(got.body.toString('hex'), want.body.toString('hex'));
    });
  }

  it('saved the snapshot database under etcd’s file name', async () => {
    assert.ok((await readdir(snapDir)).includes('00000000000003e8.snap.db'));
  });

  it('drops the connection without an answer for a malformed version header (Go panics)', async () => {
    const req = `POST /raft HTTP/1.1\r\nHost: x\r\nX-Server-Version: 3.4\r\nX-Min-Cluster-Version: 3.0.0\r\nX-Etcd-Cluster-ID: 1000\r\nContent-Length: 0\r\n\r\n`;
    const got = await exchange(port, Buffer.from(req), false);
    assert.equal(got.length, 0);
    assert.ok(node.logger.has('dropped peer connection: malformed version header'));
  });

  it('logs a cluster ID mismatch naming both clusters', () => {
    const line = node.logger.lines.find((l) => l.msg === 'request cluster ID mismatch');
    assert.ok(line);
    assert.equal(line.fields['local-member-cluster-id'], '1000');
    assert.equal(line.fields['remote-peer-cluster-id'], '1001');
  });

  it('learns an unknown sender from X-PeerURLs (AddRemote) before answering 404', async () => {
    // server_stream_unknown_peer came from 7 with X-PeerURLs: the transport now has a remote for 7,
    // so a message to 7 goes to its pipeline (and fails there: nothing listens) instead of being ignored.
    node.tr.send([
      {
        type: 8,
        to: 7n,
        from: 2n,
        term: 1,
        logTerm: 0,
        index: 0,
        entries: [],
        commit: 0,
        reject: false,
        rejectHint: 0,
      },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(node.logger.has('added new remote peer'));
    assert.ok(node.raft.unreachable.includes(7n));
  });
});
