/**
 * Go's `strconv.ParseUint(s, 0, 64)`, which raftexample applies to the request path after its
 * first byte for `POST /<id>` and `DELETE /<id>`: base from the prefix (`0x`, `0o`, `0b`, or a
 * leading `0` for octal), `_` separators allowed between digits, at most 2^64 − 1.
 */

const MAX_U64 = (1n << 64n) - 1n;

function lower(c: number): number {
  return c | 0x20;
}

/** Go's underscoreOK: underscores only between digits (or after a base prefix). */
function underscoreOk(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0') {
    const p = lower(s.charCodeAt(1));
    if (p === 0x62 || p === 0x6f || p === 0x78) {
      i = 2;
      saw = '0';
      hex = p === 0x78;
    }
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (hex && lower(c) >= 0x61 && lower(c) <= 0x66)) {
      saw = '0';
      continue;
    }
    if (c === 0x5f) {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/**
 * The value of `s` under Go's base-0 rules, or undefined where Go returns an error (empty,
 * a bad digit, a misplaced `_`, a sign, or a value past 2^64 − 1). `s` is a latin1 string
 * (one code unit per byte).
 */
export function parseUintBase0(s: string): bigint | undefined {
  if (s.length === 0) return undefined;
  const s0 = s;
  let base = 10n;
  if (s[0] === '0') {
    const p = s.length >= 3 ? lower(s.charCodeAt(1)) : 0;
    if (p === 0x62) {
      base = 2n;
      s = s.slice(2);
    } else if (p === 0x6f) {
      base = 8n;
      s = s.slice(2);
    } else if (p === 0x78) {
      base = 16n;
      s = s.slice(2);
    } else {
      base = 8n;
      s = s.slice(1);
    }
  }
  let n = 0n;
  let underscores = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) {
      underscores = true;
      continue;
    }
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (lower(c) >= 0x61 && lower(c) <= 0x7a) d = lower(c) - 0x61 + 10;
    else return undefined;
    if (BigInt(d) >= base) return undefined;
    n = n * base + BigInt(d);
    if (n > MAX_U64) return undefined;
  }
  if (underscores && !underscoreOk(s0)) return undefined;
  return n;
}
