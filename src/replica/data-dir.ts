/**
 * Opening a replica's data directory (etcd's bootstrap/restart, raftexample's replayWAL): a new
 * WAL named after the member and cluster, or the newest usable snapshot + the WAL after it, with
 * the state machine restored from the snapshot's database file. A directory of another member or
 * cluster, a corrupt one, or one whose member was removed is refused with a typed error.
 */
import { createReadStream } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isRaftwireError } from '../errors/index.js';
import { type Logger, noopLogger } from '../logger/index.js';
import { MemoryStorage } from '../raft/index.js';
import {
  ConfChangeType,
  decodeConfChange,
  EntryType,
  formatId,
  type HardState,
  isEmptyHardState,
  type Snapshot,
} from '../raftpb/index.js';
import { NoSnapshotError, Snapshotter } from '../snap/index.js';
import { validSnapshotEntries, Wal, walExists } from '../wal/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { decodeContext, Membership } from './membership.js';
import { decodeDirMetadata, encodeDirMetadata } from './metadata.js';
import type { StateMachine } from './types.js';

/** The file a member writes when it learns it was removed; its presence refuses every later start. */
export const REMOVED_MARKER = 'removed';

/** What opening the directory gives the replica. */
export interface OpenedDataDir {
  wal: Wal;
  snapshotter: Snapshotter;
  storage: MemoryStorage;
  /** True when the directory held a WAL with state (restart), false when new or empty. */
  restarting: boolean;
  /** The snapshot the state machine was restored from, if any. */
  snapshot: Snapshot | undefined;
  /** Membership as of the snapshot (what the apply loop continues from). */
  applied: Membership;
  /** Membership including the committed conf changes in the WAL (for the transport's peers). */
  known: Membership;
}

/** Inputs of openDataDir. */
export interface OpenDataDirOptions {
  dataDir: string;
  id: bigint;
  clusterId: bigint;
  stateMachine: StateMachine<unknown>;
  logger?: Logger;
  walSegmentSizeBytes?: number;
  walSync?: 'o_dsync' | 'fdatasync';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The removed-member error for `id`. */
export function removedError(id: bigint): ReplicaError {
  return new ReplicaError(
    ReplicaErrorCode.MemberRemoved,
    `member ${formatId(id)} was removed from the cluster and cannot rejoin with this ID`,
  );
}

/** Opens (or creates) the data directory. The caller owns the returned WAL. */
export async function openDataDir(o: OpenDataDirOptions): Promise<OpenedDataDir> {
  const logger = o.logger ?? noopLogger;
  const walOptions = {
    logger,
    ...(o.walSegmentSizeBytes !== undefined ? { segmentSizeBytes: o.walSegmentSizeBytes } : {}),
    ...(o.walSync !== undefined ? { sync: o.walSync } : {}),
  };
  const walDir = join(o.dataDir, 'wal');
  const snapDir = join(o.dataDir, 'snap');
  await mkdir(snapDir, { recursive: true });
  if (await exists(join(o.dataDir, REMOVED_MARKER))) throw removedError(o.id);
  const snapshotter = new Snapshotter(snapDir, { logger });
  const storage = new MemoryStorage();
  if (!(await walExists(walDir))) {
    const wal = await Wal.create(
      walDir,
      encodeDirMetadata({ nodeId: o.id, clusterId: o.clusterId }),
      walOptions,
    );
    return {
      wal,
      snapshotter,
      storage,
      restarting: false,
      snapshot: undefined,
      applied: new Membership(),
      known: new Membership(),
    };
  }
  let snapshot: Snapshot | undefined;
  try {
    snapshot = await snapshotter.loadNewestAvailable(await validSnapshotEntries(walDir));
  } catch (e) {
    if (!(e instanceof NoSnapshotError)) throw corrupt(o.dataDir, e);
  }
  const marker = { index: snapshot?.metadata.index ?? 0, term: snapshot?.metadata.term ?? 0 };
  const wal = await Wal.open(walDir, marker, walOptions);
  try {
    let contents: Awaited<ReturnType<Wal['readAll']>>;
    try {
      contents = await wal.readAll();
    } catch (e) {
      throw corrupt(o.dataDir, e);
    }
    const ident = decodeDirMetadata(contents.metadata, o.dataDir);
    if (ident.nodeId !== o.id || ident.clusterId !== o.clusterId) {
      throw new ReplicaError(
        ReplicaErrorCode.ForeignDataDir,
        `${o.dataDir} belongs to member ${formatId(ident.nodeId)} of cluster ${formatId(ident.clusterId)}, not member ${formatId(o.id)} of cluster ${formatId(o.clusterId)}`,
      );
    }
    let applied = new Membership();
    if (snapshot !== undefined) {
      try {
        applied = Membership.decode(snapshot.data);
      } catch (e) {
        throw corrupt(o.dataDir, e);
      }
      const index = snapshot.metadata.index;
      let dbPath: string;
      try {
        dbPath = await snapshotter.dbFilePath(index);
      } catch (e) {
        throw corrupt(o.dataDir, e);
      }
      try {
        await o.stateMachine.restore(createReadStream(dbPath));
      } catch (e) {
        throw new ReplicaError(ReplicaErrorCode.StateMachine, `state machine restore failed: ${String(e)}`, {
          cause: e,
        });
      }
      storage.applySnapshot(snapshot);
    }
    const hs: HardState = contents.hardState;
    if (!isEmptyHardState(hs)) storage.setHardState(hs);
    storage.append(contents.entries);
    const known = applied.clone();
    for (const e of contents.entries) {
      if (e.index > hs.commit) break;
      if (e.type !== EntryType.EntryConfChange) continue;
      const cc = decodeConfChange(e.data ?? new Uint8Array(0));
      if (cc.type === ConfChangeType.ConfChangeRemoveNode) known.remove(cc.nodeId);
      else if (cc.type !== ConfChangeType.ConfChangeUpdateNode && !known.removed.has(cc.nodeId))
        known.add(cc.nodeId, decodeContext(cc.context));
    }
    if (known.removed.has(o.id)) throw removedError(o.id);
    // A WAL holding nothing at all (a first start that failed before its first save, e.g. on a
    // peer port in use) is as good as an empty directory: it may bootstrap.
    const restarting = snapshot !== undefined || contents.entries.length > 0 || !isEmptyHardState(hs);
    return { wal, snapshotter, storage, restarting, snapshot, applied, known };
  } catch (e) {
    await wal.close().catch(() => {});
    throw e;
  }
}

function corrupt(dir: string, e: unknown): ReplicaError {
  if (isRaftwireError(e, ReplicaErrorCode.ForeignDataDir)) return e as ReplicaError;
  const detail = e instanceof Error ? e.message : String(e);
  return new ReplicaError(
    ReplicaErrorCode.CorruptDataDir,
    `${dir}: cannot replay the data directory: ${detail}`,
    {
      cause: e,
    },
  );
}
