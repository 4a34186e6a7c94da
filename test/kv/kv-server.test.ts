import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import fc from 'fast-check';
import { KvServer, KvStateMachine } from '../../src/kv/index.js';
import { FakeHost } from './support/fake-host.js';
import { http, raw } from './support/http.js';

async function start(t: TestContext, options: { maxValueBytes?: number; requestTimeoutMs?: number } = {}) {
  const store = new KvStateMachine();
  const host = new FakeHost(store);
  const server = new KvServer({ host, store, clientUrl: 'http://127.0.0.1:0', ...options });
  const addr = await server.listen(0, '127.0.0.1');
  t.after(() => server.close());
  const base = `http://127.0.0.1:${addr.port}`;
  return { host, store, server, base, port: addr.port };
}

test('PUT answers 204 with the revision; GET, HEAD, DELETE; 404 when absent', async (t) => {
  const { base } = await start(t);
  const put = await http(base, 'PUT', '/greeting', { body: 'hello' });
  assert.equal(put.status, 204);
  assert.equal(put.headers.etag, '"11"');
  const get = await http(base, 'GET', '/greeting');
  assert.equal(get.status, 200);
  assert.equal(get.text, 'hello');
  assert.equal(get.headers.etag, '"11"');
  const ser = await http(base, 'GET', '/greeting?serializable');
  assert.equal(ser.text, 'hello');
  const head = await http(base, 'HEAD', '/greeting');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '5');
  assert.equal(head.body.length, 0);
  assert.equal((await http(base, 'GET', '/greeting', { headers: { 'If-None-Match': '"11"' } })).status, 304);
  const del = await http(base, 'DELETE', '/greeting');
  assert.equal(del.status, 204);
  assert.equal(del.headers.etag, '"12"');
  const gone = await http(base, 'GET', '/greeting');
  assert.equal(gone.status, 404);
  assert.equal(gone.text, 'key not found\n');
  assert.equal((await http(base, 'DELETE', '/greeting')).status, 404);
  const empty = await http(base, 'PUT', '/empty');
  assert.equal(empty.status, 204);
  const emptyGet = await http(base, 'GET', '/empty');
  assert.equal(emptyGet.status, 200);
  assert.equal(emptyGet.body.length, 0);
});

test('keys are byte strings: percent-encoded bytes round-trip, in GET and in the listing', async (t) => {
  const { base, store } = await start(t);
  const value = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
  assert.equal((await http(base, 'PUT', '/bin%00%FF%2f%3Fx', { body: value })).status, 204);
  assert.deepEqual(store.get('bin\u0000\u00ff/?x')?.value, value);
  const back = await http(base, 'GET', '/bin%00%ff/%3fx');
  assert.deepEqual(back.body, value);
  const list = await http(base, 'GET', '/?prefix=bin%00');
  const json = JSON.parse(list.text) as { keys: Array<{ key: string; revision: number; size: number }> };
  assert.deepEqual(json.keys, [{ key: 'bin%00%FF/%3Fx', revision: 11, size: 7 }]);
  assert.deepEqual((await http(base, 'GET', `/${json.keys[0]?.key}`)).body, value);
  // UTF-8 keys are their bytes
  assert.equal((await http(base, 'PUT', `/${encodeURIComponent('ключ')}`, { body: 'v' })).status, 204);
  assert.ok(store.get(Buffer.from('ключ').toString('latin1')));
});

test('conditional writes: If-None-Match * and If-Match answer 412 when the condition fails', async (t) => {
  const { base } = await start(t);
  const create = await http(base, 'PUT', '/lock', { body: 'a', headers: { 'If-None-Match': '*' } });
  assert.equal(create.status, 204);
  const rev = create.headers.etag as string;
  const again = await http(base, 'PUT', '/lock', { body: 'b', headers: { 'If-None-Match': '*' } });
  assert.equal(again.status, 412);
  assert.equal(again.headers.etag, rev);
  assert.match(again.text, /^precondition failed/);
  const stale = await http(base, 'PUT', '/lock', { body: 'b', headers: { 'If-Match': '"3"' } });
  assert.equal(stale.status, 412);
  const cas = await http(base, 'PUT', '/lock', { body: 'b', headers: { 'If-Match': rev } });
  assert.equal(cas.status, 204);
  assert.equal((await http(base, 'PUT', '/nope', { body: 'x', headers: { 'If-Match': '*' } })).status, 412);
  assert.equal((await http(base, 'DELETE', '/lock', { headers: { 'If-Match': rev } })).status, 412);
  assert.equal(
    (await http(base, 'DELETE', '/lock', { headers: { 'If-Match': cas.headers.etag as string } })).status,
    204,
  );
  for (const headers of [
    { 'If-Match': 'abc' },
    { 'If-None-Match': '"4"' },
    { 'If-Match': '*', 'If-None-Match': '*' },
  ]) {
    const bad = await http(base, 'PUT', '/lock', { body: 'x', headers });
    assert.equal(bad.status, 400, JSON.stringify(headers));
    assert.equal(bad.text.split('\n').length, 2, 'one line');
  }
});

