/**
 * bench/wal: fsynced saves per second and entries per second of raftwire's WAL against etcd
 * 3.4.23's own `wal.Save` (bench/wal/go, built from Debian's source), on the same disk, in the same
 * command, interleaved (Go, TS, Go, TS, …); the table shows the median of the repetitions.
 *
 * Cases: one writer saving batches of 1, 8 and 64 entries of 100 B (each save carries a hard
 * state and is fsynced), and 16 concurrent writers each saving 1 entry at a time. For the last
 * case raftwire coalesces the waiting saves into one write + one fdatasync (group commit); etcd's
 * `wal.Save` takes a mutex and fsyncs once per call (etcd batches above the WAL, per raft Ready).
 * raftwire runs on its default file layer (`defaultWalFs`: the native writer thread per file);
 * the row marked `fs/promises` repeats the first case on the fallback layer (`nodeWalFs`).
 *
 * The `floor` rows are no WAL at all: one writer doing a positioned write of 128 B into a
 * zero-filled 64 MB file, made durable (Go: `WriteAt` + `Fdatasync`; TS: an O_DSYNC write through
 * the native layer). They show what the disk and each runtime's file I/O allow before any WAL work.
 *
 * Every run starts from a fresh WAL (`create`, 64 MB segment preallocated) in a temp directory
 * under os.tmpdir(); the first `--warmup` seconds are not measured.
 *
 * After the table: the median round trip of a no-op libuv thread-pool call (`FileHandle.stat`)
 * with the event loop otherwise idle, and the ceiling it sets for one sequential writer on the
 * fs/promises layer, which waits for at least one such trip per save: t / (t + round trip), t
 * being Go's floor time per save.
 *
 * `--floors` adds floor rows for Node's own file APIs (FileHandle write + datasync, callback
 * `fs.write`/`fs.fdatasync`, a FileHandle on an O_DSYNC file, and synchronous calls that block the
 * event loop), each against the same Go floor.
 *
 *   node dist/bench/wal/main.js [--seconds 1.5] [--warmup 0.3] [--reps 6] [--dir /tmp] [--floors]
 */
import { execFile } from 'node:child_process';
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  constants as fsConstants,
  openSync,
  write,
  writeSync,
} from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import type { Entry } from '../../src/raftpb/index.js';
import { nativeWalFs, nativeWalFsError, nodeWalFs, Wal, type WalFs } from '../../src/wal/index.js';
import { goBinary } from '../../test/support/go.js';
import { projectRoot } from '../../test/support/paths.js';
import { fmtInt, median, printTable } from '../support/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    warmup: { type: 'string', default: '0.3' },
    reps: { type: 'string', default: '6' },
    dir: { type: 'string', default: tmpdir() },
    floors: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const reps = Number(values.reps);
const baseDir = values.dir;
const ENTRY_BYTES = 100;

/**
 * How a TS floor row writes: the native layer on an O_DSYNC file, FileHandle write + datasync, fs
 * callbacks, a FileHandle on an O_DSYNC file, or sync calls.
 */
type RawApi = 'native' | 'filehandle' | 'callbacks' | 'odsync' | 'sync';

interface Case {
  name: string;
  perBatch: number;
  writers: number;
  /** A floor row: raw write + fdatasync, no WAL. */
  raw?: RawApi;
  /** The TS WAL's file layer (default: the WAL's own default). */
  fs?: WalFs;
}
const CASES: Case[] = [
  { name: '1 writer, 1 x 100 B', perBatch: 1, writers: 1 },
  { name: '1 writer, 8 x 100 B', perBatch: 8, writers: 1 },
  { name: '1 writer, 64 x 100 B', perBatch: 64, writers: 1 },
  { name: '16 writers, 1 x 100 B each', perBatch: 1, writers: 16 },
  { name: '1 writer, 1 x 100 B, TS fs/promises', perBatch: 1, writers: 1, fs: nodeWalFs },
  { name: 'floor: write 128 B, durable', perBatch: 1, writers: 1, raw: 'native' },
  ...(values.floors
    ? ([
        { name: 'floor, TS FileHandle + datasync', perBatch: 1, writers: 1, raw: 'filehandle' },
        { name: 'floor, TS fs callbacks', perBatch: 1, writers: 1, raw: 'callbacks' },
        { name: 'floor, TS O_DSYNC write', perBatch: 1, writers: 1, raw: 'odsync' },
        { name: 'floor, TS sync calls (blocks loop)', perBatch: 1, writers: 1, raw: 'sync' },
      ] as const)
    : []),
];
const RAW_BYTES = 128;

/** One measured run. */
interface Result {
  saves: number;
  entries: number;
  seconds: number;
  cpuSeconds: number;
}

