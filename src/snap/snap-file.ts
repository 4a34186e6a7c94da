/**
 * The bytes of a `.snap` file: a `snappb.Snapshot { crc = 1 (uint32), data = 2 (bytes) }` whose
 * `data` is the marshalled `raftpb.Snapshot` and whose `crc` is the CRC-32C of `data`.
 *
 * Byte-exact with etcd 3.4's gogoproto output (snap.pb.go): `crc` is always written (tag 0x08),
 * `data` only when non-nil (tag 0x12), nothing else. The decoder accepts what gogo accepts:
 * fields in any order, unknown fields skipped, the CRC varint truncated to its low 32 bits.
 */

import { crc32c } from '../crc32c/index.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  ProtoReader,
  type Snapshot,
  sizeLen,
  writeU53,
} from '../raftpb/index.js';
import { SnapFileError } from './errors.js';

const TAG_CRC = 0x08;
const TAG_DATA = 0x12;

/** The `snappb.Snapshot` framing of already-marshalled bytes with their CRC. */
export function encodeSnapRecord(crc: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + sizeLen(crc) + 1 + sizeLen(data.length) + data.length);
  out[0] = TAG_CRC;
  let pos = writeU53(out, 1, crc >>> 0);
  out[pos++] = TAG_DATA;
  pos = writeU53(out, pos, data.length);
  out.set(data, pos);
  return out;
}

/** The whole content of the `.snap` file etcd writes for `snapshot`. */
export function encodeSnapFile(snapshot: Snapshot): Uint8Array {
  const data = encodeSnapshot(snapshot);
  return encodeSnapRecord(crc32c(data), data);
}

/** The `snappb.Snapshot` fields of a buffer; `data` is a view, undefined when absent. */
export interface SnapRecord {
  crc: number;
  data: Uint8Array | undefined;
}

/** Decodes the `snappb.Snapshot` framing; `path` names the file in errors. */
export function decodeSnapRecord(buf: Uint8Array, path: string): SnapRecord {
  const r = new ProtoReader(buf);
  let crc = 0;
  let data: Uint8Array | undefined;
  try {
    while (r.pos < r.end) {
      const start = r.pos;
      const tag = r.tag('snapshot');
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if (field === 1) {
        if (wireType !== 0) r.wrongWireType(start, wireType, 'Crc');
        crc = r.enum() >>> 0;
      } else if (field === 2) {
        if (wireType !== 2) r.wrongWireType(start, wireType, 'Data');
        data = r.bytes();
      } else {
        r.skip(start, tag);
      }
    }
  } catch (cause) {
    throw new SnapFileError('corrupt', path, 'failed to unmarshal snappb.Snapshot', { cause });
  }
  return { crc, data };
}

/**
 * Reads a `.snap` file's bytes into a raft snapshot, applying etcd's checks in etcd's order:
 * no bytes → `empty`; bad framing → `corrupt`; no data or a zero CRC → `empty`; CRC mismatch →
 * `crc-mismatch`; bad `raftpb.Snapshot` → `corrupt`. The snapshot's `data` is a view of `buf`.
 */
export function decodeSnapFile(buf: Uint8Array, path: string): Snapshot {
  if (buf.length === 0) throw new SnapFileError('empty', path, 'unexpected empty snapshot file');
  const { crc, data } = decodeSnapRecord(buf, path);
  if (data === undefined || data.length === 0 || crc === 0) {
    throw new SnapFileError('empty', path, 'unexpected empty snapshot data');
  }
  const actual = crc32c(data);
  if (actual !== crc) {
    throw new SnapFileError(
      'crc-mismatch',
      path,
      `crc mismatch (file says ${crc.toString(16).padStart(8, '0')}, data has ${actual.toString(16).padStart(8, '0')})`,
    );
  }
  try {
    return decodeSnapshot(data);
  } catch (cause) {
    throw new SnapFileError('corrupt', path, 'failed to unmarshal raftpb.Snapshot', { cause });
  }
}
