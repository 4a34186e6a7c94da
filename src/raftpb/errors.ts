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
 * The encoder wrote a different number of bytes than its size function computed: a bug in
 * raftwire, never caused by the input (every encoding is tested against its size).
 */
export class RaftpbSizeMismatchError extends RaftwireError {
  static readonly code = 'RAFTWIRE_RAFTPB_SIZE_MISMATCH';
  constructor(written: number, computed: number) {
    super(RaftpbSizeMismatchError.code, `raftpb: encoder wrote ${written} bytes, size() said ${computed}`);
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

/** The codes of raftpb's errors, one per failure a caller may branch on (docs/raftpb.md). */
export const RaftpbErrorCode = {
  /** Malformed bytes ({@link RaftpbDecodeError}, with `reason` and `offset`). */
  DECODE: RaftpbDecodeError.code,
  /** A value that cannot be encoded ({@link RaftpbRangeError}). */
  RANGE: RaftpbRangeError.code,
  /** The encoder disagreed with its size function: a raftwire bug ({@link RaftpbSizeMismatchError}). */
  SIZE_MISMATCH: RaftpbSizeMismatchError.code,
  /** `parseId` of a string that is not 1–16 hex digits (`InvalidIdError`). */
  INVALID_ID: 'RAFTWIRE_INVALID_ID',
  /** `confChangeEnterJoint` of a transition etcd does not know. */
  UNKNOWN_TRANSITION: 'RAFTWIRE_RAFTPB_UNKNOWN_TRANSITION',
  /** `confChangesFromString` of malformed text. */
  CONF_CHANGE_STRING: 'RAFTWIRE_RAFTPB_CONF_CHANGE_STRING',
} as const;

/** One of raftpb's error codes. */
export type RaftpbErrorCode = (typeof RaftpbErrorCode)[keyof typeof RaftpbErrorCode];
