/**
 * The append thread's commit-index flush (flushHardState) against a WAL that is behind: a save
 * deferred on the append chain (here behind a snapshot install still waiting for the apply thread)
 * must not let a HardState whose commit is past the log the WAL has reach the WAL first. A restart
 * from such a WAL fails ("state.commit 201 is out of range [175, 200]"), which the fault suite
 * found (crash at snapBeforeTake).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStorage } from '../../src/raft/index.js';
import {
  type Entry,
  type HardState,
  MessageType,
  newEntry,
  newMessage,
  newSnapshot,
  type Snapshot,
} from '../../src/raftpb/index.js';
import { AppendThread } from '../../src/replica/append-thread.js';
import type { Wal } from '../../src/wal/index.js';

/** What the fake WAL was given, in order: the WAL's own view of the log it would replay. */
interface Written {
  hs: HardState;
  lastIndex: number;
}

function harness() {
  const storage = new MemoryStorage();
  const written: Written[] = [];
  let walLast = 0;
  const wal = {
    save: async (hs: HardState, entries: readonly Entry[]) => {
      if (entries.length > 0) walLast = (entries[entries.length - 1] as Entry).index;
      written.push({ hs, lastIndex: walLast });
    },
  } as unknown as Wal;
  let releaseApply: () => void = () => {};
  const applyIdle = new Promise<void>((r) => {
    releaseApply = r;
  });
  const failures: unknown[] = [];
  const thread = new AppendThread(
    {
      wal,
      storage,
      running: () => true,
      applyIdle: () => applyIdle,
      installSnapshot: async (snap: Snapshot) => {
        walLast = snap.metadata.index;
        storage.applySnapshot(snap);
      },
      deliver: () => {},
      fail: (e) => failures.push(e),
    },
    { term: 1, vote: 0n, commit: 0 },
  );
  return { thread, written, storage, failures, releaseApply };
}

const entries = (from: number, to: number): Entry[] => {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(newEntry({ index: i, term: 2 }));
  return out;
};

test('a commit index flushed while a save waits behind a snapshot install never passes the WAL log', async () => {
  const h = harness();
  // A snapshot at 100, then entries 101..110, then a commit-only update to 110: the latter two
  // queue behind the install, which waits for the apply thread.
  h.thread.enqueue(
    newMessage({
      type: MessageType.MsgStorageAppend,
      term: 2,
      commit: 100,
      snapshot: newSnapshot({ index: 100, term: 2 }),
    }),
  );
  h.thread.enqueue(
    newMessage({ type: MessageType.MsgStorageAppend, term: 2, commit: 100, entries: entries(101, 110) }),
  );
  h.thread.enqueue(newMessage({ type: MessageType.MsgStorageAppend, term: 2, commit: 110 }));
  // A snapshot marker (or close) flushes the kept-back commit index now, before the chain ran.
  await h.thread.flushHardState();
  for (const w of h.written)
    assert.ok(w.hs.commit <= w.lastIndex, `commit ${w.hs.commit} written with the WAL at ${w.lastIndex}`);
  h.releaseApply();
  await h.thread.idle();
  await h.thread.flushHardState();
  assert.deepEqual(h.failures, []);
  for (const w of h.written)
    assert.ok(w.hs.commit <= w.lastIndex, `commit ${w.hs.commit} written with the WAL at ${w.lastIndex}`);
  // Nothing lost: the commit index 110 reached the WAL once the log did.
  assert.equal(h.written.at(-1)?.hs.commit, 110);
  assert.equal(h.storage.lastIndex(), 110);
});

test('with the WAL caught up, a kept-back commit index is written whole by flushHardState', async () => {
  const h = harness();
  h.releaseApply();
  h.thread.enqueue(
    newMessage({ type: MessageType.MsgStorageAppend, term: 2, commit: 0, entries: entries(1, 5) }),
  );
  h.thread.enqueue(newMessage({ type: MessageType.MsgStorageAppend, term: 2, commit: 5 }));
  await h.thread.idle();
  const before = h.written.length;
  await h.thread.flushHardState();
  assert.equal(h.written.length, before + 1);
  assert.deepEqual(h.written.at(-1), { hs: { term: 2, vote: 0n, commit: 5 }, lastIndex: 5 });
  // Nothing kept back any more: a second flush writes nothing.
  await h.thread.flushHardState();
  assert.equal(h.written.length, before + 1);
});
