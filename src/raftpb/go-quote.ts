/**
 * Go's `%q` of a byte slice (strconv.Quote): printable runes as they are, the usual C escapes,
 * `\xNN` for bytes that are not valid UTF-8, `\uNNNN`/`\UNNNNNNNN` for other non-printable runes.
 * raft's test data prints entry payloads this way. Printability of non-ASCII runes follows Node's
 * Unicode tables (ICU), which are newer than Go 1.19's: runes assigned after Unicode 13 print here
 * and are escaped by Go 1.19 (see test/interop/raftpb/go-quote.test.ts).
 */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const ESCAPES: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  11: '\\v',
};

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Decodes one rune at `i` with Go's utf8.DecodeRune rules; returns [rune, width] or [-1, 1]. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number) => {
    const c = b[i + k];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [-1, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return [-1, 1];
    const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    if (r < 0x800 || (r >= 0xd800 && r <= 0xdfff)) return [-1, 1];
    return [r, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return [-1, 1];
    const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (r < 0x10000 || r > 0x10ffff) return [-1, 1];
    return [r, 4];
  }
  return [-1, 1];
}

export function goQuote(b: Uint8Array | undefined): string {
  let out = '"';
  if (b === undefined) return '""';
  for (let i = 0; i < b.length; ) {
    const [r, w] = decodeRune(b, i);
    if (r < 0) {
      out += `\\x${hex(b[i]!, 2)}`;
    } else if (r === 0x22 || r === 0x5c) {
      out += `\\${String.fromCodePoint(r)}`;
    } else if (r === 0x20 || (r > 0x20 && r !== 0x7f && PRINTABLE.test(String.fromCodePoint(r)))) {
      out += String.fromCodePoint(r);
    } else if (ESCAPES[r] !== undefined) {
      out += ESCAPES[r];
    } else if (r < 0x20 || r === 0x7f) {
      out += `\\x${hex(r, 2)}`;
    } else if (r < 0x10000) {
      out += `\\u${hex(r, 4)}`;
    } else {
      out += `\\U${hex(r, 8)}`;
    }
    i += w;
  }
  return `${out}"`;
}
