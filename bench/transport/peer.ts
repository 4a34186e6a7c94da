/**
 * The TS peer of bench/transport: one process of a sender/receiver pair, a raftwire Transport set
 * up like the Go twin (go/main.go) and driven by the coordinator (main.ts) with the same JSON-line
 * protocol. Run as `node dist/bench/transport/peer.js sender|receiver [--refuse-streams]`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from 'node:net';
import { createInterface } from 'node:readline';
import { type Entry, type Message, MessageType } from '../../src/raftpb/index.js';
import { createPeerServer, type Raft, Transport } from '../../src/transport/index.js';
import { caseShape, SEND_BATCH } from './cases.js';

const CLUSTER_ID = 0x1000n;

interface Command {
  cmd: string;
  peerUrl?: string;
  peerId?: number;
  ackAddr?: string;
  case?: string;
  durationMs?: number;
  window?: number;
  ackEvery?: number;
  latency?: boolean;
  rtt?: boolean;
  warmup?: number;
  samples?: number;
  expect?: number;
  timeoutMs?: number;
}

const monoNs = (): number => Number(process.hrtime.bigint());
const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const RESOLVED: Promise<void> = Promise.resolve();

/** The receiver's raft: counts deliveries, acks them on the side channel, records latencies. */
class Recorder implements Raft {
  received = 0;
  entries = 0;
  payload = 0;
  first = 0;
  last = 0;
  ackEvery = 0;
  latency = false;
  warmup = 0;
  lat: number[] = [];
  ack: Socket | undefined;
  expect = Number.MAX_SAFE_INTEGER;
  onDone: (() => void) | undefined;
  unreachable = 0;
  /** Receiver: answer each MsgApp with a MsgAppResp (round-trip latency). */
  rtt = false;

  process(m: Message): Promise<void> {
    const now = monoNs();
    if (m.type === MessageType.MsgAppResp && role === 'sender') {
      gotResp(now, m);
      return RESOLVED;
    }
    if (this.received === 0) this.first = now;
    this.received++;
    this.last = now;
    this.entries += m.entries.length;
    for (const e of m.entries) this.payload += e.data?.length ?? 0;
    if (this.latency && this.received > this.warmup) this.lat.push(now - m.commit);
    if (this.ack !== undefined && this.ackEvery > 0 && this.received % this.ackEvery === 0) {
      const b = Buffer.allocUnsafe(8);
      b.writeBigUInt64BE(BigInt(this.received));
      this.ack.write(b);
    }
    if (this.onDone !== undefined && this.received >= this.expect) {
      const done = this.onDone;
      this.onDone = undefined;
      done();
    }
    if (this.rtt && m.type === MessageType.MsgApp) {
      tr.send([
        {
          type: MessageType.MsgAppResp,
          to: m.from,
          from: m.to,
          term: m.term,
          logTerm: 0,
          index: m.index + m.entries.length,
          entries: [],
          commit: m.commit,
          reject: false,
          rejectHint: 0,
        },
      ]);
    }
    return RESOLVED;
  }
  isIdRemoved(): boolean {
    return false;
  }
  reportUnreachable(): void {
    this.unreachable++;
  }
  reportSnapshot(): void {}
}

const role = process.argv[2] ?? 'receiver';
const refuseStreams = process.argv.includes('--refuse-streams');
const idArg = process.argv.indexOf('--id');
const id = role === 'sender' ? 1n : role === 'receiver' ? 2n : BigInt(process.argv[idArg + 1] ?? '1');
const peer = role === 'sender' ? 2n : 1n;
const rec = new Recorder();
const tr = new Transport({ id, clusterId: CLUSTER_ID, raft: rec });
let posts = 0;
let conns = 0;
const gets = { msgapp: 0, message: 0 };
let nextIdx = 0;