test('bodies over the limit get 413 without being buffered; the member keeps serving', async (t) => {
  const { base, host, port } = await start(t, { maxValueBytes: 1000 });
  const declared = await http(base, 'PUT', '/big', { body: Buffer.alloc(5000) });
  assert.equal(declared.status, 413);
  // chunked: no Content-Length; the server stops reading at the limit
  const chunked = await raw(
    port,
    `PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${'400\r\n'}${'x'.repeat(1024)}\r\n`,
  );
  assert.match(chunked, /^HTTP\/1\.1 413 /);
  assert.equal(host.proposed.length, 0);
  assert.equal((await http(base, 'PUT', '/ok', { body: Buffer.alloc(1000) })).status, 204);
});

test('bad keys, methods and targets: 400 / 405 with Allow, each a one-line text body', async (t) => {
  const { base, port } = await start(t);
  const cases: Array<[string, string, number, string?]> = [
    ['PATCH', '/k', 405, 'GET, HEAD, PUT, DELETE'],
    ['POST', '/k', 405, 'GET, HEAD, PUT, DELETE'],
    ['PUT', '/', 405, 'GET, HEAD'],
    ['PUT', '/-/foo', 400],
    ['GET', '/-/nothing', 400],
    ['PUT', '/%2D/foo', 400],
    ['PUT', '/bad%zz', 400],
    ['PUT', '/bad%', 400],
    ['GET', '/k?x=%G0', 400],
    ['GET', '/?limit=0', 400],
    ['GET', '/?limit=abc', 400],
    ['POST', '/-/status', 405, 'GET, HEAD'],
    ['PUT', '/-/members', 405, 'GET, HEAD, POST'],
    ['GET', '/-/leader', 405, 'POST'],
    ['GET', '/-/members/2', 405, 'DELETE'],
  ];
  for (const [method, path, status, allow] of cases) {
    const r = await http(base, method, path, { body: 'v' });
    assert.equal(r.status, status, `${method} ${path}`);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', `${method} ${path}`);
    assert.match(r.text, /^[^\n]+\n$/, `${method} ${path} one line`);
    if (allow !== undefined) assert.equal(r.headers.allow, allow, `${method} ${path}`);
  }
  assert.match(
    await raw(port, 'GET http://example.com/k HTTP/1.1\r\nHost: x\r\n\r\n', 2000),
    /^HTTP\/1\.1 400 /,
  );
  assert.match(await raw(port, 'NOT A REQUEST\r\n\r\n'), /^HTTP\/1\.1 400 /);
  assert.match(
    await raw(port, `GET /k HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`),
    /^HTTP\/1\.1 431 /,
  );
  assert.equal((await http(base, 'GET', '/-/status')).status, 200, 'still serving');
});

test('a write that cannot commit in time answers 503, Retry-After, outcome UNKNOWN; linearizable reads 503', async (t) => {
  const { base, host } = await start(t, { requestTimeoutMs: 150 });
  assert.equal((await http(base, 'PUT', '/k', { body: 'v1' })).status, 204);
  host.stalled = true;
  const put = await http(base, 'PUT', '/k', { body: 'v2' });
  assert.equal(put.status, 503);
  assert.equal(put.headers['retry-after'], '1');
  assert.match(put.text, /UNKNOWN/);
  assert.match(put.text, /may still apply/);
  assert.match(put.text, /^[^\n]+\n$/);
  const del = await http(base, 'DELETE', '/k');
  assert.equal(del.status, 503);
  assert.match(del.text, /UNKNOWN/);
  const get = await http(base, 'GET', '/k');
  assert.equal(get.status, 503);
  assert.equal(get.headers['retry-after'], '1');
  assert.equal((await http(base, 'GET', '/k?serializable')).text, 'v1');
  const metrics = (await http(base, 'GET', '/-/metrics')).text;
  assert.match(metrics, /^etcd_server_proposals_failed_total 2$/m);
});

