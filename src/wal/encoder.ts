/**
 * Encodes records into a caller-provided buffer, frame by frame, carrying the rolling CRC-32C
 * chain: each record's crc is the chain continued over its data (etcd's encoder.encode). A whole
 * batch goes into one buffer, written with one write call.
 */

import { crc32cUpdate } from '../crc32c/index.js';
import type { Entry, HardState } from '../raftpb/index.js';
import { sizeLen, sizeU53, writeEntry, writeHardState, writeU53 } from '../raftpb/index.js';
import { FRAME_HEADER_BYTES, writeFrameHeader } from './framing.js';
import type { WalSnapshot } from './walpb.js';
import { RecordType, writeWalSnapshot } from './walpb.js';

/** Longest varint of a uint32 crc. */
const MAX_CRC_VARINT = 5;

/**
 * Upper bound of a framed record's size for `dataLen` data bytes (`undefined`: no data field):
 * length word, tags, type, the longest crc varint, data length, data, and the longest padding.
 */
export function maxFrameBytes(dataLen: number | undefined): number {
  const body = 3 + MAX_CRC_VARINT + (dataLen === undefined ? 0 : 1 + sizeLen(dataLen) + dataLen);
  return FRAME_HEADER_BYTES + body + 7;
}

/** Writes framed walpb records with the CRC chain; `crc` is the chain's current value. */
export class RecordEncoder {
  /** The chain's value after the last record written (Go's `encoder.crc.Sum32()`). */
  crc: number;

  constructor(prevCrc: number) {
    this.crc = prevCrc;
  }

  /** An entry record; `size` is `entrySize(e)`. Returns the end offset. */
  entry(buf: Uint8Array, pos: number, e: Entry, size: number): number {
    const at = dataStart(pos, size);
    writeEntry(buf, at, e);
    return this.finish(buf, pos, RecordType.ENTRY, at, size);
  }

  /** A hard-state record; `size` is `hardStateSize(hs)`. */
  state(buf: Uint8Array, pos: number, hs: HardState, size: number): number {
    const at = dataStart(pos, size);
    writeHardState(buf, at, hs);
    return this.finish(buf, pos, RecordType.STATE, at, size);
  }

  /** A snapshot-marker record; `size` is `walSnapshotSize(s)`. */
  snapshot(buf: Uint8Array, pos: number, s: WalSnapshot, size: number): number {
    const at = dataStart(pos, size);
    writeWalSnapshot(buf, at, s);
    return this.finish(buf, pos, RecordType.SNAPSHOT, at, size);
  }

  /** A metadata record; `undefined` metadata writes no data field (Go's nil slice). */
  metadata(buf: Uint8Array, pos: number, metadata: Uint8Array | undefined): number {
    if (metadata === undefined) return this.noData(buf, pos, RecordType.METADATA);
    const at = dataStart(pos, metadata.length);
    buf.set(metadata, at);
    return this.finish(buf, pos, RecordType.METADATA, at, metadata.length);
  }

  /** The crc record that opens a segment, carrying the chain's value so far. */
  crcRecord(buf: Uint8Array, pos: number): number {
    return this.noData(buf, pos, RecordType.CRC);
  }

  private noData(buf: Uint8Array, pos: number, type: number): number {
    const recordBytes = 3 + sizeU53(this.crc, 'crc');
    const pad = writeFrameHeader(buf, pos, recordBytes);
    let p = pos + FRAME_HEADER_BYTES;
    buf[p++] = 0x08;
    buf[p++] = type;
    buf[p++] = 0x10;
    p = writeU53(buf, p, this.crc);
    buf.fill(0, p, p + pad);
    return p + pad;
  }

  /**
   * The data was written at `at`, assuming the longest crc varint; continue the chain over it,
   * then write the header, moving the data down when the crc's varint is shorter.
   */
  private finish(buf: Uint8Array, pos: number, type: number, at: number, len: number): number {
    const crc = crc32cUpdate(this.crc, buf, at, at + len);
    this.crc = crc;
    const crcLen = sizeU53(crc, 'crc');
    let from = at;
    if (crcLen < MAX_CRC_VARINT) {
      from = at - (MAX_CRC_VARINT - crcLen);
      buf.copyWithin(from, at, at + len);
    }
    const recordBytes = from + len - (pos + FRAME_HEADER_BYTES);
    const pad = writeFrameHeader(buf, pos, recordBytes);
    let p = pos + FRAME_HEADER_BYTES;
    buf[p++] = 0x08;
    buf[p++] = type;
    buf[p++] = 0x10;
    p = writeU53(buf, p, crc);
    buf[p++] = 0x1a;
    writeU53(buf, p, len);
    const end = from + len;
    buf.fill(0, end, end + pad);
    return end + pad;
  }
}

/** Where a record's data starts when the crc varint takes its longest form. */
function dataStart(pos: number, dataLen: number): number {
  return pos + FRAME_HEADER_BYTES + 4 + MAX_CRC_VARINT + sizeLen(dataLen);
}
