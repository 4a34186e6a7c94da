/**
 * The errors of raftwire/snap. Each maps to one of etcd's `snap` package errors and carries a
 * stable code (listed in docs/snap.md).
 */
import { RaftwireError } from '../errors/index.js';

/**
 * No usable `.snap` file in the directory (etcd's `ErrNoSnapshot`): the directory holds none, or
 * every one was broken (and renamed to `.broken`), or none matched the WAL's snapshot markers.
 * A fresh node starts from an empty state when it sees this.
 */
export class NoSnapshotError extends RaftwireError {
  static readonly code = 'RAFTWIRE_SNAP_NO_SNAPSHOT';
  /** The snapshot directory. */
  readonly dir: string;

  constructor(dir: string) {
    super(NoSnapshotError.code, `snap: no available snapshot in ${dir}`);
    this.dir = dir;
  }
}

/** What is wrong with a `.snap` file that could not be read. */
export type SnapFileFailure = 'empty' | 'crc-mismatch' | 'corrupt';

const failureCodes = {
  empty: 'RAFTWIRE_SNAP_EMPTY',
  'crc-mismatch': 'RAFTWIRE_SNAP_CRC_MISMATCH',
  corrupt: 'RAFTWIRE_SNAP_CORRUPT',
} as const satisfies Record<SnapFileFailure, string>;

/**
 * A `.snap` file that exists but cannot be used: empty (etcd's `ErrEmptySnapshot`: no bytes, no
 * data or a zero CRC), a CRC mismatch (`ErrCRCMismatch`), or bytes that are not a valid
 * `snappb.Snapshot` / `raftpb.Snapshot` (`corrupt`, with the decoder's error as `cause`).
 * `load()` renames such a file to `<name>.broken` and moves on to the next older one.
 */
export class SnapFileError extends RaftwireError {
  static readonly codes = failureCodes;
  readonly reason: SnapFileFailure;
  /** The file that failed. */
  readonly path: string;

  constructor(reason: SnapFileFailure, path: string, detail: string, options?: { cause?: unknown }) {
    super(failureCodes[reason], `snap: ${detail}: ${path}`, options);
    this.reason = reason;
    this.path = path;
  }
}

/** No `<index>.snap.db` file for the requested index (etcd's `ErrNoDBSnapshot`). */
export class NoDbSnapshotError extends RaftwireError {
  static readonly code = 'RAFTWIRE_SNAP_NO_DB_SNAPSHOT';
  /** The path that does not exist. */
  readonly path: string;
  readonly index: number;

  constructor(path: string, index: number) {
    super(NoDbSnapshotError.code, `snap: snapshot file doesn't exist: ${path}`);
    this.path = path;
    this.index = index;
  }
}

/** A `saveDBFrom` source yielded something other than bytes (strings are not accepted). */
export class DbSourceError extends RaftwireError {
  static readonly code = 'RAFTWIRE_SNAP_DB_SOURCE';
  constructor(detail: string) {
    super(DbSourceError.code, `snap: ${detail}`);
  }
}

/** A snapshot term or index that cannot be a file name: negative, fractional or at/above 2^53. */
export class SnapRangeError extends RaftwireError {
  static readonly code = 'RAFTWIRE_SNAP_RANGE';
  constructor(what: string, value: number) {
    super(SnapRangeError.code, `snap: ${what} ${value} is not a uint64 below 2^53`);
  }
}

/** The codes of raftwire/snap's errors, one per failure a caller may branch on (docs/snap.md). */
export const SnapErrorCode = {
  NO_SNAPSHOT: NoSnapshotError.code,
  EMPTY: failureCodes.empty,
  CRC_MISMATCH: failureCodes['crc-mismatch'],
  CORRUPT: failureCodes.corrupt,
  NO_DB_SNAPSHOT: NoDbSnapshotError.code,
  DB_SOURCE: DbSourceError.code,
  RANGE: SnapRangeError.code,
} as const;

/** One of raftwire/snap's error codes. */
export type SnapErrorCode = (typeof SnapErrorCode)[keyof typeof SnapErrorCode];
