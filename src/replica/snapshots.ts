/**
 * Taking and installing snapshots (etcd's saveSnap/triggerSnapshot, raftexample's
 * maybeTriggerSnapshot/publishSnapshot). The state machine's image is streamed into the
 * snapshot directory's `<index>.snap.db` (never whole in memory unless the state machine hands a
 * single buffer); the `.snap` file holds raft's snapshot metadata with the membership as data.
 * Order as etcd: database file, WAL snapshot marker, `.snap` file, then compaction and release.
 */
import { createReadStream } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FAILPOINTS_ON, failpointAsync } from '../failpoint/index.js';
import type { MemoryStorage } from '../raft/index.js';
import type { ConfState, Snapshot } from '../raftpb/index.js';
import type { Snapshotter } from '../snap/index.js';
import type { Wal } from '../wal/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { Membership } from './membership.js';
import type { StateMachine } from './types.js';

/** `.snap` files kept (etcd keeps 5 by default; the newest is the one that matters). */
const SNAP_FILES_KEPT = 3;
/** WAL segments kept at least (etcd's --max-wals default). */
const WAL_FILES_KEPT = 5;

/** Deletes the oldest WAL segments the WAL no longer holds, keeping WAL_FILES_KEPT (etcd's purgeFile). */
async function purgeWalFiles(wal: Wal): Promise<void> {
  const held = new Set(wal.lockedSegments);
  const names = (await readdir(wal.dir)).filter((n) => n.endsWith('.wal')).sort();
  let excess = names.length - WAL_FILES_KEPT;
  for (const name of names) {
    if (excess <= 0 || held.has(name)) break;
    await unlink(join(wal.dir, name)).catch(() => {});
    excess--;
  }
}

function smError(what: string, e: unknown): ReplicaError {
  if (e instanceof ReplicaError) return e;
  return new ReplicaError(
    ReplicaErrorCode.StateMachine,
    `state machine ${what} failed: ${e instanceof Error ? e.message : String(e)}`,
    { cause: e },
  );
}

async function* image(sm: StateMachine<unknown>): AsyncIterable<Uint8Array> {
  let img: Uint8Array | AsyncIterable<Uint8Array>;
  try {
    img = sm.snapshot();
  } catch (e) {
    throw smError('snapshot', e);
  }
  if (img instanceof Uint8Array) {
    yield img;
    return;
  }
  try {
    for await (const chunk of img) yield chunk;
  } catch (e) {
    throw smError('snapshot', e);
  }
}

async function purgeSnapFiles(snapshotter: Snapshotter): Promise<void> {
  const names = await snapshotter.snapNames();
  for (const name of names.slice(SNAP_FILES_KEPT)) await unlink(join(snapshotter.dir, name)).catch(() => {});
}

/** What takeSnapshot works on. */
export interface TakeSnapshotInput {
  sm: StateMachine<unknown>;
  storage: MemoryStorage;
  wal: Wal;
  snapshotter: Snapshotter;
  /** The last applied index (the image's). */
  index: number;
  confState: ConfState;
  membership: Membership;
  /** Entries kept before `index` for slow followers. */
  catchUp: number;
}

/** Takes a snapshot at `index`; returns it. No apply may run until it resolves. */
export async function takeSnapshot(d: TakeSnapshotInput): Promise<number> {
  const { index, storage } = d;
  const term = storage.term(index);
  if (FAILPOINTS_ON) await failpointAsync('snapBeforeTake');
  await d.snapshotter.saveDBFrom(image(d.sm), index);
  const snap = storage.createSnapshot(index, d.confState, d.membership.encode());
  await d.wal.saveSnapshot({ index, term });
  await d.snapshotter.saveSnap(snap);
  if (FAILPOINTS_ON) await failpointAsync('snapAfterTake');
  const compactTo = index - d.catchUp;
  if (compactTo > storage.firstIndex()) storage.compact(compactTo);
  d.wal.releaseLockTo(index);
  await d.snapshotter.releaseSnapDBs(snap);
  await purgeSnapFiles(d.snapshotter);
  await purgeWalFiles(d.wal);
  return index;
}

/** What installSnapshot works on. */
export interface InstallSnapshotInput {
  sm: StateMachine<unknown>;
  storage: MemoryStorage;
  wal: Wal;
  snapshotter: Snapshotter;
  snapshot: Snapshot;
}

/**
 * Installs a snapshot received from the leader (its database already saved by the transport):
 * persists it (WAL marker + `.snap`), restores the state machine from the database file, and
 * resets the MemoryStorage to it. Returns the snapshot's membership.
 */
export async function installSnapshot(d: InstallSnapshotInput): Promise<Membership> {
  const snap = d.snapshot;
  const { index, term } = snap.metadata;
  let membership: Membership;
  let path: string;
  try {
    membership = Membership.decode(snap.data);
    path = await d.snapshotter.dbFilePath(index);
  } catch (e) {
    throw new ReplicaError(
      ReplicaErrorCode.CorruptDataDir,
      `cannot install the snapshot at ${index}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (FAILPOINTS_ON) await failpointAsync('raftBeforeSaveSnap');
  await d.wal.saveSnapshot({ index, term });
  await d.snapshotter.saveSnap(snap);
  if (FAILPOINTS_ON) await failpointAsync('raftAfterSaveSnap');
  if (FAILPOINTS_ON) await failpointAsync('raftBeforeApplySnap');
  try {
    await d.sm.restore(createReadStream(path));
  } catch (e) {
    throw smError('restore', e);
  }
  d.storage.applySnapshot(snap);
  if (FAILPOINTS_ON) await failpointAsync('raftAfterApplySnap');
  d.wal.releaseLockTo(index);
  await d.snapshotter.releaseSnapDBs(snap);
  await purgeSnapFiles(d.snapshotter);
  await purgeWalFiles(d.wal);
  return membership;
}
