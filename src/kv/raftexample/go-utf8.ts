/**
 * Go's `unicode/utf8.DecodeRune` rule, which both Go JSON routines apply to byte strings: a byte
 * that does not start a valid sequence (overlong, surrogate, above U+10FFFF, truncated) is ONE
 * error of width 1, and decoding resumes at the next byte. (WHATWG's TextDecoder replaces maximal
 * subparts instead, so it differs on truncated sequences: it cannot be used here.)
 */

/**
 * Width of the valid UTF-8 sequence starting at `s[i]` (1–4), or 0 when `s[i]` starts no valid
 * sequence (Go's `RuneError, 1`). `s[i]` must exist.
 */
export function validRuneWidth(s: Uint8Array, i: number): number {
  const b0 = s[i] as number;
  if (b0 < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 < 0xc2) return 0;
  if (b0 < 0xe0) n = 2;
  else if (b0 < 0xf0) {
    n = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f;
  } else if (b0 < 0xf5) {
    n = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > s.length) return 0;
  const b1 = s[i + 1] as number;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const b = s[i + k] as number;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}
