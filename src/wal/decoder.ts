/**
 * Scans one segment's bytes: frames, walpb records and the CRC chain, with etcd's rules for where
 * the data ends (wal/decoder.go, and the crc-record check of wal.go's ReadAll):
 * - an all-zero length word, or the end of the file, ends the segment's data;
 * - a record that runs past the end of the file, or that fails to decode or to match the chain
 *   while one of its sector-sized pieces is all zeros, is a torn write: allowed only in the last
 *   segment, where it marks the end of the log (the caller repairs it);
 * - any other CRC mismatch, undecodable record, oversized record or unknown record type is a hard
 *   error naming the file and the offset.
 */
import { crc32cUpdate } from '../crc32c/index.js';
import { WalErrorCode, WalRecordError } from './errors.js';
import { FRAME_HEADER_BYTES, isTornBody, MAX_RECORD_BYTES, readFrameHeader } from './framing.js';
import { decodeRecord, RecordType, type WalRecord } from './walpb.js';

/** A record found by the scan; its data is `buf[dataStart, dataEnd)` (`dataStart` -1: none). */
export interface ScannedRecord {
  type: number;
  crc: number;
  dataStart: number;
  dataEnd: number;
  /** File offset of the record's length word. */
  offset: number;
}

/** How the segment's data ended. */
export type SegmentStop = 'eof' | 'zero' | 'torn';

/** The outcome of scanning one segment. */
export interface SegmentScan {
  records: ScannedRecord[];
  /** Offset just after the last valid record (etcd's `lastValidOff`). */
  end: number;
  /** The CRC chain's value after the last valid record. */
  crc: number;
  stop: SegmentStop;
}

/**
 * Scans `buf[0, length)`, the bytes of segment `file`, continuing the CRC chain from `crc`.
 * `last` says whether this is the last segment (the only one where a torn write is expected).
 */
export function scanSegment(
  buf: Uint8Array,
  length: number,
  file: string,
  crc: number,
  last: boolean,
): SegmentScan {
  const records: ScannedRecord[] = [];
  let off = 0;
  const torn = (): SegmentScan => ({ records, end: off, crc, stop: 'torn' });
  for (;;) {
    if (off + FRAME_HEADER_BYTES > length) {
      if (off === length) return { records, end: off, crc, stop: 'eof' };
      if (last) return torn();
      throw new WalRecordError(WalErrorCode.CORRUPT, file, off, 'segment ends inside a length word');
    }
    const h = readFrameHeader(buf, off);
    if (h.zero) return { records, end: off, crc, stop: 'zero' };
    if (h.recordBytes >= MAX_RECORD_BYTES - h.padBytes) {
      throw new WalRecordError(
        WalErrorCode.RECORD_TOO_LARGE,
        file,
        off,
        `record length ${h.recordBytes} is at or above the ${MAX_RECORD_BYTES}-byte limit`,
      );
    }
    const bodyStart = off + FRAME_HEADER_BYTES;
    const recEnd = bodyStart + h.recordBytes;
    const bodyEnd = recEnd + h.padBytes;
    if (bodyEnd > length) {
      if (last) return torn();
      throw new WalRecordError(WalErrorCode.CORRUPT, file, off, 'segment ends inside a record');
    }
    let rec: WalRecord;
    try {
      rec = decodeRecord(buf, bodyStart, recEnd);
    } catch (cause) {
      if (last && isTornBody(buf, bodyStart, bodyEnd, bodyStart)) return torn();
      throw new WalRecordError(WalErrorCode.CORRUPT, file, off, 'undecodable record', { cause });
    }
    let dataStart = -1;
    let dataEnd = -1;
    if (rec.data !== undefined) {
      dataStart = rec.data.byteOffset - buf.byteOffset;
      dataEnd = dataStart + rec.data.length;
    }
    if (rec.type === RecordType.CRC) {
      // A segment's crc record carries the chain's value at the end of the previous segment.
      // A zero chain means this is the first segment read, which starts the chain afresh.
      if (crc !== 0 && rec.crc !== crc) {
        throw new WalRecordError(
          WalErrorCode.CRC_MISMATCH,
          file,
          off,
          `crc record holds ${hex(rec.crc)} but the chain is at ${hex(crc)}`,
        );
      }
      crc = rec.crc;
    } else {
      const next = rec.data === undefined ? crc : crc32cUpdate(crc, buf, dataStart, dataEnd);
      if (rec.crc !== next) {
        if (last && isTornBody(buf, bodyStart, bodyEnd, bodyStart)) return torn();
        throw new WalRecordError(
          WalErrorCode.CRC_MISMATCH,
          file,
          off,
          `crc mismatch: record holds ${hex(rec.crc)}, data gives ${hex(next)}`,
        );
      }
      crc = next;
      if (rec.type < RecordType.METADATA || rec.type > RecordType.SNAPSHOT) {
        throw new WalRecordError(WalErrorCode.CORRUPT, file, off, `unexpected record type ${rec.type}`);
      }
    }
    records.push({ type: rec.type, crc: rec.crc, dataStart, dataEnd, offset: off });
    off = bodyEnd;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
