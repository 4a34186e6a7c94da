/**
 * Base-128 varints (LEB128) as protobuf writes them, for `number` values up to 2^53-1 and for
 * `bigint` values up to 2^64-1. Hand-written: this is the codec's hot path (see libraries.md in
 * the shared reference: 4-5x faster than any protobuf library on Node 20).
 */
import { RaftpbRangeError } from '../errors.js';

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
export const MAX_U64 = (1n << 64n) - 1n;

/** Size of a varint holding `n`, which must be a safe non-negative integer (checked). */
export function sizeU53(n: number, field: string): number {
  if (n < 0x80 && n >= 0 && (n | 0) === n) return 1;
  if (!Number.isSafeInteger(n) || n < 0) throw new RaftpbRangeError(field, n);
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  if (n < 0x800000000) return 5;
  if (n < 0x40000000000) return 6;
  if (n < 0x2000000000000) return 7;
  return 8;
}

// Node IDs above 2^53 (etcd member IDs are random 64-bit values) need bigint arithmetic to encode,
// which allocates. IDs repeat (a handful of peers), so the varint bytes of the last few large IDs
// are kept; a hit costs one bigint comparison and a copy of at most 10 bytes.
const ID_CACHE_SIZE = 8;
const cachedIds: bigint[] = new Array<bigint>(ID_CACHE_SIZE).fill(-1n);
const cachedVarints: Uint8Array[] = Array.from({ length: ID_CACHE_SIZE }, () => new Uint8Array(0));
let cacheNext = 0;

/** The varint bytes of a uint64 above 2^53-1 (checked), from the cache when possible. */
function largeVarint(v: bigint, field: string): Uint8Array {
  // Validate first: the cache's empty slots hold -1n, which must never match.
  if (v < 0n || v > MAX_U64) throw new RaftpbRangeError(field, v);
  for (let i = 0; i < ID_CACHE_SIZE; i++) if (cachedIds[i] === v) return cachedVarints[i]!;
  const bytes: number[] = [];
  let rest = v;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  const encoded = Uint8Array.from(bytes);
  cachedIds[cacheNext] = v;
  cachedVarints[cacheNext] = encoded;
  cacheNext = (cacheNext + 1) % ID_CACHE_SIZE;
  return encoded;
}

/**
 * If the bytes at `pos` are the canonical varint of a cached large ID, returns the cache slot
 * (the decoder's fast path for repeated node IDs); -1 otherwise.
 */
export function cachedIdAt(buf: Uint8Array, pos: number, end: number): number {
  slots: for (let i = 0; i < ID_CACHE_SIZE; i++) {
    const enc = cachedVarints[i]!;
    const n = enc.length;
    if (n === 0 || pos + n > end) continue;
    for (let k = 0; k < n; k++) if (buf[pos + k] !== enc[k]) continue slots;
    return i;
  }
  return -1;
}

/** The ID and encoded length in cache slot `i` (from `cachedIdAt`). */
export const cachedId = (i: number): bigint => cachedIds[i]!;
export const cachedIdLength = (i: number): number => cachedVarints[i]!.length;

/** Remembers a decoded large ID so the next occurrence takes the fast path. */
export function rememberId(v: bigint): void {
  largeVarint(v, 'uint64');
}

/** Size of a varint holding a uint64 bigint (checked to be in range). */
export function sizeU64(v: bigint, field: string): number {
  if (v <= MAX_SAFE_BIG && v >= 0n) return sizeU53(Number(v), field);
  return largeVarint(v, field).length;
}

/** Size of an int32 enum varint: negative values are sign-extended to 10 bytes, as Go does. */
export function sizeEnum(v: number): number {
  if (v >= 0 && v < 0x80) return 1;
  if (v < 0) return 10;
  return sizeU53(v, 'enum');
}

/** Unchecked size of a non-negative safe integer (lengths computed by the codec itself). */
export function sizeLen(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  return sizeU53(n, 'length');
}

/** Writes `n` (a safe non-negative integer) at `pos`; returns the position after it. */
export function writeU53(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = n >= 0x100000000 ? Math.floor(n / 128) : n >>> 7;
  }
  buf[pos++] = n;
  return pos;
}

export function writeU64(buf: Uint8Array, pos: number, v: bigint): number {
  if (v <= MAX_SAFE_BIG) return writeU53(buf, pos, Number(v));
  const bytes = largeVarint(v, 'uint64');
  for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
  return pos;
}

export function writeEnum(buf: Uint8Array, pos: number, v: number): number {
  if (v >= 0) return writeU53(buf, pos, v);
  return writeU64(buf, pos, BigInt.asUintN(64, BigInt(v)));
}