// Sender side: the receiver's acks.
let acked = 0;
let ackWaiter: (() => void) | undefined;
const ackServer = createTcpServer((s) => {
  s.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  s.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const whole = pending.length - (pending.length % 8);
    if (whole > 0) {
      acked = Number(pending.readBigUInt64BE(whole - 8));
      pending = pending.subarray(whole);
      const w = ackWaiter;
      ackWaiter = undefined;
      w?.();
    }
  });
});

// Sender side: round trips MsgApp → MsgAppResp (the MsgAppResp's commit carries the send time).
let rttLat: number[] = [];
let rttSkip = 0;

function gotResp(now: number, m: Message): void {
  acked++;
  if (acked > rttSkip) rttLat.push(now - m.commit);
  const w = ackWaiter;
  ackWaiter = undefined;
  w?.();
}

/** Resolves on the next ack, or after `ms` (false then). */
function nextAck(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ackWaiter = undefined;
      resolve(false);
    }, ms);
    ackWaiter = () => {
      clearTimeout(timer);
      resolve(true);
    };
  });
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function build(kind: ReturnType<typeof caseShape>['kind'], count: number, data: Uint8Array): Message[] {
  const msgs: Message[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (kind === 'hb') {
      msgs[i] = {
        type: MessageType.MsgHeartbeat,
        to: peer,
        from: id,
        term: 1,
        logTerm: 0,
        index: 0,
        entries: [],
        commit: nextIdx++,
        reject: false,
        rejectHint: 0,
      };
      continue;
    }
    const per = kind === 'app-d' ? 64 : 1;
    const term = kind === 'app-g' ? 2 : 1;
    const entries: Entry[] = new Array(per);
    for (let j = 0; j < per; j++) entries[j] = { term, index: nextIdx + j + 1, type: 0, data };
    msgs[i] = {
      type: MessageType.MsgApp,
      to: peer,
      from: id,
      term,
      logTerm: 1,
      index: nextIdx,
      entries,
      commit: nextIdx,
      reject: false,
      rejectHint: 0,
    };
    nextIdx += per;
  }
  return msgs;
}

async function runCase(c: Command): Promise<Record<string, unknown>> {
  const { kind, entryBytes } = caseShape(c.case ?? 'a');
  const data = new Uint8Array(Math.max(entryBytes, 1));
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  rec.unreachable = 0;
  acked = 0;
  rttLat = [];
  rttSkip = c.warmup ?? 0;
  const cpu0 = cpuUs();
  const t0 = monoNs();
  let sent = 0;
  if (c.latency) {
    const total = (c.warmup ?? 0) + (c.samples ?? 0);
    while (sent < total) {
      const msgs = build(kind, 1, data);
      (msgs[0] as Message).commit = monoNs();
      tr.send(msgs);
      sent++;
      while (acked < sent) {
        if (!(await nextAck(5000))) break;
      }
      if (acked < sent) break;
    }
  } else {
    const window = c.window ?? 1000;
    const end = t0 + (c.durationMs ?? 1000) * 1e6;
    while (monoNs() < end) {
      if (sent - acked >= window) {
        if (!(await nextAck(5000))) break;
        continue;
      }
      const k = Math.min(SEND_BATCH, window - (sent - acked));
      tr.send(build(kind, k, data));
      sent += k;
      await yieldToIo();
    }
  }
  const res: Record<string, unknown> = { sent, t0, cpu0, unreachable: rec.unreachable };
  if (rttLat.length > 0) {
    const lat = rttLat.sort((x, y) => x - y);
    res.p50 = lat[Math.floor((lat.length * 50) / 100)];
    res.p99 = lat[Math.floor((lat.length * 99) / 100)];
    res.samples = lat.length;
  }
  rttLat = [];
  return res;
}

