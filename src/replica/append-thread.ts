/**
 * The append thread of raft's asynchronous storage writes: each MsgStorageAppend is written to
 * the WAL — saves are issued back to back so the WAL groups them into one write + sync — then,
 * in order once durable, appended to the MemoryStorage and its responses delivered. A snapshot in
 * the message is installed first (after the apply thread went idle). A change of the commit
 * index alone is held back and written with the next save (etcd's raft.MustSync).
 */
import { FAILPOINTS_ON, failpointAsync } from '../failpoint/index.js';
import type { MemoryStorage } from '../raft/index.js';
import type { HardState, Message, Snapshot } from '../raftpb/index.js';
import type { Wal } from '../wal/index.js';

const EMPTY_HS: HardState = { term: 0, vote: 0n, commit: 0 };

/** What the append thread works with. */
export interface AppendHost {
  wal: Wal;
  storage: MemoryStorage;
  running(): boolean;
  /** Resolves when every apply queued so far is done. */
  applyIdle(): Promise<void>;
  installSnapshot(snap: Snapshot): Promise<void>;
  deliver(responses: readonly Message[] | undefined): void;
  fail(e: unknown): void;
}

/** Persists raft's MsgStorageAppend messages in order. */
export class AppendThread {
  #chain: Promise<void> = Promise.resolve();
  #snapshotsPending = 0;
  /** The last hard state given to the WAL, and a newer commit-only one not written yet. */
  #savedHs: HardState;
  #pendingHs: HardState | undefined;
  /**
   * The log's last index as the WAL will replay it: that of the latest save handed to the WAL (or
   * snapshot installed). A commit index written on its own (flushHardState) must not exceed it: an
   * append deferred on the chain (behind a snapshot install, or with failpoints on) may not have
   * reached the WAL yet, and a HardState whose commit is past the replayed log cannot be loaded.
   */
  #issuedLast: number;

  constructor(
    private readonly host: AppendHost,
    initial: HardState,
  ) {
    this.#savedHs = initial;
    this.#issuedLast = host.storage.lastIndex();
  }

  /** Resolves when everything queued so far is done. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** Queues one MsgStorageAppend. */
  enqueue(m: Message): void {
    let hs: HardState =
      m.term !== 0 || m.commit !== 0 || (m.vote ?? 0n) !== 0n
        ? { term: m.term, vote: m.vote ?? 0n, commit: m.commit }
        : EMPTY_HS;
    const entries = m.entries;
    const snap = m.snapshot;
    const stateHs = hs;
    // A change of the commit index alone need not be durable (etcd's raft.MustSync): it is kept
    // and written with the next save, so it never costs a synchronous write of its own.
    const saved0 = this.#savedHs;
    if (
      snap === undefined &&
      entries.length === 0 &&
      hs !== EMPTY_HS &&
      hs.term === saved0.term &&
      hs.vote === saved0.vote
    ) {
      this.#pendingHs = hs;
      hs = EMPTY_HS;
    } else {
      if (hs === EMPTY_HS && this.#pendingHs !== undefined) hs = this.#pendingHs;
      this.#pendingHs = undefined;
      if (hs !== EMPTY_HS) this.#savedHs = hs;
    }
    const needsWrite = hs !== EMPTY_HS || entries.length > 0;
    // Saves are issued at once (the WAL groups them) unless a snapshot install is queued ahead,
    // or failpoints are on (raftBeforeSave/raftAfterSave then run in order on the chain).
    let saved: Promise<void> | undefined;
    if (!FAILPOINTS_ON && snap === undefined && this.#snapshotsPending === 0 && needsWrite) {
      saved = this.host.wal.save(hs, entries);
      saved.catch(() => {});
      if (entries.length > 0) this.#issuedLast = (entries[entries.length - 1] as { index: number }).index;
    } else if (snap !== undefined) {
      this.#snapshotsPending++;
    }
    this.#chain = this.#chain
      .then(async () => {
        if (!this.host.running()) return;
        if (snap !== undefined) {
          await this.host.applyIdle();
          if (!this.host.running()) return;
          await this.host.installSnapshot(snap);
          this.#issuedLast = snap.metadata.index;
          this.#snapshotsPending--;
        }
        if (saved !== undefined) await saved;
        else if (needsWrite) {
          if (FAILPOINTS_ON) await failpointAsync('raftBeforeSave');
          const save = this.host.wal.save(hs, entries);
          if (entries.length > 0) this.#issuedLast = (entries[entries.length - 1] as { index: number }).index;
          await save;
          if (FAILPOINTS_ON) await failpointAsync('raftAfterSave');
        }
        if (!this.host.running()) return;
        if (stateHs !== EMPTY_HS) this.host.storage.setHardState(stateHs);
        if (entries.length > 0) this.host.storage.append(entries);
        this.host.deliver(m.responses);
      })
      .catch((e) => this.host.fail(e));
  }

  /** Writes a commit index kept back by enqueue (before a snapshot marker, and at close). */
  async flushHardState(): Promise<void> {
    const hs = this.#pendingHs;
    if (hs === undefined) return;
    if (hs.commit > this.#issuedLast) {
      // Part of the committed log is still queued for the WAL: write the commit index only as far
      // as the WAL has the log; the rest goes with the save that follows.
      const partial = { ...hs, commit: this.#issuedLast };
      if (partial.commit > this.#savedHs.commit) {
        this.#savedHs = partial;
        await this.host.wal.save(partial, []);
      }
      return;
    }
    this.#pendingHs = undefined;
    this.#savedHs = hs;
    await this.host.wal.save(hs, []);
  }
}
