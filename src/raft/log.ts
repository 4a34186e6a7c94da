/**
 * The raft log as raft sees it (etcd-io/raft v3.6 `raftLog`): the stable prefix in Storage plus the
 * unstable tail, with the committed / applying / applied cursors.
 *
 * Invariants: `applied <= applying <= committed <= lastIndex()`; `committed` never decreases.
 * Broken invariants log a panic line and throw `RaftFatalError`.
 */
import { isRaftwireError } from '../errors/index.js';
import { type Entry, entrySize, type Snapshot } from '../raftpb/index.js';
import { isRaftFatal, RaftErrorCode, RaftFatalError } from './errors.js';
import { logPanic, Unstable } from './log-unstable.js';
import type { RaftLogger } from './logger.js';
import { ErrCompacted, ErrUnavailable, type Storage } from './storage.js';
import { testingKnobs } from './testing-knobs.js';

/** "No limit" for byte sizes (etcd's noLimit; the same value as config's NO_LIMIT). */
const NO_LIMIT = Number.POSITIVE_INFINITY;

const COMPACTED_CODE = RaftErrorCode.COMPACTED;
const UNAVAILABLE_CODE = RaftErrorCode.UNAVAILABLE;

/** Result of an internal term lookup that fell below the first index. */
const TERM_COMPACTED = -1;
/** Result of an internal term lookup that fell beyond the last index. */
const TERM_UNAVAILABLE = -2;

/** The raft log: Storage's stable entries followed by the unstable ones. */
export class RaftLog {
  /** All stable entries since the last snapshot. */
  readonly storage: Storage;
  /** Unstable entries and snapshot, to be saved into storage. */
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum of nodes. */
  committed: number;
  /**
   * Highest index the application has been told to apply (raised when a Ready is accepted).
   * `applied <= applying <= committed`.
   */
  applying: number;
  /** Highest index the application reported applied. `applied <= committed`. */
  applied: number;
  /** Where the informational and panic lines go. */
  readonly logger: RaftLogger;
  /** Bound on the bytes of committed entries handed out and not yet acknowledged by `appliedTo`. */
  readonly maxApplyingEntsSize: number;
  /** Bytes of committed entries handed out and not yet acknowledged by `appliedTo`. */
  applyingEntsSize = 0;
  /** True when handing out committed entries waits for `appliedTo` to free room. */
  applyingEntsPaused = false;

