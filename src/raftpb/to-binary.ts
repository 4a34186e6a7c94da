/**
 * Sizes and encoders, byte-identical with etcd 3.4's gogoproto output (raft.pb.go): fields in
 * field-number order, non-nullable fields always written (zeros included), the empty snapshot
 * inside every Message, repeated uint64 unpacked, unknown fields written back last.
 *
 * The `xSize` functions equal gogo's `Size()`: raft's flow control (MaxSizePerMsg, the
 * uncommitted-size limit) depends on them.
 */

import { RaftpbSizeMismatchError } from './errors.js';
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeV2,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
  SnapshotMetadata,
} from './types.js';
import { allocBytes } from './wire/alloc.js';
import { sizeEnum, sizeLen, sizeU53, sizeU64, writeEnum, writeU53, writeU64 } from './wire/varint.js';

// The empty Snapshot as 3.4 writes it inside every Message: metadata{conf_state{auto_leave:0},
// index:0, term:0}.
const EMPTY_SNAPSHOT = Uint8Array.of(0x12, 0x08, 0x0a, 0x02, 0x28, 0x00, 0x10, 0x00, 0x18, 0x00);

function bytesSize(b: Uint8Array | undefined): number {
  return b === undefined ? 0 : 1 + sizeLen(b.length) + b.length;
}