async function finish(c: Command): Promise<Record<string, unknown>> {
  const expect = c.expect ?? 0;
  if (rec.received < expect) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        rec.onDone = undefined;
        resolve();
      }, c.timeoutMs ?? 10_000);
      rec.expect = expect;
      rec.onDone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  const res: Record<string, unknown> = {
    received: rec.received,
    entries: rec.entries,
    payload: rec.payload,
    first: rec.first,
    last: rec.last,
    cpu1: cpuUs(),
    posts,
    conns,
  };
  if (rec.latency && rec.lat.length > 0) {
    const lat = rec.lat.slice().sort((x, y) => x - y);
    res.p50 = lat[Math.floor((lat.length * 50) / 100)];
    res.p99 = lat[Math.floor((lat.length * 99) / 100)];
    res.samples = lat.length;
  }
  rec.latency = false;
  rec.lat = [];
  rec.rtt = false;
  return res;
}

async function run(c: Command): Promise<Record<string, unknown>> {
  switch (c.cmd) {
    case 'connect':
      tr.addPeer(c.peerId ? BigInt(c.peerId) : peer, [c.peerUrl ?? '']);
      if (c.ackAddr) {
        const [host, port] = c.ackAddr.split(':');
        const s = tcpConnect(Number(port), host);
        s.setNoDelay(true);
        await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
        rec.ack = s;
      }
      return { ok: true };
    case 'probe':
      tr.send([
        {
          type: MessageType.MsgApp,
          to: peer,
          from: id,
          term: 1,
          logTerm: 1,
          index: nextIdx,
          entries: [{ term: 1, index: nextIdx + 1, type: 0, data: new Uint8Array(8) }],
          commit: 0,
          reject: false,
          rejectHint: 0,
        },
        {
          type: MessageType.MsgHeartbeat,
          to: peer,
          from: id,
          term: 1,
          logTerm: 0,
          index: 0,
          entries: [],
          commit: 0,
          reject: false,
          rejectHint: 0,
        },
      ]);
      nextIdx++;
      return { ok: true };
    case 'stat':
      return {
        received: rec.received,
        posts,
        msgappGets: gets.msgapp,
        messageGets: gets.message,
        rssKb: Math.round(process.memoryUsage.rss() / 1024),
        cpuUs: cpuUs(),
        activePeers: tr.activePeers(),
      };
    case 'expect':
      rec.received = 0;
      rec.entries = 0;
      rec.payload = 0;
      rec.first = 0;
      rec.last = 0;
      rec.ackEvery = c.ackEvery ?? 0;
      rec.latency = c.latency ?? false;
      rec.warmup = c.warmup ?? 0;
      rec.rtt = c.rtt ?? false;
      rec.lat = [];
      rec.expect = Number.MAX_SAFE_INTEGER;
      rec.onDone = undefined;
      posts = 0;
      conns = 0;
      return { ok: true, cpu0: cpuUs() };
    case 'finish':
      return finish(c);
    case 'run':
      return runCase(c);
    default:
      return { error: `unknown command ${c.cmd}` };
  }
}

async function main(): Promise<void> {
  tr.start();
  const handler = tr.handler();
  // raftwire's peer server (as an application would run it), with a counting request listener.
  const server = createPeerServer(tr);
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    if (url.startsWith('/raft/stream/')) {
      if (refuseStreams) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
        return;
      }
      if (url.startsWith('/raft/stream/msgapp/')) gets.msgapp++;
      else gets.message++;
    } else if (url === '/raft') {
      posts++;
    }
    handler(req, res);
  });
  server.on('connection', () => conns++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const ready: Record<string, unknown> = { ev: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid };
  if (role === 'sender') {
    await new Promise<void>((resolve) => ackServer.listen(0, '127.0.0.1', resolve));
    const a = ackServer.address();
    ready.ackAddr = `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  }
  const out = (v: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(v)}\n`);
  };
  out(ready);
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'stop') break;
    out(await run(c));
  }
  await tr.stop();
  rec.ack?.destroy();
  ackServer.close();
  server.closeAllConnections();
  server.close();
  process.stdin.destroy();
  out({ ev: 'stopped' });
}

await main();