const run = promisify(execFile);

async function runGo(dir: string, c: Case): Promise<Result> {
  const { stdout } = await run(goBinary('bench-wal'), [
    ...(c.raw !== undefined ? ['-raw'] : []),
    '-dir',
    dir,
    '-entries',
    String(c.perBatch),
    '-writers',
    String(c.writers),
    '-size',
    String(c.raw !== undefined ? RAW_BYTES : ENTRY_BYTES),
    '-duration',
    `${seconds * 1000}ms`,
    '-warmup',
    `${warmup * 1000}ms`,
  ]);
  return JSON.parse(stdout) as Result;
}

/** One positioned write of `buf` at `off` followed by whatever makes it durable, per API. */
type RawStep = (buf: Uint8Array, off: number) => Promise<void>;

async function rawStep(api: RawApi, path: string): Promise<{ step: RawStep; close: () => Promise<void> }> {
  if (api === 'native') {
    if (nativeWalFs === undefined) throw new Error('bench/wal: the raftwire_wal addon is not built');
    const f = await nativeWalFs.open(path, fsConstants.O_RDWR | fsConstants.O_DSYNC);
    return {
      step: async (buf, off) => {
        await f.write(buf, 0, buf.length, off);
      },
      close: () => f.close(),
    };
  }
  if (api === 'filehandle' || api === 'odsync') {
    const fh = await open(path, api === 'odsync' ? fsConstants.O_RDWR | fsConstants.O_DSYNC : 'r+');
    const step: RawStep =
      api === 'odsync'
        ? async (buf, off) => {
            await fh.write(buf, 0, buf.length, off);
          }
        : async (buf, off) => {
            await fh.write(buf, 0, buf.length, off);
            await fh.datasync();
          };
    return { step, close: () => fh.close() };
  }
  const fd = openSync(path, 'r+');
  const close = async () => closeSync(fd);
  if (api === 'sync') {
    return {
      step: async (buf, off) => {
        writeSync(fd, buf, 0, buf.length, off);
        fdatasyncSync(fd);
      },
      close,
    };
  }
  return {
    step: (buf, off) =>
      new Promise<void>((resolve, reject) => {
        write(fd, buf, 0, buf.length, off, (err) => {
          if (err) reject(err);
          else fdatasync(fd, (err2) => (err2 ? reject(err2) : resolve()));
        });
      }),
    close,
  };
}

/** A floor: positioned write + durability in a loop on a zero-filled 64 MB file. */
async function runTsRaw(dir: string, api: RawApi): Promise<Result> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'raw');
  const zeros = new Uint8Array(64 << 20);
  await writeFile(path, zeros);
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
  const { step, close } = await rawStep(api, path);
  try {
    const buf = new Uint8Array(RAW_BYTES);
    let off = 0;
    let saves = 0;
    let cpu0 = process.cpuUsage();
    const start = performance.now();
    let t0 = 0;
    for (;;) {
      const now = performance.now();
      if (t0 === 0 && now - start >= warmup * 1000) {
        t0 = now;
        saves = 0;
        cpu0 = process.cpuUsage();
      }
      if (t0 !== 0 && now - t0 >= seconds * 1000) break;
      await step(buf, off);
      off = (off + RAW_BYTES) % zeros.length;
      saves++;
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      saves,
      entries: saves,
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await close();
  }
}

