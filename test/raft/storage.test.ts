/** Port of etcd-io/raft v3.6 storage_test.go (MemoryStorage), plus the error codes and copy rules. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrSnapshotTemporarilyUnavailable,
  ErrUnavailable,
  MemoryStorage,
} from '../../src/raft/storage.js';
import {
  type ConfState,
  type Entry,
  entrySize,
  newConfState,
  newEntry,
  newSnapshot,
} from '../../src/raftpb/index.js';

const ent = (index: number, term: number): Entry => newEntry({ index, term });
const isCode = (code: string) => (e: unknown) => isRaftwireError(e, code);
const isFatal = (pattern: RegExp) => (e: unknown) =>
  isRaftwireError(e, 'RAFTWIRE_RAFT_FATAL') && pattern.test(e.message);

/** etcd's `&MemoryStorage{ents: ents}`: a dummy entry at ents[0], then the rest. */
function storageWith(ents: Entry[]): MemoryStorage {
  const s = new MemoryStorage();
  const [dummy, ...rest] = ents;
  s.applySnapshot(newSnapshot({ index: dummy!.index, term: dummy!.term }));
  s.append(rest);
  return s;
}

/** The whole log including the dummy, as [index, term] pairs. */
function dump(s: MemoryStorage): Array<[number, number]> {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const out: Array<[number, number]> = [[first - 1, s.term(first - 1)]];
  if (last >= first)
    for (const e of s.entries(first, last + 1, Number.POSITIVE_INFINITY)) out.push([e.index, e.term]);
  return out;
}

const base = (): Entry[] => [ent(3, 3), ent(4, 4), ent(5, 5)];