  constructor(storage: Storage, logger: RaftLogger, maxApplyingEntsSize: number = NO_LIMIT) {
    this.storage = storage;
    this.logger = logger;
    this.maxApplyingEntsSize = maxApplyingEntsSize;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1, logger);
    // Start at the time of the last compaction.
    this.committed = firstIndex - 1;
    this.applying = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  /** etcd's `raftLog.String()`, used in log lines. */
  toString(): string {
    const u = this.unstable;
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${u.offset}, unstable.offsetInProgress=${u.offsetInProgress}, len(unstable.Entries)=${u.entries.length}`;
  }

  /**
   * Appends the leader's entries following (index, logTerm) if our log matches there, and commits
   * up to `min(committed, index + ents.length)`. Returns the index of the last entry the message
   * covered, or undefined when the log does not match at `index`.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastnewi = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        logPanic(this.logger, `entry ${ci} conflict with committed entry [committed(${this.committed})]`);
      }
      const offset = index + 1;
      if (ci - offset > ents.length) {
        logPanic(this.logger, `index, ${ci - offset}, is out of range [${ents.length}]`);
      }
      this.append(ci - offset === 0 ? ents : ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastnewi));
    return lastnewi;
  }

  /** Appends `ents` (truncating a conflicting unstable suffix) and returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    if (after < this.committed) {
      logPanic(this.logger, `after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry of `ents` whose term differs from ours (or that we lack); 0 when our
   * log contains all of them. Indexes in `ents` must be contiguous.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const ne of ents) {
      const t = this.termResult(ne.index);
      if (t !== ne.term) {
        if (ne.index <= this.lastIndex()) {
          const existing = Math.max(t, 0);
          this.logger.info(
            `found conflict at index ${ne.index} [existing term: ${existing}, conflicting term: ${ne.term}]`,
          );
        }
        return ne.index;
      }
    }
    return 0;
  }

  /**
   * Best guess of where this log stops matching another log of which only the entry (index, term)
   * is known: the largest `guess <= index` with `term(guess) <= term` or an unknown term. Returns
   * `[guess, term(guess)]`, the term being 0 when unknown.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      const ourTerm = this.termResult(index);
      // Compacted or unavailable: a possible match, term unknown.
      if (ourTerm < 0) return [index, 0];
      if (ourTerm <= term) return [index, ourTerm];
    }
    return [0, 0];
  }

  /** Unstable entries not yet handed out for writing. */
  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  /** True when there are unstable entries not yet handed out for writing. */
  hasNextUnstableEnts(): boolean {
    return this.unstable.hasNextEntries();
  }

  /** True when there are unstable entries, handed out or not. */
  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /**
   * Committed entries ready to be applied, size-limited by what is still allowed outstanding.
   * With `allowUnstable` entries not yet durable locally may be returned.
   */
  nextCommittedEnts(allowUnstable: boolean): Entry[] {
    if (this.applyingEntsPaused) return [];
    // With a snapshot pending, do not also hand out entries (which first?).
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxAppliableIndex(allowUnstable) + 1;
    if (lo >= hi) return [];
    const maxSize = this.maxApplyingEntsSize - this.applyingEntsSize;
    if (maxSize <= 0) {
      logPanic(
        this.logger,
        `applying entry size (${this.maxApplyingEntsSize}-${this.applyingEntsSize})=${maxSize} not positive`,
      );
    }
    try {
      return this.slice(lo, hi, maxSize);
    } catch (e) {
      if (isRaftFatal(e)) throw e;
      return logPanic(this.logger, `unexpected error when getting unapplied entries (${errText(e)})`);
    }
  }

  /** Cheap check whether `nextCommittedEnts(allowUnstable)` would return anything. */
  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    if (this.applyingEntsPaused) return false;
    if (this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 < this.maxAppliableIndex(allowUnstable) + 1;
  }

  /** Highest committed index that may be applied (only durable ones unless `allowUnstable`). */
  maxAppliableIndex(allowUnstable: boolean): number {
    const hi = this.committed;
    if (allowUnstable) return hi;
    return Math.min(hi, this.unstable.offset - 1);
  }

  /** The unstable snapshot if not yet handed out for writing. */
  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /** True when an unstable snapshot waits to be handed out for writing. */
  hasNextUnstableSnapshot(): boolean {
    return this.unstable.nextSnapshot() !== undefined;
  }

  /** True when a snapshot is pending, handed out or not. */
  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** The unstable snapshot if any, else Storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Index of the first entry still available. */
  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** Index of the last entry. */
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Raises the commit index (never lowers it); beyond the last index is fatal. */
  commitTo(tocommit: number): void {
    if (this.committed < tocommit) {
      if (this.lastIndex() < tocommit) {
        logPanic(
          this.logger,
          `tocommit(${tocommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
        );
      }
      this.committed = tocommit;
    }
  }

  /** Records that entries up to `i` are applied and `size` bytes of them are no longer outstanding. */
  appliedTo(i: number, size: number): void {
    if (this.committed < i || i < this.applied) {
      logPanic(
        this.logger,
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
    if (this.applying < i) this.applying = i;
    this.applyingEntsSize = this.applyingEntsSize > size ? this.applyingEntsSize - size : 0;
    this.applyingEntsPaused = this.applyingEntsSize >= this.maxApplyingEntsSize;
  }

  /**
   * Records that entries up to `i` (`size` bytes) were handed out for applying. Pauses handing out
   * more when the outstanding bytes reach the bound or the hand-out was cut short by it.
   */
  acceptApplying(i: number, size: number, allowUnstable: boolean): void {
    if (this.committed < i) {
      logPanic(
        this.logger,
        `applying(${i}) is out of range [prevApplying(${this.applying}), committed(${this.committed})]`,
      );
    }
    this.applying = i;
    this.applyingEntsSize += size;
    this.applyingEntsPaused =
      this.applyingEntsSize >= this.maxApplyingEntsSize || i < this.maxAppliableIndex(allowUnstable);
  }

  /** Entries up to (i, t) are durable (ignored if the unstable entry at i changed term). */
  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  /** The snapshot at index i is durable. */
  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** The current unstable entries and snapshot were handed out for writing. */
  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  /** Term of the last entry. */
  lastTerm(): number {
    return this.tip()[1];
  }

  /** `[index, term]` of the last entry. */
  tip(): [number, number] {
    const index = this.lastIndex();
    const t = this.termResult(index);
    if (t < 0) {
      logPanic(this.logger, `unexpected error when getting the last term (${termErrorText(t)})`);
    }
    return [index, t];
  }

  /**
   * Term of the entry at `i`. Valid for `[firstIndex()-1, lastIndex()]`; throws the Storage
   * errors ErrCompacted below and ErrUnavailable beyond that range.
   */
  term(i: number): number {
    const t = this.termResult(i);
    if (t === TERM_COMPACTED) throw new ErrCompacted();
    if (t === TERM_UNAVAILABLE) throw new ErrUnavailable();
    return t;
  }

  /** Term of the entry at `i`, or 0 when it is compacted or not in the log (etcd's zeroTermOnOutOfBounds). */
  termOrZero(i: number): number {
    const t = this.termResult(i);
    return Math.max(t, 0);
  }

  /** The term at `i`, or TERM_COMPACTED / TERM_UNAVAILABLE; other storage failures are fatal. */
  private termResult(i: number): number {
    // The unstable part first: it needs no range computation through Storage.
    const ut = this.unstable.maybeTerm(i);
    if (ut !== undefined) return ut;
    // The term of firstIndex-1 stays known after compaction, for matching appends.
    if (i + 1 < this.firstIndex()) return TERM_COMPACTED;
    if (i > this.lastIndex()) return TERM_UNAVAILABLE;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (isRaftwireError(e, COMPACTED_CODE)) return TERM_COMPACTED;
      if (isRaftwireError(e, UNAVAILABLE_CODE)) return TERM_UNAVAILABLE;
      throw fatal(this.logger, `unexpected storage error reading term ${i}`, e);
    }
  }

  /** Entries from `i` to the end, size-limited; empty when `i` is beyond the last index. */
  entries(i: number, maxSize: number): Entry[] {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, last + 1, maxSize);
  }

  /** Every entry of the log. */
  allEntries(): Entry[] {
    for (;;) {
      try {
        return this.entries(this.firstIndex(), NO_LIMIT);
      } catch (e) {
        // A compaction raced with us: try again.
        if (isRaftwireError(e, COMPACTED_CODE)) continue;
        throw e;
      }
    }
  }

  /**
   * True when a log ending at (lasti, term) is at least as up to date as ours (Raft §5.4.1):
   * later last term, or same last term and at least as long.
   */
  isUpToDate(lasti: number, term: number): boolean {
    const [ourIndex, ourTerm] = this.tip();
    return term > ourTerm || (term === ourTerm && lasti >= ourIndex);
  }

  /** True when the entry at `i` exists and has term `term`. */
  matchTerm(i: number, term: number): boolean {
    return this.termResult(i) === term;
  }

  /**
   * Commits up to `maxIndex` if that is beyond `committed` and the entry there has the current
   * term `term` (Raft §5.4.2: earlier-term entries commit only indirectly).
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (
      maxIndex > this.committed &&
      term !== 0 &&
      (this.termOrZero(maxIndex) === term || testingKnobs.commitAnyTerm)
    ) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Resets the log to the snapshot `s`: everything up to its index is committed. */
  restore(s: Snapshot): void {
    this.logger.info(
      `log [${this.toString()}] starts to restore snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
    );
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Visits the entries in [lo, hi) in pages of at most `pageSize` bytes (at least one entry per
   * page); stops early when `visit` returns false. Throws ErrCompacted when `lo` is compacted.
   */
  scan(lo: number, hi: number, pageSize: number, visit: (ents: Entry[]) => boolean | undefined): void {
    while (lo < hi) {
      const ents = this.slice(lo, hi, pageSize);
      if (ents.length === 0) {
        throw fatal(this.logger, `got 0 entries in [${lo}, ${hi})`);
      }
      if (visit(ents) === false) return;
      lo += ents.length;
    }
  }

  /**
   * Entries with indexes in [lo, hi), at most `maxSize` bytes but at least one entry. Throws
   * ErrCompacted when `lo` was compacted; a range beyond the last index is fatal.
   */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const uoff = this.unstable.offset;
    let ents: Entry[] | undefined;
    if (lo < uoff) {
      const storedHi = Math.min(hi, uoff);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, storedHi, maxSize);
      } catch (e) {
        if (isRaftwireError(e, COMPACTED_CODE)) throw e;
        if (isRaftwireError(e, UNAVAILABLE_CODE)) {
          logPanic(this.logger, `entries[${lo}:${storedHi}) is unavailable from storage`);
        }
        throw fatal(this.logger, `unexpected storage error reading entries [${lo}, ${storedHi})`, e);
      }
      // The size limit was reached within the stored part.
      if (stored.length < storedHi - lo) return stored;
      ents = stored;
    }
    if (hi > uoff) {
      const unstable = this.unstable.slice(Math.max(lo, uoff), hi);
      ents = ents === undefined || ents.length === 0 ? unstable : ents.concat(unstable);
    }
    return limitBySize(ents ?? [], maxSize);
  }

  /** Requires `firstIndex() <= lo <= hi <= lastIndex() + 1`; throws ErrCompacted below. */
  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) logPanic(this.logger, `invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new ErrCompacted();
    const last = this.lastIndex();
    if (hi > last + 1) logPanic(this.logger, `slice[${lo},${hi}) out of bound [${fi},${last}]`);
  }
}

/** Creates the log over `storage` (etcd's `newLogWithSize`). */
export function newLog(
  storage: Storage,
  logger: RaftLogger,
  maxApplyingEntsSize: number = NO_LIMIT,
): RaftLog {
  return new RaftLog(storage, logger, maxApplyingEntsSize);
}

/** The longest prefix of `ents` within `maxSize` encoded bytes, at least one entry (etcd's limitSize). */
function limitBySize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length <= 1 || maxSize === NO_LIMIT) return ents;
  let size = entrySize(ents[0] as Entry);
  for (let n = 1; n < ents.length; n++) {
    size += entrySize(ents[n] as Entry);
    if (size > maxSize) return ents.slice(0, n);
  }
  return ents;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function termErrorText(t: number): string {
  return t === TERM_COMPACTED ? new ErrCompacted().message : new ErrUnavailable().message;
}

/** Logs a panic line for an unexpected failure and returns the error to throw (with the cause). */
function fatal(logger: RaftLogger, msg: string, cause?: unknown): RaftFatalError {
  const text = cause === undefined ? msg : `${msg}: ${errText(cause)}`;
  logger.panic(text);
  return new RaftFatalError(text, cause === undefined ? undefined : { cause });
}
