/**
 * Record framing, as etcd's wal/encoder.go and decoder.go: each record is an 8-byte little-endian
 * length word followed by the walpb.Record bytes and zero padding to an 8-byte boundary, so that a
 * length word never straddles a sector and is never torn. The low 56 bits of the word hold the
 * record's length; when padding is present the top byte is `0x80 | padBytes`.
 */

/** Size of the length word. */
export const FRAME_HEADER_BYTES = 8;

/** etcd's minimum sector size: the unit of the torn-write check. */
export const MIN_SECTOR_BYTES = 512;

/**
 * etcd refuses records of 10 MiB and more (`maxWALEntrySizeLimit`): raft's messages are capped at
 * 1 MiB in etcd, so a larger length word means garbage.
 */
export const MAX_RECORD_BYTES = 10 * 1024 * 1024;

/** Padding after a record of `recordBytes` to reach 8-byte alignment. */
export function padBytesFor(recordBytes: number): number {
  return (8 - (recordBytes % 8)) % 8;
}

/** Writes the length word for a record of `recordBytes` at `pos`; returns the padding it announces. */
export function writeFrameHeader(buf: Uint8Array, pos: number, recordBytes: number): number {
  const pad = padBytesFor(recordBytes);
  const lo = recordBytes % 0x100000000;
  const hi = Math.floor(recordBytes / 0x100000000);
  buf[pos] = lo & 0xff;
  buf[pos + 1] = (lo >>> 8) & 0xff;
  buf[pos + 2] = (lo >>> 16) & 0xff;
  buf[pos + 3] = lo >>> 24;
  buf[pos + 4] = hi & 0xff;
  buf[pos + 5] = (hi >>> 8) & 0xff;
  buf[pos + 6] = (hi >>> 16) & 0xff;
  buf[pos + 7] = pad === 0 ? 0 : 0x80 | pad;
  return pad;
}

/** A decoded length word. `zero` is true for the all-zero word that ends a segment's data. */
export interface FrameHeader {
  zero: boolean;
  recordBytes: number;
  padBytes: number;
}

/**
 * Reads the length word at `pos` (the caller checked 8 bytes are there), as etcd's
 * `decodeFrameSize`: the low 56 bits are the length; the padding count is the low 3 bits of the
 * top byte, and only when its top bit is set.
 */
export function readFrameHeader(buf: Uint8Array, pos: number): FrameHeader {
  const lo =
    ((buf[pos] as number) |
      ((buf[pos + 1] as number) << 8) |
      ((buf[pos + 2] as number) << 16) |
      ((buf[pos + 3] as number) << 24)) >>>
    0;
  const mid = (buf[pos + 4] as number) | ((buf[pos + 5] as number) << 8) | ((buf[pos + 6] as number) << 16);
  const top = buf[pos + 7] as number;
  return {
    zero: lo === 0 && mid === 0 && top === 0,
    recordBytes: mid * 0x100000000 + lo,
    padBytes: top & 0x80 ? top & 7 : 0,
  };
}

/**
 * etcd's torn-write test (`isTornEntry`): split the frame's body at sector boundaries of the file;
 * if any piece is all zeros, the record was never fully written. `bodyOffset` is the file offset
 * of the body (just after the length word).
 */
export function isTornBody(buf: Uint8Array, bodyStart: number, bodyEnd: number, bodyOffset: number): boolean {
  let i = bodyStart;
  let fileOff = bodyOffset;
  while (i < bodyEnd) {
    const chunk = Math.min(MIN_SECTOR_BYTES - (fileOff % MIN_SECTOR_BYTES), bodyEnd - i);
    let zero = true;
    for (let k = i; k < i + chunk; k++) {
      if (buf[k] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero) return true;
    i += chunk;
    fileOff += chunk;
  }
  return false;
}
