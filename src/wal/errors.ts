/**
 * The WAL's errors. Each carries a stable code (listed in docs/wal.md under "Errors"); the ones
 * about a place in a file carry `file` and `offset` so an operator can look at the bytes.
 */
import { RaftwireError } from '../errors/index.js';

/** Codes of the WAL's errors, one per failure callers may branch on. */
export const WalErrorCode = {
  /** A record's CRC does not match the chain, and it is not a torn write at the tail. */
  CRC_MISMATCH: 'RAFTWIRE_WAL_CRC_MISMATCH',
  /** A record cannot be decoded (bad frame, bad protobuf, unknown type, truncated middle segment). */
  CORRUPT: 'RAFTWIRE_WAL_CORRUPT',
  /** A record's length is at or above etcd's 10 MiB limit (`ErrMaxWALEntrySizeLimitExceeded`). */
  RECORD_TOO_LARGE: 'RAFTWIRE_WAL_RECORD_TOO_LARGE',
  /** The WAL holds no snapshot marker with the index given to `open` (`ErrSnapshotNotFound`). */
  SNAPSHOT_NOT_FOUND: 'RAFTWIRE_WAL_SNAPSHOT_NOT_FOUND',
  /** The WAL holds the marker's index with another term (`ErrSnapshotMismatch`). */
  SNAPSHOT_MISMATCH: 'RAFTWIRE_WAL_SNAPSHOT_MISMATCH',
  /** Two segments carry different metadata (`ErrMetadataConflict`). */
  METADATA_CONFLICT: 'RAFTWIRE_WAL_METADATA_CONFLICT',
  /** An entry's index leaves a gap after the marker (`ErrSliceOutOfRange`). */
  SLICE_OUT_OF_RANGE: 'RAFTWIRE_WAL_SLICE_OUT_OF_RANGE',
  /** No segment file, none covering the marker, or a gap in segment sequence (`ErrFileNotFound`). */
  FILE_NOT_FOUND: 'RAFTWIRE_WAL_FILE_NOT_FOUND',
  /** `create` on a directory that already holds a WAL or other files. */
  EXISTS: 'RAFTWIRE_WAL_EXISTS',
  /** `create` on a path that exists and is not a directory (a file, a symbolic link). */
  NOT_A_DIRECTORY: 'RAFTWIRE_WAL_NOT_A_DIRECTORY',
  /** Another process, or another WAL object in this process, holds the directory's lock. */
  LOCKED: 'RAFTWIRE_WAL_LOCKED',
  /** A write, fsync, truncate or segment cut failed; the cause is the file system's error. */
  WRITE_FAILED: 'RAFTWIRE_WAL_WRITE_FAILED',
  /** The WAL refuses writes after an earlier write or fsync failure; close and reopen it. */
  FAILED: 'RAFTWIRE_WAL_FAILED',
  /** The call does not fit the WAL's state (save before readAll, readAll twice, use after close). */
  BAD_STATE: 'RAFTWIRE_WAL_BAD_STATE',
  /** The native addon refused a call made against its contract (argument types, buffer range). */
  NATIVE: 'RAFTWIRE_WAL_NATIVE',
} as const;

/** One of the WAL's error codes. */
export type WalErrorCode = (typeof WalErrorCode)[keyof typeof WalErrorCode];

/** Any error raised by the WAL. */
export class WalError extends RaftwireError {
  declare readonly code: WalErrorCode;

  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A decoding failure at a known place: the segment file and the byte offset of the record. */
export class WalRecordError extends WalError {
  /** Path of the segment file. */
  readonly file: string;
  /** Offset in that file of the record's frame (its length word). */
  readonly offset: number;

  constructor(code: WalErrorCode, file: string, offset: number, what: string, options?: { cause?: unknown }) {
    super(code, `wal: ${what} in ${file} at offset ${offset}`, options);
    this.file = file;
    this.offset = offset;
  }
}
