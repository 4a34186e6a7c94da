/**
 * The write-ahead log: etcd 3.4's WAL (wal/wal.go) on `fs/promises` file handles.
 *
 * A WAL is either being read (after `open`, until `readAll`) or appended to (after `create`, or
 * after `readAll`). Appends go through one queue: each `save` or `saveSnapshot` waits there, and
 * whatever has queued while the previous write and fsync were in flight is encoded into one
 * buffer, written with one write and made durable with one fdatasync (group commit). A save's
 * promise resolves once its records are durable. A failed write or fsync fails every waiting save
 * and makes the WAL refuse further writes until it is reopened (etcd panics at that point).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FAILPOINTS_ON, failpointAsync } from '../failpoint/index.js';
import type { Logger } from '../logger/index.js';
import { noopLogger } from '../logger/index.js';
import type { Entry, HardState } from '../raftpb/index.js';
import { entrySize, hardStateSize, isEmptyHardState, newHardState } from '../raftpb/index.js';
import { DirLock, LOCK_FILE_NAME } from './dir-lock.js';
import { maxFrameBytes, RecordEncoder } from './encoder.js';
import { WalError, WalErrorCode } from './errors.js';
import { PRIVATE_FILE_MODE, type WalFile, type WalFs, writeFully } from './file-layer.js';
import { FilePipeline, type Preallocation, preallocate } from './file-pipeline.js';
import { FlushedOffset } from './flushed-offset.js';
import { MAX_RECORD_BYTES } from './framing.js';
import {
  parseWalName,
  readSegmentNames,
  type SegmentName,
  selectSegments,
  walExists,
  walName,
} from './names.js';
import { defaultWalFs, nativeWalFs, nativeWalFsError } from './native-fs.js';
import { readLog } from './read-log.js';
import { SegmentLocks } from './segment-locks.js';
import { type WalSnapshot, walSnapshotSize } from './walpb.js';

/** etcd's `SegmentSizeBytes`: 64 * 1000 * 1000 bytes (etcd's "64MB"), preallocated per segment. */
export const DEFAULT_SEGMENT_SIZE_BYTES = 64 * 1000 * 1000;

/** Options of `Wal.create` and `Wal.open`. */
export interface WalOptions {
  /** Segment size: preallocated, and the offset at which a save cuts a new segment (counted as etcd counts it, see flushed-offset.ts). */
  segmentSizeBytes?: number;
  /** `zeros` (default) writes zeros, `sparse` only sets the length (etcd's fallback). */
  preallocation?: Preallocation;
  /**
   * How a save is made durable: `o_dsync` (default) opens the tail with O_DSYNC, so that the write
   * itself returns once durable: one trip to the thread pool per save instead of two, measured
   * ~15–40% more saves/s than `fdatasync` on this machine. `fdatasync` writes, then calls
   * fdatasync, as etcd does (and skips the fsync of a commit-only save, as raft.MustSync).
   */
  sync?: 'fdatasync' | 'o_dsync';
  /**
   * The file layer; tests wrap it to inject disk faults. Default: `defaultWalFs`, which writes and
   * fdatasyncs on a native writer thread per file (`nativeWalFs`) and falls back to plain
   * `fs/promises` (`nodeWalFs`) when the addon was not built.
   */
  fs?: WalFs;
  logger?: Logger;
}

/** What `readAll` returns. */
export interface WalContents {
  /** The metadata given to `create` (empty when none was). */
  metadata: Uint8Array;
  /** The last hard state saved (all zeros when none was). */
  hardState: HardState;
  /** The entries after the snapshot marker; `data` views the read buffers. */
  entries: Entry[];
}

const EMPTY = new Uint8Array(0);
/** Upper bound of a walpb.Record's bytes beyond its data (tags, type, crc, data length, padding). */
const RECORD_OVERHEAD_BYTES = 32;
/** A group commit takes queued appends up to this many (bounded) bytes into one write. */
const MAX_GROUP_BYTES = 8 << 20;
const KIND_SAVE = 0;
const KIND_SNAPSHOT = 1;

