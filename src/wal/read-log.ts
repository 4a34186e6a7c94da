/**
 * Reads a WAL's segments from a snapshot marker on, as etcd's ReadAll: metadata (the same in every
 * segment), the last hard state, and the entries after the marker, a later entry replacing earlier
 * ones at its index and after. The last segment is kept open for appending; a torn write at its
 * tail is repaired (a `.broken` copy is kept, then the file is truncated to the last whole record,
 * as etcd's `wal.Repair`), and any non-zero bytes after the last record are zeroed (etcd's
 * `ZeroToEnd`), so a new record never lands next to stale garbage.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger/index.js';
import type { Entry, HardState } from '../raftpb/index.js';
import { decodeEntry, decodeHardState, newHardState } from '../raftpb/index.js';
import { type SegmentScan, scanSegment } from './decoder.js';
import { WalError, WalErrorCode, WalRecordError } from './errors.js';
import { readWhole, type WalFile, type WalFs, writeZeros } from './file-layer.js';
import { firstNonZero } from './first-nonzero.js';
import type { SegmentName } from './names.js';
import { decodeWalSnapshot, RecordType, type WalSnapshot } from './walpb.js';

/** A segment buffer with more unused bytes than this is copied down to its used part. */
const COMPACT_SLACK_BYTES = 1 << 20;

const EMPTY = new Uint8Array(0);

/** What reading the log found, and the state appending resumes from. */
export interface LogContents {
  /** `undefined` when the metadata records carry no data field (Go's nil metadata). */
  metadata: Uint8Array | undefined;
  hardState: HardState;
  entries: Entry[];
  /** The last segment, open for read and write. */
  tail: WalFile;
  /** Where the next record goes in the last segment. */
  tailOffset: number;
  /** The CRC chain's value after the last record. */
  crc: number;
  /** Index of the last entry read (etcd's `enti`). */
  lastIndex: number;
}

/**
 * Reads `segments` of `dir` from the marker `start`. Throws WalError on any corruption. With
 * `readOnly`, every file is opened read-only and closed, and a torn tail just ends the log
 * (nothing is repaired or zeroed; `tail` is then unusable).
 */
export async function readLog(
  dir: string,
  segments: SegmentName[],
  start: WalSnapshot,
  fs: WalFs,
  log: Logger,
  readOnly = false,
): Promise<LogContents> {
  let metadata: Uint8Array | undefined;
  let hardState = newHardState();
  const entries: Entry[] = [];
  let crc = 0;
  let lastIndex = 0;
  let match = false;
  let tail: WalFile | undefined;
  let tailOffset = 0;
  try {
    for (let i = 0; i < segments.length; i++) {
      const last = i === segments.length - 1;
      const path = join(dir, (segments[i] as SegmentName).name);
      const keep = last && !readOnly;
      const file = await fs.open(path, keep ? 'r+' : 'r');
      if (keep) tail = file;
      let buf: Uint8Array;
      let scan: SegmentScan;
      try {
        buf = await readWhole(file);
        scan = scanSegment(buf, buf.length, path, crc, last);
      } finally {
        if (!keep) await file.close();
      }
      crc = scan.crc;
      if (keep) {
        tailOffset = scan.end;
        await finishTail(file, path, buf, scan, log);
      }
      if (buf.length - scan.end > COMPACT_SLACK_BYTES) buf = Buffer.from(buf.subarray(0, scan.end));
      for (const rec of scan.records) {
        const data = rec.dataStart < 0 ? undefined : buf.subarray(rec.dataStart, rec.dataEnd);
        switch (rec.type) {
          case RecordType.ENTRY: {
            const e = decodeData(decodeEntry, data, path, rec.offset, 'entry');
            if (e.index > start.index) {
              const up = e.index - start.index - 1;
              if (up > entries.length) {
                throw new WalRecordError(
                  WalErrorCode.SLICE_OUT_OF_RANGE,
                  path,
                  rec.offset,
                  `entry ${e.index} leaves a gap after entry ${start.index + entries.length}`,
                );
              }
              entries.length = up;
              entries.push(e);
            }
            lastIndex = e.index;
            break;
          }
          case RecordType.STATE:
            hardState = decodeData(decodeHardState, data, path, rec.offset, 'hard state');
            break;
          case RecordType.METADATA:
            if (metadata !== undefined && !sameBytes(metadata, data ?? EMPTY)) {
              throw new WalRecordError(
                WalErrorCode.METADATA_CONFLICT,
                path,
                rec.offset,
                'metadata differs from the earlier segments',
              );
            }
            metadata = data === undefined ? undefined : data.slice();
            break;
          case RecordType.SNAPSHOT: {
            const s = decodeData(decodeWalSnapshot, data, path, rec.offset, 'snapshot marker');
            if (s.index === start.index) {
              if (s.term !== start.term) {
                throw new WalRecordError(
                  WalErrorCode.SNAPSHOT_MISMATCH,
                  path,
                  rec.offset,
                  `snapshot marker at index ${s.index} has term ${s.term}, expected ${start.term}`,
                );
              }
              match = true;
            }
            break;
          }
          default:
            // CRC records were checked by the scan.
            break;
        }
      }
    }
    if (!match) {
      throw new WalError(
        WalErrorCode.SNAPSHOT_NOT_FOUND,
        `wal: no snapshot marker {index: ${start.index}, term: ${start.term}} in ${dir}`,
      );
    }
  } catch (e) {
    await tail?.close().catch(() => undefined);
    throw e;
  }
  return {
    metadata,
    hardState,
    entries,
    tail: tail as WalFile,
    tailOffset,
    crc,
    lastIndex,
  };
}

/** Repairs a torn tail, or zeroes whatever follows the last record. */
async function finishTail(
  file: WalFile,
  path: string,
  buf: Uint8Array,
  scan: SegmentScan,
  log: Logger,
): Promise<void> {
  if (scan.stop === 'torn') {
    await truncateTornTail(file, path, buf, scan.end, log);
    return;
  }
  const stale = firstNonZero(buf, scan.end);
  if (stale < 0) return;
  log.warn(
    { path, offset: scan.end, 'first-stale-byte': stale },
    'wal: bytes after the last record (a write cut short by a crash); zeroing them',
  );
  await writeZeros(file, scan.end, buf.length);
  await file.datasync();
}

/**
 * etcd's repair of a torn tail: keep the segment as it was in `<segment>.broken`, truncate it to
 * `end` (just after the last whole record) and sync it.
 */
export async function truncateTornTail(
  file: WalFile,
  path: string,
  buf: Uint8Array,
  end: number,
  log: Logger,
): Promise<void> {
  const broken = `${path}.broken`;
  log.warn(
    { path, offset: end, 'broken-copy': broken },
    'wal: torn write at the tail of the last segment; truncating to the last whole record',
  );
  await writeFile(broken, buf, { mode: 0o600 });
  await file.truncate(end);
  await file.sync();
}

function decodeData<T>(
  decode: (b: Uint8Array) => T,
  data: Uint8Array | undefined,
  file: string,
  offset: number,
  what: string,
): T {
  try {
    return decode(data ?? EMPTY);
  } catch (cause) {
    throw new WalRecordError(WalErrorCode.CORRUPT, file, offset, `undecodable ${what}`, { cause });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
