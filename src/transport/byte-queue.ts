/**
 * A queue of received byte chunks that decoders read from without copying, except when a record
 * spans chunks: then exactly the chunks covering it are merged once.
 */

/** Unread bytes of a stream, as a list of chunks. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Read offset inside chunks[0]. */
  private offset = 0;
  /** Unread bytes in total. */
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The byte at `at` bytes past the read position (caller checked `at < length`). */
  byteAt(at: number): number {
    let i = 0;
    let c = this.chunks[0]!;
    at += this.offset;
    while (at >= c.length) {
      at -= c.length;
      c = this.chunks[++i]!;
    }
    return c[at]!;
  }

  /**
   * The 8-byte big-endian unsigned integer at `at`, as a number; `-1` when it exceeds 2^53-1.
   * Caller checked `at + 8 <= length`.
   */
  u64At(at: number): number {
    const first = this.chunks[0]!;
    const p = this.offset + at;
    let hi: number;
    let lo: number;
    if (p + 8 <= first.length) {
      hi = ((first[p]! << 24) | (first[p + 1]! << 16) | (first[p + 2]! << 8) | first[p + 3]!) >>> 0;
      lo = ((first[p + 4]! << 24) | (first[p + 5]! << 16) | (first[p + 6]! << 8) | first[p + 7]!) >>> 0;
    } else {
      hi = 0;
      lo = 0;
      for (let k = 0; k < 4; k++) hi = hi * 256 + this.byteAt(at + k);
      for (let k = 4; k < 8; k++) lo = lo * 256 + this.byteAt(at + k);
    }
    if (hi > 0x1fffff) return -1;
    return hi * 0x1_0000_0000 + lo;
  }

  /**
   * A view whose first `n` bytes are the next `n` unread bytes (caller checked `n <= length`). Zero
   * copy when the first chunk holds them; otherwise the chunks covering them are merged into one.
   */
  contiguous(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return first.subarray(this.offset);
    // Copy exactly the n bytes that span chunks; the rest of the last chunk stays a view.
    const merged = Buffer.allocUnsafe(n);
    let pos = first.length - this.offset;
    merged.set(first.subarray(this.offset), 0);
    let k = 1;
    for (;;) {
      const c = this.chunks[k]!;
      const take = Math.min(c.length, n - pos);
      merged.set(take === c.length ? c : c.subarray(0, take), pos);
      pos += take;
      if (pos === n) {
        if (take === c.length) this.chunks.splice(0, k + 1, merged);
        else this.chunks.splice(0, k + 1, merged, c.subarray(take));
        break;
      }
      k++;
    }
    this.offset = 0;
    return merged;
  }

  /** Consumes `n` unread bytes (caller checked `n <= length`). */
  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const left = c.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Removes and returns every unread byte as chunks (views, no copy). */
  drain(): Uint8Array[] {
    const out = this.chunks;
    if (out.length > 0 && this.offset > 0) out[0] = out[0]!.subarray(this.offset);
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
    return out;
  }
}
