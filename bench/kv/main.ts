/**
 * bench/kv: raftwire's key-value service against etcd 3.4.23's contrib/raftexample, 3 members each,
 * on loopback, in one command:
 *
 *   npm run bench -- kv                 (C = 1, 16, 64; 10 s each)
 *   BENCH_SECONDS=3 BENCH_CONCURRENCY=16 npm run bench -- kv   (shorter / fewer rows)
 *   BENCH_SYSTEMS=raftwire npm run bench -- kv   (one side only; no ratio then)
 *   BENCH_SYSTEMS=raftwire,raftwire-nofp npm run bench -- kv   (raftwire as built against a copy
 *     with every failpoint guard compiled out: what the guards cost with failpoints off)
 *   BENCH_SYSTEMS=raftwire,raftwire-alt BENCH_ALT_ROOT=/tmp/base npm run bench -- kv   (A/B: raftwire
 *     as built against another build: a directory with its dist/ and with node_modules and build/
 *     (symlinks to this project's will do), e.g. `npx tsc -p tsconfig.json --outDir /tmp/base/dist`)
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- kv   (profile raftwire)
 *   BENCH_GETS=0 npm run bench -- kv   (PUT rows only)
 *
 * C clients PUT 100-byte values to fresh keys for the duration, spread over the three members
 * (client c → member c mod 3), each on its own keep-alive connection (undici). raftwire answers 204
 * once the write is committed and applied; raftexample answers before commit, so its rate is the
 * applied rate: the PUTs it acknowledged, divided by the time from the start until a sentinel key
 * written after the run is visible on a follower. Latencies are the client's (for raftexample:
 * until its pre-commit answer). CPU per op sums the three members' user+system CPU; RSS is each
 * member's peak (VmHWM). A last row measures linearizable GETs (raftwire, read barrier per GET)
 * beside raftexample's local (stale-capable) GETs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { type FoldedCopy, foldFailpoints } from '../support/fold-failpoints.js';
import { table } from '../transport/report.js';
import { type BenchCluster, cpuSeconds, peakRssMiB, startRaftexample, startRaftwire } from './members.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const VALUE = Buffer.alloc(100, 'v');
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'raftexample,raftwire').split(',');
/** BENCH_GETS=0 skips the GET rows (a PUT-only profile or A/B). */
const GETS = process.env.BENCH_GETS !== '0';
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];

interface Row {
  system: string;
  op: string;
  c: number;
  ops: number;
  opsPerS: number;
  p50: number;
  p99: number;
  cpuUsPerOp: number;
  rss: number[];
  errors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

function pools(cluster: BenchCluster, c: number): Pool[] {
  const per = Math.ceil(c / cluster.members.length);
  return cluster.members.map(
    (m) => new Pool(m.base, { connections: per, pipelining: 1, keepAliveTimeout: 30_000 }),
  );
}

/** Runs C closed-loop clients for SECONDS; `op` issues one request and says whether it succeeded. */
async function load(
  cluster: BenchCluster,
  c: number,
  op: (pool: Pool, client: number, i: number) => Promise<boolean>,
): Promise<{ ok: number; errors: number; latencies: Float64Array; startedAt: number; endedAt: number }> {
  const ps = pools(cluster, c);
  const lat: number[] = [];
  let ok = 0;
  let errors = 0;
  const startedAt = performance.now();
  const deadline = startedAt + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: c }, async (_, client) => {
      const pool = ps[client % ps.length] as Pool;
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        let good = false;
        try {
          good = await op(pool, client, i);
        } catch {
          good = false;
        }
        if (good) {
          ok++;
          lat.push(performance.now() - t0);
        } else errors++;
      }
    }),
  );
  const endedAt = performance.now();
  await Promise.all(ps.map((p) => p.close()));
  return { ok, errors, latencies: Float64Array.from(lat).sort(), startedAt, endedAt };
}

async function put(pool: Pool, path: string, expect: number): Promise<boolean> {
  const res = await pool.request({ path, method: 'PUT', body: VALUE });
  await res.body.dump();
  return res.statusCode === expect;
}

let firstGetError: string | undefined;

async function get(pool: Pool, path: string): Promise<boolean> {
  const res = await pool.request({ path, method: 'GET' });
  const text = await res.body.text();
  if (res.statusCode !== 200 && firstGetError === undefined)
    firstGetError = `${res.statusCode} ${text.trim()}`;
  return res.statusCode === 200;
}

function usage(cluster: BenchCluster): { cpu: number; rss: number[] } {
  const pids = cluster.members.map((m) => m.child.pid as number);
  return { cpu: pids.reduce((s, pid) => s + cpuSeconds(pid), 0), rss: pids.map(peakRssMiB) };
}

