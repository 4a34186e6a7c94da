/**
 * The Snapshotter: raft snapshots (`.snap` files) and database snapshot bodies (`.snap.db` files)
 * in one directory, with the behaviour of etcd 3.4's `snap.Snapshotter`.
 */
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger/index.js';
import { noopLogger } from '../logger/index.js';
import { isEmptySnap, type Snapshot } from '../raftpb/index.js';
import { type DbSource, streamToFile } from './db-file.js';
import { exists, removeQuietly, replaceFileDurably } from './durable-file.js';
import { NoDbSnapshotError, NoSnapshotError } from './errors.js';
import {
  BROKEN_SUFFIX,
  DB_SUFFIX,
  dbFileName,
  isDefragOrphan,
  isOwnTempFile,
  parseDbFileName,
  SNAP_SUFFIX,
  snapFileName,
  sortSnapNames,
  TEMP_SUFFIX,
} from './names.js';
import { decodeSnapFile, encodeSnapFile } from './snap-file.js';

/** A WAL snapshot marker (`walpb.Snapshot`): the term and index of a snapshot the WAL recorded. */
export interface SnapshotMarker {
  index: number;
  term: number;
}

/** Options of a Snapshotter. */
export interface SnapshotterOptions {
  /** Receives the warnings etcd logs (broken files renamed, unexpected files, orphans removed). */
  logger?: Logger;
}

/** Names etcd does not warn about (plus raftwire's own `.snap.db` and `.broken` files). */
function isExpectedName(name: string): boolean {
  return (
    name.endsWith(SNAP_SUFFIX) || name.endsWith(DB_SUFFIX) || name.endsWith(BROKEN_SUFFIX) || name === 'db'
  );
}

/** Reads and decodes one `.snap` file (etcd's `snap.Read`); throws `SnapFileError` or an I/O error. */
export async function readSnapFile(path: string): Promise<Snapshot> {
  return decodeSnapFile(await readFile(path), path);
}

/**
 * Raft snapshots and database snapshots of one member, in `dir` (which must exist).
 *
 * Not safe for two processes at once: like etcd, raftwire relies on the WAL's lock to keep a
 * second process out of a member's data directory.
 */
export class Snapshotter {
  /** The snapshot directory. */
  readonly dir: string;
  private readonly logger: Logger;
  private tempSeq = 0;
  /** Temp files being written right now; the orphan cleanup leaves them alone. */
  private readonly inFlight = new Set<string>();

  constructor(dir: string, options: SnapshotterOptions = {}) {
    this.dir = dir;
    this.logger = options.logger ?? noopLogger;
  }

  private tempName(target: string): string {
    const name = `.${target}.${process.pid}.${++this.tempSeq}${TEMP_SUFFIX}`;
    this.inFlight.add(name);
    return name;
  }

  /**
   * Saves a raft snapshot as `%016x-%016x.snap` (term, index), durably: temp file, fsync, rename,
   * directory fsync. An empty snapshot (index 0) is skipped, as etcd skips it. A file of the same
   * name is replaced.
   */
  async saveSnap(snapshot: Snapshot): Promise<void> {
    if (isEmptySnap(snapshot)) return;
    const { term, index } = snapshot.metadata;
    const name = snapFileName(term, index);
    const temp = this.tempName(name);
    try {
      await replaceFileDurably(this.dir, name, temp, encodeSnapFile(snapshot));
    } catch (e) {
      this.logger.warn({ path: join(this.dir, name), error: String(e) }, 'failed to write a snap file');
      throw e;
    } finally {
      this.inFlight.delete(temp);
    }
  }

  /**
   * The newest readable snapshot. Files that cannot be read are renamed to `<name>.broken` (and
   * never tried again), as etcd does. Throws `NoSnapshotError` when none is left.
   */
  load(): Promise<Snapshot> {
    return this.loadMatching(() => true);
  }

