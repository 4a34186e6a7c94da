/**
 * bench/transport/pipeline-client: the pipeline's HTTP client, raftwire's Http1Connection against
 * undici, on the pipeline scenario of case f (POST /raft, one 64-byte-entry MsgApp per request,
 * PIPELINE_CONNECTIONS = 4 requests in flight on 4 keep-alive connections) to a raftwire peer server
 * in a child process. After one unmeasured warm-up run each, repetitions run interleaved (http1,
 * undici, undici, http1, …) and the table
 * shows each client's median: requests per second and the sender's CPU µs per request (user +
 * system of this process; the receiver is the same for both).
 *
 *   npm run build && node dist/bench/transport/pipeline-client.js
 *
 * BENCH_REPS (default 6) and BENCH_CASE_MS (default 2000) tune it. The undici variant is the
 * client the pipeline used before Http1Connection (an Agent with 4 connections, pipelining 1, the
 * same headers and timeouts; 204 bodies dumped, others read as text).
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { MessageType, messageSize, newEntry, newMessage, writeMessage } from '../../src/raftpb/index.js';
import { Http1Connection } from '../../src/transport/http1-connection.js';
import { createPeerServer, Transport } from '../../src/transport/index.js';
import { fix, int, table } from './report.js';

const CONNECTIONS = 4;
const REPS = Number(process.env.BENCH_REPS ?? 6);
const CASE_MS = Number(process.env.BENCH_CASE_MS ?? 2000);

const HEADERS: Record<string, string> = {
  'Content-Type': 'application/protobuf',
  'X-Server-From': '1',
  'X-Server-Version': '3.4.23',
  'X-Min-Cluster-Version': '3.0.0',
  'X-Etcd-Cluster-ID': '1000',
};

function body(): Buffer {
  const m = newMessage({
    type: MessageType.MsgApp,
    to: 2n,
    from: 1n,
    term: 1,
    logTerm: 1,
    index: 1,
    commit: 1,
    entries: [newEntry({ term: 1, index: 2, data: new Uint8Array(64).fill(1) })],
  });
  const b = Buffer.allocUnsafe(messageSize(m));
  writeMessage(b, 0, m);
  return b;
}

/** The receiver: a raftwire Transport whose raft accepts everything, behind createPeerServer. */
async function receiver(): Promise<void> {
  const tr = new Transport({
    id: 2n,
    clusterId: 0x1000n,
    probeIntervalMs: 0,
    raft: {
      process: () => Promise.resolve(),
      isIdRemoved: () => false,
      reportUnreachable: () => {},
      reportSnapshot: () => {},
    },
  });
  tr.start();
  const server = createPeerServer(tr);
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    void tr.stop();
  });
}

/** Sends one request; resolves when it was answered 204. */
type Post = () => Promise<void>;

interface Client {
  readonly name: string;
  /** Connects to `url`; `worker(i)` is the i-th of CONNECTIONS concurrent senders. */
  open(url: string): { worker(i: number): Post; close(): Promise<void> };
}

const http1: Client = {
  name: 'Http1Connection',
  open(url) {
    const b = body();
    const conns: Http1Connection[] = [];
    let head = `POST /raft HTTP/1.1\r\nHost: ${new URL(url).host}\r\n`;
    for (const [k, v] of Object.entries(HEADERS)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${b.length}\r\n\r\n`;
    for (let i = 0; i < CONNECTIONS; i++)
      conns.push(new Http1Connection({ url, tls: undefined, dialTimeoutMs: 0, responseTimeoutMs: 5000 }));
    return {
      // One connection per worker, as the pipeline's slots do.
      worker: (i) => {
        const conn = conns[i]!;
        return async () => {
          const res = await conn.request(head, b);
          if (res.status !== 204) throw new Error(`status ${res.status}`);
        };
      },
      close: async () => {
        for (const c of conns) c.close();
      },
    };
  },
};

const undici: Client = {
  name: 'undici Agent',
  open(url) {
    const b = body();
    const agent = new Agent({ connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 4000 });
    return {
      worker: () => async () => {
        const res = await agent.request({
          origin: url,
          path: '/raft',
          method: 'POST',
          headers: HEADERS,
          body: b,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        if (res.statusCode === 204) await res.body.dump();
        else throw new Error(`status ${res.statusCode}: ${await res.body.text()}`);
      },
      close: () => agent.destroy(),
    };
  },
};

interface Run {
  perSecond: number;
  cpuUsPerReq: number;
}

async function run(client: Client, url: string): Promise<Run> {
  const c = client.open(url);
  const workers = Array.from({ length: CONNECTIONS }, (_, i) => c.worker(i));
  // Warm up: open the connections.
  await Promise.all(workers.map((w) => w()));
  let done = 0;
  let stop = false;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), CASE_MS);
  await Promise.all(
    workers.map(async (w) => {
      while (!stop) {
        await w();
        done++;
      }
    }),
  );
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await c.close();
  return { perSecond: (done / wallMs) * 1000, cpuUsPerReq: (cpu.user + cpu.system) / done };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['receiver'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
  const url = `http://127.0.0.1:${port}`;
  const clients = [http1, undici];
  const results = new Map<string, Run[]>(clients.map((c) => [c.name, []]));
  // One unmeasured run each first, so both are measured with the JIT warm.
  for (const c of clients) await run(c, url);
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 === 0 ? clients : [...clients].reverse();
    for (const c of order) results.get(c.name)!.push(await run(c, url));
  }
  child.disconnect();
  const rows = clients.map((c) => {
    const rs = results.get(c.name)!;
    return [
      c.name,
      int(median(rs.map((x) => x.perSecond))),
      fix(median(rs.map((x) => x.cpuUsPerReq)), 1),
      rs.map((x) => int(x.perSecond)).join(' '),
    ];
  });
  const [h, u] = clients.map((c) => results.get(c.name)!);
  const ratio = (f: (x: Run) => number) => median(u!.map(f)) / median(h!.map(f));
  console.log(
    `pipeline client, POST /raft MsgApp 1×64 B, ${CONNECTIONS} in flight, ${REPS} interleaved reps of ${CASE_MS} ms`,
  );
  console.log(table(['client', 'req/s (median)', 'sender cpu µs/req', 'req/s per rep'], rows));
  console.log(
    `undici / Http1Connection: throughput ${fix(
      ratio((x) => x.perSecond),
      2,
    )}×, CPU per request ${fix(
      ratio((x) => x.cpuUsPerReq),
      2,
    )}×`,
  );
}

if (process.argv[2] === 'receiver') await receiver();
else await main();
