/**
 * A simulated disk: what a member has written, split into the durable image (survives a crash)
 * and writes not yet synced (a crash keeps a random prefix of them, as a torn write-ahead log
 * would). The durable image is a MemoryStorage replayed with etcd's WAL order: snapshot, then
 * entries, then HardState.
 */

import { MemoryStorage } from '../../raft/index.js';
import {
  type ConfState,
  type Entry,
  type HardState,
  isEmptySnap,
  type Snapshot,
} from '../../raftpb/index.js';
import type { Prng } from './prng.js';

/**
 * One write to the disk: a Ready's worth (snapshot, entries, HardState, kept or lost whole), or a
 * local snapshot with the compaction behind it.
 */
export type DiskRecord =
  | {
      snap?: Snapshot | undefined;
      entries: readonly Entry[];
      hs?: HardState | undefined;
      localSnap?: undefined;
    }
  | { localSnap: { index: number; confState: ConfState; data: Uint8Array } };

function applyRecord(img: MemoryStorage, r: DiskRecord): void {
  if (r.localSnap !== undefined) {
    const { index, confState, data } = r.localSnap;
    if (index <= img.snapshot().metadata.index) return;
    img.createSnapshot(index, confState, data);
    img.compact(index);
    return;
  }
  if (r.snap !== undefined) img.applySnapshot(r.snap);
  if (r.entries.length > 0) img.append(r.entries);
  if (r.hs !== undefined) img.setHardState(r.hs);
}

/** The durable image and the pending writes of one member. */
export class SimDisk {
  #durable = new MemoryStorage();
  #pending: DiskRecord[] = [];

  /** Queues a write (not durable until {@link sync}). */
  write(r: DiskRecord): void {
    this.#pending.push(r);
  }

  /** Number of writes not yet durable. */
  pendingCount(): number {
    return this.#pending.length;
  }

  /** Makes every queued write durable. */
  sync(): void {
    for (const r of this.#pending) applyRecord(this.#durable, r);
    this.#pending = [];
  }

  /** A crash: a random prefix of the pending writes reached the platter; the rest is lost. */
  crash(rng: Prng): number {
    const keep = rng.int(this.#pending.length + 1);
    for (let i = 0; i < keep; i++) applyRecord(this.#durable, this.#pending[i]!);
    const lost = this.#pending.length - keep;
    this.#pending = [];
    return lost;
  }

  /**
   * True when entry `i` of term `term` is durable here, or covered by the durable snapshot (a
   * snapshot holds only committed state).
   */
  durableHas(i: number, term: number): boolean {
    const img = this.#durable;
    if (i <= img.snapshot().metadata.index) return true;
    if (i > img.lastIndex()) return false;
    return img.term(i) === term;
  }

  /** The durable snapshot's index (0 when none). */
  durableSnapshotIndex(): number {
    return this.#durable.snapshot().metadata.index;
  }

  /** The durable HardState. */
  durableHardState(): HardState {
    return this.#durable.initialState().hardState;
  }

  /** A fresh MemoryStorage holding exactly the durable image (what a restarted member reads). */
  load(): MemoryStorage {
    const img = this.#durable;
    const ms = new MemoryStorage();
    const snap = img.snapshot();
    if (!isEmptySnap(snap)) ms.applySnapshot(snap);
    else ms.setConfState(img.initialState().confState);
    ms.setHardState(img.initialState().hardState);
    const first = img.firstIndex();
    const last = img.lastIndex();
    if (last >= first) ms.append(img.entries(first, last + 1, Number.POSITIVE_INFINITY));
    return ms;
  }
}
