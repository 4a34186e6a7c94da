import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Unstable } from '../../src/raft/log-unstable.js';
import { DefaultLogger } from '../../src/raft/logger.js';
import { type Entry, newEntry, newSnapshot, type Snapshot } from '../../src/raftpb/index.js';

/** Entries starting at index `from` with the given terms (etcd's `index(i).terms(...)`). */
function ents(from: number, ...terms: number[]): Entry[] {
  return terms.map((term, k) => newEntry({ index: from + k, term }));
}

const snap = (index: number, term: number): Snapshot => newSnapshot({ index, term });

interface Init {
  entries?: Entry[];
  offset?: number;
  offsetInProgress?: number;
  snapshot?: Snapshot | undefined;
  snapshotInProgress?: boolean;
}

function makeUnstable(init: Init, lines: string[] = []): Unstable {
  const u = new Unstable(init.offset ?? 0, new DefaultLogger((l) => lines.push(l), { debug: true }));
  u.entries = init.entries ?? [];
  u.offsetInProgress = init.offsetInProgress ?? u.offset;
  u.snapshot = init.snapshot;
  u.snapshotInProgress = init.snapshotInProgress ?? false;
  return u;
}

describe('Unstable', () => {
  test('maybeFirstIndex: only an unstable snapshot determines it', () => {
    const cases: [Init, number | undefined][] = [
      [{ entries: ents(5, 1), offset: 5 }, undefined],
      [{ entries: [], offset: 0 }, undefined],
      [{ entries: ents(5, 1), offset: 5, snapshot: snap(4, 1) }, 5],
      [{ entries: [], offset: 5, snapshot: snap(4, 1) }, 5],
    ];
    for (const [init, want] of cases) assert.equal(makeUnstable(init).maybeFirstIndex(), want);
  });

  test('maybeLastIndex: last entry, else the snapshot index', () => {
    const cases: [Init, number | undefined][] = [
      [{ entries: ents(5, 1), offset: 5 }, 5],
      [{ entries: ents(5, 1), offset: 5, snapshot: snap(4, 1) }, 5],
      [{ entries: [], offset: 5, snapshot: snap(4, 1) }, 4],
      [{ entries: [], offset: 0 }, undefined],
    ];
    for (const [init, want] of cases) assert.equal(makeUnstable(init).maybeLastIndex(), want);
  });

  test('maybeTerm: entries and snapshot, nothing outside', () => {
    const s = snap(4, 1);
    const cases: [Init, number, number | undefined][] = [
      [{ entries: ents(5, 1), offset: 5 }, 5, 1],
      [{ entries: ents(5, 1), offset: 5 }, 6, undefined],
      [{ entries: ents(5, 1), offset: 5 }, 4, undefined],
      [{ entries: ents(5, 1), offset: 5, snapshot: s }, 5, 1],
      [{ entries: ents(5, 1), offset: 5, snapshot: s }, 6, undefined],
      [{ entries: ents(5, 1), offset: 5, snapshot: s }, 4, 1],
      [{ entries: ents(5, 1), offset: 5, snapshot: s }, 3, undefined],
      [{ entries: [], offset: 5, snapshot: s }, 5, undefined],
      [{ entries: [], offset: 5, snapshot: s }, 4, 1],
      [{ entries: [], offset: 0 }, 5, undefined],
    ];
    for (const [i, [init, index, want]] of cases.entries()) {
      assert.equal(makeUnstable(init).maybeTerm(index), want, `case ${i}`);
    }
  });

  test('restore replaces everything with the snapshot', () => {
    const u = makeUnstable({
      entries: ents(5, 1),
      offset: 5,
      offsetInProgress: 6,
      snapshot: snap(4, 1),
      snapshotInProgress: true,
    });
    const s = snap(6, 2);
    u.restore(s);
    assert.equal(u.offset, 7);
    assert.equal(u.offsetInProgress, 7);
    assert.equal(u.entries.length, 0);
    assert.equal(u.snapshot, s);
    assert.equal(u.snapshotInProgress, false);
  });

  test('nextEntries skips what is in progress', () => {
    const cases: [number, Entry[]][] = [
      [5, ents(5, 1, 1)],
      [6, ents(6, 1)],
      [7, []],
    ];
    for (const [offsetInProgress, want] of cases) {
      const u = makeUnstable({ entries: ents(5, 1, 1), offset: 5, offsetInProgress });
      assert.deepEqual(u.nextEntries(), want);
      assert.equal(u.hasNextEntries(), want.length > 0);
    }
  });

  test('nextSnapshot only when present and not in progress', () => {
    const s = snap(4, 1);
    assert.equal(makeUnstable({}).nextSnapshot(), undefined);
    assert.equal(makeUnstable({ snapshot: s }).nextSnapshot(), s);
    assert.equal(makeUnstable({ snapshot: s, snapshotInProgress: true }).nextSnapshot(), undefined);
  });

  test('acceptInProgress marks all entries and the snapshot', () => {
    const s = snap(4, 1);
    const cases: [Entry[], Snapshot | undefined, number, boolean, number, boolean][] = [
      [[], undefined, 5, false, 5, false],
      [ents(5, 1), undefined, 5, false, 6, false],
      [ents(5, 1, 1), undefined, 5, false, 7, false],
      [ents(5, 1, 1), undefined, 6, false, 7, false],
      [ents(5, 1, 1), undefined, 7, false, 7, false],
      [[], s, 5, false, 5, true],
      [ents(5, 1), s, 5, false, 6, true],
      [ents(5, 1, 1), s, 5, false, 7, true],
      [ents(5, 1, 1), s, 6, false, 7, true],
      [ents(5, 1, 1), s, 7, false, 7, true],
      [[], s, 5, true, 5, true],
      [ents(5, 1), s, 5, true, 6, true],
      [ents(5, 1, 1), s, 5, true, 7, true],
      [ents(5, 1, 1), s, 6, true, 7, true],
      [ents(5, 1, 1), s, 7, true, 7, true],
    ];
    for (const [i, [entries, snapshot, oip, sip, woip, wsip]] of cases.entries()) {
      const u = makeUnstable({
        entries,
        offset: 5,
        snapshot,
        offsetInProgress: oip,
        snapshotInProgress: sip,
      });
      u.acceptInProgress();
      assert.equal(u.offsetInProgress, woip, `case ${i}`);
      assert.equal(u.snapshotInProgress, wsip, `case ${i}`);
    }
  });

  test('stableTo drops entries only on an exact (index, term) match', () => {
    const cases: [Init, number, number, number, number, number][] = [
      [{ entries: [], offset: 0, offsetInProgress: 0 }, 5, 1, 0, 0, 0],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6 }, 5, 1, 6, 6, 0],
      [{ entries: ents(5, 1, 1), offset: 5, offsetInProgress: 6 }, 5, 1, 6, 6, 1],
      [{ entries: ents(5, 1, 1), offset: 5, offsetInProgress: 7 }, 5, 1, 6, 7, 1],
      [{ entries: ents(6, 2), offset: 6, offsetInProgress: 7 }, 6, 1, 6, 7, 1],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6 }, 4, 1, 5, 6, 1],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6 }, 4, 2, 5, 6, 1],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6, snapshot: snap(4, 1) }, 5, 1, 6, 6, 0],
      [{ entries: ents(5, 1, 1), offset: 5, offsetInProgress: 6, snapshot: snap(4, 1) }, 5, 1, 6, 6, 1],
      [{ entries: ents(5, 1, 1), offset: 5, offsetInProgress: 7, snapshot: snap(4, 1) }, 5, 1, 6, 7, 1],
      [{ entries: ents(6, 2), offset: 6, offsetInProgress: 7, snapshot: snap(5, 1) }, 6, 1, 6, 7, 1],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6, snapshot: snap(4, 1) }, 4, 1, 5, 6, 1],
      [{ entries: ents(5, 2), offset: 5, offsetInProgress: 6, snapshot: snap(4, 2) }, 4, 1, 5, 6, 1],
    ];
    for (const [i, [init, index, term, woffset, woip, wlen]] of cases.entries()) {
      const u = makeUnstable(init);
      u.stableTo(index, term);
      assert.equal(u.offset, woffset, `case ${i}`);
      assert.equal(u.offsetInProgress, woip, `case ${i}`);
      assert.equal(u.entries.length, wlen, `case ${i}`);
    }
  });

  test('stableTo logs why it ignores an acknowledgement', () => {
    const lines: string[] = [];
    makeUnstable({ entries: ents(5, 1), offset: 5 }, lines).stableTo(9, 1);
    makeUnstable({ entries: ents(5, 1), offset: 5, snapshot: snap(4, 1) }, lines).stableTo(4, 1);
    makeUnstable({ entries: ents(6, 2), offset: 6 }, lines).stableTo(6, 1);
    assert.deepEqual(lines, [
      'INFO entry at index 9 missing from unstable log; ignoring',
      'INFO entry at index 4 matched unstable snapshot; ignoring',
      'INFO entry at (index,term)=(6,1) mismatched with entry at (6,2) in unstable log; ignoring',
    ]);
  });

  test('stableSnapTo clears only the snapshot at that index', () => {
    const u = makeUnstable({ offset: 5, snapshot: snap(4, 1), snapshotInProgress: true });
    u.stableSnapTo(3);
    assert.notEqual(u.snapshot, undefined);
    u.stableSnapTo(4);
    assert.equal(u.snapshot, undefined);
    assert.equal(u.snapshotInProgress, false);
  });

  test('truncateAndAppend: append, replace, truncate-then-append', () => {
    const cases: [Init, Entry[], number, number, Entry[]][] = [
      // append to the end
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 5 }, ents(6, 1, 1), 5, 5, ents(5, 1, 1, 1)],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6 }, ents(6, 1, 1), 5, 6, ents(5, 1, 1, 1)],
      // replace the unstable entries
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 5 }, ents(5, 2, 2), 5, 5, ents(5, 2, 2)],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 5 }, ents(4, 2, 2, 2), 4, 4, ents(4, 2, 2, 2)],
      [{ entries: ents(5, 1), offset: 5, offsetInProgress: 6 }, ents(5, 2, 2), 5, 5, ents(5, 2, 2)],
      // truncate the existing entries and append
      [{ entries: ents(5, 1, 1, 1), offset: 5, offsetInProgress: 5 }, ents(6, 2), 5, 5, ents(5, 1, 2)],
      [
        { entries: ents(5, 1, 1, 1), offset: 5, offsetInProgress: 5 },
        ents(7, 2, 2),
        5,
        5,
        ents(5, 1, 1, 2, 2),
      ],
      [{ entries: ents(5, 1, 1, 1), offset: 5, offsetInProgress: 6 }, ents(6, 2), 5, 6, ents(5, 1, 2)],
      [{ entries: ents(5, 1, 1, 1), offset: 5, offsetInProgress: 7 }, ents(6, 2), 5, 6, ents(5, 1, 2)],
    ];
    for (const [i, [init, toAppend, woffset, woip, wentries]] of cases.entries()) {
      const u = makeUnstable(init);
      u.truncateAndAppend(toAppend);
      assert.equal(u.offset, woffset, `case ${i}`);
      assert.equal(u.offsetInProgress, woip, `case ${i}`);
      assert.deepEqual(u.entries, wentries, `case ${i}`);
    }
  });

  test('slice returns a copy and rejects out-of-bound ranges', () => {
    const lines: string[] = [];
    const u = makeUnstable({ entries: ents(5, 1, 1, 2), offset: 5 }, lines);
    const s = u.slice(6, 8);
    assert.deepEqual(s, ents(6, 1, 2));
    s.push(newEntry({ index: 8, term: 9 }));
    assert.equal(u.entries.length, 3);
    assert.throws(() => u.slice(4, 6), { code: 'RAFTWIRE_RAFT_FATAL' });
    assert.throws(() => u.slice(6, 9), { code: 'RAFTWIRE_RAFT_FATAL' });
    assert.throws(() => u.slice(7, 6), { code: 'RAFTWIRE_RAFT_FATAL' });
    assert.deepEqual(lines, [
      'FATAL unstable.slice[4,6) out of bound [5,8]',
      'FATAL unstable.slice[6,9) out of bound [5,8]',
      'FATAL invalid unstable.slice 7 > 6',
    ]);
  });
});