describe('MemoryStorage', () => {
  test('term: compacted below the dummy, unavailable past the end', () => {
    const table: Array<[number, string | undefined, number]> = [
      [2, ErrCompacted.code, 0],
      [3, undefined, 3],
      [4, undefined, 4],
      [5, undefined, 5],
      [6, ErrUnavailable.code, 0],
    ];
    for (const [i, werr, wterm] of table) {
      const s = storageWith(base());
      if (werr !== undefined) assert.throws(() => s.term(i), isCode(werr), `#${i}`);
      else assert.equal(s.term(i), wterm, `#${i}`);
    }
  });

  test('entries: range, compaction, size limit (at least one entry)', () => {
    const ents = [ent(3, 3), ent(4, 4), ent(5, 5), ent(6, 6)];
    const size = (i: number): number => entrySize(ents[i]!);
    const inf = Number.POSITIVE_INFINITY;
    const table: Array<[number, number, number, string | undefined, Array<[number, number]>]> = [
      [2, 6, inf, ErrCompacted.code, []],
      [3, 4, inf, ErrCompacted.code, []],
      [4, 5, inf, undefined, [[4, 4]]],
      [
        4,
        6,
        inf,
        undefined,
        [
          [4, 4],
          [5, 5],
        ],
      ],
      [
        4,
        7,
        inf,
        undefined,
        [
          [4, 4],
          [5, 5],
          [6, 6],
        ],
      ],
      [4, 7, 0, undefined, [[4, 4]]], // even with maxSize 0 the first entry is returned
      [
        4,
        7,
        size(1) + size(2),
        undefined,
        [
          [4, 4],
          [5, 5],
        ],
      ],
      [
        4,
        7,
        size(1) + size(2) + Math.floor(size(3) / 2),
        undefined,
        [
          [4, 4],
          [5, 5],
        ],
      ],
      [
        4,
        7,
        size(1) + size(2) + size(3) - 1,
        undefined,
        [
          [4, 4],
          [5, 5],
        ],
      ],
      [
        4,
        7,
        size(1) + size(2) + size(3),
        undefined,
        [
          [4, 4],
          [5, 5],
          [6, 6],
        ],
      ],
    ];
    for (const [k, [lo, hi, maxSize, werr, want]] of table.entries()) {
      const s = storageWith(ents);
      if (werr !== undefined) {
        assert.throws(() => s.entries(lo, hi, maxSize), isCode(werr), `#${k}`);
      } else {
        assert.deepEqual(
          s.entries(lo, hi, maxSize).map((e) => [e.index, e.term]),
          want,
          `#${k}`,
        );
      }
    }
  });

  test('entries: only the dummy is unavailable; hi past the end is fatal', () => {
    const s = new MemoryStorage();
    assert.throws(() => s.entries(1, 1, 100), isCode(ErrUnavailable.code));
    const t = storageWith(base());
    assert.throws(() => t.entries(4, 7, 100), isFatal(/^entries' hi\(7\) is out of bound lastindex\(5\)$/));
  });

  test('entries returns a fresh array the caller may extend', () => {
    const s = storageWith(base());
    const got = s.entries(4, 6, Number.POSITIVE_INFINITY);
    got.push(ent(99, 99));
    got[0] = ent(42, 42);
    assert.deepEqual(dump(s), [
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
  });

  test('lastIndex follows appends', () => {
    const s = storageWith(base());
    assert.equal(s.lastIndex(), 5);
    s.append([ent(6, 5)]);
    assert.equal(s.lastIndex(), 6);
  });

  test('firstIndex follows compaction', () => {
    const s = storageWith(base());
    assert.equal(s.firstIndex(), 4);
    s.compact(4);
    assert.equal(s.firstIndex(), 5);
  });

  test('compact keeps the compaction point as the dummy', () => {
    const table: Array<[number, string | undefined, number, number, number]> = [
      [2, ErrCompacted.code, 3, 3, 3],
      [3, ErrCompacted.code, 3, 3, 3],
      [4, undefined, 4, 4, 2],
      [5, undefined, 5, 5, 1],
    ];
    for (const [i, werr, windex, wterm, wlen] of table) {
      const s = storageWith(base());
      if (werr !== undefined) assert.throws(() => s.compact(i), isCode(werr), `#${i}`);
      else s.compact(i);
      const d = dump(s);
      assert.deepEqual(d[0], [windex, wterm], `#${i}`);
      assert.equal(d.length, wlen, `#${i}`);
    }
    assert.throws(
      () => storageWith(base()).compact(6),
      isFatal(/^compact 6 is out of bound lastindex\(5\)$/),
    );
  });

  test('compact does not disturb entries handed out before', () => {
    const s = storageWith(base());
    const before = s.entries(4, 6, Number.POSITIVE_INFINITY);
    s.compact(5);
    assert.deepEqual(
      before.map((e) => e.index),
      [4, 5],
    );
    assert.throws(() => s.term(4), isCode(ErrCompacted.code));
    assert.equal(s.term(5), 5);
  });

  test('createSnapshot at an index records its term, the ConfState and the data', () => {
    const cs: ConfState = newConfState({ voters: [1n, 2n, 3n] });
    const data = new TextEncoder().encode('data');
    for (const i of [4, 5]) {
      const s = storageWith(base());
      const snap = s.createSnapshot(i, cs, data);
      assert.deepEqual(snap, newSnapshot({ data, index: i, term: i, confState: cs }));
      assert.deepEqual(s.snapshot(), snap);
      assert.deepEqual(s.initialState().confState, cs);
    }
  });

  test('createSnapshot refuses old indexes and indexes past the log', () => {
    const s = storageWith(base());
    assert.throws(() => s.createSnapshot(3, undefined, undefined), isCode(ErrSnapOutOfDate.code));
    assert.throws(
      () => s.createSnapshot(6, undefined, undefined),
      isFatal(/^snapshot 6 is out of bound lastindex\(5\)$/),
    );
    s.createSnapshot(4, undefined, undefined);
    assert.throws(() => s.createSnapshot(4, undefined, undefined), isCode(ErrSnapOutOfDate.code));
    // The log itself is untouched by a snapshot.
    assert.equal(s.firstIndex(), 4);
  });

  test('append: ignores the compacted part, truncates conflicting suffixes, appends directly', () => {
    const table: Array<[Entry[], Array<[number, number]>]> = [
      [
        [ent(1, 1), ent(2, 2)],
        [
          [3, 3],
          [4, 4],
          [5, 5],
        ],
      ],
      [
        [ent(3, 3), ent(4, 4), ent(5, 5)],
        [
          [3, 3],
          [4, 4],
          [5, 5],
        ],
      ],
      [
        [ent(3, 3), ent(4, 6), ent(5, 6)],
        [
          [3, 3],
          [4, 6],
          [5, 6],
        ],
      ],
      [
        [ent(3, 3), ent(4, 4), ent(5, 5), ent(6, 5)],
        [
          [3, 3],
          [4, 4],
          [5, 5],
          [6, 5],
        ],
      ],
      // truncate incoming entries, truncate the existing entries and append
      [
        [ent(2, 3), ent(3, 3), ent(4, 5)],
        [
          [3, 3],
          [4, 5],
        ],
      ],
      // truncate the existing entries and append
      [
        [ent(4, 5)],
        [
          [3, 3],
          [4, 5],
        ],
      ],
      // direct append
      [
        [ent(6, 5)],
        [
          [3, 3],
          [4, 4],
          [5, 5],
          [6, 5],
        ],
      ],
    ];
    for (const [k, [entries, want]] of table.entries()) {
      const s = storageWith(base());
      s.append(entries);
      assert.deepEqual(dump(s), want, `#${k}`);
    }
  });

  test('append after a gap is fatal and changes nothing', () => {
    const s = storageWith(base());
    assert.throws(() => s.append([ent(7, 5)]), isFatal(/^missing log entry \[last: 5, append at: 7\]$/));
    assert.equal(s.lastIndex(), 5);
  });

  test('truncating append does not rewrite entries handed out before', () => {
    const s = storageWith(base());
    const before = s.entries(4, 6, Number.POSITIVE_INFINITY);
    s.append([ent(4, 9)]);
    assert.deepEqual(
      before.map((e) => e.term),
      [4, 5],
    );
    assert.deepEqual(dump(s), [
      [3, 3],
      [4, 9],
    ]);
  });

  test('applySnapshot replaces the log; an older or equal snapshot is out of date', () => {
    const cs = newConfState({ voters: [1n, 2n, 3n] });
    const data = new TextEncoder().encode('data');
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot(newSnapshot({ data, index: 4, term: 4, confState: cs }));
    assert.deepEqual(dump(s), [[4, 4]]);
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.lastIndex(), 4);
    assert.deepEqual(s.initialState().confState, cs);
    assert.throws(
      () => s.applySnapshot(newSnapshot({ data, index: 3, term: 3, confState: cs })),
      (e: unknown) =>
        e instanceof ErrSnapOutOfDate && e.message === 'requested index is older than the existing snapshot',
    );
    assert.throws(() => s.applySnapshot(newSnapshot({ index: 4, term: 4 })), isCode(ErrSnapOutOfDate.code));
    assert.deepEqual(s.snapshot().metadata, { index: 4, term: 4, confState: cs });
  });

  test('initial state, hard state, conf state and snapshot are copies', () => {
    const s = new MemoryStorage();
    assert.deepEqual(s.initialState(), {
      hardState: { term: 0, vote: 0n, commit: 0 },
      confState: newConfState(),
    });
    assert.deepEqual([s.firstIndex(), s.lastIndex(), s.term(0)], [1, 0, 0]);
    const hs = { term: 2, vote: (1n << 64n) - 1n, commit: 1 };
    s.setHardState(hs);
    hs.term = 9;
    assert.deepEqual(s.initialState().hardState, { term: 2, vote: (1n << 64n) - 1n, commit: 1 });
    const cs = newConfState({ voters: [1n], learners: [2n] });
    s.setConfState(cs);
    cs.voters.push(5n);
    const got = s.initialState().confState;
    assert.deepEqual(got.voters, [1n]);
    got.learners.push(7n);
    assert.deepEqual(s.snapshot().metadata.confState.learners, [2n]);
    const snap = s.snapshot();
    snap.metadata.index = 50;
    assert.equal(s.snapshot().metadata.index, 0);
  });

  test('call statistics count each Storage method', () => {
    const s = storageWith(base());
    s.term(4);
    s.term(5);
    s.entries(4, 5, 0);
    s.firstIndex();
    s.lastIndex();
    s.snapshot();
    s.initialState();
    assert.deepEqual(s.callStats, {
      initialState: 1,
      firstIndex: 1,
      lastIndex: 1,
      entries: 1,
      term: 2,
      snapshot: 1,
    });
  });

  test('errors carry etcd texts and stable codes', () => {
    const table: Array<[Error & { code: string }, string, string]> = [
      [new ErrCompacted(), 'RAFTWIRE_RAFT_COMPACTED', 'requested index is unavailable due to compaction'],
      [
        new ErrSnapOutOfDate(),
        'RAFTWIRE_RAFT_SNAP_OUT_OF_DATE',
        'requested index is older than the existing snapshot',
      ],
      [new ErrUnavailable(), 'RAFTWIRE_RAFT_UNAVAILABLE', 'requested entry at index is unavailable'],
      [
        new ErrSnapshotTemporarilyUnavailable(),
        'RAFTWIRE_RAFT_SNAPSHOT_TEMPORARILY_UNAVAILABLE',
        'snapshot is temporarily unavailable',
      ],
    ];
    for (const [e, code, message] of table) {
      assert.equal(e.code, code);
      assert.equal(e.message, message);
      assert.ok(isRaftwireError(e, code));
    }
  });
});
