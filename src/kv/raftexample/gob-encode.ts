/**
 * The gob bytes of raftexample's proposals, exactly as a fresh Go `gob.Encoder` writes
 * `kv{Key, Val string}`: the constant type-definition message, then one value message.
 * See ../shared/reference/raftexample.md ("The gob payload") and docs/interop.md.
 */

/**
 * The 33-byte type-definition message every raftexample entry starts with: type id 65 is a
 * struct named `kv` with string fields `Key` and `Val`.
 */
export const KV_TYPE_DEFINITION: Uint8Array = Uint8Array.from([
  0x20, 0xff, 0x81, 0x03, 0x01, 0x01, 0x02, 0x6b, 0x76, 0x01, 0xff, 0x82, 0x00, 0x01, 0x02, 0x01, 0x03, 0x4b,
  0x65, 0x79, 0x01, 0x0c, 0x00, 0x01, 0x03, 0x56, 0x61, 0x6c, 0x01, 0x0c, 0x00, 0x00, 0x00,
]);

/** Bytes gob's unsigned integer form takes for `n` (a length: below 2^53). */
function uintSize(n: number): number {
  if (n < 0x80) return 1;
  let bytes = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes++;
  return 1 + bytes;
}

/** Writes gob's unsigned integer form of `n` at `pos`; returns the position after it. */
function writeUint(out: Uint8Array, pos: number, n: number): number {
  if (n < 0x80) {
    out[pos] = n;
    return pos + 1;
  }
  const size = uintSize(n) - 1;
  out[pos] = 256 - size;
  let v = n;
  for (let i = size; i >= 1; i--) {
    out[pos + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return pos + 1 + size;
}

/**
 * raftexample's entry data for `PUT key` with body `val`: byte-identical to what a Go
 * raftexample member proposes (`gob.NewEncoder(&buf).Encode(kv{key, val})`). Empty strings are
 * omitted as gob omits zero values; an empty key makes Val's field delta 2.
 */
export function encodeKvEntry(key: Uint8Array, val: Uint8Array): Uint8Array {
  let body = 2 + 1; // type id 65 (ff 82), struct terminator
  if (key.length > 0) body += 1 + uintSize(key.length) + key.length;
  if (val.length > 0) body += 1 + uintSize(val.length) + val.length;
  const out = new Uint8Array(KV_TYPE_DEFINITION.length + uintSize(body) + body);
  out.set(KV_TYPE_DEFINITION, 0);
  let pos = writeUint(out, KV_TYPE_DEFINITION.length, body);
  out[pos++] = 0xff;
  out[pos++] = 0x82;
  if (key.length > 0) {
    out[pos++] = 1;
    pos = writeUint(out, pos, key.length);
    out.set(key, pos);
    pos += key.length;
  }
  if (val.length > 0) {
    out[pos++] = key.length > 0 ? 1 : 2;
    pos = writeUint(out, pos, val.length);
    out.set(val, pos);
    pos += val.length;
  }
  out[pos] = 0;
  return out;
}