/** A queued append: a save (hard state + entries) or a snapshot marker. */
interface Pending {
  kind: number;
  hardState: HardState;
  entries: readonly Entry[];
  snapshot: WalSnapshot | undefined;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

type Mode = 'opened' | 'reading' | 'appending' | 'read-only' | 'closed';

/** etcd's WAL. Make one with `Wal.create` or `Wal.open`. */
export class Wal {
  readonly #dir: string;
  readonly #fs: WalFs;
  readonly #log: Logger;
  readonly #segmentSize: number;
  readonly #preallocation: Preallocation;
  readonly #dsync: boolean;
  readonly #lock: DirLock | undefined;
  /** etcd's segment locks on the segments held (`#segments`); none for openForRead. */
  readonly #locks: SegmentLocks;
  /** Lock releases started by releaseLockTo (close waits for them). */
  #releasing: Promise<void> = Promise.resolve();
  #readOnly = false;
  #mode: Mode;
  /** The segments this WAL holds, oldest first; the last is the tail (etcd's `locks`). */
  #segments: SegmentName[];
  #start: WalSnapshot;
  #tail: WalFile | undefined;
  /** Path of the tail, and what the flush is doing to it (for error messages). */
  #tailPath = '';
  #stage = 'write';
  #offset = 0;
  /** etcd's view of the tail's offset, which decides segment cuts (see flushed-offset.ts). */
  #etcdOffset = new FlushedOffset(0);
  #encoder = new RecordEncoder(0);
  #metadata: Uint8Array | undefined;
  #state: HardState = newHardState();
  #lastIndex = 0;
  #pipeline: FilePipeline | undefined;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failure: WalError | undefined;
  #scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

  private constructor(
    dir: string,
    lock: DirLock | undefined,
    locks: SegmentLocks,
    segments: SegmentName[],
    mode: Mode,
    o: WalOptions,
  ) {
    this.#dir = dir;
    this.#lock = lock;
    this.#locks = locks;
    this.#segments = segments;
    this.#mode = mode;
    this.#fs = o.fs ?? defaultWalFs;
    this.#log = o.logger ?? noopLogger;
    // Only WALs that append (openForRead takes no lock) care how writes are made.
    if (o.fs === undefined && nativeWalFs === undefined && lock !== undefined) {
      this.#log.warn(
        { dir, err: describe(nativeWalFsError) },
        'wal: the raftwire_wal addon is not built; saves go through fs/promises (slower fsynced saves)',
      );
    }
    this.#segmentSize = o.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES;
    this.#preallocation = o.preallocation ?? 'zeros';
    this.#dsync = o.sync !== 'fdatasync';
    this.#start = { index: 0, term: 0 };
  }

  /**
   * Creates a WAL in `dir`, ready for appending: the first segment `0000000000000000-
   * 0000000000000000.wal` holds a crc record, the metadata and the empty snapshot marker. Like
   * etcd, it is built in `<dir>.tmp` and renamed into place, so a crash leaves no half WAL.
   * Never removes anything it did not create: throws `RAFTWIRE_WAL_EXISTS` when `dir` holds
   * segments or any other file, `RAFTWIRE_WAL_NOT_A_DIRECTORY` when `dir` is a file or a symbolic
   * link.
   */
  static async create(dir: string, metadata?: Uint8Array, options: WalOptions = {}): Promise<Wal> {
    dir = resolve(dir);
    await refuseOccupied(dir);
    const fs = options.fs ?? defaultWalFs;
    const size = options.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES;
    const tmpDir = `${dir}.tmp`;
    const lock = await takeBuildDir(tmpDir);
    const locks = new SegmentLocks();
    const name = walName(0, 0);
    let file: WalFile | undefined;
    try {
      file = await fs.open(join(tmpDir, name), 'w', PRIVATE_FILE_MODE);
      await locks.lock(join(tmpDir, name));
      await preallocate(file, size, options.preallocation ?? 'zeros');
      const encoder = new RecordEncoder(0);
      const marker = { index: 0, term: 0 };
      const buf = Buffer.allocUnsafe(
        maxFrameBytes(undefined) + maxFrameBytes(metadata?.length) + maxFrameBytes(walSnapshotSize(marker)),
      );
      let pos = encoder.crcRecord(buf, 0);
      pos = encoder.metadata(buf, pos, metadata);
      pos = encoder.snapshot(buf, pos, marker, walSnapshotSize(marker));
      await writeFully(file, buf, pos, 0);
      await file.datasync();
      await fs.syncDir(tmpDir);
      // rename(2) replaces an empty directory and fails on anything else, so a file someone put
      // into `dir` since the check above is never lost: create fails instead.
      await lock.renameDir(tmpDir, dir).catch((e: unknown) => {
        throw isErrno(e, 'ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR')
          ? new WalError(WalErrorCode.EXISTS, `wal: ${dir} was filled while the WAL was being created`, {
              cause: e,
            })
          : e;
      });
      await fs.syncDir(dirname(dir));
      const w = new Wal(dir, lock, locks, [{ name, seq: 0, index: 0 }], 'appending', options);
      w.#tail = await w.#adopt(file, join(dir, name));
      file = undefined;
      w.#tailPath = join(dir, name);
      w.#offset = pos;
      w.#etcdOffset = new FlushedOffset(pos);
      w.#encoder = encoder;
      w.#metadata = metadata?.slice();
      w.#pipeline = new FilePipeline(dir, size, fs, w.#preallocation);
      return w;
    } catch (e) {
      await file?.close().catch(() => undefined);
      await locks.releaseAll();
      await lock.release();
      throw e;
    }
  }

