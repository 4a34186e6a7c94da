/**
 * The byte-level reader: varints, lengths, tags and skipping of unknown fields, with gogoproto's
 * acceptance rules (raft.pb.go of etcd 3.4): a varint may take up to 10 bytes and bits past the
 * 64th are dropped; an 11th byte is an overflow; lengths past the end are a truncation.
 */
import { RaftpbDecodeError } from '../errors.js';
import { cachedId, cachedIdAt, cachedIdLength, rememberId } from './varint.js';

const TWO_32 = 0x100000000;

export class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  fail(reason: ConstructorParameters<typeof RaftpbDecodeError>[0], detail: string): never {
    throw new RaftpbDecodeError(reason, this.pos, detail);
  }

  /** Reads a varint as two 32-bit halves into `lo`/`hi`. */
  private readRaw(): void {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 70) {
        throw new RaftpbDecodeError(
          'varint-overflow',
          start,
          'integer overflow (varint longer than 10 bytes)',
        );
      }
      if (pos >= this.end) throw new RaftpbDecodeError('truncated', start, 'unexpected EOF inside a varint');
      const b = buf[pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else if (shift < 63) hi |= bits << (shift - 32);
      else hi |= (bits & 1) << 31; // shift 63: only one bit of this byte fits in 64 bits
      if (b < 0x80) break;
    }
    this.pos = pos;
    rawLo = lo >>> 0;
    rawHi = hi >>> 0;
  }

  /** A uint64 that must fit in a safe integer (terms, indexes, commits). */
  u53(field: string): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos < this.end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
      if (pos + 1 < this.end) {
        const b1 = buf[pos + 1]!;
        if (b1 < 0x80) {
          this.pos = pos + 2;
          return (b & 0x7f) | (b1 << 7);
        }
      }
    }
    const start = this.pos;
    this.readRaw();
    if (rawHi > 0x1fffff) {
      throw new RaftpbDecodeError(
        'unsafe-integer',
        start,
        `${field} does not fit in 2^53-1 (raftwire keeps terms and indexes as numbers)`,
      );
    }
    return rawHi * TWO_32 + rawLo;
  }

  /**
   * Like `u53`, for decoders where a later occurrence of the field overwrites this one (proto's
   * last-wins rule): a value above 2^53-1 is returned as NaN and remembered in `unsafeAt`, and the
   * decoder refuses the message only if such a value is still there at the end (`checkSafe`).
   */
  u53LastWins(field: string): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos < this.end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
      if (pos + 1 < this.end) {
        const b1 = buf[pos + 1]!;
        if (b1 < 0x80) {
          this.pos = pos + 2;
          return (b & 0x7f) | (b1 << 7);
        }
      }
    }
    const start = this.pos;
    this.readRaw();
    if (rawHi > 0x1fffff) {
      if (this.unsafeAt < 0) {
        this.unsafeAt = start;
        this.unsafeField = field;
      }
      return Number.NaN;
    }
    return rawHi * TWO_32 + rawLo;
  }

  /** Offset and name of the first value that did not fit in 2^53-1 (-1 when none). */
  unsafeAt = -1;
  unsafeField = '';

  /** Throws if `decoded` still holds a value `u53LastWins` could not represent. */
  checkSafe<T>(decoded: T): T {
    if (this.unsafeAt >= 0 && holdsNaN(decoded)) {
      throw new RaftpbDecodeError(
        'unsafe-integer',
        this.unsafeAt,
        `${this.unsafeField} does not fit in 2^53-1 (raftwire keeps terms and indexes as numbers)`,
      );
    }
    return decoded;
  }

  /** A full uint64 (node IDs). */
  u64(): bigint {
    const buf = this.buf;
    const pos = this.pos;
    if (pos < this.end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return BigInt(b);
      }
    }
    // Large IDs (etcd member IDs are random 64-bit values) repeat: match their cached bytes.
    if (pos < this.end && buf[pos]! >= 0x80) {
      const slot = cachedIdAt(buf, pos, this.end);
      if (slot >= 0) {
        this.pos = pos + cachedIdLength(slot);
        return cachedId(slot);
      }
    }
    this.readRaw();
    if (rawHi <= 0x1fffff) return BigInt(rawHi * TWO_32 + rawLo);
    const id = (BigInt(rawHi) << 32n) | BigInt(rawLo);
    rememberId(id);
    return id;
  }

  /** An int32 enum: the low 32 bits, signed, as Go's `EntryType(b&0x7F) << shift` leaves them. */
  enum(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    this.readRaw();
    return rawLo | 0;
  }

  bool(): boolean {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    this.readRaw();
    return rawLo !== 0 || rawHi !== 0;
  }

  /** A length prefix; returns the end offset of the delimited bytes, checked against `end`. */
  delimitedEnd(): number {
    const start = this.pos;
    let len: number;
    const b = start < this.end ? this.buf[start]! : 0x80;
    if (b < 0x80) {
      this.pos = start + 1;
      len = b;
    } else {
      this.readRaw();
      // Go reads the length into an int: 2^63 and above is negative.
      if (rawHi >= 0x80000000)
        throw new RaftpbDecodeError('negative-length', start, 'invalid negative length');
      len = rawHi * TWO_32 + rawLo;
    }
    const stop = this.pos + len;
    if (stop > this.end) {
      throw new RaftpbDecodeError('truncated', start, `unexpected EOF: length ${len} runs past the end`);
    }
    return stop;
  }

  /** Bytes of a length-delimited field, as a view (no copy). */
  bytes(): Uint8Array {
    const stop = this.delimitedEnd();
    const view = this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return view;
  }

  /**
   * Reads a tag. Returns `field * 8 + wireType`, rejecting what gogo rejects at a message's top
   * level: an end-group marker, and a field number that is not positive once truncated to int32
   * (gogo computes `int32(wire >> 3)`). Wire types 6 and 7 are rejected in `skip`, since known
   * fields are checked by their decoders.
   */
  tag(message: string): number {
    const start = this.pos;
    const b = this.buf[start]!;
    let field: number;
    let wireType: number;
    if (b < 0x80) {
      this.pos = start + 1;
      field = b >>> 3;
      wireType = b & 7;
    } else {
      this.readRaw();
      field = (rawLo >>> 3) | (rawHi << 29);
      wireType = rawLo & 7;
    }
    if (wireType === 4) {
      throw new RaftpbDecodeError(
        'unexpected-end-group',
        start,
        `${message}: wiretype end group for non-group`,
      );
    }
    if (field <= 0) throw new RaftpbDecodeError('illegal-tag', start, `${message}: illegal tag ${field}`);
    return field * 8 + wireType;
  }

  wrongWireType(start: number, wireType: number, field: string): never {
    throw new RaftpbDecodeError('wrong-wire-type', start, `wrong wireType = ${wireType} for field ${field}`);
  }

  /** Skips the field whose tag started at `start` (already read); returns its bytes, tag included. */
  skip(start: number, tag: number): Uint8Array {
    this.skipValue(tag % 8, 0);
    return this.buf.subarray(start, this.pos);
  }

  private skipValue(wireType: number, depth: number): void {
    switch (wireType) {
      case 0:
        this.readRaw();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.delimitedEnd();
        return;
      case 3:
        // A group: skip fields until the matching end-group tag.
        for (;;) {
          if (this.pos >= this.end) this.fail('truncated', 'unexpected EOF inside a group');
          this.readRaw();
          const inner = rawLo & 7;
          if (inner === 4) return;
          this.skipValue(inner, depth + 1);
        }
      case 4:
        this.fail('unexpected-end-group', 'unexpected end of group');
        break;
      case 5:
        this.advance(4);
        return;
      default:
        this.fail('illegal-wire-type', `illegal wireType ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated', 'unexpected EOF');
    this.pos += n;
  }
}

function holdsNaN(v: unknown): boolean {
  if (typeof v === 'number') return Number.isNaN(v);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return false;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (holdsNaN(x)) return true;
  return false;
}

// Results of Reader.readRaw; module-level so that reading a varint allocates nothing.
let rawLo = 0;
let rawHi = 0;

/** Appends `extra` to an unknown-field buffer (rare: only for fields this version does not know). */
export function appendUnknown(prev: Uint8Array | undefined, extra: Uint8Array): Uint8Array {
  if (prev === undefined) return extra;
  const out = new Uint8Array(prev.length + extra.length);
  out.set(prev, 0);
  out.set(extra, prev.length);
  return out;
}
