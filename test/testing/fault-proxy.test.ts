/** The fault proxy: every fault kind per direction, per-source rules, cleanup. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy, identifyRaftPeer } from '../../src/testing/fault-proxy.js';

/** An echo server that also counts what it received. */
let echo: Server;
let echoPort = 0;
let received = 0;

before(async () => {
  echo = createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      s.write(d);
    });
    s.on('error', () => {});
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as { port: number }).port;
});
after(() => new Promise<void>((r) => echo.close(() => r())));

async function proxy(
  t: { after: (fn: () => Promise<void>) => void },
  random?: () => number,
): Promise<FaultProxy> {
  const p = await FaultProxy.start({
    target: { host: '127.0.0.1', port: echoPort },
    identify: identifyRaftPeer,
    ...(random ? { random } : {}),
  });
  t.after(() => p.close());
  return p;
}

interface Client {
  sock: Socket;
  data: Buffer[];
  closed: Promise<Error | undefined>;
  text(): string;
}

async function client(port: number, first = 'GET / HTTP/1.1\r\nX-Server-From: 2\r\n\r\n'): Promise<Client> {
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  const data: Buffer[] = [];
  sock.on('data', (d: Buffer) => data.push(d));
  const closed = new Promise<Error | undefined>((resolve) => {
    let err: Error | undefined;
    sock.on('error', (e) => {
      err = e;
    });
    sock.on('close', () => resolve(err));
  });
  if (first !== '') sock.write(first);
  return { sock, data, closed, text: () => Buffer.concat(data).toString() };
}

async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

describe('FaultProxy', () => {
  it('passes bytes both ways by default', async (t) => {
    const p = await proxy(t);
    const c = await client(p.port);
    t.after(() => c.sock.destroy());
    c.sock.write('hello');
    await until('echo', () => c.text().endsWith('hello'));
    assert.equal(p.connections, 1);
  });

  it('blackhole up: nothing reaches the target, the connection stays; lifting it resets the damaged connection', async (t) => {
    const p = await proxy(t);
    const c = await client(p.port);
    t.after(() => c.sock.destroy());
    await until('first echo', () => c.text().includes('X-Server-From'));
    const before = received;
    p.setFault('up', { kind: 'blackhole' });
    c.sock.write('lost bytes');
    await sleep(200);
    assert.equal(received, before, 'target got nothing');
    assert.equal(c.sock.destroyed, false, 'connection still up');
    assert.ok(p.stats.discarded >= 10);
    p.heal();
    assert.ok((await c.closed) !== undefined || c.sock.destroyed, 'reset after heal');
    // a new connection works again
    const d = await client(p.port);
    t.after(() => d.sock.destroy());
    d.sock.write('again');
    await until('echo after heal', () => d.text().endsWith('again'));
  });

  it('blackhole down: the target receives, the client hears nothing', async (t) => {
    const p = await proxy(t);
    p.setFault('down', { kind: 'blackhole' });
    const c = await client(p.port, '');
    t.after(() => c.sock.destroy());
    const before = received;
    c.sock.write('12345');
    await until('target received', () => received >= before + 5);
    await sleep(150);
    assert.equal(c.data.length, 0);
  });

  it('reset: open connections and new ones are reset', async (t) => {
    const p = await proxy(t);
    const c = await client(p.port);
    await until('echo', () => c.data.length > 0);
    p.setFault('both', { kind: 'reset' });
    const err = await c.closed;
    assert.equal((err as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET');
    const d = await client(p.port);
    const err2 = await d.closed;
    assert.equal((err2 as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET');
    assert.ok(p.stats.resets >= 2);
  });

  it('latency with jitter delays each chunk and keeps their order', async (t) => {
    const p = await proxy(t);
    p.setFault('up', { kind: 'latency', ms: 150, jitterMs: 50 });
    const c = await client(p.port, '');
    t.after(() => c.sock.destroy());
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      c.sock.write(`${String(i).padStart(2, '0')},`);
      await sleep(2);
    }
    await until('all 20 echoed', () => c.text().split(',').length > 20);
    assert.ok(performance.now() - t0 >= 100, 'delayed at least ms - jitter');
    assert.equal(c.text(), Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')},`).join(''));
  });

  it('drop closes the connection with the given probability per chunk', async (t) => {
    const draws = [0.9, 0.1];
    const p = await proxy(t, () => draws.shift() ?? 0);
    p.setFault('up', { kind: 'drop', probability: 0.5 });
    const c = await client(p.port, 'first'); // 0.9: passes
    await until('echo', () => c.text() === 'first');
    c.sock.write('second'); // 0.1: dropped
    await c.closed;
    assert.equal(c.text(), 'first');
    assert.equal(p.stats.drops, 1);
  });

  it('bandwidth paces a direction', async (t) => {
    const p = await proxy(t);
    p.setFault('down', { kind: 'bandwidth', bytesPerSecond: 200_000 });
    const c = await client(p.port, '');
    t.after(() => c.sock.destroy());
    const t0 = performance.now();
    c.sock.write(Buffer.alloc(100_000, 1));
    await until('100 kB back', () => c.data.reduce((n, b) => n + b.length, 0) >= 100_000);
    const ms = performance.now() - t0;
    assert.ok(ms >= 400, `took ${ms} ms at 200 kB/s`);
  });

  it('per-source rules: a fault for one X-Server-From leaves the others alone', async (t) => {
    const p = await proxy(t);
    p.setFault('both', { kind: 'blackhole' }, '2');
    const from2 = await client(p.port, 'GET / HTTP/1.1\r\nX-Server-From: 2\r\n\r\n');
    const from3 = await client(p.port, 'GET / HTTP/1.1\r\nx-server-from: 3\r\n\r\n');
    t.after(() => {
      from2.sock.destroy();
      from3.sock.destroy();
    });
    await until('3 echoed', () => from3.text().includes('x-server-from: 3'));
    await sleep(100);
    assert.equal(from2.data.length, 0);
    assert.equal(p.faultFor('up', '2').kind, 'blackhole');
    assert.equal(p.faultFor('up', '3').kind, 'pass');
    p.setFault('both', { kind: 'pass' }, '2');
    assert.equal(p.faultFor('up', '2').kind, 'pass');
  });

  it('identifyRaftPeer reads X-Server-From from a request head', () => {
    assert.equal(
      identifyRaftPeer(Buffer.from('POST /raft HTTP/1.1\r\nHost: x\r\nX-Server-From: 1aF\r\n\r\n')),
      '1af',
    );
    assert.equal(identifyRaftPeer(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
  });

  it('close() ends every connection and stops listening', async () => {
    const p = await FaultProxy.start({ target: { host: '127.0.0.1', port: echoPort } });
    const c = await client(p.port);
    await until('echo', () => c.data.length > 0);
    await p.close();
    await c.closed;
    await assert.rejects(async () => {
      const s = connect(p.port, '127.0.0.1');
      await once(s, 'connect');
      s.destroy();
    });
  });
});
