/**
 * Damaging a stopped member's WAL the way a disk would, finding record boundaries with the WAL's
 * own decoder (`scanSegment`), never with fixed offsets: a torn tail (the last segment cut in the
 * middle of its last record) and a corrupted record that is not the tail (bytes flipped inside its
 * data).
 */
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
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
 * Cuts the last segment of `walDir` in the middle of its last record (a write torn by a crash);
 * returns the record's offset and the new length.
 */
export function tearTail(walDir: string): { path: string; recordOffset: number; length: number } {
  const { path, records, end: next } = lastSegmentRecords(walDir);
  const last = records[records.length - 1];
  if (last === undefined || records.length < 2) throw new Error(`too few records in ${path}`);
  const length = last.offset + Math.max(9, Math.floor((next - last.offset) / 2));
  if (length >= next) throw new Error(`last record of ${path} too short to tear`);
  truncateSync(path, length);
  return { path, recordOffset: last.offset, length };
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