  /**
   * Opens the WAL in `dir` for a restart from the snapshot `marker` (`{index: 0, term: 0}` when
   * there is no snapshot), taking the directory's lock. Call `readAll` next.
   */
  static async open(dir: string, marker: WalSnapshot, options: WalOptions = {}): Promise<Wal> {
    dir = resolve(dir);
    // Check there is a WAL before creating a lock file in the directory, then list the segments
    // again under the lock: a previous holder may have cut a segment before letting go.
    selectSegments(await readSegmentNames(dir), marker.index, dir);
    const lock = await DirLock.acquire(dir);
    const locks = new SegmentLocks();
    let segments: SegmentName[];
    try {
      segments = selectSegments(await readSegmentNames(dir), marker.index, dir);
      // etcd's openAtIndex: TryLockFile on every segment from the one holding the marker.
      await locks.lockAll(segments.map((s) => join(dir, s.name)));
    } catch (e) {
      await lock.release();
      throw e;
    }
    const w = new Wal(dir, lock, locks, segments, 'opened', options);
    w.#start = { index: marker.index, term: marker.term };
    return w;
  }

  /**
   * Opens the WAL in `dir` for reading only (etcd's OpenForRead): no lock is taken, so it works
   * beside a WAL open for appending; `readAll` repairs and zeroes nothing (a torn tail just ends
   * the log), and the WAL cannot be appended to.
   */
  static async openForRead(dir: string, marker: WalSnapshot, options: WalOptions = {}): Promise<Wal> {
    dir = resolve(dir);
    const segments = selectSegments(await readSegmentNames(dir), marker.index, dir);
    const w = new Wal(dir, undefined, new SegmentLocks(), segments, 'opened', options);
    w.#readOnly = true;
    w.#start = { index: marker.index, term: marker.term };
    return w;
  }

  /** The WAL's directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Names of the segments this WAL still holds (the ones `releaseLockTo` has not let go). */
  get lockedSegments(): string[] {
    return this.#segments.map((s) => s.name);
  }

