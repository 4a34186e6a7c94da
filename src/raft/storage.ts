/**
 * The Storage contract raft reads its stable log through, and MemoryStorage, etcd's in-memory
 * implementation (etcd-io/raft v3.6 `storage.go`). Raft never writes to Storage: the
 * application appends entries, sets the HardState and installs snapshots.
 */
import {
  type ConfState,
  type Entry,
  EntryType,
  entrySize,
  type HardState,
  newHardState,
  newSnapshot,
  type Snapshot,
} from '../raftpb/index.js';
import { RaftFatalError } from './errors.js';
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from './storage-errors.js';

export {
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrUnavailable,
} from './storage-errors.js';

/** What a Storage returns from {@link Storage.initialState}. */
export interface InitialState {
  /** The persisted HardState (all zero when none was saved). */
  hardState: HardState;
  /** The configuration matching the state raft starts from (the latest snapshot's). */
  confState: ConfState;
}

/**
 * The read side of the raft log. Methods throw {@link ErrCompacted} / {@link ErrUnavailable} /
 * `ErrSnapshotTemporarilyUnavailable` as documented; any other thrown error is fatal to raft.
 * Returned entries and snapshots must not be mutated by either side.
 */
export interface Storage {
  /** The saved HardState and ConfState. */
  initialState(): InitialState;
  /**
   * Entries `[lo, hi)`, stopping before the total encoded size (protobuf Entry size) exceeds
   * `maxSize` but always returning at least one entry. Throws ErrCompacted if `lo` was
   * compacted, ErrUnavailable if the entries are not available.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /**
   * The term of entry `i`, valid for `[firstIndex()-1, lastIndex()]` (the term before the first
   * index is kept for matching). ErrCompacted below that range, ErrUnavailable above it.
   */
  term(i: number): number;
  /** Index of the last entry. */
  lastIndex(): number;
  /** Index of the first entry possibly available through `entries` (snapshot index + 1). */
  firstIndex(): number;
  /** The most recent snapshot; throws ErrSnapshotTemporarilyUnavailable when it is being prepared. */
  snapshot(): Snapshot;
}

/** How often each Storage method of a MemoryStorage was called (for tests that check raft's reads). */
export interface StorageCallStats {
  initialState: number;
  firstIndex: number;
  lastIndex: number;
  entries: number;
  term: number;
  snapshot: number;
}

function copyConfState(cs: ConfState): ConfState {
  const c: ConfState = {
    voters: [...cs.voters],
    learners: [...cs.learners],
    votersOutgoing: [...cs.votersOutgoing],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
  if (cs.unknown !== undefined) c.unknown = cs.unknown;
  return c;
}

/** A copy of the snapshot's structure; the data bytes are shared (they are never mutated). */
function copySnapshot(s: Snapshot): Snapshot {
  const c = newSnapshot({
    index: s.metadata.index,
    term: s.metadata.term,
    confState: copyConfState(s.metadata.confState),
  });
  if (s.data !== undefined) c.data = s.data;
  return c;
}

/**
 * etcd's limitSize: the longest prefix of `ents` whose summed encoded size stays within
 * `maxSize`, but at least one entry.
 */
function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0 || maxSize === Number.POSITIVE_INFINITY) return ents;
  let size = entrySize(ents[0]!);
  for (let limit = 1; limit < ents.length; limit++) {
    size += entrySize(ents[limit]!);
    if (size > maxSize) return ents.slice(0, limit);
  }
  return ents;
}

