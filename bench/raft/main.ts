/**
 * bench/raft: proposals committed per second through three in-process RawNodes with messages
 * delivered in memory (no I/O), one 64-byte entry per proposal, proposed one at a time and in
 * batches of 64, in both storage modes; beside the same loop on etcd 3.4's Go raft
 * (bench/raft/go/main.go, classic mode only: 3.4 has no asynchronous storage writes).
 *
 * Run: npm run bench -- raft   (or: node dist/bench/raft/main.js after build + scripts/build-go.sh)
 * Env: RAFTWIRE_BENCH_SECONDS (measured seconds per case, default 4).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../test/support/paths.js';
import { BenchCluster } from './cluster.js';

const SIZE = 64;
const SECONDS = Number(process.env.RAFTWIRE_BENCH_SECONDS ?? '4');

interface Result {
  proposals: number;
  seconds: number;
  cpuSeconds: number;
}

function runTs(asyncWrites: boolean, batch: number, seconds: number): Result {
  const c = new BenchCluster(asyncWrites);
  c.elect();
  const leader = c.nodes[0]?.rn;
  if (leader === undefined) throw new Error('no node 1');
  const payload = new Uint8Array(SIZE);
  const run = (ms: number): Result => {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    let proposed = 0;
    c.committed = 0;
    while (performance.now() - start < ms) {
      for (let j = 0; j < batch; j++) leader.propose(payload);
      proposed += batch;
      while (c.committed < proposed) {
        if (!c.process()) throw new Error(`stalled at ${c.committed}/${proposed}`);
      }
      while (c.process()) {}
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      proposals: proposed,
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  };
  run(seconds * 200); // warm-up: a fifth of the measured time
  return run(seconds * 1000);
}

function runGo(batch: number, seconds: number): Result {
  const bin = join(projectRoot, 'build', 'go', 'bench-raft');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/build-go.sh`);
  const out = execFileSync(
    bin,
    ['-batch', String(batch), '-seconds', String(seconds), '-size', String(SIZE)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim()) as Result;
}

const rate = (r: Result) => r.proposals / r.seconds;
const cpuUs = (r: Result) => (r.cpuSeconds / r.proposals) * 1e6;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(`raft: 3 in-process nodes, in-memory delivery, ${SIZE} B per proposal, ${SECONDS} s per case`);
console.log(
  'Go twin: etcd 3.4.23 raft (Debian source), classic Ready/Advance only (3.4 has no async storage writes)',
);
for (const batch of [1, 64]) {
  const go = runGo(batch, SECONDS);
  console.log(
    `batch=${String(batch).padStart(2)} go   classic : ${fmt(rate(go)).padStart(9)} proposals/s, ${cpuUs(go).toFixed(2)} µs CPU/proposal`,
  );
  for (const asyncWrites of [false, true]) {
    const ts = runTs(asyncWrites, batch, SECONDS);
    const mode = asyncWrites ? 'async  ' : 'classic';
    console.log(
      `batch=${String(batch).padStart(2)} ts   ${mode}: ${fmt(rate(ts)).padStart(9)} proposals/s, ${cpuUs(ts).toFixed(2)} µs CPU/proposal, TS/Go ratio ${(rate(ts) / rate(go)).toFixed(2)} (CPU ratio ${(cpuUs(go) / cpuUs(ts)).toFixed(2)})`,
    );
  }
}
