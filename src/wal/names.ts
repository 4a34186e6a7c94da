/**
 * Segment file names, as etcd names them: `%016x-%016x.wal`, the segment's sequence number and
 * the raft index of the first entry it may hold (wal/util.go).
 */
import { readdir } from 'node:fs/promises';
import { WalError, WalErrorCode } from './errors.js';

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

/** A parsed segment name. */
export interface SegmentName {
  name: string;
  seq: number;
  index: number;
}

/** `%016x-%016x.wal` of a sequence number and an index. */
export function walName(seq: number, index: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.wal`;
}

/** Parses a segment name; `undefined` for any other file (etcd ignores those). */
export function parseWalName(name: string): SegmentName | undefined {
  const m = NAME.exec(name);
  if (m === null) return undefined;
  const seq = Number.parseInt(m[1] as string, 16);
  const index = Number.parseInt(m[2] as string, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(index)) return undefined;
  return { name, seq, index };
}

/** The directory's segments, sorted by name as Go's `fileutil.ReadDir` sorts them. */
export async function readSegmentNames(dir: string): Promise<SegmentName[]> {
  const names = (await readdir(dir)).sort();
  const out: SegmentName[] = [];
  for (const n of names) {
    const s = parseWalName(n);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** True when `dir` holds at least one segment file (etcd's `wal.Exist`). */
export async function walExists(dir: string): Promise<boolean> {
  try {
    return (await readSegmentNames(dir)).length > 0;
  } catch {
    return false;
  }
}

/**
 * The segments to read for a restart from `snapshotIndex`: from the last one whose first index is
 * at or below it, checking that sequence numbers then run without a gap (etcd's selectWALFiles).
 */
export function selectSegments(names: SegmentName[], snapshotIndex: number, dir: string): SegmentName[] {
  if (names.length === 0) throw new WalError(WalErrorCode.FILE_NOT_FOUND, `wal: no segment files in ${dir}`);
  let from = -1;
  for (let i = names.length - 1; i >= 0; i--) {
    if (snapshotIndex >= (names[i] as SegmentName).index) {
      from = i;
      break;
    }
  }
  if (from < 0) {
    throw new WalError(
      WalErrorCode.FILE_NOT_FOUND,
      `wal: no segment in ${dir} starts at or before index ${snapshotIndex}`,
    );
  }
  const chosen = names.slice(from);
  for (let i = 1; i < chosen.length; i++) {
    const prev = chosen[i - 1] as SegmentName;
    const cur = chosen[i] as SegmentName;
    if (cur.seq !== prev.seq + 1) {
      throw new WalError(
        WalErrorCode.FILE_NOT_FOUND,
        `wal: segment sequence gap in ${dir} between ${prev.name} and ${cur.name}`,
      );
    }
  }
  return chosen;
}
