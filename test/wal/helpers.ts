/** Shared helpers of the WAL tests: temp dirs, entries, and a file layer that counts and fails. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, HardState } from '../../src/raftpb/index.js';
import { EntryType } from '../../src/raftpb/index.js';
import type { WalFile, WalFs } from '../../src/wal/index.js';
import { defaultWalFs } from '../../src/wal/index.js';

/** A fresh temp dir; `dispose` removes it. The WAL lives in `<root>/wal`. */
export async function tempRoot(): Promise<{ root: string; dir: string; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'raftwire-wal-'));
  return { root, dir: join(root, 'wal'), dispose: () => rm(root, { recursive: true, force: true }) };
}

/** An entry with `data` made from a seed (so tests can recompute it). */
export function entry(index: number, term: number, size = 16, seed = index): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (seed * 31 + i * 7) & 0xff;
  return { index, term, type: EntryType.EntryNormal, data };
}

/** Entries `from..to` inclusive. */
export function entries(from: number, to: number, term: number, size = 16): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}

export function hardState(term: number, vote: bigint, commit: number): HardState {
  return { term, vote, commit };
}

/** Entries without unknown fields and with data copied, for deepEqual. */
export function plain(
  es: readonly Entry[],
): Array<{ index: number; term: number; type: number; data: number[] }> {
  return es.map((e) => ({ index: e.index, term: e.term, type: e.type, data: [...(e.data ?? [])] }));
}

/** Counts of what the instrumented file layer did, and switches to make it fail. */
export interface FsProbe {
  writes: number;
  datasyncs: number;
  failDatasync: Error | undefined;
  failWrite: Error | undefined;
}

/**
 * `defaultWalFs` (the native layer) wrapped: counts writes and datasyncs of segment files (not of the `.tmp` files the
 * pipeline preallocates), and fails them on demand.
 */
export function probedFs(): { fs: WalFs; probe: FsProbe } {
  const probe: FsProbe = { writes: 0, datasyncs: 0, failDatasync: undefined, failWrite: undefined };
  const wrap = (f: WalFile, counted: boolean): WalFile => ({
    write(buffer, offset, length, position) {
      if (counted) probe.writes++;
      if (probe.failWrite !== undefined) return Promise.reject(probe.failWrite);
      return f.write(buffer, offset, length, position);
    },
    read: (buffer, offset, length, position) => f.read(buffer, offset, length, position),
    datasync() {
      if (counted) probe.datasyncs++;
      if (probe.failDatasync !== undefined) return Promise.reject(probe.failDatasync);
      return f.datasync();
    },
    sync: () => f.sync(),
    truncate: (len) => f.truncate(len),
    stat: () => f.stat(),
    close: () => f.close(),
  });
  const fs: WalFs = {
    open: async (path, flags, mode) =>
      wrap(await defaultWalFs.open(path, flags, mode), !path.endsWith('.tmp')),
    syncDir: (path) => defaultWalFs.syncDir(path),
  };
  return { fs, probe };
}

/** An errno-style error, as the file system gives. */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}
