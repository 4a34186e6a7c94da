/**
 * The unstable tail of the raft log: entries (and possibly an incoming snapshot) that raft knows
 * about but that the application has not yet reported durable in Storage.
 *
 * It plays two roles (etcd-io/raft v3.6 `unstable`): it holds new entries/snapshot until they are
 * handed out in a Ready (or a MsgStorageAppend), and it keeps holding them while the write is in
 * progress so that the log view stays complete until the write is acknowledged with `stableTo` /
 * `stableSnapTo`. `offsetInProgress` marks how far the entries were already handed out.
 */
import type { Entry, Snapshot } from '../raftpb/index.js';
import { RaftFatalError } from './errors.js';
import type { RaftLogger } from './logger.js';

/** Logs `msg` as a panic and throws it: a broken log invariant (where etcd panics). */
export function logPanic(logger: RaftLogger, msg: string): never {
  logger.panic(msg);
  throw new RaftFatalError(msg);
}

/** Unstable entries and snapshot. `entries[i]` has log index `offset + i`. */
export class Unstable {
  /** The incoming unstable snapshot, if any. */
  snapshot: Snapshot | undefined = undefined;
  /** Entries not yet written to storage; `entries[i]` has index `i + offset`. */
  entries: Entry[] = [];
  /**
   * Index of `entries[0]`. May be ≤ the storage's last index: the next write then truncates the
   * stored suffix before persisting these entries.
   */
  offset: number;
  /** True while the snapshot is being written to storage. */
  snapshotInProgress = false;
  /**
   * Entries below this index (exclusive, like `offset`) are being written to storage.
   * Invariant: `offset <= offsetInProgress <= offset + entries.length`.
   */
  offsetInProgress: number;
  /** Logger used for the informational lines and the invariant violations. */
  logger: RaftLogger;

  constructor(offset: number, logger: RaftLogger) {
    this.offset = offset;
    this.offsetInProgress = offset;
    this.logger = logger;
  }

  /** Index of the first possible entry, when an unstable snapshot is present. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** Last index of the unstable entries or snapshot, if any. */
  maybeLastIndex(): number | undefined {
    const n = this.entries.length;
    if (n !== 0) return this.offset + n - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** Term of the entry at index `i` if the unstable part knows it. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const snap = this.snapshot;
      return snap !== undefined && snap.metadata.index === i ? snap.metadata.term : undefined;
    }
    const k = i - this.offset;
    if (k >= this.entries.length) return undefined;
    return (this.entries[k] as Entry).term;
  }

  /** The unstable entries not yet handed out for writing (a fresh array; empty when none). */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (this.entries.length === inProgress) return [];
    return this.entries.slice(inProgress);
  }

  /** True when some entries were not yet handed out for writing. */
  hasNextEntries(): boolean {
    return this.entries.length > this.offsetInProgress - this.offset;
  }

  /** The unstable snapshot if it was not yet handed out for writing. */
  nextSnapshot(): Snapshot | undefined {
    if (this.snapshot === undefined || this.snapshotInProgress) return undefined;
    return this.snapshot;
  }

  /**
   * Marks every current entry and the snapshot as handed out for writing: they are no longer
   * returned by `nextEntries`/`nextSnapshot`; entries added later are.
   */
  acceptInProgress(): void {
    const n = this.entries.length;
    if (n > 0) this.offsetInProgress = (this.entries[n - 1] as Entry).index + 1;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * Marks entries up to (index, term) as durable in storage and drops them. Ignored (with a log
   * line) when the entry is missing, is the snapshot, or has a different term: the unstable suffix
   * was replaced while the write was in flight.
   */
  stableTo(index: number, term: number): void {
    const gt = this.maybeTerm(index);
    if (gt === undefined) {
      this.logger.info(`entry at index ${index} missing from unstable log; ignoring`);
      return;
    }
    if (index < this.offset) {
      this.logger.info(`entry at index ${index} matched unstable snapshot; ignoring`);
      return;
    }
    if (gt !== term) {
      this.logger.info(
        `entry at (index,term)=(${index},${term}) mismatched with entry at (${index},${gt}) in unstable log; ignoring`,
      );
      return;
    }
    const num = index + 1 - this.offset;
    this.entries = num >= this.entries.length ? [] : this.entries.slice(num);
    this.offset = index + 1;
    if (this.offsetInProgress < this.offset) this.offsetInProgress = this.offset;
  }

  /** Clears the unstable snapshot once the snapshot at index `i` is durable. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  /** Resets the unstable part to hold only the snapshot `s`. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  /**
   * Appends `ents` (contiguous, non-empty), first truncating any unstable entries at or after
   * `ents[0].index`.
   */
  truncateAndAppend(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const fromIndex = (ents[0] as Entry).index;
    const end = this.offset + this.entries.length;
    if (fromIndex === end) {
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      this.logger.info(`replace the unstable entries from index ${fromIndex}`);
      // The log is truncated before our offset: replace everything.
      this.entries = ents.slice();
      this.offset = fromIndex;
      this.offsetInProgress = fromIndex;
    } else {
      this.logger.info(`truncate the unstable entries before index ${fromIndex}`);
      const keep = this.slice(this.offset, fromIndex);
      for (const e of ents) keep.push(e);
      this.entries = keep;
      // Only in-progress entries before fromIndex are still in progress.
      if (this.offsetInProgress > fromIndex) this.offsetInProgress = fromIndex;
    }
  }

  /** A fresh array of the entries with indexes in [lo, hi); the whole range must be unstable. */
  slice(lo: number, hi: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) logPanic(this.logger, `invalid unstable.slice ${lo} > ${hi}`);
    const upper = this.offset + this.entries.length;
    if (lo < this.offset || hi > upper) {
      logPanic(this.logger, `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    }
  }
}