test('listing is paginated with limit and the after cursor', async (t) => {
  const { base } = await start(t);
  for (const k of ['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'b/1']) await http(base, 'PUT', `/${k}`, { body: k });
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const q: string = `/?prefix=a/&limit=2${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
    const json = JSON.parse((await http(base, 'GET', q)).text) as {
      keys: Array<{ key: string }>;
      next: string | null;
    };
    seen.push(...json.keys.map((k) => k.key));
    after = json.next;
    if (after === null) break;
  }
  assert.deepEqual(seen, ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']);
  const all = JSON.parse((await http(base, 'GET', '/')).text) as { keys: unknown[]; next: null };
  assert.equal(all.keys.length, 6);
  assert.equal(all.next, null);
});

test('admin: status, health, metrics, members, leader transfer', async (t) => {
  const { base, host } = await start(t);
  const status = JSON.parse((await http(base, 'GET', '/-/status')).text) as Record<string, unknown>;
  assert.equal(status.id, '1');
  assert.equal(status.leader, '1');
  assert.equal(status.clientUrl, 'http://127.0.0.1:0');
  assert.equal(typeof status.version, 'string');
  assert.deepEqual(status.members, [{ id: '1', peerUrls: ['http://127.0.0.1:2380'], role: 'voter' }]);
  const health = await http(base, 'GET', '/-/health');
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.text).health, true);

  const added = await http(base, 'POST', '/-/members', {
    body: JSON.stringify({ peerUrls: ['http://127.0.0.1:9'] }),
  });
  assert.equal(added.status, 201);
  assert.deepEqual(JSON.parse(added.text), { id: '2', peerUrls: ['http://127.0.0.1:9'] });
  const withId = await http(base, 'POST', '/-/members', {
    body: JSON.stringify({ id: 'a', peerUrls: ['https://h:1'] }),
  });
  assert.equal(JSON.parse(withId.text).id, 'a');
  assert.equal(
    (await http(base, 'POST', '/-/members', { body: JSON.stringify({ id: 2, peerUrls: ['http://x:1'] }) }))
      .status,
    409,
  );
  for (const body of [
    '{',
    '[]',
    '{"peerUrls":[]}',
    '{"peerUrls":["ftp://x"]}',
    '{"peerUrls":["http://x:1"],"id":"zz"}',
    '{"peerUrls":["http://x:1"],"id":-1}',
  ]) {
    assert.equal((await http(base, 'POST', '/-/members', { body })).status, 400, body);
  }
  const members = JSON.parse((await http(base, 'GET', '/-/members')).text) as {
    members: Array<{ id: string; role: string }>;
  };
  assert.deepEqual(
    members.members.map((m) => [m.id, m.role]),
    [
      ['1', 'voter'],
      ['2', 'learner'],
      ['a', 'learner'],
    ],
  );
  assert.equal((await http(base, 'DELETE', '/-/members/a')).status, 204);
  assert.equal((await http(base, 'DELETE', '/-/members/a')).status, 409);
  assert.equal((await http(base, 'DELETE', '/-/members/not-hex')).status, 400);

  assert.equal((await http(base, 'POST', '/-/leader', { body: '{"id":"2"}' })).status, 204);
  assert.equal(JSON.parse((await http(base, 'GET', '/-/status')).text).leader, '2');
  assert.equal((await http(base, 'POST', '/-/leader', { body: '{"id":"77"}' })).status, 409);
  assert.equal((await http(base, 'POST', '/-/leader', { body: '{}' })).status, 400);

  host.setLeader(undefined);
  assert.equal(JSON.parse((await http(base, 'GET', '/-/status')).text).leader, null);
  const sick = await http(base, 'GET', '/-/health');
  assert.equal(sick.status, 503);
  assert.deepEqual(JSON.parse(sick.text), { health: false, reason: 'no leader' });
  host.setLeader(1n);

  await http(base, 'PUT', '/m', { body: 'x' });
  const metrics = await http(base, 'GET', '/-/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /^etcd_server_has_leader 1$/m);
  assert.match(metrics.text, /^etcd_server_is_leader 1$/m);
  assert.match(metrics.text, /^etcd_server_leader_changes_seen_total 3$/m);
  assert.match(metrics.text, /^etcd_server_proposals_committed_total 11$/m);
  assert.match(metrics.text, /^etcd_server_proposals_applied_total 11$/m);
  assert.match(metrics.text, /^etcd_server_proposals_pending 0$/m);
  assert.match(metrics.text, /^raftwire_http_requests_total\{method="PUT",code="204"\} 1$/m);
});

test('aborted bodies, and random request targets, never crash the member', async (t) => {
  const { base, host, port } = await start(t);
  await new Promise<void>((resolve) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write('PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-ten-b');
      setTimeout(() => sock.destroy(), 50);
    });
    sock.on('close', () => resolve());
    sock.on('error', () => {});
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'HEAD', 'OPTIONS'),
      fc.uint8Array({ maxLength: 40 }),
      async (method, bytes) => {
        // Any printable-ASCII target (escapes, %, ?, /-/ …); bytes the HTTP parser refuses get its 400.
        const target = `/${Buffer.from(bytes.map((b) => 0x21 + (b % 94))).toString('latin1')}`;
        const reply = await raw(
          port,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv`,
        );
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
        assert.ok(status >= 200 && status < 500, `${method} ${target} → ${reply.slice(0, 60)}`);
      },
    ),
    { numRuns: 150 },
  );
  assert.equal(
    host.proposed.every((d) => d.length > 0),
    true,
  );
  assert.equal((await http(base, 'GET', '/-/health')).status, 200);
});