  /**
   * The newest readable snapshot whose term and index appear among `walSnaps` (the markers the WAL
   * holds, e.g. from the WAL's list of valid snapshot entries): etcd's `LoadNewestAvailable`, what
   * a restart uses so that the snapshot and the WAL agree. Broken files are renamed as in `load`.
   */
  loadNewestAvailable(walSnaps: readonly SnapshotMarker[]): Promise<Snapshot> {
    return this.loadMatching((s) =>
      walSnaps.some((m) => m.index === s.metadata.index && m.term === s.metadata.term),
    );
  }

  private async loadMatching(match: (s: Snapshot) => boolean): Promise<Snapshot> {
    for (const name of await this.snapNames()) {
      const snap = await this.loadOrQuarantine(name);
      if (snap !== undefined && match(snap)) return snap;
    }
    throw new NoSnapshotError(this.dir);
  }

  private async loadOrQuarantine(name: string): Promise<Snapshot | undefined> {
    const path = join(this.dir, name);
    try {
      return await readSnapFile(path);
    } catch (error) {
      const brokenPath = path + BROKEN_SUFFIX;
      this.logger.warn({ path, error: String(error) }, 'failed to read a snap file');
      try {
        await rename(path, brokenPath);
        this.logger.warn({ path, 'broken-path': brokenPath }, 'renamed to a broken snap file');
      } catch (renameError) {
        this.logger.warn(
          { path, 'broken-path': brokenPath, error: String(renameError) },
          'failed to rename a broken snap file',
        );
      }
      return undefined;
    }
  }

  /**
   * Names of the `.snap` files, newest first. Removes the orphans a crash can leave: raftwire's
   * own temp files (not being written now) and etcd's `db.tmp*` defragmentation files. Throws
   * `NoSnapshotError` when there is no `.snap` file.
   */
  async snapNames(): Promise<string[]> {
    const names: string[] = [];
    for (const name of await readdir(this.dir)) {
      if ((isOwnTempFile(name) && !this.inFlight.has(name)) || isDefragOrphan(name)) {
        this.logger.info({ path: name }, 'found orphaned temporary file; deleting');
        await removeQuietly(join(this.dir, name));
        continue;
      }
      if (!isExpectedName(name) && !this.inFlight.has(name)) {
        this.logger.warn({ path: name }, 'found unexpected non-snap file; skipping');
      }
      names.push(name);
    }
    const snaps = sortSnapNames(names);
    if (snaps.length === 0) throw new NoSnapshotError(this.dir);
    return snaps;
  }

  /**
   * Streams a database snapshot for `index` into `%016x.snap.db` (temp file, fsync, rename,
   * directory fsync). Returns the number of bytes read from `source`. If the file already exists
   * it is kept and the new bytes are dropped, as etcd does.
   */
  async saveDBFrom(source: DbSource, index: number): Promise<number> {
    const name = dbFileName(index);
    const temp = this.tempName(name);
    try {
      const { bytes, renamed } = await streamToFile(this.dir, name, temp, source);
      this.logger.info(
        { path: join(this.dir, name), bytes, kept: renamed ? 'new' : 'existing' },
        'saved database snapshot to disk',
      );
      return bytes;
    } finally {
      this.inFlight.delete(temp);
    }
  }

  /** The path of the database snapshot for `index`; throws `NoDbSnapshotError` if it does not exist. */
  async dbFilePath(index: number): Promise<string> {
    const path = join(this.dir, dbFileName(index));
    if (await exists(path)) return path;
    this.logger.warn(
      { 'snapshot-index': index, 'snapshot-file-path': path },
      'failed to find [SNAPSHOT-INDEX].snap.db',
    );
    throw new NoDbSnapshotError(path, index);
  }

  /**
   * Deletes the database snapshots older than `snapshot` (etcd's `ReleaseSnapDBs`): they can no
   * longer be needed once a newer snapshot is saved. Returns the names removed.
   */
  async releaseSnapDBs(snapshot: Snapshot): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.dir)) {
      const index = parseDbFileName(name);
      if (index === undefined) continue;
      if (index < snapshot.metadata.index) {
        this.logger.warn({ path: name }, 'found orphaned .snap.db file; deleting');
        await removeQuietly(join(this.dir, name));
        removed.push(name);
      }
    }
    return removed;
  }
}
