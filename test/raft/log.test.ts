import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';

const NO_LIMIT = Number.POSITIVE_INFINITY;

import { newLog, type RaftLog } from '../../src/raft/log.js';
import { DefaultLogger } from '../../src/raft/logger.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { type Entry, entrySize, newEntry, newSnapshot } from '../../src/raftpb/index.js';

/** Entries from index `from` with the given terms (etcd's `index(i).terms(...)`). */
function ents(from: number, ...terms: number[]): Entry[] {
  return terms.map((term, k) => newEntry({ index: from + k, term }));
}

/** Entries [from, to) whose term equals their index (etcd's `index(from).termRange(from, to)`). */
function range(from: number, to: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i < to; i++) out.push(newEntry({ index: i, term: i }));
  return out;
}

const lines: string[] = [];
const logger = new DefaultLogger((l) => lines.push(l), { debug: true });

function logOver(storage: MemoryStorage, maxApplying = NO_LIMIT): RaftLog {
  return newLog(storage, logger, maxApplying);
}

function storageWithSnap(index: number, term: number): MemoryStorage {
  const s = new MemoryStorage();
  // A snapshot at index 0 is the one MemoryStorage starts with.
  if (index > 0) s.applySnapshot(newSnapshot({ index, term }));
  return s;
}

const isCompacted = (e: unknown) => isRaftwireError(e, 'RAFTWIRE_RAFT_COMPACTED');
const isUnavailable = (e: unknown) => isRaftwireError(e, 'RAFTWIRE_RAFT_UNAVAILABLE');
const isFatal = (e: unknown) => isRaftwireError(e, 'RAFTWIRE_RAFT_FATAL');

