/**
 * etcd's `walpb` messages, byte for byte as gogoproto writes them (wal/walpb/record.pb.go, 3.4):
 * `Record { type int64 = 1; crc uint32 = 2; data bytes = 3 }` always writes type and crc (both
 * non-nullable, even when zero) and writes data only when non-nil; `Snapshot { index = 1; term =
 * 2 }` always writes both fields (3.4's walpb.Snapshot has no conf_state; 3.5 added it as field 3,
 * which a 3.4 reader skips as unknown).
 */
import { ProtoReader, sizeU53, writeU53 } from '../raftpb/index.js';

/** Record kinds, as etcd numbers them (wal.go: `metadataType int64 = iota + 1` …). */
export const RecordType = {
  METADATA: 1,
  ENTRY: 2,
  STATE: 3,
  CRC: 4,
  SNAPSHOT: 5,
} as const;

/** One of the record kinds. */
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The snapshot marker stored in the WAL: which snapshot a restart begins from. */
export interface WalSnapshot {
  index: number;
  term: number;
}

/** A decoded record; `data` is a view into the decoded buffer, `undefined` when absent. */
export interface WalRecord {
  type: number;
  crc: number;
  data: Uint8Array | undefined;
}

/** Encoded size of a walpb.Snapshot. */
export function walSnapshotSize(s: WalSnapshot): number {
  return 2 + sizeU53(s.index, 'walpb.Snapshot.index') + sizeU53(s.term, 'walpb.Snapshot.term');
}

/** Writes a walpb.Snapshot at `pos`; returns the end. */
export function writeWalSnapshot(buf: Uint8Array, pos: number, s: WalSnapshot): number {
  buf[pos++] = 0x08;
  pos = writeU53(buf, pos, s.index);
  buf[pos++] = 0x10;
  return writeU53(buf, pos, s.term);
}

/** The bytes of a walpb.Snapshot. */
export function encodeWalSnapshot(s: WalSnapshot): Uint8Array {
  const out = new Uint8Array(walSnapshotSize(s));
  writeWalSnapshot(out, 0, s);
  return out;
}

/** Decodes a walpb.Snapshot; unknown fields (3.5's conf_state) are skipped. Throws on bad bytes. */
export function decodeWalSnapshot(bytes: Uint8Array): WalSnapshot {
  const r = new ProtoReader(bytes);
  const s: WalSnapshot = { index: 0, term: 0 };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('walpb.Snapshot');
    if (tag === 0x08) s.index = r.u53('walpb.Snapshot.index');
    else if (tag === 0x10) s.term = r.u53('walpb.Snapshot.term');
    else r.skip(start, tag);
  }
  return s;
}

/** Encoded size of a walpb.Record holding `dataLen` bytes (`undefined`: no data field). */
export function recordSize(type: number, crc: number, dataLen: number | undefined): number {
  return (
    2 +
    sizeU53(type, 'walpb.Record.type') +
    sizeU53(crc, 'walpb.Record.crc') +
    (dataLen === undefined ? 0 : 1 + sizeU53(dataLen, 'walpb.Record.data') + dataLen)
  );
}

/** Encodes a whole walpb.Record (used off the hot path: tests and segment headers). */
export function encodeRecord(rec: WalRecord): Uint8Array {
  const out = new Uint8Array(recordSize(rec.type, rec.crc, rec.data?.length));
  let pos = 0;
  out[pos++] = 0x08;
  pos = writeU53(out, pos, rec.type);
  out[pos++] = 0x10;
  pos = writeU53(out, pos, rec.crc);
  if (rec.data !== undefined) {
    out[pos++] = 0x1a;
    pos = writeU53(out, pos, rec.data.length);
    out.set(rec.data, pos);
  }
  return out;
}

/**
 * Decodes a walpb.Record from `bytes[start, end)`. Throws a RaftpbDecodeError on bad bytes.
 * Like gogo, a repeated field keeps the last value, and unknown fields are skipped.
 */
export function decodeRecord(bytes: Uint8Array, start = 0, end = bytes.length): WalRecord {
  const r = new ProtoReader(bytes, start, end);
  const rec: WalRecord = { type: 0, crc: 0, data: undefined };
  while (r.pos < r.end) {
    const at = r.pos;
    const tag = r.tag('walpb.Record');
    if (tag === 0x08) rec.type = r.u53('walpb.Record.type');
    // Go reads crc into a uint32: higher bits are dropped.
    else if (tag === 0x10) rec.crc = r.u53('walpb.Record.crc') % 0x100000000;
    else if (tag === 0x1a) rec.data = r.bytes();
    else r.skip(at, tag);
  }
  return rec;
}
