/**
 * Keys are byte strings. The HTTP path carries them percent-encoded; these helpers decode a path or
 * query component to bytes (never through a JS string, so any byte round-trips) and encode bytes
 * back to the canonical form the listing returns. Inside the service a key is held as a latin1
 * string (one char per byte): Map keys compare and sort in byte order that way.
 */

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Percent-decodes `s` (a latin1 string, as node:http gives the request target: one char per byte)
 * into a latin1 key string. Returns undefined on a malformed escape. `+` stays `+`.
 */
export function percentDecode(s: string): string | undefined {
  if (s.indexOf('%') < 0) {
    // Fast path: node gives the raw request line as latin1, so each char is one byte.
    return s;
  }
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) !== 0x25) continue;
    if (i + 2 >= s.length) return undefined;
    const hi = hexValue(s.charCodeAt(i + 1));
    const lo = hexValue(s.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return undefined;
    out += s.slice(from, i) + String.fromCharCode(hi * 16 + lo);
    i += 2;
    from = i + 1;
  }
  return out + s.slice(from);
}

const UNRESERVED = /^[A-Za-z0-9\-._~/!$&'()*+,;=:@]*$/;

/** Percent-encodes a latin1 key string: unreserved and sub-delims kept, everything else %XX. */
export function percentEncode(key: string): string {
  if (UNRESERVED.test(key) && key.indexOf('?') < 0) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const ch = key[i] as string;
    if (c < 0x80 && UNRESERVED.test(ch) && ch !== '&' && ch !== '=' && ch !== '+') out += ch;
    else out += `%${c < 16 ? '0' : ''}${c.toString(16).toUpperCase()}`;
  }
  return out;
}

/** The key's bytes (a view of nothing: a new Buffer). */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** The latin1 key string of `bytes`. */
export function keyString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Parses a query string (without `?`) into latin1 names and values; undefined on a bad escape. */
export function parseQuery(query: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : percentDecode(part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}
