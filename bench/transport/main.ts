/**
 * bench/transport: raftwire's Transport against etcd 3.4.23's rafthttp, measured the way
 * ../shared/reference/go-anchor-bench.md describes, in one command:
 *
 *   npm run bench -- transport              (full: 3 reps, Go with GOMAXPROCS=2 and =1)
 *   BENCH_QUICK=1 npm run bench -- transport (quick: 1 rep, short cases, no GOMAXPROCS=1 run)
 *
 * Also BENCH_REPS, BENCH_CASE_MS, BENCH_IMPLS=Go,TS,Go1 (TSnofp: failpoint guards compiled out) and BENCH_CASES=a,f (subsets), and
 * BENCH_NODE_ARGS (node flags for the TS peers, e.g. --cpu-prof).
 *
 * One sender and one receiver, each its own process, on loopback, with a flow-control window so
 * nothing is dropped (≤1000 in flight on streams, ≤64 on the pipeline). Cases a–g run interleaved
 * Go, TS, Go, TS…; the tables show each case's median repetition, TS/Go ratios, idle one-way
 * latency and the RSS of a node with 6 idle peers. cpu µs/msg is sender + receiver CPU per
 * delivered message.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type FoldedCopy, foldFailpoints } from '../support/fold-failpoints.js';
import { type BenchCase, CASES, LATENCY_CASES, type LatencyCase } from './cases.js';
import { PeerProcess, type Reply } from './peer-process.js';
import { busyCores, fix, int, machineTicks, medianBy, table } from './report.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const projectRoot = join(here, '..', '..', '..');
const goBin = join(projectRoot, 'build', 'go', 'bench-transport');
const tsPeer = join(here, 'peer.js');

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const REPS = Number(process.env.BENCH_REPS ?? (quick ? 1 : 3));
const CASE_MS = Number(process.env.BENCH_CASE_MS ?? (quick ? 300 : 1000));
const LAT_WARMUP = quick ? 50 : 100;
const LAT_SAMPLES = quick ? 300 : 2000;
const IDLE_PEERS = 6;
const onlyCases = process.env.BENCH_CASES?.split(',');
const RUN_CASES = CASES.filter((c) => onlyCases === undefined || onlyCases.includes(c.id));

/** An implementation under test: how to start one of its peer processes. */
interface Impl {
  readonly name: string;
  start(role: string, extra?: readonly string[]): PeerProcess;
}

const goImpl = (name: string, env: NodeJS.ProcessEnv): Impl => ({
  name,
  start: (role, extra = []) => PeerProcess.spawn(`${name} ${role}`, goBin, ['-role', role, ...extra], env),
});
/** Extra node flags for the TS peers, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
const tsImpl: Impl = {
  name: 'TS',
  start: (role, extra = []) =>
    PeerProcess.spawn(`TS ${role}`, process.execPath, [
      ...nodeArgs,
      tsPeer,
      role,
      ...extra.map((a) => a.replace(/^-/, '--')),
    ]),
};

const onlyImpls = process.env.BENCH_IMPLS?.split(',');
/**
 * BENCH_IMPLS=TS,TSnofp: raftwire as built against a copy with every failpoint guard compiled out
 * (bench/support/fold-failpoints.ts); the ratio columns TS/TSnofp show what the guards cost when off.
 */
let folded: FoldedCopy | undefined;
const tsNoFailpointsImpl: Impl = {
  name: 'TSnofp',
  start: (role, extra = []) => {
    folded ??= foldFailpoints(join(here, '..', '..', '..'));
    return PeerProcess.spawn(`TSnofp ${role}`, process.execPath, [
      ...nodeArgs,
      join(folded.root, 'dist', 'bench', 'transport', 'peer.js'),
      role,
      ...extra.map((a) => a.replace(/^-/, '--')),
    ]);
  },
};
process.once('exit', () => folded?.remove());
const IMPLS: readonly Impl[] = (
  quick ? [goImpl('Go', {}), tsImpl] : [goImpl('Go', {}), tsImpl, goImpl('Go1', { GOMAXPROCS: '1' })]
)
  .concat(onlyImpls?.includes('TSnofp') ? [tsNoFailpointsImpl] : [])
  .filter((i) => onlyImpls === undefined || onlyImpls.includes(i.name));

