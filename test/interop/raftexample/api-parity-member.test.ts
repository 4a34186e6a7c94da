/**
 * API parity on real processes: the request sequence of api-parity.test.ts, sent to Go member 1
 * and to raftwire member 3 (`raftwire node --compat raftexample`) of one mixed cluster, gives the
 * same status, body and header lines (Date aside) from both — the handler as the command serves
 * it, on a member whose PUTs and conf changes go through raft. Writes go to both members (the same
 * key and value twice). The two valid conf changes go to the raftwire member for ID 5 instead of 4
 * (Go's transport panics when a removal of an unknown peer is applied, which removing 4 twice
 * would be), a moment after the Go member's, so raft never sees two pending at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../support/hex.js';
import { awaitValue, ready, startMixed, tails } from './mixed-cluster.js';
import { type RawResponse, rawRequest } from './raw-http.js';

const enc = new TextEncoder();

interface Step {
  method: string;
  target: string;
  body?: Uint8Array;
}

const fill = (n: number, c: string): Uint8Array => enc.encode(c.repeat(n));

const values: [string, Uint8Array][] = [
  ['/foo', enc.encode('bar')],
  ['/a%20b?x=1', enc.encode('q')],
  ['/empty', new Uint8Array(0)],
  ['/bin', Uint8Array.from([0x61, 0x00, 0x62, 0xff])],
  ['/html', enc.encode('<html><body>x')],
  ['/json', enc.encode('{"a":1}')],
  ['/png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])],
  ['/v300', fill(300, 'x')],
  ['/v2048', fill(2048, 'y')],
  ['/v2049', fill(2049, 'z')],
  ['/v5000bin', Uint8Array.from({ length: 5000 }, (_, i) => i % 256)],
  ['/u', enc.encode('é\u2028')],
  ['/k?q', enc.encode('query kept')],
  // A fragment stays in the key.
  ['/a#frag', enc.encode('f')],
  // Raw bytes past ASCII in the target, as net/http takes them (RawTargetConnection).
  [Buffer.from('/ключ?q=ä', 'utf8').toString('latin1'), enc.encode('raw utf-8 key')],
  [Buffer.from([0x2f, 0xff, 0x80, 0x41]).toString('latin1'), enc.encode('raw invalid utf-8 key')],
];

const puts: Step[] = [
  ...values.map(([target, body]) => ({ method: 'PUT', target, body })),
  { method: 'PUT', target: '/sentinel', body: enc.encode('done') },
];

const reads: Step[] = [
  ...values.map(([target]) => ({ method: 'GET', target })),
  { method: 'GET', target: '/missing' },
  { method: 'GET', target: '/a%20b' },
  { method: 'GET', target: '/a%20b?x=2' },
  { method: 'GET', target: '/a b'.replace(' ', '%20') },
  { method: 'GET', target: '/k' },
  // The percent-escaped spelling of a raw key is another key, for both.
  { method: 'GET', target: '/%D0%BA%D0%BB%D1%8E%D1%87?q=%C3%A4' },
  { method: 'GET', target: Buffer.from('/ключ%zz', 'utf8').toString('latin1') },
  { method: 'HEAD', target: '/foo' },
  { method: 'PATCH', target: '/foo', body: enc.encode('x') },
  // Methods node's parser does not know: net/http takes any token (RawTargetConnection).
  { method: 'FOO', target: '/foo', body: enc.encode('x') },
  { method: 'get', target: '/foo' },
  { method: 'OPTIONS', target: '/foo' },
  { method: 'TRACE', target: '/foo' },
  { method: 'OPTIONS', target: '*' },
  { method: 'GET', target: '/bad%zzescape' },
  { method: 'POST', target: '/x', body: enc.encode('http://127.0.0.1:1') },
  { method: 'POST', target: '/4?x', body: enc.encode('http://127.0.0.1:1') },
  { method: 'POST', target: '/', body: enc.encode('http://127.0.0.1:1') },
  { method: 'POST', target: '/1_', body: enc.encode('http://127.0.0.1:1') },
  { method: 'DELETE', target: '/abc' },
  { method: 'DELETE', target: '/0b12' },
  { method: 'DELETE', target: '/-1' },
  { method: 'DELETE', target: '/18446744073709551616' },
  // Valid IDs last: they change the Go cluster's membership (node 4 added, then removed again).
  { method: 'POST', target: '/0x4', body: enc.encode('http://127.0.0.1:1') },
  { method: 'DELETE', target: '/0_4' },
];

/** What must match: status, body, and header lines except Date (in order for repeated names). */
function comparable(r: RawResponse): { status: number; headers: [string, string][]; body: string } {
  const headers = r.headers.filter(([n]) => n !== 'date');
  // Stable sort by name: the order of lines of one name (Allow) is kept and compared.
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { status: r.status, headers, body: toHex(r.body) };
}

describe('raftexample HTTP API parity: Go member and raftwire member processes', () => {
  it('answers the same request sequence with the same status, body and headers', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'raftwire']);
    await ready(cluster);
    const [go, , rw] = cluster.members;
    assert.ok(go && rw);
    const check = async (step: Step): Promise<void> => {
      const theirs = await rawRequest(go.kvPort, step.method, step.target, step.body);
      if (step.target === '/0x4' || step.target === '/0_4') await new Promise((r) => setTimeout(r, 1500));
      const target = step.target === '/0x4' ? '/0x5' : step.target === '/0_4' ? '/0_5' : step.target;
      const mine = await rawRequest(rw.kvPort, step.method, target, step.body).catch((e: Error) => {
        throw new Error(`${step.method} ${step.target} on raftwire: ${e.message}\n${tails([rw], 3000)}`);
      });
      assert.deepEqual(comparable(mine), comparable(theirs), `${step.method} ${step.target}`);
    };
    for (const step of puts) await check(step);
    await awaitValue(go, enc.encode('/sentinel'), enc.encode('done'));
    for (const step of reads) await check(step);
    for (const m of cluster.members)
      assert.equal((await rawRequest(m.kvPort, 'GET', '/foo')).status, 200, m.log().slice(-2000));
  });
});
