/**
 * raftexample's snapshot data: `json.Marshal(map[string]string)` and `json.Unmarshal` into a
 * `map[string]string`, reproduced byte for byte from Go 1.19's encoding/json.
 *
 * Keys and values are byte strings. The store is a `Map` keyed by the key's bytes as a latin1
 * ("binary") string, one code unit per byte, so string order is byte order, which is Go's key
 * order. Encoding is lossy exactly as Go's is: a byte that is not part of valid UTF-8 becomes the
 * six characters `\ufffd`, so two keys differing only in invalid bytes come out with the same JSON
 * name (both are written, in byte order; decoding keeps the last, as Go does).
 */
import { RaftexampleSnapshotError } from './errors.js';
import { validRuneWidth } from './go-utf8.js';

/** A raftexample key-value map: latin1 string of the key bytes → value bytes. */
export type KvMap = Map<string, Uint8Array>;

/** Key bytes → the Map key used by {@link KvMap}. */
export function kvMapKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** The Map key of a {@link KvMap} → key bytes. */
export function kvMapKeyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

class ByteWriter {
  buf = new Uint8Array(1024);
  len = 0;

  private grow(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.grow(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  ascii(s: string): void {
    this.grow(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const HEX = '0123456789abcdef';

/** True for the ASCII bytes Go writes unescaped with HTML escaping on (its `htmlSafeSet`). */
function htmlSafe(b: number): boolean {
  return b >= 0x20 && b !== 0x22 && b !== 0x5c && b !== 0x3c && b !== 0x3e && b !== 0x26;
}

/** Go's encodeState.stringBytes(s, escapeHTML=true). */
function writeGoString(w: ByteWriter, s: Uint8Array): void {
  w.byte(0x22);
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const b = s[i] as number;
    if (b < 0x80) {
      if (htmlSafe(b)) {
        i++;
        continue;
      }
      w.bytes(s.subarray(start, i));
      if (b === 0x5c || b === 0x22) {
        w.byte(0x5c);
        w.byte(b);
      } else if (b === 0x0a) w.ascii('\\n');
      else if (b === 0x0d) w.ascii('\\r');
      else if (b === 0x09) w.ascii('\\t');
      else w.ascii(`\\u00${HEX[b >> 4]}${HEX[b & 0xf]}`);
      i++;
      start = i;
      continue;
    }
    const width = validRuneWidth(s, i);
    if (width === 0) {
      w.bytes(s.subarray(start, i));
      w.ascii('\\ufffd');
      i++;
      start = i;
      continue;
    }
    // U+2028 and U+2029 (e2 80 a8 / e2 80 a9) are escaped for JSONP.
    if (width === 3 && b === 0xe2 && s[i + 1] === 0x80 && ((s[i + 2] as number) & 0xfe) === 0xa8) {
      w.bytes(s.subarray(start, i));
      w.ascii(s[i + 2] === 0xa8 ? '\\u2028' : '\\u2029');
      i += 3;
      start = i;
      continue;
    }
    i += width;
  }
  w.bytes(s.subarray(start));
  w.byte(0x22);
}

/**
 * `json.Marshal` of the map, as raftexample's getSnapshot produces it: keys in byte order, Go's
 * HTML-safe escaping, invalid UTF-8 as `\ufffd`. An empty map gives `{}` (never `null`: a Go member
 * loading `null` gets a nil map and panics on its next write).
 */
export function encodeSnapshotJson(map: KvMap): Uint8Array {
  const keys = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const w = new ByteWriter();
  w.byte(0x7b);
  let first = true;
  for (const k of keys) {
    if (!first) w.byte(0x2c);
    first = false;
    writeGoString(w, kvMapKeyBytes(k));
    w.byte(0x3a);
    writeGoString(w, map.get(k) as Uint8Array);
  }
  w.byte(0x7d);
  return w.result();
}

/** The result of decoding: the map, and whether Go would have produced a nil map (`null`). */
export interface DecodedSnapshotJson {
  map: KvMap;
  /** The JSON was `null`: Go's Unmarshal leaves a nil map (raftexample would panic on its next write). */
  wasNull: boolean;
}

const isWs = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function writeRune(w: ByteWriter, r: number): void {
  if (r < 0x80) w.byte(r);
  else if (r < 0x800) {
    w.byte(0xc0 | (r >> 6));
    w.byte(0x80 | (r & 0x3f));
  } else if (r < 0x10000) {
    w.byte(0xe0 | (r >> 12));
    w.byte(0x80 | ((r >> 6) & 0x3f));
    w.byte(0x80 | (r & 0x3f));
  } else {
    w.byte(0xf0 | (r >> 18));
    w.byte(0x80 | ((r >> 12) & 0x3f));
    w.byte(0x80 | ((r >> 6) & 0x3f));
    w.byte(0x80 | (r & 0x3f));
  }
}

/** Strict parser of `null` or an object of string (or null) values, Go's grammar and unquoting. */
class Parser {
  pos = 0;
  constructor(private readonly s: Uint8Array) {}

  fail(what: string): never {
    throw new RaftexampleSnapshotError(what, this.pos);
  }

  ws(): void {
    while (isWs(this.s[this.pos])) this.pos++;
  }

  literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.s[this.pos] !== word.charCodeAt(i)) this.fail(`invalid literal, expected ${word}`);
      this.pos++;
    }
  }

  /** \uXXXX at `at` → its value, or -1 (Go's getu4). */
  u4(at: number): number {
    if (this.s[at] !== 0x5c || this.s[at + 1] !== 0x75) return -1;
    let r = 0;
    for (let k = 2; k < 6; k++) {
      const h = hexVal(this.s[at + k]);
      if (h < 0) return -1;
      r = r * 16 + h;
    }
    return r;
  }

  /** A JSON string at pos (on its opening quote) → its bytes, as Go's unquote yields them. */
  string(): Uint8Array {
    const s = this.s;
    this.pos++; // opening quote
    const start = this.pos;
    // Fast path: plain ASCII/valid UTF-8 without escapes.
    let i = start;
    for (;;) {
      const c = s[i];
      if (c === undefined) this.fail('unexpected end of JSON input');
      if (c === 0x22) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
      if (c < 0x80) i++;
      else {
        const width = validRuneWidth(s, i);
        if (width === 0) break;
        i += width;
      }
    }
    const w = new ByteWriter();
    w.bytes(s.subarray(start, i));
    for (;;) {
      const c = s[i];
      if (c === undefined) {
        this.pos = i;
        this.fail('unexpected end of JSON input');
      }
      if (c === 0x22) break;
      if (c < 0x20) {
        this.pos = i;
        this.fail('invalid character in string literal');
      }
      if (c === 0x5c) {
        const e = s[i + 1];
        const simple: Record<number, number> = {
          34: 0x22,
          92: 0x5c,
          47: 0x2f,
          98: 0x08,
          102: 0x0c,
          110: 0x0a,
          114: 0x0d,
          116: 0x09,
        };
        if (e !== undefined && simple[e] !== undefined) {
          w.byte(simple[e] as number);
          i += 2;
          continue;
        }
        if (e === 0x75) {
          let r = this.u4(i);
          if (r < 0) {
            this.pos = i;
            this.fail('invalid character in \\u hexadecimal character escape');
          }
          i += 6;
          if (r >= 0xd800 && r < 0xe000) {
            const r1 = this.u4(i);
            if (r < 0xdc00 && r1 >= 0xdc00 && r1 < 0xe000) {
              r = 0x10000 + ((r - 0xd800) << 10) + (r1 - 0xdc00);
              i += 6;
            } else r = 0xfffd;
          }
          writeRune(w, r);
          continue;
        }
        this.pos = i;
        this.fail('invalid character in string escape code');
      }
      if (c < 0x80) {
        w.byte(c);
        i++;
        continue;
      }
      const width = validRuneWidth(s, i);
      if (width === 0) {
        writeRune(w, 0xfffd);
        i++;
      } else {
        w.bytes(s.subarray(i, i + width));
        i += width;
      }
    }
    this.pos = i + 1;
    return w.result();
  }

  /** A member value: a string, or null (which Go stores as ""). Anything else is rejected. */
  value(): Uint8Array {
    const c = this.s[this.pos];
    if (c === 0x22) return this.string();
    if (c === 0x6e) {
      this.literal('null');
      return new Uint8Array(0);
    }
    return this.fail('a snapshot value must be a JSON string');
  }

  document(): DecodedSnapshotJson {
    const map: KvMap = new Map();
    this.ws();
    const c = this.s[this.pos];
    if (c === 0x6e) {
      this.literal('null');
      this.end();
      return { map, wasNull: true };
    }
    if (c !== 0x7b) this.fail('a snapshot must be a JSON object');
    this.pos++;
    this.ws();
    if (this.s[this.pos] === 0x7d) {
      this.pos++;
      this.end();
      return { map, wasNull: false };
    }
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== 0x22) this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== 0x3a) this.fail("expected ':' after an object key");
      this.pos++;
      this.ws();
      const val = this.value();
      map.set(kvMapKey(key), val);
      this.ws();
      const d = this.s[this.pos];
      this.pos++;
      if (d === 0x2c) continue;
      if (d === 0x7d) break;
      this.pos--;
      this.fail("expected ',' or '}' after an object value");
    }
    this.end();
    return { map, wasNull: false };
  }

  end(): void {
    this.ws();
    if (this.pos !== this.s.length) this.fail('invalid character after top-level value');
  }
}

/**
 * `json.Unmarshal(data, &map[string]string)` as raftexample's recoverFromSnapshot calls it:
 * accepts exactly what Go accepts (a JSON object whose values are strings or null, or `null`),
 * with Go's unquoting (invalid UTF-8 and lone surrogates become U+FFFD; a null value is "";
 * a repeated key keeps its last value). Throws {@link RaftexampleSnapshotError} where Go returns an error.
 */
export function decodeSnapshotJson(data: Uint8Array): DecodedSnapshotJson {
  return new Parser(data).document();
}
