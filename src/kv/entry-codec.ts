/**
 * raftwire's kv entry encoding (format version 1; docs/kv.md#entry-encoding). One raft entry holds
 * one operation:
 *
 *   byte 0      format version (1)
 *   byte 1      op: 1 put, 2 delete
 *   byte 2      condition: 0 none, 1 If-Match revision, 2 If-None-Match *, 3 If-Match *
 *   [8 bytes]   the revision, big-endian uint64 (condition 1 only)
 *   uvarint     key length, then the key bytes
 *   rest        the value (put only)
 */
import { KvError, KvErrorCode } from './errors.js';

/** The entry format version this build writes (and the only one it reads). */
export const ENTRY_FORMAT_VERSION = 1;

/** A write's precondition. */
export type Condition =
  | { kind: 'none' }
  /** the key exists and was last written at this revision */
  | { kind: 'revision'; revision: number }
  /** the key does not exist (If-None-Match: *) */
  | { kind: 'absent' }
  /** the key exists (If-Match: *) */
  | { kind: 'exists' };

/** A decoded operation. `key` is a latin1 string (one char per byte); `value` views the entry. */
export type Operation =
  | { op: 'put'; key: string; value: Uint8Array; condition: Condition }
  | { op: 'delete'; key: string; condition: Condition };

const OP_PUT = 1;
const OP_DELETE = 2;
const COND_CODES = { none: 0, revision: 1, absent: 2, exists: 3 } as const;

function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Encodes an operation as entry data. The key is a latin1 string. */
export function encodeOperation(operation: Operation): Uint8Array {
  const keyLen = operation.key.length;
  const value = operation.op === 'put' ? operation.value : undefined;
  const cond = operation.condition;
  const size = 3 + (cond.kind === 'revision' ? 8 : 0) + uvarintSize(keyLen) + keyLen + (value?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = ENTRY_FORMAT_VERSION;
  out[1] = operation.op === 'put' ? OP_PUT : OP_DELETE;
  out[2] = COND_CODES[cond.kind];
  let pos = 3;
  if (cond.kind === 'revision') {
    out.writeBigUInt64BE(BigInt(cond.revision), pos);
    pos += 8;
  }
  let n = keyLen;
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  pos += out.write(operation.key, pos, 'latin1');
  if (value !== undefined) out.set(value, pos);
  return out;
}

function fail(msg: string): never {
  throw new KvError(KvErrorCode.EntryDecode, `kv entry: ${msg}`);
}

/** Decodes entry data; throws KvError RAFTWIRE_KV_ENTRY_DECODE on anything this version does not write. */
export function decodeOperation(data: Uint8Array): Operation {
  if (data.length < 4) fail(`${data.length} bytes is too short`);
  if (data[0] !== ENTRY_FORMAT_VERSION) fail(`unknown format version ${data[0]}`);
  const opCode = data[1];
  const condCode = data[2];
  let pos = 3;
  let condition: Condition;
  switch (condCode) {
    case 0:
      condition = { kind: 'none' };
      break;
    case 1: {
      if (data.length < pos + 8) fail('truncated revision');
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const rev = view.getBigUint64(pos);
      if (rev > BigInt(Number.MAX_SAFE_INTEGER)) fail(`revision ${rev} out of range`);
      condition = { kind: 'revision', revision: Number(rev) };
      pos += 8;
      break;
    }
    case 2:
      condition = { kind: 'absent' };
      break;
    case 3:
      condition = { kind: 'exists' };
      break;
    default:
      fail(`unknown condition ${condCode}`);
  }
  let keyLen = 0;
  let mul = 1;
  for (;;) {
    if (pos >= data.length) fail('truncated key length');
    const b = data[pos++] as number;
    keyLen += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
    if (mul > 2 ** 35) fail('key length overflows');
  }
  if (pos + keyLen > data.length) fail('truncated key');
  const key = Buffer.from(data.buffer, data.byteOffset + pos, keyLen).toString('latin1');
  pos += keyLen;
  if (opCode === OP_PUT) return { op: 'put', key, value: data.subarray(pos), condition };
  if (opCode === OP_DELETE) {
    if (pos !== data.length) fail('trailing bytes after a delete');
    return { op: 'delete', key, condition };
  }
  return fail(`unknown op ${opCode}`);
}
