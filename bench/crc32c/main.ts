/**
 * bench/crc32c: raftwire's hand-written slicing-by-8 CRC-32C against the fastest npm package
 * (@node-rs/crc32, SIMD Rust through N-API, a devDependency only) and Go's hash/crc32 (etcd's
 * pkg/crc; the CPU's CRC32 instruction), in the same run, interleaved, median of the repetitions.
 *
 * Every call continues the checksum from the previous one, as the WAL's rolling chain does.
 * Sizes: 64 B (a small WAL record), 1 KiB, 64 KiB (a large record), 1 MiB (a `.snap` file).
 *
 *   npm run bench -- crc32c            # or: node dist/bench/crc32c/main.js [--seconds 0.5] [--reps 3]
 */

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32cUpdate } from '../../src/crc32c/index.js';
import { fmtInt, median, printTable } from '../support/stats.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '0.5' }, reps: { type: 'string', default: '3' } },
});
const seconds = Number(values.seconds);
const reps = Number(values.reps);

/** @node-rs/crc32's `crc32c(input, initialState)`: the same rolling contract as crc32cUpdate. */
const nodeRs = createRequire(import.meta.url)('@node-rs/crc32') as {
  crc32c(input: Uint8Array, initialState?: number): number;
};

const SIZES = [64, 1024, 64 * 1024, 1024 * 1024];

function buffer(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Calls per second of `op` for `seconds`. */
function measure(op: () => void, size: number): number {
  const batch = size < 4096 ? 256 : 1;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let ops = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
  }
  return (ops * 1000) / (performance.now() - start);
}

// All three agree on the chain before anything is timed.
{
  const b = buffer(1000);
  const hand = crc32cUpdate(crc32cUpdate(0, b), b);
  const rs = nodeRs.crc32c(b, nodeRs.crc32c(b, 0));
  if (hand !== rs) throw new Error(`@node-rs/crc32 disagrees: ${hand.toString(16)} vs ${rs.toString(16)}`);
}

const goBin = join(import.meta.dirname, '..', '..', '..', 'build', 'go', 'bench-crc32c');
const samples = new Map<string, number[]>();
const add = (key: string, v: number) => samples.set(key, [...(samples.get(key) ?? []), v]);
let sink = 0;

// Warm-up, not recorded: the JIT optimizes the loops first.
for (const size of SIZES) {
  const b = buffer(size);
  let c = 0;
  measure(() => {
    c = crc32cUpdate(c, b);
  }, size);
  measure(() => {
    c = nodeRs.crc32c(b, c);
  }, size);
  sink += c;
}

for (let rep = 0; rep < reps; rep++) {
  for (const size of SIZES) {
    const b = buffer(size);
    const go = JSON.parse(execFileSync(goBin, [String(size), String(seconds)], { encoding: 'utf8' })) as {
      opsPerSec: number;
    };
    add(`go ${size}`, go.opsPerSec);
    let c = 0;
    add(
      `hand ${size}`,
      measure(() => {
        c = crc32cUpdate(c, b);
      }, size),
    );
    let r = 0;
    add(
      `node-rs ${size}`,
      measure(() => {
        r = nodeRs.crc32c(b, r);
      }, size),
    );
    sink += c ^ r;
  }
}

const mbs = (ops: number, size: number) => ((ops * size) / 1e6).toFixed(0);
console.log(
  `crc32c, calls/s and MB/s (median of ${reps} interleaved runs of ${seconds}s each; sink ${sink !== 0})`,
);
const rows: string[][] = [];
for (const size of SIZES) {
  const go = median(samples.get(`go ${size}`) ?? []);
  const hand = median(samples.get(`hand ${size}`) ?? []);
  const rs = median(samples.get(`node-rs ${size}`) ?? []);
  rows.push([
    String(size),
    fmtInt(go),
    fmtInt(hand),
    fmtInt(rs),
    mbs(go, size),
    mbs(hand, size),
    mbs(rs, size),
    (hand / go).toFixed(2),
    (hand / rs).toFixed(2),
  ]);
}
printTable(
  [
    'bytes',
    'Go calls/s',
    'hand calls/s',
    'node-rs calls/s',
    'Go MB/s',
    'hand MB/s',
    'node-rs MB/s',
    'hand/Go',
    'hand/node-rs',
  ],
  rows,
);