describe('RaftLog', () => {
  test('findConflict', () => {
    const cases: [Entry[], number][] = [
      [[], 0],
      [ents(1, 1, 2, 3), 0],
      [ents(2, 2, 3), 0],
      [ents(3, 3), 0],
      [ents(1, 1, 2, 3, 4, 4), 4],
      [ents(2, 2, 3, 4, 5), 4],
      [ents(3, 3, 4, 4), 4],
      [ents(4, 4, 4), 4],
      [ents(1, 4, 4), 1],
      [ents(2, 1, 4, 4), 2],
      [ents(3, 1, 2, 4, 4), 3],
    ];
    for (const [i, [es, want]] of cases.entries()) {
      const l = logOver(new MemoryStorage());
      l.append(ents(1, 1, 2, 3));
      assert.equal(l.findConflict(es), want, `case ${i}`);
    }
  });

  test('findConflict logs the existing and conflicting terms', () => {
    lines.length = 0;
    const l = logOver(new MemoryStorage());
    l.append(ents(1, 1, 2, 3));
    l.findConflict(ents(2, 1, 4));
    assert.deepEqual(lines, ['INFO found conflict at index 2 [existing term: 2, conflicting term: 1]']);
  });

  test('findConflictByTerm', () => {
    const cases: [Entry[], number, number, number][] = [
      // log starts at index 1
      [ents(0, 0, 2, 2, 5, 5, 5), 100, 2, 100],
      [ents(0, 0, 2, 2, 5, 5, 5), 5, 6, 5],
      [ents(0, 0, 2, 2, 5, 5, 5), 5, 5, 5],
      [ents(0, 0, 2, 2, 5, 5, 5), 5, 4, 2],
      [ents(0, 0, 2, 2, 5, 5, 5), 5, 2, 2],
      [ents(0, 0, 2, 2, 5, 5, 5), 5, 1, 0],
      [ents(0, 0, 2, 2, 5, 5, 5), 1, 2, 1],
      [ents(0, 0, 2, 2, 5, 5, 5), 1, 1, 0],
      [ents(0, 0, 2, 2, 5, 5, 5), 0, 0, 0],
      // with compacted entries
      [ents(10, 3, 3, 3, 4, 4, 4), 30, 3, 30],
      [ents(10, 3, 3, 3, 4, 4, 4), 14, 9, 14],
      [ents(10, 3, 3, 3, 4, 4, 4), 14, 4, 14],
      [ents(10, 3, 3, 3, 4, 4, 4), 14, 3, 12],
      [ents(10, 3, 3, 3, 4, 4, 4), 14, 2, 9],
      [ents(10, 3, 3, 3, 4, 4, 4), 11, 5, 11],
      [ents(10, 3, 3, 3, 4, 4, 4), 10, 5, 10],
      [ents(10, 3, 3, 3, 4, 4, 4), 10, 3, 10],
      [ents(10, 3, 3, 3, 4, 4, 4), 10, 2, 9],
      [ents(10, 3, 3, 3, 4, 4, 4), 9, 2, 9],
      [ents(10, 3, 3, 3, 4, 4, 4), 4, 2, 4],
      [ents(10, 3, 3, 3, 4, 4, 4), 0, 0, 0],
    ];
    for (const [i, [es, index, term, want]] of cases.entries()) {
      const first = es[0] as Entry;
      const l = logOver(storageWithSnap(first.index, first.term));
      l.append(es.slice(1));
      const [gi, gt] = l.findConflictByTerm(index, term);
      assert.equal(gi, want, `case ${i}`);
      assert.equal(gt, l.termOrZero(gi), `case ${i}`);
    }
  });

  test('isUpToDate', () => {
    const l = logOver(new MemoryStorage());
    l.append(ents(1, 1, 2, 3));
    const last = l.lastIndex();
    const cases: [number, number, boolean][] = [
      [last - 1, 4, true],
      [last, 4, true],
      [last + 1, 4, true],
      [last - 1, 2, false],
      [last, 2, false],
      [last + 1, 2, false],
      [last - 1, 3, false],
      [last, 3, true],
      [last + 1, 3, true],
    ];
    for (const [i, [index, term, want]] of cases.entries())
      assert.equal(l.isUpToDate(index, term), want, `case ${i}`);
  });

  test('append truncates conflicting suffixes', () => {
    const cases: [Entry[], number, Entry[], number][] = [
      [[], 2, ents(1, 1, 2), 3],
      [ents(3, 2), 3, ents(1, 1, 2, 2), 3],
      [ents(1, 2), 1, ents(1, 2), 1],
      [ents(2, 3, 3), 3, ents(1, 1, 3, 3), 2],
    ];
    for (const [i, [es, windex, wents, wunstable]] of cases.entries()) {
      const s = new MemoryStorage();
      s.append(ents(1, 1, 2));
      const l = logOver(s);
      assert.equal(l.append(es), windex, `case ${i}`);
      assert.deepEqual(l.entries(1, NO_LIMIT), wents, `case ${i}`);
      assert.equal(l.unstable.offset, wunstable, `case ${i}`);
    }
  });

  test('maybeAppend', () => {
    const lastindex = 3;
    const lastterm = 3;
    const commit = 1;
    // [prevIndex, prevTerm, committed, ents, wlasti (undefined = rejected), wcommit, wpanic]
    const cases: [number, number, number, Entry[], number | undefined, number, boolean][] = [
      // no match: different term / index out of bound
      [lastindex, lastterm - 1, lastindex, ents(lastindex + 1, 4), undefined, commit, false],
      [lastindex + 1, lastterm, lastindex, ents(lastindex + 2, 4), undefined, commit, false],
      // match with the last existing entry
      [lastindex, lastterm, lastindex, [], lastindex, lastindex, false],
      [lastindex, lastterm, lastindex + 1, [], lastindex, lastindex, false],
      [lastindex, lastterm, lastindex - 1, [], lastindex, lastindex - 1, false],
      [lastindex, lastterm, 0, [], lastindex, commit, false],
      [0, 0, lastindex, [], 0, commit, false],
      [lastindex, lastterm, lastindex, ents(lastindex + 1, 4), lastindex + 1, lastindex, false],
      [lastindex, lastterm, lastindex + 1, ents(lastindex + 1, 4), lastindex + 1, lastindex + 1, false],
      [lastindex, lastterm, lastindex + 2, ents(lastindex + 1, 4), lastindex + 1, lastindex + 1, false],
      [lastindex, lastterm, lastindex + 2, ents(lastindex + 1, 4, 4), lastindex + 2, lastindex + 2, false],
      // match with an entry in the middle
      [lastindex - 1, lastterm - 1, lastindex, ents(lastindex, 4), lastindex, lastindex, false],
      [lastindex - 2, lastterm - 2, lastindex, ents(lastindex - 1, 4), lastindex - 1, lastindex - 1, false],
      // conflict with a committed entry
      [lastindex - 3, lastterm - 3, lastindex, ents(lastindex - 2, 4), lastindex - 2, lastindex - 2, true],
      [lastindex - 2, lastterm - 2, lastindex, ents(lastindex - 1, 4, 4), lastindex, lastindex, false],
    ];
    for (const [i, [pi, pt, committed, es, wlasti, wcommit, wpanic]] of cases.entries()) {
      const l = logOver(new MemoryStorage());
      l.append(ents(1, 1, 2, 3));
      l.committed = commit;
      if (wpanic) {
        assert.throws(() => l.maybeAppend(pi, pt, committed, es), isFatal, `case ${i}`);
        continue;
      }
      assert.equal(l.maybeAppend(pi, pt, committed, es), wlasti, `case ${i}`);
      assert.equal(l.committed, wcommit, `case ${i}`);
      if (wlasti !== undefined && es.length > 0) {
        const last = l.lastIndex();
        assert.deepEqual(l.slice(last - es.length + 1, last + 1, NO_LIMIT), es, `case ${i}`);
      }
    }
  });

  test('compaction side effects: terms, matching, unstable part and appends keep working', () => {
    const lastIndex = 1000;
    const unstableIndex = 750;
    const s = new MemoryStorage();
    s.append(range(1, unstableIndex + 1));
    const l = logOver(s);
    l.append(range(unstableIndex + 1, lastIndex + 1));
    assert.equal(l.maybeCommit(lastIndex, lastIndex), true);
    l.appliedTo(l.committed, 0);
    s.compact(500);
    assert.equal(l.lastIndex(), lastIndex);
    for (let j = 500; j <= lastIndex; j++) {
      assert.equal(l.term(j), j);
      assert.equal(l.matchTerm(j, j), true);
    }
    const unstable = l.nextUnstableEnts();
    assert.equal(unstable.length, 250);
    assert.equal(unstable[0]?.index, 751);
    const prev = l.lastIndex();
    l.append([newEntry({ index: prev + 1, term: prev + 1 })]);
    assert.equal(l.lastIndex(), prev + 1);
    assert.equal(l.entries(l.lastIndex(), NO_LIMIT).length, 1);
  });

  /** Log over a snapshot at 3 with entry 4 stable and 5, 6 unstable; committed to 5. */
  function applyFixture(maxSize = NO_LIMIT): RaftLog {
    const s = storageWithSnap(3, 1);
    const es = ents(4, 1, 1, 1);
    s.append(es.slice(0, 1));
    const l = logOver(s, maxSize);
    l.append(es);
    l.stableTo(4, 1);
    l.maybeCommit(5, 1);
    return l;
  }

  // [applied, applying, allowUnstable, paused, snap, wents]
  const committedCases: [number, number, boolean, boolean, boolean, Entry[]][] = [
    [3, 3, true, false, false, ents(4, 1, 1)],
    [3, 4, true, false, false, ents(5, 1)],
    [3, 5, true, false, false, []],
    [4, 4, true, false, false, ents(5, 1)],
    [4, 5, true, false, false, []],
    [5, 5, true, false, false, []],
    [3, 3, false, false, false, ents(4, 1)],
    [3, 4, false, false, false, []],
    [3, 5, false, false, false, []],
    [4, 4, false, false, false, []],
    [4, 5, false, false, false, []],
    [5, 5, false, false, false, []],
    [3, 3, true, true, false, []],
    [3, 3, true, false, true, []],
  ];

  test('hasNextCommittedEnts / nextCommittedEnts', () => {
    for (const [i, [applied, applying, allowUnstable, paused, snap, wents]] of committedCases.entries()) {
      const l = applyFixture();
      l.appliedTo(applied, 0);
      l.acceptApplying(applying, 0, allowUnstable);
      l.applyingEntsPaused = paused;
      if (snap) l.restore(newSnapshot({ index: 4, term: 1 }));
      assert.equal(l.hasNextCommittedEnts(allowUnstable), wents.length > 0, `case ${i}`);
      assert.deepEqual(l.nextCommittedEnts(allowUnstable), wents, `case ${i}`);
    }
  });

  test('acceptApplying pauses at the byte bound or when cut short', () => {
    const max = 100;
    const cases: [number, boolean, number, boolean][] = [
      [3, true, max - 1, true],
      [3, true, max, true],
      [3, true, max + 1, true],
      [4, true, max - 1, true],
      [4, true, max, true],
      [4, true, max + 1, true],
      [5, true, max - 1, false],
      [5, true, max, true],
      [5, true, max + 1, true],
      [3, false, max - 1, true],
      [3, false, max, true],
      [3, false, max + 1, true],
      [4, false, max - 1, false],
      [4, false, max, true],
      [4, false, max + 1, true],
      [5, false, max - 1, false],
      [5, false, max, true],
      [5, false, max + 1, true],
    ];
    for (const [i, [index, allowUnstable, size, wpaused]] of cases.entries()) {
      const l = applyFixture(max);
      l.appliedTo(3, 0);
      l.acceptApplying(index, size, allowUnstable);
      assert.equal(l.applyingEntsPaused, wpaused, `case ${i}`);
    }
  });

  test('appliedTo releases outstanding bytes without underflow', () => {
    const max = 100;
    const over = 5;
    const cases: [number, number, number, boolean][] = [
      [4, over - 1, max + 1, true],
      [4, over, max, true],
      [4, over + 1, max - 1, false],
      [5, over - 1, max + 1, true],
      [5, over, max, true],
      [5, over + 1, max - 1, false],
      [4, max + over, 0, false],
      [4, max + over + 1, 0, false],
    ];
    for (const [i, [index, size, wsize, wpaused]] of cases.entries()) {
      const l = applyFixture(max);
      l.appliedTo(3, 0);
      l.acceptApplying(5, max + over, false);
      l.appliedTo(index, size);
      assert.equal(l.applied, index, `case ${i}`);
      assert.equal(l.applying, 5, `case ${i}`);
      assert.equal(l.applyingEntsSize, wsize, `case ${i}`);
      assert.equal(l.applyingEntsPaused, wpaused, `case ${i}`);
    }
  });

  test('appliedTo outside [applied, committed] is fatal', () => {
    const l = applyFixture();
    l.appliedTo(4, 0);
    assert.throws(() => l.appliedTo(3, 0), isFatal);
    assert.throws(() => l.appliedTo(6, 0), isFatal);
  });

  test('nextUnstableEnts returns the unstable part', () => {
    const prev = ents(1, 1, 2);
    for (const [unstable, want] of [
      [3, []],
      [1, prev],
    ] as [number, Entry[]][]) {
      const s = new MemoryStorage();
      s.append(prev.slice(0, unstable - 1));
      const l = logOver(s);
      l.append(prev.slice(unstable - 1));
      const got = l.nextUnstableEnts();
      const last = got[got.length - 1];
      if (last !== undefined) l.stableTo(last.index, last.term);
      assert.deepEqual(got, want);
      assert.equal(l.unstable.offset, 3);
    }
  });

  test('commitTo never decreases and refuses beyond the last index', () => {
    for (const [commit, want] of [
      [3, 3],
      [1, 2],
    ]) {
      const l = logOver(new MemoryStorage());
      l.append(ents(1, 1, 2, 3));
      l.committed = 2;
      l.commitTo(commit as number);
      assert.equal(l.committed, want);
    }
    lines.length = 0;
    const l = logOver(new MemoryStorage());
    l.append(ents(1, 1, 2, 3));
    assert.throws(() => l.commitTo(4), isFatal);
    assert.deepEqual(lines, [
      'FATAL tocommit(4) is out of range [lastIndex(3)]. Was the raft log corrupted, truncated, or lost?',
    ]);
  });

  test('stableTo', () => {
    for (const [i, [si, st, want]] of [
      [1, 1, 2],
      [2, 2, 3],
      [2, 1, 1],
      [3, 1, 1],
    ].entries()) {
      const l = logOver(new MemoryStorage());
      l.append(ents(1, 1, 2));
      l.stableTo(si as number, st as number);
      assert.equal(l.unstable.offset, want, `case ${i}`);
    }
  });

  test('stableTo with a snapshot in storage', () => {
    const si = 5;
    const st = 2;
    const cases: [number, number, Entry[], number][] = [
      [si + 1, st, [], si + 1],
      [si, st, [], si + 1],
      [si - 1, st, [], si + 1],
      [si + 1, st + 1, [], si + 1],
      [si, st + 1, [], si + 1],
      [si - 1, st + 1, [], si + 1],
      [si + 1, st, ents(si + 1, st), si + 2],
      [si, st, ents(si + 1, st), si + 1],
      [si - 1, st, ents(si + 1, st), si + 1],
      [si + 1, st + 1, ents(si + 1, st), si + 1],
      [si, st + 1, ents(si + 1, st), si + 1],
      [si - 1, st + 1, ents(si + 1, st), si + 1],
    ];
    for (const [i, [index, term, newEnts, want]] of cases.entries()) {
      const l = logOver(storageWithSnap(si, st));
      l.append(newEnts);
      l.stableTo(index, term);
      assert.equal(l.unstable.offset, want, `case ${i}`);
    }
  });

  test('compaction leaves the right number of entries', () => {
    const cases: [number[], (number | undefined)[]][] = [
      [[1001], [undefined]],
      [
        [300, 500, 800, 900],
        [700, 500, 200, 100],
      ],
      [
        [300, 299],
        [700, undefined],
      ],
    ];
    for (const [i, [compacts, wleft]] of cases.entries()) {
      const s = new MemoryStorage();
      s.append(range(1, 1001));
      const l = logOver(s);
      l.appliedTo(l.committed, 0);
      for (const [j, c] of compacts.entries()) {
        const w = wleft[j];
        if (w === undefined) {
          assert.throws(() => s.compact(c), `case ${i}.${j}`);
          continue;
        }
        s.compact(c);
        assert.equal(l.allEntries().length, w, `case ${i}.${j}`);
      }
    }
  });

  test('a log over a snapshot starts committed at the snapshot', () => {
    const l = logOver(storageWithSnap(1000, 1000));
    assert.equal(l.allEntries().length, 0);
    assert.equal(l.firstIndex(), 1001);
    assert.equal(l.committed, 1000);
    assert.equal(l.unstable.offset, 1001);
    assert.equal(l.term(1000), 1000);
  });

  test('slice bounds: ErrCompacted below, fatal above', () => {
    const offset = 100;
    const num = 100;
    const l = logOver(storageWithSnap(offset, 0));
    l.append(range(offset + 1, offset + num + 1));
    const first = offset + 1;
    assert.throws(() => l.slice(first - 2, first + 1, NO_LIMIT), isCompacted);
    assert.throws(() => l.slice(first - 1, first + 1, NO_LIMIT), isCompacted);
    for (const lo of [first, first + num / 2, first + num - 1, first + num]) {
      assert.deepEqual(l.slice(lo, lo, NO_LIMIT), []);
    }
    assert.throws(() => l.slice(first + num, first + num + 1, NO_LIMIT), isFatal);
    assert.throws(() => l.slice(first + num + 1, first + num + 1, NO_LIMIT), isFatal);
  });

  test('term: compacted below, unavailable beyond', () => {
    const offset = 100;
    const num = 100;
    const l = logOver(storageWithSnap(offset, 1));
    const es: Entry[] = [];
    for (let t = 1; t < num; t++) es.push(newEntry({ index: offset + t, term: t }));
    l.append(es);
    assert.throws(() => l.term(offset - 1), isCompacted);
    assert.equal(l.term(offset), 1);
    assert.equal(l.term(offset + num / 2), num / 2);
    assert.equal(l.term(offset + num - 1), num - 1);
    assert.throws(() => l.term(offset + num), isUnavailable);
    assert.equal(l.termOrZero(offset + num), 0);
    assert.equal(l.termOrZero(offset - 1), 0);
  });

  test('term with an unstable snapshot', () => {
    const storageSnap = 100;
    const unstableSnap = 105;
    const l = logOver(storageWithSnap(storageSnap, 1));
    l.restore(newSnapshot({ index: unstableSnap, term: 1 }));
    assert.throws(() => l.term(storageSnap), isCompacted);
    assert.throws(() => l.term(storageSnap + 1), isCompacted);
    assert.throws(() => l.term(unstableSnap - 1), isCompacted);
    assert.equal(l.term(unstableSnap), 1);
    assert.throws(() => l.term(unstableSnap + 1), isUnavailable);
  });

  test('slice across storage and unstable with size limits', () => {
    const offset = 100;
    const num = 100;
    const last = offset + num;
    const half = offset + num / 2;
    const size = entrySize(newEntry({ index: half, term: half }));
    const s = storageWithSnap(offset, 0);
    s.append(range(offset + 1, half));
    const l = logOver(s);
    l.append(range(half, last));
    assert.throws(() => l.slice(offset - 1, offset + 1, NO_LIMIT), isCompacted);
    assert.throws(() => l.slice(offset, offset + 1, NO_LIMIT), isCompacted);
    assert.throws(() => l.slice(half, half - 1, NO_LIMIT), isFatal);
    assert.throws(() => l.slice(last, last + 1, NO_LIMIT), isFatal);
    const cases: [number, number, number, Entry[]][] = [
      [offset + 1, offset + 1, NO_LIMIT, []],
      [offset + 1, half - 1, NO_LIMIT, range(offset + 1, half - 1)],
      [offset + 1, half, NO_LIMIT, range(offset + 1, half)],
      [offset + 1, half + 1, NO_LIMIT, range(offset + 1, half + 1)],
      [offset + 1, last, NO_LIMIT, range(offset + 1, last)],
      [half - 1, half, NO_LIMIT, range(half - 1, half)],
      [half - 1, half + 1, NO_LIMIT, range(half - 1, half + 1)],
      [half - 1, last, NO_LIMIT, range(half - 1, last)],
      [half, half + 1, NO_LIMIT, range(half, half + 1)],
      [half, last, NO_LIMIT, range(half, last)],
      [last - 1, last, NO_LIMIT, range(last - 1, last)],
      // at least one entry is always returned
      [offset + 1, last, 0, range(offset + 1, offset + 2)],
      [half - 1, half + 1, 0, range(half - 1, half)],
      [half, last, 0, range(half, half + 1)],
      [half + 1, last, 0, range(half + 1, half + 2)],
      [offset + 1, last, size - 1, range(offset + 1, offset + 2)],
      [half - 1, half + 1, size - 1, range(half - 1, half)],
      [half, last, size - 1, range(half, half + 1)],
      [offset + 1, last, size, range(offset + 1, offset + 2)],
      [half - 1, half + 1, size, range(half - 1, half)],
      [half, last, size, range(half, half + 1)],
      [offset + 1, last, size + 1, range(offset + 1, offset + 2)],
      [half - 1, half + 1, size + 1, range(half - 1, half)],
      [half, last, size + 1, range(half, half + 1)],
      [offset + 1, last, size * 2, range(offset + 1, offset + 3)],
      [half - 2, half + 1, size * 2, range(half - 2, half)],
      [half - 1, half + 1, size * 2, range(half - 1, half + 1)],
      [half, last, size * 2, range(half, half + 2)],
      [half - 2, half + 1, size * 3 - 1, range(half - 2, half)],
      [half - 1, half + 2, size * 3, range(half - 1, half + 2)],
    ];
    for (const [i, [lo, hi, lim, want]] of cases.entries()) {
      assert.deepEqual(l.slice(lo, hi, lim), want, `case ${i}`);
    }
  });

  test('scan visits pages of bounded size and can stop early', () => {
    const offset = 47;
    const num = 20;
    const last = offset + num;
    const half = offset + num / 2;
    const size = entrySize(newEntry({ index: half, term: half }));
    const s = storageWithSnap(offset, 0);
    s.append(range(offset + 1, half));
    const l = logOver(s);
    l.append(range(half, last));
    for (let pageSize = 0; pageSize < 3 * size; pageSize += size >> 1) {
      for (let lo = offset + 1; lo < last; lo++) {
        for (let hi = lo; hi <= last; hi++) {
          const got: Entry[] = [];
          l.scan(lo, hi, pageSize, (page) => {
            assert.ok(page.length === 1 || page.length * size <= pageSize);
            got.push(...page);
            return true;
          });
          assert.deepEqual(got, range(lo, hi));
        }
      }
    }
    let pages = 0;
    l.scan(offset + 1, last, size, () => {
      pages++;
      return pages < 3;
    });
    assert.equal(pages, 3);
    assert.throws(() => l.scan(offset, last, NO_LIMIT, () => true), isCompacted);
  });

  test('restore logs the log state and resets the unstable part', () => {
    lines.length = 0;
    const l = logOver(new MemoryStorage());
    l.append(ents(1, 1, 1));
    l.restore(newSnapshot({ index: 10, term: 2 }));
    assert.deepEqual(lines, [
      'INFO log [committed=0, applied=0, applying=0, unstable.offset=1, unstable.offsetInProgress=1, len(unstable.Entries)=2] starts to restore snapshot [index: 10, term: 2]',
    ]);
    assert.equal(l.committed, 10);
    assert.equal(l.lastIndex(), 10);
    assert.equal(l.firstIndex(), 11);
    assert.equal(l.hasNextUnstableSnapshot(), true);
    l.acceptUnstable();
    assert.equal(l.hasNextUnstableSnapshot(), false);
    assert.equal(l.hasNextOrInProgressSnapshot(), true);
    l.stableSnapTo(10);
    assert.equal(l.hasNextOrInProgressSnapshot(), false);
  });
});