async function runPuts(cluster: BenchCluster, c: number, committedAnswer: boolean): Promise<Row> {
  const cpu0 = usage(cluster).cpu;
  const r = await load(cluster, c, (pool, client, i) => put(pool, `/bench-c${c}-${client}-${i}`, 204));
  let ops = r.ok;
  let seconds = (r.endedAt - r.startedAt) / 1000;
  if (!committedAnswer) {
    // raftexample: the rate at which those PUTs were applied, up to a sentinel seen on a follower.
    const follower = cluster.members[await cluster.follower()] as { base: string };
    const writer = cluster.members[0] as { base: string };
    const sentinel = `/sentinel-c${c}`;
    await fetch(`${writer.base}${sentinel}`, { method: 'PUT', body: 'done' }).then((x) => x.arrayBuffer());
    const pool = new Pool(follower.base, { connections: 1 });
    const limit = performance.now() + 120_000;
    while (!(await get(pool, sentinel))) {
      if (performance.now() > limit) throw new Error('raftexample: the sentinel never became visible');
    }
    await pool.close();
    ops += 1;
    seconds = (performance.now() - r.startedAt) / 1000;
  }
  const after = usage(cluster);
  return {
    system: cluster.name,
    op: committedAnswer ? 'PUT (committed)' : 'PUT (applied)',
    c,
    ops,
    opsPerS: ops / seconds,
    p50: percentile(r.latencies, 0.5),
    p99: percentile(r.latencies, 0.99),
    cpuUsPerOp: ((after.cpu - cpu0) * 1e6) / ops,
    rss: after.rss,
    errors: r.errors,
  };
}

async function runGets(cluster: BenchCluster, c: number, label: string, query = ''): Promise<Row> {
  const base = (cluster.members[0] as { base: string }).base;
  for (let k = 0; k < 50 && query === ''; k++) {
    const put = await fetch(`${base}/get-${k}`, { method: 'PUT', body: VALUE });
    const text = await put.text();
    if (put.status !== 204)
      throw new Error(`${cluster.name}: PUT /get-${k} answered ${put.status} ${text.trim()}`);
  }
  if (cluster.name === 'raftexample') await sleep(1000); // its PUTs answer before they apply
  // the first 404s of a follower still applying the last PUTs are not counted
  firstGetError = undefined;
  const cpu0 = usage(cluster).cpu;
  const r = await load(cluster, c, (pool, client, i) => get(pool, `/get-${(client + i) % 50}${query}`));
  const after = usage(cluster);
  if (firstGetError !== undefined) console.error(`  ${cluster.name} GET: first error: ${firstGetError}`);
  firstGetError = undefined;
  return {
    system: cluster.name,
    op: label,
    c,
    ops: r.ok,
    opsPerS: r.ok / ((r.endedAt - r.startedAt) / 1000),
    p50: percentile(r.latencies, 0.5),
    p99: percentile(r.latencies, 0.99),
    cpuUsPerOp: ((after.cpu - cpu0) * 1e6) / Math.max(1, r.ok),
    rss: after.rss,
    errors: r.errors,
  };
}