  /**
   * Reads the log from the marker given to `open`: metadata, last hard state, and the entries
   * after the marker. Repairs a torn write at the tail. Then the WAL is ready for appending.
   * Throws `RAFTWIRE_WAL_SNAPSHOT_NOT_FOUND` / `_SNAPSHOT_MISMATCH` when the marker is absent or
   * has another term, `RAFTWIRE_WAL_CRC_MISMATCH` / `_CORRUPT` (naming file and offset) on
   * corruption. After a failure the WAL can only be closed.
   */
  async readAll(): Promise<WalContents> {
    if (this.#mode !== 'opened') {
      throw new WalError(WalErrorCode.BAD_STATE, 'wal: readAll is only possible once, after open');
    }
    this.#mode = 'reading';
    let c: Awaited<ReturnType<typeof readLog>>;
    try {
      c = await readLog(this.#dir, this.#segments, this.#start, this.#fs, this.#log, this.#readOnly);
      if (this.#readOnly) {
        this.#mode = this.#mode === 'reading' ? 'read-only' : this.#mode;
        return { metadata: c.metadata ?? EMPTY, hardState: c.hardState, entries: c.entries };
      }
    } catch (e) {
      this.#failure = new WalError(WalErrorCode.FAILED, 'wal: readAll failed; close the WAL', {
        cause: e,
      });
      throw e;
    }
    const tailPath = join(this.#dir, (this.#segments[this.#segments.length - 1] as SegmentName).name);
    let tail: WalFile | undefined;
    if (this.#mode === 'reading') {
      try {
        tail = await this.#adopt(c.tail, tailPath);
      } catch (e) {
        this.#failure = new WalError(WalErrorCode.FAILED, 'wal: readAll failed; close the WAL', { cause: e });
        throw e;
      }
    } else {
      await c.tail.close();
    }
    if (this.#mode !== 'reading' || tail === undefined) {
      await tail?.close();
      throw new WalError(WalErrorCode.BAD_STATE, 'wal: closed during readAll');
    }
    this.#tail = tail;
    this.#tailPath = tailPath;
    this.#offset = c.tailOffset;
    this.#etcdOffset = new FlushedOffset(c.tailOffset);
    this.#encoder = new RecordEncoder(c.crc);
    this.#metadata = c.metadata;
    this.#state = c.hardState;
    this.#lastIndex = c.lastIndex;
    this.#start = { index: 0, term: 0 };
    this.#pipeline = new FilePipeline(this.#dir, this.#segmentSize, this.#fs, this.#preallocation);
    this.#mode = 'appending';
    return { metadata: c.metadata ?? EMPTY, hardState: c.hardState, entries: c.entries };
  }

