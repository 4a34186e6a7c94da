import { RaftwireError } from '../errors/index.js';

/** Why a buffer could not be decoded. Stable strings, listed in docs/errors.md. */
export type DecodeFailure =
  | 'truncated'
  | 'varint-overflow'
  | 'negative-length'
  | 'wrong-wire-type'
  | 'illegal-tag'
  | 'illegal-wire-type'
  | 'unexpected-end-group'
  | 'unsafe-integer';

/**
 * Thrown by every `decodeX` for malformed input. The decoder never returns a half-filled message:
 * it either returns a whole one or throws this.
 */
export class RaftpbDecodeError extends RaftwireError {
  static readonly code = 'RAFTWIRE_RAFTPB_DECODE';
  readonly reason: DecodeFailure;
  /** Byte offset in the decoded buffer where the problem was found. */
  readonly offset: number;

  constructor(reason: DecodeFailure, offset: number, detail: string) {
    super(RaftpbDecodeError.code, `raftpb: ${detail} at offset ${offset}`);
    this.reason = reason;
    this.offset = offset;
  }
}

/**
 * Thrown by the encoder and size functions for a value that cannot be represented: a term or
 * index that is negative, fractional or above 2^53-1, or an ID outside 0..2^64-1.
 */
export class RaftpbRangeError extends RaftwireError {
  static readonly code = 'RAFTWIRE_RAFTPB_RANGE';
  constructor(field: string, value: unknown) {
    super(RaftpbRangeError.code, `raftpb: ${field} = ${String(value)} is out of range`);
  }
}
