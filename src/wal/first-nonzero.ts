/**
 * Where the first non-zero byte after a segment's last record is. A reopened segment is checked
 * up to its preallocated end (64 MiB by default), so this runs on every start of a member.
 *
 * Compared 64 KiB at a time against a zero block (`Buffer.equals`, a native memcmp) and byte by
 * byte only inside the block that differs. Measured on this project's 2-core machine, over a
 * zeroed 64 MiB buffer (`node` on a throwaway script, three rounds, 2026-12-03): a byte-by-byte
 * loop 121–176 ms, this 3.4–5.8 ms.
 */

const BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(BLOCK);

/** The index of the first byte at or after `from` that is not 0, or -1 if there is none. */
export function firstNonZero(buf: Uint8Array, from: number): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = Math.max(0, from); i < b.length; i += BLOCK) {
    const end = Math.min(b.length, i + BLOCK);
    if (ZEROS.subarray(0, end - i).equals(b.subarray(i, end))) continue;
    for (let j = i; j < end; j++) if (b[j] !== 0) return j;
  }
  return -1;
}
