/**
 * Runs test/interop/go/storage-tool (etcd 3.4.23's own wal and snap packages) and converts between
 * its JSON and raftpb objects. See the Go program's header for the subcommands.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import {
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  newConfState,
  newSnapshot,
  type Snapshot,
} from '../../../src/raftpb/index.js';
import { goBinary } from '../../support/go.js';
import { fromHex, toHex } from '../../support/hex.js';

const run = promisify(execFile);

/** Numbers the spec files written beside the directories. */
let specSeq = 0;

/** An entry as the Go tool prints and reads it. */
export interface GoEntry {
  term: number;
  index: number;
  type: number;
  dataHex: string;
  hasData: boolean;
}

export interface GoHardState {
  term: number;
  vote: string;
  commit: number;
}

export interface GoConfState {
  voters: string[];
  learners: string[];
  votersOutgoing: string[];
  learnersNext: string[];
  autoLeave: boolean;
}

export interface GoSnapshot {
  dataHex: string;
  index: number;
  term: number;
  confState: GoConfState;
}

/** What `read-wal` prints. */
export interface GoWalRead {
  metadataHex: string;
  hardState: GoHardState;
  entries: GoEntry[];
  snapshots: { index: number; term: number }[];
  snapshotsError?: string;
  error?: string;
}

/** One step of `write-wal`. */
export type GoWalOp =
  | { kind: 'save'; hardState?: GoHardState; entries: GoEntry[] }
  | { kind: 'snapshot'; index: number; term: number }
  | { kind: 'release'; index: number };

export interface GoWalSpec {
  metadataHex: string;
  segmentSizeBytes?: number;
  ops: GoWalOp[];
}

/** Runs the tool and parses its one JSON line. */
export async function storageTool<T>(args: string[], options: { input?: Uint8Array } = {}): Promise<T> {
  const bin = goBinary('storage-tool');
  if (options.input === undefined) {
    const { stdout } = await run(bin, args, { maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  }
  const input = options.input;
  return new Promise<T>((resolve, reject) => {
    const child = execFile(bin, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin?.end(input);
  });
}

/** Writes `spec` beside `dir` and runs `write-wal`. */
export async function goWriteWal(dir: string, spec: GoWalSpec): Promise<void> {
  const specPath = `${dir}.spec-${++specSeq}.json`;
  await writeFile(specPath, JSON.stringify(spec));
  await storageTool(['write-wal', dir, specPath]);
}

/** Reopens the WAL at a marker (wal.Open + ReadAll, as a restart), then applies `spec.ops`. */
export async function goAppendWal(
  dir: string,
  marker: { index: number; term: number },
  spec: GoWalSpec,
): Promise<void> {
  const specPath = `${dir}.append-spec-${++specSeq}.json`;
  await writeFile(specPath, JSON.stringify(spec));
  await storageTool(['append-wal', dir, String(marker.index), String(marker.term), specPath]);
}

export function goReadWal(dir: string, index: number, term: number): Promise<GoWalRead> {
  return storageTool<GoWalRead>(['read-wal', dir, String(index), String(term)]);
}

export async function goWriteSnap(dir: string, snap: Snapshot): Promise<void> {
  const specPath = `${dir}.snap-spec-${++specSeq}.json`;
  await writeFile(specPath, JSON.stringify(toGoSnapshot(snap)));
  await storageTool(['write-snap', dir, specPath]);
}

export function goReadSnap(dir: string, markers: { index: number; term: number }[] = []) {
  return storageTool<GoSnapshot | { error: string }>([
    'read-snap',
    dir,
    ...markers.map((m) => `${m.index}:${m.term}`),
  ]);
}

export function toGoEntry(e: Entry): GoEntry {
  return {
    term: e.term,
    index: e.index,
    type: e.type,
    dataHex: e.data === undefined ? '' : toHex(e.data),
    hasData: e.data !== undefined,
  };
}

export function fromGoEntry(e: GoEntry): Entry {
  const entry: Entry = { term: e.term, index: e.index, type: e.type as EntryType };
  if (e.hasData) entry.data = fromHex(e.dataHex);
  return entry;
}

export function toGoHardState(hs: HardState): GoHardState {
  return { term: hs.term, vote: hs.vote.toString(), commit: hs.commit };
}

export function fromGoHardState(hs: GoHardState): HardState {
  return { term: hs.term, vote: BigInt(hs.vote), commit: hs.commit };
}

const ids = (v: bigint[]): string[] => v.map((id) => id.toString());

export function toGoSnapshot(s: Snapshot): GoSnapshot {
  const cs = s.metadata.confState;
  return {
    dataHex: s.data === undefined ? '' : toHex(s.data),
    index: s.metadata.index,
    term: s.metadata.term,
    confState: {
      voters: ids(cs.voters),
      learners: ids(cs.learners),
      votersOutgoing: ids(cs.votersOutgoing),
      learnersNext: ids(cs.learnersNext),
      autoLeave: cs.autoLeave,
    },
  };
}

export function fromGoSnapshot(g: GoSnapshot): Snapshot {
  const cs: ConfState = {
    ...newConfState(),
    voters: g.confState.voters.map(BigInt),
    learners: g.confState.learners.map(BigInt),
    votersOutgoing: g.confState.votersOutgoing.map(BigInt),
    learnersNext: g.confState.learnersNext.map(BigInt),
    autoLeave: g.confState.autoLeave,
  };
  return newSnapshot({ data: fromHex(g.dataHex), index: g.index, term: g.term, confState: cs });
}

/** A Go process holding a WAL open (wal.Open + ReadAll), with etcd's locks on its segments. */
export interface GoWalHolder {
  /** Closes its stdin: Go closes the WAL and exits; resolves with the exit code. */
  release(): Promise<number | null>;
  /** SIGKILLs it (the kernel drops its locks); resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts `hold-wal` and resolves once Go has opened and read the WAL. */
export function goHoldWal(dir: string, marker: { index: number; term: number }): Promise<GoWalHolder> {
  const child = spawn(
    goBinary('storage-tool'),
    ['hold-wal', dir, String(marker.index), String(marker.term)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<GoWalHolder>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => {
      if (!d.toString().includes('"held":true')) {
        child.kill('SIGKILL');
        reject(new Error(`hold-wal printed ${d.toString()}`));
        return;
      }
      resolve({
        release: () => {
          child.stdin.end();
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`hold-wal exited ${code} before holding: ${stderr}`)));
  });
}