/** Runs every row on both clusters, interleaved (raftexample, raftwire, raftexample, ...) so a change in machine load hits both. */
async function measureBoth(
  systems: Array<{ start: () => Promise<BenchCluster>; committed: boolean; getLabel: string }>,
) {
  const clusters: BenchCluster[] = [];
  const rows: Row[][] = systems.map(() => []);
  try {
    for (const s of systems) clusters.push(await s.start());
    await sleep(500);
    for (const c of CONCURRENCY) {
      for (const [i, s] of systems.entries()) {
        const cluster = clusters[i] as BenchCluster;
        const row = await runPuts(cluster, c, s.committed);
        rows[i]?.push(row);
        console.error(
          `  ${cluster.name} C=${c}: ${Math.round(row.opsPerS)} ops/s, ${Math.round(row.cpuUsPerOp)} cpu µs/op`,
        );
      }
    }
    for (const [i, s] of systems.entries()) {
      if (!GETS) break;
      rows[i]?.push(await runGets(clusters[i] as BenchCluster, 16, s.getLabel));
      // raftwire's local read: the same contract as raftexample's GET
      if (s.committed) {
        rows[i]?.push(await runGets(clusters[i] as BenchCluster, 16, 'GET (serializable)', '?serializable'));
      }
    }
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'raftwire-bench-kv-'));
const projectRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
let folded: FoldedCopy | undefined;
try {
  console.log(
    `bench/kv: 3 members each, ${SECONDS} s per row, 100 B values, clients spread over the members`,
  );
  const systems = [
    { name: 'raftexample', start: () => startRaftexample(dir), committed: false, getLabel: 'GET (local)' },
    {
      name: 'raftwire',
      start: () => startRaftwire(dir, nodeArgs),
      committed: true,
      getLabel: 'GET (linearizable)',
    },
    {
      name: 'raftwire-nofp',
      start: () => {
        folded = foldFailpoints(projectRoot);
        console.error(
          `  raftwire-nofp: guards compiled out in ${JSON.stringify(Object.fromEntries(folded.rewritten))}`,
        );
        return startRaftwire(dir, nodeArgs, folded.root, 'raftwire-nofp');
      },
      committed: true,
      getLabel: 'GET (linearizable)',
    },
    {
      name: 'raftwire-alt',
      start: () => {
        const root = process.env.BENCH_ALT_ROOT;
        if (root === undefined)
          throw new Error('raftwire-alt needs BENCH_ALT_ROOT=<the root of another build>');
        return startRaftwire(dir, nodeArgs, root, 'raftwire-alt');
      },
      committed: true,
      getLabel: 'GET (linearizable)',
    },
  ].filter((s) => SYSTEMS.includes(s.name));
  const measured = await measureBoth(systems);
  const pick = (name: string): Row[] => measured[systems.findIndex((s) => s.name === name)] ?? [];
  const go = pick('raftexample');
  const ts = pick('raftwire');
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const rows = [...go, ...ts].map((r) => [
    r.system,
    r.op,
    String(r.c),
    f(r.opsPerS),
    f(r.p50, 2),
    f(r.p99, 2),
    f(r.cpuUsPerOp),
    r.rss.map((x) => x.toFixed(0)).join('/'),
    String(r.errors),
  ]);
  console.log(
    table(
      ['system', 'op', 'C', 'ops/s', 'p50 ms', 'p99 ms', 'cpu µs/op', 'peak RSS MiB (1/2/3)', 'errors'],
      rows,
    ),
  );
  console.log('');
  const ratioRows = CONCURRENCY.map((c) => {
    const a = ts.find((r) => r.c === c && r.op.startsWith('PUT'));
    const b = go.find((r) => r.c === c && r.op.startsWith('PUT'));
    return [
      `PUT C=${c}`,
      f(a?.opsPerS ?? Number.NaN),
      f(b?.opsPerS ?? Number.NaN),
      f((a?.opsPerS ?? 0) / (b?.opsPerS ?? 1), 2),
    ];
  });
  const gb = go.find((r) => r.op.startsWith('GET'));
  for (const ga of ts.filter((r) => r.op.startsWith('GET'))) {
    ratioRows.push([
      `${ga.op} C=16 vs local`,
      f(ga.opsPerS),
      f(gb?.opsPerS ?? Number.NaN),
      f(ga.opsPerS / (gb?.opsPerS ?? Number.NaN), 2),
    ]);
  }
  if (go.length > 0 && ts.length > 0)
    console.log(table(['row', 'raftwire ops/s', 'raftexample ops/s', 'raftwire/raftexample'], ratioRows));
  const nofp = pick('raftwire-nofp');
  if (nofp.length > 0 && ts.length > 0) {
    console.log('');
    const rows = ts.map((a) => {
      const b = nofp.find((r) => r.op === a.op && r.c === a.c);
      return [
        `${a.op} C=${a.c}`,
        f(a.opsPerS),
        f(b?.opsPerS ?? Number.NaN),
        f(a.opsPerS / (b?.opsPerS ?? Number.NaN), 2),
      ];
    });
    console.log(table(['row', 'guards in, off (ops/s)', 'guards compiled out (ops/s)', 'in/out'], rows));
  }
  const alt = pick('raftwire-alt');
  if (alt.length > 0 && ts.length > 0) {
    console.log('');
    const rows = ts.map((a) => {
      const b = alt.find((r) => r.op === a.op && r.c === a.c);
      return [
        `${a.op} C=${a.c}`,
        f(a.opsPerS),
        f(b?.opsPerS ?? Number.NaN),
        f(a.opsPerS / (b?.opsPerS ?? Number.NaN), 2),
        f(a.cpuUsPerOp),
        f(b?.cpuUsPerOp ?? Number.NaN),
        f(a.cpuUsPerOp / (b?.cpuUsPerOp ?? Number.NaN), 2),
      ];
    });
    console.log(
      table(
        ['row', 'this (ops/s)', 'alt (ops/s)', 'this/alt', 'this cpu µs/op', 'alt cpu µs/op', 'cpu this/alt'],
        rows,
      ),
    );
  }
} finally {
  folded?.remove();
  rmSync(dir, { recursive: true, force: true });
}
