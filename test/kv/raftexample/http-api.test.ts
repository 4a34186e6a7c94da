import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { RaftwireError } from '../../../src/errors/index.js';
import { encodeConfChange } from '../../../src/raftpb/index.js';
import { MemoryBackend, serveHandler } from '../../interop/raftexample/memory-backend.js';
import { rawRequest } from '../../interop/raftexample/raw-http.js';
import { toHex } from '../../support/hex.js';

const enc = new TextEncoder();

describe('raftexample HTTP handler', () => {
  it('answers PUT only once the backend has taken the write, then serves it', async (t) => {
    const backend = new MemoryBackend();
    let open: () => void = () => {};
    backend.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const srv = await serveHandler(backend);
    t.after(() => srv.close());
    let answered = false;
    const put = rawRequest(srv.port, 'PUT', '/k', enc.encode('v')).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answered, false);
    assert.equal(backend.entries.length, 0);
    open();
    assert.equal((await put).status, 204);
    assert.equal(toHex(backend.entries[0] as Uint8Array).endsWith('0aff8201022f6b01017600'), true);
    const get = await rawRequest(srv.port, 'GET', '/k');
    assert.equal(get.body.toString(), 'v');
  });

  it('answers 503 naming an unknown outcome when the wait times out', async (t) => {
    const backend = new MemoryBackend();
    backend.gate = new Promise<void>(() => {});
    const srv = await serveHandler(backend, { requestTimeoutMs: 200 });
    t.after(() => srv.close());
    const r = await rawRequest(srv.port, 'PUT', '/k', enc.encode('v'));
    assert.equal(r.status, 503);
    assert.equal(r.body.toString(), 'Failed on PUT: the outcome is unknown\n');
    assert.equal(backend.sm.size, 0);
  });

  it('aborts the wait when the client goes away, and keeps serving', async (t) => {
    const backend = new MemoryBackend();
    backend.gate = new Promise<void>(() => {});
    const srv = await serveHandler(backend);
    t.after(() => srv.close());
    const sock = connect(srv.port, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write('PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv');
    const deadline = Date.now() + 5000;
    while (backend.gated === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(backend.gated, 1, 'the PUT reached the backend');
    sock.destroy();
    while (backend.aborts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(String(backend.aborts[0]), /client closed/);
    backend.gate = undefined;
    assert.equal((await rawRequest(srv.port, 'PUT', '/k2', enc.encode('v'))).status, 204);
  });

  it('answers 503 with the error code when the backend refuses', async (t) => {
    const backend = new MemoryBackend();
    backend.failWith = new RaftwireError('RAFTWIRE_REPLICA_CLOSED', 'closed');
    const srv = await serveHandler(backend);
    t.after(() => srv.close());
    const put = await rawRequest(srv.port, 'PUT', '/k', enc.encode('v'));
    assert.equal(put.status, 503);
    assert.equal(put.body.toString(), 'Failed on PUT: not done (RAFTWIRE_REPLICA_CLOSED)\n');
    const post = await rawRequest(srv.port, 'POST', '/4', enc.encode('http://x'));
    assert.equal(post.status, 503);
    assert.equal(post.body.toString(), 'Failed on POST: not done (RAFTWIRE_REPLICA_CLOSED)\n');
  });

  it('refuses a body past maxBodyBytes with 413 and proposes nothing', async (t) => {
    const backend = new MemoryBackend();
    const srv = await serveHandler(backend, { maxBodyBytes: 10 });
    t.after(() => srv.close());
    const r = await rawRequest(srv.port, 'PUT', '/k', new Uint8Array(11));
    assert.equal(r.status, 413);
    assert.equal(backend.entries.length, 0);
    assert.equal((await rawRequest(srv.port, 'PUT', '/k', new Uint8Array(10))).status, 204);
  });

  it("proposes raftexample's ConfChange bytes: numbered from 1, URL as context, none for a bad id", async (t) => {
    const backend = new MemoryBackend();
    const srv = await serveHandler(backend);
    t.after(() => srv.close());
    assert.equal((await rawRequest(srv.port, 'POST', '/4x', enc.encode('u'))).status, 400);
    assert.equal(
      (await rawRequest(srv.port, 'POST', '/4', enc.encode('http://127.0.0.1:12379'))).status,
      204,
    );
    assert.equal((await rawRequest(srv.port, 'DELETE', '/0o4')).status, 204);
    const [add, remove] = backend.confChanges.map((cc) => toHex(encodeConfChange(cc)));
    assert.equal(add, `0801100018042216${toHex(enc.encode('http://127.0.0.1:12379'))}`);
    assert.equal(remove, '080210011804'); // no context: Go leaves it nil
  });

  it('keys by the raw request target, query string included, bytes kept', async (t) => {
    const backend = new MemoryBackend();
    const srv = await serveHandler(backend);
    t.after(() => srv.close());
    await rawRequest(srv.port, 'PUT', '/a%20b?x=1', enc.encode('q'));
    assert.equal(backend.get(enc.encode('/a%20b?x=1'))?.length, 1);
    assert.equal((await rawRequest(srv.port, 'GET', '/a%20b')).status, 404);
    assert.equal((await rawRequest(srv.port, 'GET', '/a%20b?x=1')).body.toString(), 'q');
  });
});