  /**
   * Appends `entries`, then `hardState` unless it is empty, and resolves once they are durable.
   * Concurrent saves share one write (and, in `fdatasync` mode, one fdatasync; there, as etcd's
   * `raft.MustSync`, a save that only moves the commit index is not fsynced on its own). The
   * entries must not be changed until the promise settles.
   */
  save(hardState: HardState, entries: readonly Entry[]): Promise<void> {
    const empty = isEmptyHardState(hardState);
    if (empty && entries.length === 0) return Promise.resolve();
    let bytes = 0;
    try {
      this.#checkWritable();
      for (const e of entries) {
        const size = entrySize(e);
        // etcd's reader refuses records of 10 MiB and more: never write one that cannot be read.
        if (size + RECORD_OVERHEAD_BYTES >= MAX_RECORD_BYTES) {
          throw new WalError(
            WalErrorCode.RECORD_TOO_LARGE,
            `wal: entry ${e.index} is ${size} bytes; a WAL record must stay under ${MAX_RECORD_BYTES} bytes`,
          );
        }
        bytes += maxFrameBytes(size);
      }
      if (!empty) bytes += maxFrameBytes(hardStateSize(hardState));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue(KIND_SAVE, hardState, entries, undefined, bytes);
  }

  /** Appends a snapshot marker and resolves once it is durable (etcd's SaveSnapshot). */
  saveSnapshot(marker: WalSnapshot): Promise<void> {
    let bytes: number;
    try {
      this.#checkWritable();
      bytes = maxFrameBytes(walSnapshotSize(marker));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue(KIND_SNAPSHOT, this.#state, [], { index: marker.index, term: marker.term }, bytes);
  }

  /**
   * Lets go of the segments wholly before `index`, keeping the one that holds it (etcd's
   * ReleaseLockTo: holding segments 1..6, releaseLockTo(4) drops 1 and 2 and keeps 3).
   */
  releaseLockTo(index: number): void {
    const segs = this.#segments;
    if (segs.length === 0) return;
    let smaller = segs.length - 1;
    for (let i = 0; i < segs.length; i++) {
      if ((segs[i] as SegmentName).index >= index) {
        smaller = i - 1;
        break;
      }
    }
    if (smaller <= 0) return;
    this.#segments = segs.slice(smaller);
    const released = segs.slice(0, smaller).map((s) => s.name);
    this.#releasing = this.#releasing
      .then(() => this.#locks.release(released))
      .catch((e: unknown) =>
        this.#log.warn({ dir: this.#dir, err: describe(e) }, 'wal: releasing segment locks failed'),
      );
  }

  /**
   * Waits for queued saves, syncs the tail, and releases every handle and the lock. Saves after
   * close are rejected with `RAFTWIRE_WAL_BAD_STATE`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#mode === 'closed') return;
    this.#mode = 'closed';
    let err: unknown;
    try {
      await this.#flushing;
      if (this.#tail !== undefined && this.#failure === undefined) await this.#tail.datasync();
    } catch (e) {
      err = e;
    }
    await this.#pipeline?.close();
    this.#pipeline = undefined;
    await this.#tail?.close().catch((e: unknown) => {
      err ??= e;
    });
    this.#tail = undefined;
    await this.#releasing;
    await this.#locks.releaseAll().catch((e: unknown) => {
      err ??= e;
    });
    await this.#lock?.release();
    if (err !== undefined) {
      throw new WalError(WalErrorCode.WRITE_FAILED, `wal: closing ${this.#dir} failed`, { cause: err });
    }
  }

  #checkWritable(): void {
    if (this.#mode === 'closed') throw new WalError(WalErrorCode.BAD_STATE, 'wal: closed');
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#readOnly) throw new WalError(WalErrorCode.BAD_STATE, 'wal: opened for reading only');
    if (this.#mode !== 'appending') {
      throw new WalError(WalErrorCode.BAD_STATE, 'wal: call readAll before appending');
    }
  }

  #enqueue(
    kind: number,
    hardState: HardState,
    entries: readonly Entry[],
    snapshot: WalSnapshot | undefined,
    bytes: number,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind, hardState, entries, snapshot, bytes, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Drains the queue: one group per write + fsync. A group ends early at the save after which etcd
   * would cut the segment; the cut then happens before that group's saves resolve.
   */
  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#takeGroup();
      if (this.#failure !== undefined) {
        for (const p of group) p.reject(this.#failure);
        continue;
      }
      let cut: boolean;
      try {
        cut = await this.#writeGroup(group);
      } catch (e) {
        const err = this.#fail(e, `${this.#stage} of ${this.#tailPath}`);
        for (const p of group) p.reject(err);
        continue;
      }
      if (this.#offset >= this.#segmentSize / 2) this.#pipeline?.warm();
      // A failed cut fails the saves, as etcd's Save returns its cut's error (their records are
      // durable all the same).
      if (cut) {
        try {
          await this.#cut();
        } catch (e) {
          const err = this.#fail(e, `segment cut after ${this.#tailPath}`);
          for (const p of group) p.reject(err);
          continue;
        }
      }
      for (const p of group) p.resolve();
    }
    this.#flushing = undefined;
  }

  /** The next group: every queued append, up to MAX_GROUP_BYTES (at least one). */
  #takeGroup(): Pending[] {
    const q = this.#queue;
    let n = 0;
    let bytes = 0;
    while (n < q.length && (n === 0 || bytes + (q[n] as Pending).bytes <= MAX_GROUP_BYTES)) {
      bytes += (q[n] as Pending).bytes;
      n++;
    }
    if (n === q.length) {
      this.#queue = [];
      return q;
    }
    return q.splice(0, n);
  }

  /**
   * Encodes the group into one buffer and writes it (then fdatasyncs, in that mode). Returns
   * whether etcd would cut the segment after the last save written; saves after that one are
   * taken out of `group` and put back at the head of the queue.
   */
  async #writeGroup(group: Pending[]): Promise<boolean> {
    let bound = 0;
    for (const p of group) bound += p.bytes;
    if (this.#scratch.length < bound)
      this.#scratch = Buffer.allocUnsafe(Math.max(bound, this.#scratch.length * 2));
    const buf = this.#scratch;
    const enc = this.#encoder;
    const etcd = this.#etcdOffset;
    let pos = 0;
    let groupMustSync = false;
    let cut = false;
    let n = 0;
    while (n < group.length && !cut) {
      const p = group[n++] as Pending;
      if (p.kind === KIND_SNAPSHOT) {
        const s = p.snapshot as WalSnapshot;
        const at = pos;
        pos = enc.snapshot(buf, pos, s, walSnapshotSize(s));
        etcd.record(pos - at);
        etcd.flush();
        if (this.#lastIndex < s.index) this.#lastIndex = s.index;
        groupMustSync = true;
        continue;
      }
      // etcd's Save: entries, then the hard state; raft.MustSync; then the cut check on the offset
      // its page writer has flushed, else a sync when it must.
      const ents = p.entries;
      for (let i = 0; i < ents.length; i++) {
        const e = ents[i] as Entry;
        const at = pos;
        pos = enc.entry(buf, pos, e, entrySize(e));
        etcd.record(pos - at);
      }
      let mustSync = ents.length > 0;
      if (mustSync) this.#lastIndex = (ents[ents.length - 1] as Entry).index;
      const hs = p.hardState;
      if (!isEmptyHardState(hs)) {
        if (hs.term !== this.#state.term || hs.vote !== this.#state.vote) mustSync = true;
        const at = pos;
        pos = enc.state(buf, pos, hs, hardStateSize(hs));
        etcd.record(pos - at);
        this.#state = hs;
      }
      if (etcd.flushed >= this.#segmentSize) cut = true;
      else if (mustSync) etcd.flush();
      groupMustSync ||= mustSync;
    }
    if (n < group.length) this.#queue = group.splice(n).concat(this.#queue);
    const tail = this.#tail as WalFile;
    // A cut syncs the tail itself.
    const datasync = groupMustSync && !cut && !this.#dsync;
    if (FAILPOINTS_ON) {
      this.#stage = 'write';
      await failpointAsync('walBeforeWrite');
      // The write that makes the group durable (O_DSYNC or write + fdatasync) counts as its fsync.
      this.#stage = 'fdatasync';
      if (groupMustSync) await failpointAsync('walBeforeFsync');
    }
    if (datasync && tail.writeDurable !== undefined) {
      this.#stage = 'write';
      try {
        await tail.writeDurable(buf, 0, pos, this.#offset);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).syscall === 'fdatasync') this.#stage = 'fdatasync';
        throw e;
      }
      this.#offset += pos;
    } else {
      this.#stage = 'write';
      await writeFully(tail, buf, pos, this.#offset);
      this.#offset += pos;
      this.#stage = 'fdatasync';
      if (datasync) await tail.datasync();
    }
    if (this.#scratch.length > 4 << 20) this.#scratch = Buffer.allocUnsafe(64 * 1024);
    return cut;
  }

  /**
   * Closes the full tail and starts the next segment (etcd's cut): truncate the tail to its data
   * and sync it; take the preallocated temp file; write a crc record carrying the chain, the
   * metadata and the last hard state; sync; rename it to `<seq+1>-<lastIndex+1>.wal`; sync the
   * directory.
   */
  async #cut(): Promise<void> {
    const oldTail = this.#tail as WalFile;
    await oldTail.truncate(this.#offset);
    await oldTail.datasync();
    const prev = this.#segments[this.#segments.length - 1];
    const seq = prev === undefined ? 0 : prev.seq + 1;
    const name = walName(seq, this.#lastIndex + 1);
    const prepared = await (this.#pipeline as FilePipeline).open();
    const enc = this.#encoder;
    const hs = this.#state;
    const empty = isEmptyHardState(hs);
    const buf = Buffer.allocUnsafe(
      maxFrameBytes(undefined) +
        maxFrameBytes(this.#metadata?.length) +
        (empty ? 0 : maxFrameBytes(hardStateSize(hs))),
    );
    let pos = enc.crcRecord(buf, 0);
    pos = enc.metadata(buf, pos, this.#metadata);
    if (!empty) pos = enc.state(buf, pos, hs, hardStateSize(hs));
    try {
      await writeFully(prepared.file, buf, pos, 0);
      await prepared.file.datasync();
      // Locked before it gets its segment name, as etcd's pipeline locks the file it prepares.
      await this.#locks.lock(prepared.path, name);
      await rename(prepared.path, join(this.#dir, name));
    } catch (e) {
      await prepared.file.close().catch(() => undefined);
      throw e;
    }
    this.#tail = await this.#adopt(prepared.file, join(this.#dir, name));
    this.#tailPath = join(this.#dir, name);
    this.#offset = pos;
    this.#etcdOffset = new FlushedOffset(pos);
    this.#segments.push({ name, seq, index: this.#lastIndex + 1 });
    await oldTail.close();
    await this.#fs.syncDir(this.#dir);
    this.#log.info({ path: join(this.#dir, name) }, 'created a new WAL segment');
  }

  /** The handle appends go through: `file` itself, or in o_dsync mode a new O_DSYNC handle. */
  async #adopt(file: WalFile, path: string): Promise<WalFile> {
    if (!this.#dsync) return file;
    try {
      return await this.#fs.open(path, constants.O_RDWR | constants.O_DSYNC);
    } finally {
      await file.close();
    }
  }

  #fail(cause: unknown, what: string): WalError {
    const err = new WalError(
      WalErrorCode.WRITE_FAILED,
      `wal: ${what} failed in ${this.#dir}: ${describe(cause)}; the WAL refuses further writes until reopened`,
      { cause },
    );
    this.#failure ??= new WalError(
      WalErrorCode.FAILED,
      `wal: ${this.#dir} is unusable after an earlier ${what} failure (${describe(cause)}); close and reopen it`,
      { cause },
    );
    this.#log.error({ dir: this.#dir, err: describe(cause) }, `wal: ${what} failed`);
    return err;
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message;
  return String(e);
}

/**
 * Refuses a `create` target that exists and is not an empty directory: a file, a symbolic link, a
 * directory holding a WAL or anything else. Nothing is removed.
 */
async function refuseOccupied(dir: string): Promise<void> {
  const st = await lstat(dir).catch((e: unknown) => {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  });
  if (st === undefined) return;
  if (!st.isDirectory()) {
    const what = st.isSymbolicLink() ? 'a symbolic link' : 'not a directory';
    throw new WalError(
      WalErrorCode.NOT_A_DIRECTORY,
      `wal: cannot create a WAL at ${dir}: it exists and is ${what}`,
    );
  }
  if (await walExists(dir)) throw new WalError(WalErrorCode.EXISTS, `wal: ${dir} already holds a WAL`);
  const existing = await readdir(dir);
  if (existing.length > 0) {
    throw new WalError(WalErrorCode.EXISTS, `wal: ${dir} is not empty (${existing.sort()[0]} …)`);
  }
}

/**
 * Creates and locks `<dir>.tmp`, where `create` builds the WAL. A leftover of an interrupted create
 * (a directory holding only segments and lock files) is taken over once its lock is taken — a
 * create still running elsewhere holds it — and its segments are removed; anything else at that
 * path is not ours to remove, and `create` is refused.
 */
async function takeBuildDir(tmpDir: string): Promise<DirLock> {
  const st = await lstat(tmpDir).catch((e: unknown) => {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  });
  const isLeftover = (names: string[]) =>
    names.every((n) => parseWalName(n) !== undefined || n.startsWith(LOCK_FILE_NAME));
  if (st !== undefined && !(st.isDirectory() && isLeftover(await readdir(tmpDir)))) {
    throw new WalError(
      WalErrorCode.EXISTS,
      `wal: ${tmpDir}, where a WAL is built before it is renamed into place, exists and is not a leftover of an interrupted create`,
    );
  }
  await mkdir(tmpDir, { recursive: true });
  const lock = await DirLock.acquire(tmpDir);
  try {
    const names = await readdir(tmpDir);
    if (!isLeftover(names))
      throw new WalError(WalErrorCode.EXISTS, `wal: ${tmpDir} changed while create took it`);
    for (const n of names) if (parseWalName(n) !== undefined) await rm(join(tmpDir, n));
    return lock;
  } catch (e) {
    await lock.release();
    throw e;
  }
}

function isErrno(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as { code?: unknown }).code as string);
}