/** A connected sender/receiver pair. */
interface Pair {
  readonly sender: PeerProcess;
  readonly receiver: PeerProcess;
}

async function startPair(impl: Impl, pipelineOnly: boolean): Promise<Pair> {
  const sender = impl.start('sender', pipelineOnly ? ['-refuse-streams'] : []);
  const receiver = impl.start('receiver');
  const [s, r] = await Promise.all([sender.ready, receiver.ready]);
  await sender.request('connect', { peerUrl: r.url });
  await receiver.request('connect', { peerUrl: s.url, ackAddr: s.ackAddr });
  const pair = { sender, receiver };
  await (pipelineOnly ? waitPipeline(pair) : waitStreams(pair));
  return pair;
}

/** Probes until MsgApp and MsgHeartbeat go both ways with both streams attached and no POST. */
async function waitStreams({ sender, receiver }: Pair): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [s, r] = await Promise.all([sender.request('stat'), receiver.request('stat')]);
    const attached = [s, r].every((x) => Number(x.msgappGets) > 0 && Number(x.messageGets) > 0);
    if (attached) {
      await Promise.all([sender.request('probe'), receiver.request('probe')]);
      await sleep(50);
      const [s2, r2] = await Promise.all([sender.request('stat'), receiver.request('stat')]);
      const delivered =
        Number(s2.received) >= Number(s.received) + 2 && Number(r2.received) >= Number(r.received) + 2;
      if (delivered && s2.posts === s.posts && r2.posts === r.posts) return;
    } else {
      await Promise.all([sender.request('probe'), receiver.request('probe')]);
      await sleep(50);
    }
  }
  throw new Error('streams did not attach within 10 s');
}

/** Probes until the pipeline-only pair delivers sender → receiver. */
async function waitPipeline({ sender, receiver }: Pair): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await sender.request('probe');
    await sleep(50);
    if (Number((await receiver.request('stat')).received) >= 2) return;
  }
  throw new Error('pipeline pair did not deliver within 5 s');
}

/** One measured repetition of a throughput case. */
interface Run {
  readonly msgs: number;
  readonly entries: number;
  readonly payload: number;
  readonly wallS: number;
  readonly cpuUsPerMsg: number;
  readonly sendUsPerMsg: number;
  readonly recvUsPerMsg: number;
  readonly drops: number;
  readonly posts: number;
  readonly conns: number;
  readonly bg: number;
}

async function runCase(pair: Pair, c: BenchCase): Promise<Run> {
  const { sender, receiver } = pair;
  const exp = await receiver.request('expect', { ackEvery: c.window / 2 });
  const ticks0 = machineTicks();
  const wall0 = performance.now();
  const run = await sender.request('run', { case: c.id, durationMs: CASE_MS, window: c.window });
  const fin = await receiver.request('finish', { expect: run.sent, timeoutMs: 10_000 });
  const sAfter = await sender.request('stat');
  const ticks1 = machineTicks();
  const wallAll = (performance.now() - wall0) / 1000;
  const msgs = Number(fin.received);
  const wallS = (Number(fin.last) - Number(run.t0)) / 1e9;
  const sendUs = Number(sAfter.cpuUs) - Number(run.cpu0);
  const recvUs = Number(fin.cpu1) - Number(exp.cpu0);
  const cpuUs = sendUs + recvUs;
  return {
    msgs,
    entries: Number(fin.entries),
    payload: Number(fin.payload),
    wallS,
    cpuUsPerMsg: cpuUs / msgs,
    sendUsPerMsg: sendUs / msgs,
    recvUsPerMsg: recvUs / msgs,
    drops: Number(run.sent) - msgs + Number(run.unreachable),
    posts: Number(fin.posts),
    conns: Number(fin.conns),
    bg: Math.max(0, busyCores(ticks0, ticks1, wallAll) - cpuUs / 1e6 / wallAll),
  };
}

