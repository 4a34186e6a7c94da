/**
 * The errors of the Storage contract (etcd's `ErrCompacted`, `ErrSnapOutOfDate`,
 * `ErrUnavailable`, `ErrSnapshotTemporarilyUnavailable`), with etcd's message texts and stable
 * codes. Raft handles the first three itself; any other error a Storage throws is fatal.
 */
import { RaftwireError } from '../errors/index.js';
import { RaftErrorCode } from './errors.js';

/** `lo` (or the compaction index) predates the last snapshot. */
export class ErrCompacted extends RaftwireError {
  static readonly code = RaftErrorCode.COMPACTED;
  constructor() {
    super(ErrCompacted.code, 'requested index is unavailable due to compaction');
  }
}

/** A snapshot was requested or applied at an index not newer than the existing snapshot. */
export class ErrSnapOutOfDate extends RaftwireError {
  static readonly code = RaftErrorCode.SNAP_OUT_OF_DATE;
  constructor() {
    super(ErrSnapOutOfDate.code, 'requested index is older than the existing snapshot');
  }
}

/** The requested entries are not (yet) available. */
export class ErrUnavailable extends RaftwireError {
  static readonly code = RaftErrorCode.UNAVAILABLE;
  constructor() {
    super(ErrUnavailable.code, 'requested entry at index is unavailable');
  }
}

/** The snapshot is being prepared; raft skips sending it and retries later. */
export class ErrSnapshotTemporarilyUnavailable extends RaftwireError {
  static readonly code = RaftErrorCode.SNAPSHOT_TEMPORARILY_UNAVAILABLE;
  constructor() {
    super(ErrSnapshotTemporarilyUnavailable.code, 'snapshot is temporarily unavailable');
  }
}
