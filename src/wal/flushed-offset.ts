/**
 * Where etcd 3.4's file offset would stand, so segments are cut where etcd cuts them.
 *
 * etcd writes records through a page writer (`pkg/ioutil.PageWriter`: a 128 KiB buffer that
 * flushes whole 4 KiB pages once it overflows) and decides to cut a segment on the tail file's
 * offset, which counts only what that writer has flushed so far. raftwire writes each group
 * straight to the file, so it keeps this arithmetic model of etcd's buffer beside it: no bytes, only
 * counts. Each record is two writes to the page writer, the 8-byte length field and then the padded
 * data, as etcd's encoder does them.
 */

/** etcd's `walPageBytes`: 8 sectors of 512 bytes. */
const PAGE_BYTES = 4096;
/** etcd's `defaultBufferBytes`, the page writer's watermark. */
const BUFFER_BYTES = 128 * 1024;

export class FlushedOffset {
  /** Offset of the buffer's start in its page (etcd's `pageOffset`, kept modulo the page). */
  #pageOffset: number;
  #buffered = 0;
  #flushed: number;

  /** A page writer created at file offset `offset` (all before it is on the file). */
  constructor(offset: number) {
    this.#flushed = offset;
    this.#pageOffset = offset % PAGE_BYTES;
  }

  /** The file offset etcd would see: what its page writer has written out. */
  get flushed(): number {
    return this.#flushed;
  }

  /** One encoded record of `frameBytes` (length field, data and padding). */
  record(frameBytes: number): void {
    this.#write(8);
    this.#write(frameBytes - 8);
  }

  /** etcd's `sync`: the page writer flushes everything buffered. */
  flush(): void {
    this.#flushed += this.#buffered;
    this.#pageOffset = (this.#pageOffset + this.#buffered) % PAGE_BYTES;
    this.#buffered = 0;
  }

  /** `PageWriter.Write` of `n` bytes, by counts. */
  #write(n: number): void {
    for (;;) {
      if (n + this.#buffered <= BUFFER_BYTES) {
        this.#buffered += n;
        return;
      }
      // Complete the unaligned last page in the buffer, unless `n` cannot fill it.
      const slack = PAGE_BYTES - ((this.#pageOffset + this.#buffered) % PAGE_BYTES);
      if (slack !== PAGE_BYTES) {
        if (slack > n) {
          this.#buffered += n;
          return;
        }
        this.#buffered += slack;
        n -= slack;
      }
      this.flush();
      // Whole pages beyond one go straight to the file, without moving the page offset.
      if (n > PAGE_BYTES) {
        const direct = n - (n % PAGE_BYTES);
        this.#flushed += direct;
        n -= direct;
      }
      // The rest is written again, into the now empty buffer.
    }
  }
}