/**
 * Storage backed by an in-memory array. Element 0 is a dummy entry holding the index and term of
 * the last snapshot (or compaction point), so `term(firstIndex()-1)` is always answerable.
 * Entries are stored by reference: callers must not mutate them after `append`.
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = newHardState();
  #snapshot: Snapshot = newSnapshot();
  /** `#ents[i]` has log index `i + #ents[0].index`. */
  #ents: Entry[] = [{ term: 0, index: 0, type: EntryType.EntryNormal }];
  /** Per-method call counters (etcd's callStats). */
  readonly callStats: StorageCallStats = {
    initialState: 0,
    firstIndex: 0,
    lastIndex: 0,
    entries: 0,
    term: 0,
    snapshot: 0,
  };

  initialState(): InitialState {
    this.callStats.initialState++;
    return { hardState: { ...this.#hardState }, confState: copyConfState(this.#snapshot.metadata.confState) };
  }

  /** Saves the current HardState. */
  setHardState(st: HardState): void {
    this.#hardState = { ...st };
  }

  /**
   * Sets the ConfState reported by `initialState` without a snapshot index (how etcd's tests and
   * a fresh bootstrap describe the initial members).
   */
  setConfState(cs: ConfState): void {
    this.#snapshot.metadata.confState = copyConfState(cs);
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    this.callStats.entries++;
    const offset = this.#ents[0]!.index;
    if (lo <= offset) throw new ErrCompacted();
    if (hi > this.#lastIndex() + 1) {
      throw new RaftFatalError(`entries' hi(${hi}) is out of bound lastindex(${this.#lastIndex()})`);
    }
    // Only the dummy entry: nothing is available.
    if (this.#ents.length === 1) throw new ErrUnavailable();
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    this.callStats.term++;
    const offset = this.#ents[0]!.index;
    if (i < offset) throw new ErrCompacted();
    if (i - offset >= this.#ents.length) throw new ErrUnavailable();
    return this.#ents[i - offset]!.term;
  }

  lastIndex(): number {
    this.callStats.lastIndex++;
    return this.#lastIndex();
  }

  #lastIndex(): number {
    return this.#ents[0]!.index + this.#ents.length - 1;
  }

  firstIndex(): number {
    this.callStats.firstIndex++;
    return this.#firstIndex();
  }

  #firstIndex(): number {
    return this.#ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    this.callStats.snapshot++;
    return copySnapshot(this.#snapshot);
  }

  /**
   * Replaces the whole contents with `snap`: the log becomes just the dummy entry at the
   * snapshot's index and term. Throws ErrSnapOutOfDate unless `snap` is newer than the current
   * snapshot.
   */
  applySnapshot(snap: Snapshot): void {
    if (this.#snapshot.metadata.index >= snap.metadata.index) throw new ErrSnapOutOfDate();
    this.#snapshot = copySnapshot(snap);
    this.#ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: EntryType.EntryNormal }];
  }

  /**
   * Records a snapshot at index `i` (with the ConfState from the last applyConfChange, if any
   * changed since, and the state machine's `data`) and returns it. Throws ErrSnapOutOfDate if `i`
   * is not past the current snapshot; `i` beyond the last index is fatal. The log is not
   * compacted (see {@link compact}).
   */
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array | undefined): Snapshot {
    if (i <= this.#snapshot.metadata.index) throw new ErrSnapOutOfDate();
    const offset = this.#ents[0]!.index;
    if (i > this.#lastIndex())
      throw new RaftFatalError(`snapshot ${i} is out of bound lastindex(${this.#lastIndex()})`);
    const snap = this.#snapshot;
    snap.metadata.index = i;
    snap.metadata.term = this.#ents[i - offset]!.term;
    if (cs !== undefined) snap.metadata.confState = copyConfState(cs);
    if (data !== undefined) snap.data = data;
    else delete snap.data;
    return copySnapshot(snap);
  }

  /**
   * Discards the entries before `compactIndex`; entry `compactIndex` becomes the dummy (its
   * term is kept). Throws ErrCompacted if already compacted that far; beyond the last index is
   * fatal. The application must not compact past what raft has applied.
   */
  compact(compactIndex: number): void {
    const offset = this.#ents[0]!.index;
    if (compactIndex <= offset) throw new ErrCompacted();
    if (compactIndex > this.#lastIndex()) {
      throw new RaftFatalError(`compact ${compactIndex} is out of bound lastindex(${this.#lastIndex()})`);
    }
    const i = compactIndex - offset;
    const at = this.#ents[i]!;
    // A new array: slices returned by entries() keep referring to the old one.
    const ents: Entry[] = [{ term: at.term, index: at.index, type: EntryType.EntryNormal }];
    for (let k = i + 1; k < this.#ents.length; k++) ents.push(this.#ents[k]!);
    this.#ents = ents;
  }

  /**
   * Appends `entries` (consecutive indexes). The part already compacted is ignored; existing
   * entries from the first new index on are replaced. A gap after the last index is fatal.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.#firstIndex();
    const firstNew = entries[0]!.index;
    const last = firstNew + entries.length - 1;
    if (last < first) return; // all already compacted
    const start = first > firstNew ? first - firstNew : 0; // skip the compacted part
    const offset = firstNew + start - this.#ents[0]!.index;
    if (offset > this.#ents.length) {
      throw new RaftFatalError(
        `missing log entry [last: ${this.#lastIndex()}, append at: ${firstNew + start}]`,
      );
    }
    // Truncating builds a new array so earlier entries() results stay intact.
    const ents = offset < this.#ents.length ? this.#ents.slice(0, offset) : this.#ents;
    for (let k = start; k < entries.length; k++) ents.push(entries[k]!);
    this.#ents = ents;
  }
}