function writeBytes(buf: Uint8Array, pos: number, tag: number, b: Uint8Array | undefined): number {
  if (b === undefined) return pos;
  buf[pos++] = tag;
  pos = writeU53(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

function writeUnknown(buf: Uint8Array, pos: number, u: Uint8Array | undefined): number {
  if (u === undefined) return pos;
  buf.set(u, pos);
  return pos + u.length;
}

// ---- Entry -------------------------------------------------------------------------------

export function entrySize(e: Entry): number {
  return (
    3 +
    sizeEnum(e.type) +
    sizeU53(e.term, 'Entry.term') +
    sizeU53(e.index, 'Entry.index') +
    bytesSize(e.data) +
    (e.unknown === undefined ? 0 : e.unknown.length)
  );
}

/** Writes `e` at `pos` (the caller made room for `entrySize(e)` bytes); returns the end. */
export function writeEntry(buf: Uint8Array, pos: number, e: Entry): number {
  buf[pos++] = 0x08;
  pos = writeEnum(buf, pos, e.type);
  buf[pos++] = 0x10;
  pos = writeU53(buf, pos, e.term);
  buf[pos++] = 0x18;
  pos = writeU53(buf, pos, e.index);
  pos = writeBytes(buf, pos, 0x22, e.data);
  return writeUnknown(buf, pos, e.unknown);
}

// ---- ConfState, SnapshotMetadata, Snapshot -----------------------------------------------

function idsSize(ids: bigint[], field: string): number {
  let n = 0;
  for (const id of ids) n += 1 + sizeU64(id, field);
  return n;
}

function writeIds(buf: Uint8Array, pos: number, tag: number, ids: bigint[]): number {
  for (const id of ids) {
    buf[pos++] = tag;
    pos = writeU64(buf, pos, id);
  }
  return pos;
}

export function confStateSize(cs: ConfState): number {
  return (
    idsSize(cs.voters, 'ConfState.voters') +
    idsSize(cs.learners, 'ConfState.learners') +
    idsSize(cs.votersOutgoing, 'ConfState.votersOutgoing') +
    idsSize(cs.learnersNext, 'ConfState.learnersNext') +
    2 +
    (cs.unknown === undefined ? 0 : cs.unknown.length)
  );
}

export function writeConfState(buf: Uint8Array, pos: number, cs: ConfState): number {
  pos = writeIds(buf, pos, 0x08, cs.voters);
  pos = writeIds(buf, pos, 0x10, cs.learners);
  pos = writeIds(buf, pos, 0x18, cs.votersOutgoing);
  pos = writeIds(buf, pos, 0x20, cs.learnersNext);
  buf[pos++] = 0x28;
  buf[pos++] = cs.autoLeave ? 1 : 0;
  return writeUnknown(buf, pos, cs.unknown);
}

export function snapshotMetadataSize(md: SnapshotMetadata): number {
  const cs = confStateSize(md.confState);
  return (
    3 +
    sizeLen(cs) +
    cs +
    sizeU53(md.index, 'SnapshotMetadata.index') +
    sizeU53(md.term, 'SnapshotMetadata.term') +
    (md.unknown === undefined ? 0 : md.unknown.length)
  );
}

export function writeSnapshotMetadata(buf: Uint8Array, pos: number, md: SnapshotMetadata): number {
  buf[pos++] = 0x0a;
  pos = writeU53(buf, pos, confStateSize(md.confState));
  pos = writeConfState(buf, pos, md.confState);
  buf[pos++] = 0x10;
  pos = writeU53(buf, pos, md.index);
  buf[pos++] = 0x18;
  pos = writeU53(buf, pos, md.term);
  return writeUnknown(buf, pos, md.unknown);
}

export function snapshotSize(s: Snapshot | undefined): number {
  if (s === undefined) return EMPTY_SNAPSHOT.length;
  const md = snapshotMetadataSize(s.metadata);
  return bytesSize(s.data) + 1 + sizeLen(md) + md + (s.unknown === undefined ? 0 : s.unknown.length);
}

export function writeSnapshot(buf: Uint8Array, pos: number, s: Snapshot | undefined): number {
  if (s === undefined) {
    buf.set(EMPTY_SNAPSHOT, pos);
    return pos + EMPTY_SNAPSHOT.length;
  }
  pos = writeBytes(buf, pos, 0x0a, s.data);
  buf[pos++] = 0x12;
  pos = writeU53(buf, pos, snapshotMetadataSize(s.metadata));
  pos = writeSnapshotMetadata(buf, pos, s.metadata);
  return writeUnknown(buf, pos, s.unknown);
}

// ---- Message -----------------------------------------------------------------------------

export function messageSize(m: Message): number {
  let n =
    // 1-byte tags of type, to, from, term, logTerm, index, commit, snapshot, reject, rejectHint;
    // plus the reject value.
    11 +
    sizeEnum(m.type) +
    sizeU64(m.to, 'Message.to') +
    sizeU64(m.from, 'Message.from') +
    sizeU53(m.term, 'Message.term') +
    sizeU53(m.logTerm, 'Message.logTerm') +
    sizeU53(m.index, 'Message.index') +
    sizeU53(m.commit, 'Message.commit') +
    sizeU53(m.rejectHint, 'Message.rejectHint') +
    bytesSize(m.context);
  const entries = m.entries;
  for (let i = 0; i < entries.length; i++) {
    const es = entrySize(entries[i]!);
    n += 1 + sizeLen(es) + es;
  }
  const ss = snapshotSize(m.snapshot);
  n += sizeLen(ss) + ss;
  if (m.unknown !== undefined) n += m.unknown.length;
  return n;
}

/** Writes `m` at `pos` (the caller made room for `messageSize(m)` bytes); returns the end. */
export function writeMessage(buf: Uint8Array, pos: number, m: Message): number {
  buf[pos++] = 0x08;
  pos = writeEnum(buf, pos, m.type);
  buf[pos++] = 0x10;
  pos = writeU64(buf, pos, m.to);
  buf[pos++] = 0x18;
  pos = writeU64(buf, pos, m.from);
  buf[pos++] = 0x20;
  pos = writeU53(buf, pos, m.term);
  buf[pos++] = 0x28;
  pos = writeU53(buf, pos, m.logTerm);
  buf[pos++] = 0x30;
  pos = writeU53(buf, pos, m.index);
  const entries = m.entries;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    buf[pos++] = 0x3a;
    pos = writeU53(buf, pos, entrySize(e));
    pos = writeEntry(buf, pos, e);
  }
  buf[pos++] = 0x40;
  pos = writeU53(buf, pos, m.commit);
  buf[pos++] = 0x4a;
  pos = writeU53(buf, pos, snapshotSize(m.snapshot));
  pos = writeSnapshot(buf, pos, m.snapshot);
  buf[pos++] = 0x50;
  buf[pos++] = m.reject ? 1 : 0;
  buf[pos++] = 0x58;
  pos = writeU53(buf, pos, m.rejectHint);
  pos = writeBytes(buf, pos, 0x62, m.context);
  return writeUnknown(buf, pos, m.unknown);
}

// ---- HardState, ConfChange, ConfChangeSingle, ConfChangeV2 ------------------------------

export function hardStateSize(hs: HardState): number {
  return (
    3 +
    sizeU53(hs.term, 'HardState.term') +
    sizeU64(hs.vote, 'HardState.vote') +
    sizeU53(hs.commit, 'HardState.commit') +
    (hs.unknown === undefined ? 0 : hs.unknown.length)
  );
}

export function writeHardState(buf: Uint8Array, pos: number, hs: HardState): number {
  buf[pos++] = 0x08;
  pos = writeU53(buf, pos, hs.term);
  buf[pos++] = 0x10;
  pos = writeU64(buf, pos, hs.vote);
  buf[pos++] = 0x18;
  pos = writeU53(buf, pos, hs.commit);
  return writeUnknown(buf, pos, hs.unknown);
}

export function confChangeSize(cc: ConfChange): number {
  return (
    3 +
    sizeU64(cc.id, 'ConfChange.id') +
    sizeEnum(cc.type) +
    sizeU64(cc.nodeId, 'ConfChange.nodeId') +
    bytesSize(cc.context) +
    (cc.unknown === undefined ? 0 : cc.unknown.length)
  );
}

export function writeConfChange(buf: Uint8Array, pos: number, cc: ConfChange): number {
  buf[pos++] = 0x08;
  pos = writeU64(buf, pos, cc.id);
  buf[pos++] = 0x10;
  pos = writeEnum(buf, pos, cc.type);
  buf[pos++] = 0x18;
  pos = writeU64(buf, pos, cc.nodeId);
  pos = writeBytes(buf, pos, 0x22, cc.context);
  return writeUnknown(buf, pos, cc.unknown);
}

export function confChangeSingleSize(c: ConfChangeSingle): number {
  return (
    2 +
    sizeEnum(c.type) +
    sizeU64(c.nodeId, 'ConfChangeSingle.nodeId') +
    (c.unknown === undefined ? 0 : c.unknown.length)
  );
}

export function writeConfChangeSingle(buf: Uint8Array, pos: number, c: ConfChangeSingle): number {
  buf[pos++] = 0x08;
  pos = writeEnum(buf, pos, c.type);
  buf[pos++] = 0x10;
  pos = writeU64(buf, pos, c.nodeId);
  return writeUnknown(buf, pos, c.unknown);
}

export function confChangeV2Size(cc: ConfChangeV2): number {
  let n = 1 + sizeEnum(cc.transition) + bytesSize(cc.context);
  for (const c of cc.changes) {
    const s = confChangeSingleSize(c);
    n += 1 + sizeLen(s) + s;
  }
  return n + (cc.unknown === undefined ? 0 : cc.unknown.length);
}

export function writeConfChangeV2(buf: Uint8Array, pos: number, cc: ConfChangeV2): number {
  buf[pos++] = 0x08;
  pos = writeEnum(buf, pos, cc.transition);
  for (const c of cc.changes) {
    buf[pos++] = 0x12;
    pos = writeU53(buf, pos, confChangeSingleSize(c));
    pos = writeConfChangeSingle(buf, pos, c);
  }
  pos = writeBytes(buf, pos, 0x1a, cc.context);
  return writeUnknown(buf, pos, cc.unknown);
}

// ---- encodeX: size, allocate, write ------------------------------------------------------

/**
 * Encoders return plain Uint8Arrays from `allocBytes` (wire/alloc.ts explains why not `new
 * Uint8Array` nor Buffer.allocUnsafe). Every byte is written by the encoder: the check below and the
 * tests (size() against every encoding) guarantee nothing uninitialised leaks.
 */
function encodeWith<T>(size: (v: T) => number, write: (buf: Uint8Array, pos: number, v: T) => number) {
  return (v: T): Uint8Array => {
    const n = size(v);
    const buf = allocBytes(n);
    const end = write(buf, 0, v);
    if (end !== n) throw new RaftpbSizeMismatchError(end, n);
    return buf;
  };
}

export const encodeEntry: (e: Entry) => Uint8Array = encodeWith(entrySize, writeEntry);
export const encodeMessage: (m: Message) => Uint8Array = encodeWith(messageSize, writeMessage);
export const encodeHardState: (hs: HardState) => Uint8Array = encodeWith(hardStateSize, writeHardState);
export const encodeConfState: (cs: ConfState) => Uint8Array = encodeWith(confStateSize, writeConfState);
export const encodeSnapshotMetadata: (md: SnapshotMetadata) => Uint8Array = encodeWith(
  snapshotMetadataSize,
  writeSnapshotMetadata,
);
export const encodeSnapshot: (s: Snapshot) => Uint8Array = encodeWith(snapshotSize, writeSnapshot);
export const encodeConfChange: (cc: ConfChange) => Uint8Array = encodeWith(confChangeSize, writeConfChange);
export const encodeConfChangeSingle: (c: ConfChangeSingle) => Uint8Array = encodeWith(
  confChangeSingleSize,
  writeConfChangeSingle,
);
export const encodeConfChangeV2: (cc: ConfChangeV2) => Uint8Array = encodeWith(
  confChangeV2Size,
  writeConfChangeV2,
);