async function runLatency(pair: Pair, c: LatencyCase): Promise<Reply> {
  const rtt = c.id === 'lat-rtt';
  // One-way: the receiver acks each message on the side channel and measures. RTT: the receiver
  // answers each MsgApp with a MsgAppResp, which is the sender's ack and its measurement.
  await pair.receiver.request(
    'expect',
    rtt ? { rtt: true } : { ackEvery: 1, latency: true, warmup: LAT_WARMUP },
  );
  const run = await pair.sender.request('run', {
    case: c.id,
    latency: true,
    warmup: LAT_WARMUP,
    samples: LAT_SAMPLES,
  });
  const fin = await pair.receiver.request('finish', { expect: run.sent, timeoutMs: 10_000 });
  return rtt ? run : fin;
}

/** RSS of one node of `impl` with IDLE_PEERS idle Go peers attached (streams up, no traffic). */
async function idleRss(
  impl: Impl,
  peers: readonly { proc: PeerProcess; url: string; id: number }[],
): Promise<Reply> {
  const nodeId = impl.name === 'TS' ? 100 : impl.name === 'Go' ? 101 : 102;
  const node = impl.start('node', ['-id', String(nodeId)]);
  try {
    const ready = await node.ready;
    for (const p of peers) {
      await node.request('connect', { peerUrl: p.url, peerId: p.id });
      await p.proc.request('connect', { peerUrl: ready.url, peerId: nodeId });
    }
    let stat = await node.request('stat');
    for (let i = 0; i < 50 && Number(stat.activePeers) < peers.length; i++) {
      await sleep(100);
      stat = await node.request('stat');
    }
    await sleep(2000);
    return node.request('stat');
  } finally {
    await node.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench/transport: ${quick ? 'quick' : 'full'} mode, ${REPS} rep(s), ${CASE_MS} ms per case, ` +
      `impls ${IMPLS.map((i) => i.name).join(', ')} (Go = GOMAXPROCS default, Go1 = GOMAXPROCS=1)`,
  );
  const pairs = new Map<string, { stream: Pair; pipeline: Pair }>();
  const results = new Map<string, Run[]>(); // key `${impl}/${case}`
  const latency = new Map<string, Reply>();
  const procs: PeerProcess[] = [];
  try {
    for (const impl of IMPLS) {
      const stream = await startPair(impl, false);
      const pipeline = await startPair(impl, true);
      procs.push(stream.sender, stream.receiver, pipeline.sender, pipeline.receiver);
      pairs.set(impl.name, { stream, pipeline });
    }
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of RUN_CASES) {
        const order = rep % 2 === 0 ? IMPLS : IMPLS.slice().reverse();
        for (const impl of order) {
          const p = pairs.get(impl.name);
          if (p === undefined) continue;
          const r = await runCase(c.pair === 'stream' ? p.stream : p.pipeline, c);
          const key = `${impl.name}/${c.id}`;
          results.set(key, [...(results.get(key) ?? []), r]);
          process.stderr.write(`  rep ${rep + 1} ${c.id} ${impl.name}: ${int(r.msgs / r.wallS)} msgs/s\n`);
        }
      }
    }
    for (const c of LATENCY_CASES) {
      for (const impl of IMPLS) {
        const p = pairs.get(impl.name);
        if (p === undefined) continue;
        latency.set(`${impl.name}/${c.id}`, await runLatency(c.pair === 'stream' ? p.stream : p.pipeline, c));
      }
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }

  // Memory: one node with 6 idle peers (the peers are Go nodes in their own processes).
  const peerGo = goImpl('Go', {});
  const peers: { proc: PeerProcess; url: string; id: number }[] = [];
  const rss = new Map<string, Reply>();
  try {
    for (let i = 0; i < IDLE_PEERS; i++) {
      const proc = peerGo.start('node', ['-id', String(i + 2)]);
      peers.push({ proc, url: String((await proc.ready).url), id: i + 2 });
    }
    for (const impl of IMPLS.filter((i) => i.name === 'TS' || i.name === 'Go'))
      rss.set(impl.name, await idleRss(impl, peers));
  } finally {
    await Promise.all(peers.map((p) => p.proc.stop()));
  }

  printTables(results, latency, rss);
}

function printTables(
  results: Map<string, Run[]>,
  latency: Map<string, Reply>,
  rss: Map<string, Reply>,
): void {
  const rows: string[][] = [];
  for (const c of RUN_CASES) {
    for (const impl of IMPLS) {
      const runs = results.get(`${impl.name}/${c.id}`) ?? [];
      const r = medianBy(runs, (x) => x.msgs / x.wallS);
      if (r === undefined) continue;
      const drops = runs.reduce((s, x) => s + x.drops, 0);
      rows.push([
        `${c.id} ${c.label}`,
        impl.name,
        int(r.msgs / r.wallS),
        int(r.entries / r.wallS),
        fix(r.payload / r.wallS / 1e6),
        fix(r.cpuUsPerMsg, 2),
        `${fix(r.sendUsPerMsg, 2)}/${fix(r.recvUsPerMsg, 2)}`,
        String(drops),
        String(r.posts),
        String(r.conns),
        fix(r.bg, 2),
      ]);
    }
  }
  console.log(
    '\nThroughput (median repetition by msgs/s; drops summed over repetitions; posts = POST /raft served, ' +
      'conns = TCP connections the receiver accepted during the case; send/recv = cpu µs/msg of each process; ' +
      'bg = cores used by other tenants)\n',
  );
  console.log(
    table(
      [
        'case',
        'impl',
        'msgs/s',
        'entries/s',
        'pay MB/s',
        'cpu µs/msg',
        'send/recv',
        'drops',
        'posts',
        'conns',
        'bg',
      ],
      rows,
    ),
  );

  const med = (impl: string, id: string): Run | undefined =>
    medianBy(results.get(`${impl}/${id}`) ?? [], (x) => x.msgs / x.wallS);
  const ratioRows: string[][] = [];
  for (const c of RUN_CASES) {
    const ts = med('TS', c.id);
    const row = [`${c.id} ${c.label}`];
    for (const goName of IMPLS.filter((i) => i.name !== 'TS').map((i) => i.name)) {
      const go = med(goName, c.id);
      if (ts === undefined || go === undefined) {
        row.push('–', '–');
        continue;
      }
      row.push(fix(ts.msgs / ts.wallS / (go.msgs / go.wallS), 2), fix(ts.cpuUsPerMsg / go.cpuUsPerMsg, 2));
    }
    ratioRows.push(row);
  }
  const goNames = IMPLS.filter((i) => i.name !== 'TS').map((i) => i.name);
  console.log('\nTS/Go ratios (msgs/s: higher is better, ≥ 0.8 wanted; cpu µs/msg: lower is better)\n');
  console.log(table(['case', ...goNames.flatMap((g) => [`msgs/s TS/${g}`, `cpu/msg TS/${g}`])], ratioRows));

  const latRows: string[][] = [];
  for (const c of LATENCY_CASES) {
    const row = [c.label];
    for (const impl of IMPLS) {
      const l = latency.get(`${impl.name}/${c.id}`);
      row.push(l === undefined ? '–' : `${fix(Number(l.p50) / 1000)} / ${fix(Number(l.p99) / 1000)}`);
    }
    const ts = latency.get(`TS/${c.id}`);
    for (const g of goNames) {
      const go = latency.get(`${g}/${c.id}`);
      row.push(ts && go ? fix(Number(ts.p50) / Number(go.p50), 2) : '–');
    }
    latRows.push(row);
  }
  console.log(`\nIdle latency, µs, p50 / p99 (${LAT_SAMPLES} samples after ${LAT_WARMUP} warm-up)\n`);
  console.log(table(['', ...IMPLS.map((i) => i.name), ...goNames.map((g) => `p50 TS/${g}`)], latRows));
  console.log('(p50 TS/Go ≤ 3 wanted)');

  console.log(`\nMemory: RSS of one node with ${IDLE_PEERS} idle peers (streams attached)\n`);
  console.log(
    table(
      ['impl', 'RSS MB', 'active peers'],
      [...rss].map(([name, s]) => [name, fix(Number(s.rssKb) / 1024), String(s.activePeers)]),
    ),
  );
}

await main();
