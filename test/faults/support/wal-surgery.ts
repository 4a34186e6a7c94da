/**
 * Damaging a stopped member's WAL the way a disk would, finding record boundaries with the WAL's
 * own decoder (`scanSegment`), never with fixed offsets: a torn tail (half a record written after
 * the last whole one) and a corrupted record that is not the tail (bytes flipped inside its
 * data).
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseWalName, type ScannedRecord, scanSegment } from '../../../src/wal/index.js';

/** The segment files of the WAL in `walDir`, oldest first. */
export function segmentPaths(walDir: string): string[] {
  return readdirSync(walDir)
    .map((name) => ({ name, parsed: parseWalName(name) }))
    .filter((s) => s.parsed !== undefined)
    .sort((a, b) => (a.parsed?.seq ?? 0) - (b.parsed?.seq ?? 0))
    .map((s) => join(walDir, s.name));
}

/** The last segment of `walDir` and the records the decoder finds in it. */
export function lastSegmentRecords(walDir: string): {
  path: string;
  bytes: Buffer;
  records: ScannedRecord[];
  end: number;
} {
  const paths = segmentPaths(walDir);
  const path = paths[paths.length - 1];
  if (path === undefined) throw new Error(`no WAL segment in ${walDir}`);
  const bytes = readFileSync(path);
  // A zero chain starts afresh at the segment's crc record, so the segment scans on its own.
  const scan = scanSegment(bytes, bytes.length, path, 0, true);
  return { path, bytes, records: scan.records, end: scan.end };
}

/**
 * Leaves a torn write at the end of the last segment of `walDir`, as a crash in the middle of an
 * append leaves it: the first half of a record (a copy of the last one's frame) after the last
 * whole record, then the end of the file. Every whole record stays: they may have been fsynced and
 * acknowledged, and losing one is data loss (raft then stops the member, as etcd's panics), not a
 * torn write. Returns where the torn record starts and the new length.
 */
export function tearTail(walDir: string): { path: string; recordOffset: number; length: number } {
  const { path, bytes, records, end } = lastSegmentRecords(walDir);
  const last = records[records.length - 1];
  if (last === undefined || records.length < 2) throw new Error(`too few records in ${path}`);
  const frame = bytes.subarray(last.offset, end);
  const half = Math.max(9, Math.floor(frame.length / 2));
  if (half >= frame.length) throw new Error(`last record of ${path} too short to tear`);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, frame, 0, half, end);
    ftruncateSync(fd, end + half);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { path, recordOffset: end, length: end + half };
}

/**
 * Flips bytes inside the data of a record of the last segment that has at least `after` valid
 * records behind it (so it is not the tail); returns the record's offset.
 */
export function corruptRecord(walDir: string, after = 3): { path: string; recordOffset: number } {
  const { path, bytes, records } = lastSegmentRecords(walDir);
  const candidates = records.slice(1, records.length - after).filter((r) => r.dataEnd - r.dataStart >= 8);
  const victim = candidates[Math.floor(candidates.length / 2)];
  if (victim === undefined) throw new Error(`no record with data before the tail in ${path}`);
  const mid = victim.dataStart + Math.floor((victim.dataEnd - victim.dataStart) / 2);
  for (let i = mid - 2; i < mid + 2; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
  writeFileSync(path, bytes);
  return { path, recordOffset: victim.offset };
}