async function runTs(dir: string, c: Case): Promise<Result> {
  if (c.raw !== undefined) return runTsRaw(dir, c.raw);
  const wal = await Wal.create(
    dir,
    new TextEncoder().encode('bench'),
    c.fs !== undefined ? { fs: c.fs } : {},
  );
  const payload = new Uint8Array(ENTRY_BYTES).map((_, i) => i);
  let nextIndex = 0;
  let measuring = false;
  let stopped = false;
  let saves = 0;
  let entries = 0;
  const writer = async (): Promise<void> => {
    while (!stopped) {
      const first = nextIndex + 1;
      nextIndex += c.perBatch;
      const batch: Entry[] = new Array(c.perBatch);
      for (let i = 0; i < c.perBatch; i++) batch[i] = { term: 1, index: first + i, type: 0, data: payload };
      await wal.save({ term: 1, vote: 1n, commit: first - 1 }, batch);
      if (measuring) {
        saves++;
        entries += c.perBatch;
      }
    }
  };
  const writers = Array.from({ length: c.writers }, writer);
  await sleep(warmup * 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stopped = true;
  await Promise.all(writers);
  await wal.close();
  return { saves, entries, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Median round trip, µs, of a no-op thread-pool call (fstat) awaited one at a time. */
async function threadPoolRoundTrip(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const fh = await open(join(dir, 'rt'), 'w');
  try {
    const samples: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      const a = performance.now();
      await fh.stat();
      samples.push((performance.now() - a) * 1000);
    }
    return median(samples);
  } finally {
    await fh.close();
  }
}

/** Busy jiffies and wall clock from /proc/stat (USER_HZ = 100 on Linux). */
async function busyJiffies(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return f.reduce((a, b) => a + b, 0) - idle;
}

/** Runs `fn` and reports the cores the whole machine (every tenant, this benchmark included) kept busy. */
async function machineBusy<T>(fn: () => Promise<T>): Promise<{ result: T; busyCores: number }> {
  const b0 = await busyJiffies();
  const w0 = performance.now();
  const result = await fn();
  const b1 = await busyJiffies();
  return { result, busyCores: (b1 - b0) / 100 / ((performance.now() - w0) / 1000) };
}

async function main(): Promise<void> {
  const [tmpDev, buildDev] = [(await stat(baseDir)).dev, (await stat(projectRoot)).dev];
  console.log(
    `bench/wal: WALs in fresh temp dirs under ${baseDir} (device ${tmpDev}; the project is on device ${buildDev}${tmpDev === buildDev ? ', the same' : ', a different one'}), ` +
      `${seconds} s measured after ${warmup} s warm-up, ${reps} reps interleaved Go/TS, median shown`,
  );
  console.log(
    nativeWalFs !== undefined
      ? 'TS WAL file layer: native (raftwire_wal writer threads)'
      : `TS WAL file layer: fs/promises — the raftwire_wal addon did not load (${String(nativeWalFsError)})`,
  );
  goBinary('bench-wal');
  const go = new Map<string, Result[]>();
  const ts = new Map<string, Result[]>();
  const busy: number[] = [];
  const roundTrips: number[] = [];
  for (let r = 0; r < reps; r++) {
    const rtDir = await mkdtemp(join(baseDir, 'raftwire-bench-wal-rt-'));
    roundTrips.push(await threadPoolRoundTrip(rtDir));
    await rm(rtDir, { recursive: true, force: true });
    for (const c of CASES) {
      for (const side of ['go', 'ts'] as const) {
        const dir = await mkdtemp(join(baseDir, `raftwire-bench-wal-${side}-`));
        const walDir = join(dir, 'wal');
        try {
          const { result, busyCores } = await machineBusy(() =>
            side === 'go' ? runGo(walDir, c) : runTs(walDir, c),
          );
          busy.push(busyCores);
          const m = side === 'go' ? go : ts;
          m.set(c.name, [...(m.get(c.name) ?? []), result]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
  }
  const rate = (rs: Result[], f: (r: Result) => number) => median(rs.map((r) => f(r) / r.seconds));
  const cpuPer = (rs: Result[]) => median(rs.map((r) => (r.cpuSeconds / Math.max(1, r.saves)) * 1e6));
  const rows = CASES.map((c) => {
    const g = go.get(c.name) ?? [];
    const t = ts.get(c.name) ?? [];
    const [gs, tsv] = [rate(g, (r) => r.saves), rate(t, (r) => r.saves)];
    const [ge, te] = [rate(g, (r) => r.entries), rate(t, (r) => r.entries)];
    return [
      c.name,
      fmtInt(gs),
      fmtInt(tsv),
      (tsv / gs).toFixed(2),
      fmtInt(ge),
      fmtInt(te),
      (te / ge).toFixed(2),
      cpuPer(g).toFixed(0),
      cpuPer(t).toFixed(0),
    ];
  });
  printTable(
    [
      'case',
      'Go saves/s',
      'TS saves/s',
      'TS/Go',
      'Go entries/s',
      'TS entries/s',
      'TS/Go',
      'Go cpu µs/save',
      'TS cpu µs/save',
    ],
    rows,
  );
  const goFloor = go.get(CASES.find((c) => c.raw === 'native')?.name ?? '') ?? [];
  const goFloorUs = 1e6 / rate(goFloor, (r) => r.saves);
  const rt = median(roundTrips);
  console.log(
    `thread-pool round trip (no-op FileHandle.stat, idle event loop): median ${rt.toFixed(1)} µs; ` +
      `Go's floor is ${goFloorUs.toFixed(1)} µs per write + fdatasync, so one sequential writer on the fs/promises ` +
      `layer, waiting for one thread-pool call per save, can reach at most ${(goFloorUs / (goFloorUs + rt)).toFixed(2)} of Go here`,
  );
  console.log(
    `machine busy cores per run (all processes, this benchmark included; /proc/stat): median ${median(busy).toFixed(2)} of 2`,
  );
}

await main();
