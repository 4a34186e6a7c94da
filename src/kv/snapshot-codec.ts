/**
 * raftwire's kv snapshot encoding (format version 1; docs/kv.md#snapshot-encoding), written and read
 * as a stream of chunks so a large state never has to sit whole in one buffer:
 *
 *   "RWKV"      4-byte magic
 *   byte        format version (1)
 *   8 bytes     the applied index the image is at, big-endian uint64
 *   records     per key, in byte order: 0x01, uvarint key length, key, uvarint revision,
 *               uvarint value length, value
 *   0x00        end of records, then 8 bytes record count (BE uint64) and 4 bytes CRC-32 (BE) of
 *               every byte before the CRC
 */
import { crc32 } from 'node:zlib';
import { KvError, KvErrorCode } from './errors.js';

/** The snapshot format version this build writes (and the only one it reads). */
export const SNAPSHOT_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('RWKV', 'latin1');
const CHUNK_BYTES = 64 * 1024;

/** One key's state in a snapshot image. */
export interface SnapshotRecord {
  key: string;
  value: Uint8Array;
  revision: number;
}

function writeUvarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/**
 * Encodes an image in chunks of about 64 KiB. `records` must already be a consistent copy (the
 * caller captures it between applies); it is read lazily as the consumer pulls chunks.
 */
export async function* encodeSnapshot(
  appliedIndex: number,
  records: Iterable<SnapshotRecord>,
): AsyncGenerator<Uint8Array> {
  let crc = 0;
  let count = 0;
  const head = Buffer.alloc(13);
  MAGIC.copy(head, 0);
  head[4] = SNAPSHOT_FORMAT_VERSION;
  head.writeBigUInt64BE(BigInt(appliedIndex), 5);
  let parts: Uint8Array[] = [head];
  let size = head.length;
  const flush = (): Uint8Array => {
    const chunk = Buffer.concat(parts, size);
    crc = crc32(chunk, crc);
    parts = [];
    size = 0;
    return chunk;
  };
  for (const r of records) {
    const hdr: number[] = [1];
    writeUvarint(hdr, r.key.length);
    const keyAt = hdr.length;
    const tail: number[] = [];
    writeUvarint(tail, r.revision);
    writeUvarint(tail, r.value.length);
    const rec = Buffer.allocUnsafe(keyAt + r.key.length + tail.length);
    rec.set(hdr, 0);
    rec.write(r.key, keyAt, 'latin1');
    rec.set(tail, keyAt + r.key.length);
    parts.push(rec, r.value);
    size += rec.length + r.value.length;
    count++;
    if (size >= CHUNK_BYTES) yield flush();
  }
  const end = Buffer.alloc(9);
  end[0] = 0;
  end.writeBigUInt64BE(BigInt(count), 1);
  parts.push(end);
  size += end.length;
  const last = flush();
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc >>> 0, 0);
  yield Buffer.concat([last, trailer]);
}

function fail(msg: string): never {
  throw new KvError(KvErrorCode.SnapshotDecode, `kv snapshot: ${msg}`);
}

/** A decoded image: its applied index and its records (keys in the order written). */
export interface DecodedSnapshot {
  appliedIndex: number;
  records: SnapshotRecord[];
}

/**
 * Decodes an image from a stream of chunks, checking framing, count and CRC; throws KvError
 * RAFTWIRE_KV_SNAPSHOT_DECODE on any defect (nothing is returned from a bad image).
 */
export async function decodeSnapshot(image: AsyncIterable<Uint8Array>): Promise<DecodedSnapshot> {
  let buf = Buffer.alloc(0);
  let pos = 0;
  let crc = 0;
  let appliedIndex = -1;
  let ended = false;
  let count = 0;
  const records: SnapshotRecord[] = [];

  // Reads a uvarint at `p` in buf; returns [value, next] or undefined when more bytes are needed.
  const uvarint = (p: number): [number, number] | undefined => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= buf.length) return undefined;
      const b = buf[p++] as number;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return [v, p];
      mul *= 128;
      if (mul > 2 ** 49) fail('varint overflows');
    }
  };

  const parse = (): void => {
    if (appliedIndex < 0) {
      if (buf.length - pos < 13) return;
      if (!buf.subarray(0, 4).equals(MAGIC)) fail('bad magic (not a raftwire kv snapshot)');
      if (buf[4] !== SNAPSHOT_FORMAT_VERSION) fail(`unknown format version ${buf[4]}`);
      const idx = buf.readBigUInt64BE(5);
      if (idx > BigInt(Number.MAX_SAFE_INTEGER)) fail('applied index out of range');
      appliedIndex = Number(idx);
      pos = 13;
    }
    while (!ended && pos < buf.length) {
      const tag = buf[pos];
      if (tag === 0) {
        if (buf.length - pos < 9) return;
        const n = buf.readBigUInt64BE(pos + 1);
        if (n !== BigInt(count)) fail(`record count ${n} but ${count} records read`);
        pos += 9;
        ended = true;
        return;
      }
      if (tag !== 1) fail(`bad record tag ${tag}`);
      const kl = uvarint(pos + 1);
      if (kl === undefined) return;
      const [keyLen, keyAt] = kl;
      if (keyAt + keyLen > buf.length) return;
      const rv = uvarint(keyAt + keyLen);
      if (rv === undefined) return;
      const vl = uvarint(rv[1]);
      if (vl === undefined) return;
      const [valueLen, valueAt] = vl;
      if (valueAt + valueLen > buf.length) return;
      records.push({
        key: buf.toString('latin1', keyAt, keyAt + keyLen),
        revision: rv[0],
        value: Buffer.from(buf.subarray(valueAt, valueAt + valueLen)),
      });
      count++;
      pos = valueAt + valueLen;
    }
  };

  for await (const chunk of image) {
    const rest = buf.subarray(pos);
    // Everything before `pos` is parsed: fold it into the CRC and drop it.
    if (pos > 0) crc = crc32(buf.subarray(0, pos), crc);
    buf = rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([rest, chunk]);
    pos = 0;
    parse();
  }
  if (!ended) fail('truncated (no end marker)');
  crc = crc32(buf.subarray(0, pos), crc);
  const trailer = buf.subarray(pos);
  if (trailer.length !== 4) fail(`expected a 4-byte CRC after the end marker, got ${trailer.length} bytes`);
  if (trailer.readUInt32BE(0) !== crc >>> 0) fail('CRC mismatch');
  return { appliedIndex, records };
}
