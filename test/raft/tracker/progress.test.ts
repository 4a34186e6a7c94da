/** Port of etcd-io/raft v3.6 tracker/progress_test.go, plus the v3.6 flow-control additions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Inflights, Progress, ProgressMap, ProgressStateType } from '../../../src/raft/tracker/index.js';

const { StateProbe, StateReplicate, StateSnapshot } = ProgressStateType;

describe('Progress', () => {
  test('toString has etcd format', () => {
    const ins = new Inflights(1);
    ins.add(123, 1);
    const pr = new Progress({
      match: 1,
      next: 2,
      state: StateSnapshot,
      pendingSnapshot: 123,
      recentActive: false,
      msgAppFlowPaused: true,
      isLearner: true,
      inflights: ins,
    });
    assert.equal(
      pr.toString(),
      'StateSnapshot match=1 next=2 learner paused pendingSnap=123 inactive inflight=1[full]',
    );
    const plain = new Progress({ match: 3, next: 4, recentActive: true, inflights: new Inflights(2) });
    assert.equal(plain.toString(), 'StateProbe match=3 next=4');
    plain.becomeReplicate();
    plain.sentEntries(2, 10);
    assert.equal(plain.toString(), 'StateReplicate match=3 next=6 inflight=1');
  });

  test('isPaused per state and flag', () => {
    const table: Array<[ProgressStateType, boolean, boolean]> = [
      [StateProbe, false, false],
      [StateProbe, true, true],
      [StateReplicate, false, false],
      [StateReplicate, true, true],
      [StateSnapshot, false, true],
      [StateSnapshot, true, true],
    ];
    for (const [state, paused, want] of table) {
      const p = new Progress({ next: 1, state, msgAppFlowPaused: paused, inflights: new Inflights(256) });
      assert.equal(p.isPaused(), want, `state=${state} paused=${paused}`);
    }
  });

  test('maybeDecrTo and maybeUpdate clear msgAppFlowPaused', () => {
    const p = new Progress({ next: 2, msgAppFlowPaused: true, inflights: new Inflights(256) });
    p.maybeDecrTo(1, 1);
    assert.equal(p.msgAppFlowPaused, false);
    p.msgAppFlowPaused = true;
    p.maybeUpdate(2);
    assert.equal(p.msgAppFlowPaused, false);
  });

  test('becomeProbe: from replicate to match+1, from snapshot to max(match, pendingSnapshot)+1', () => {
    const match = 1;
    const table: Array<[Progress, number]> = [
      [new Progress({ state: StateReplicate, match, next: 5, inflights: new Inflights(256) }), 2],
      [
        new Progress({
          state: StateSnapshot,
          match,
          next: 5,
          pendingSnapshot: 10,
          inflights: new Inflights(256),
        }),
        11,
      ],
      [
        new Progress({
          state: StateSnapshot,
          match,
          next: 5,
          pendingSnapshot: 0,
          inflights: new Inflights(256),
        }),
        2,
      ],
    ];
    for (const [i, [p, wnext]] of table.entries()) {
      p.becomeProbe();
      assert.equal(p.state, StateProbe, `#${i}`);
      assert.equal(p.match, match, `#${i}`);
      assert.equal(p.next, wnext, `#${i}`);
      assert.equal(p.pendingSnapshot, 0, `#${i}`);
    }
  });

  test('becomeReplicate resets next to match+1 and frees the inflights', () => {
    const p = new Progress({ state: StateProbe, match: 1, next: 5, inflights: new Inflights(256) });
    p.inflights.add(4, 1);
    p.becomeReplicate();
    assert.equal(p.state, StateReplicate);
    assert.equal(p.match, 1);
    assert.equal(p.next, 2);
    assert.equal(p.inflights.count(), 0);
  });

  test('becomeSnapshot records the pending snapshot; next and sentCommit follow it', () => {
    const p = new Progress({ state: StateProbe, match: 1, next: 5, inflights: new Inflights(256) });
    p.becomeSnapshot(10);
    assert.equal(p.state, StateSnapshot);
    assert.equal(p.match, 1);
    assert.equal(p.pendingSnapshot, 10);
    assert.equal(p.next, 11);
    assert.equal(p.sentCommit, 10);
  });

  test('maybeUpdate never decreases match or next', () => {
    const prevM = 3;
    const prevN = 5;
    const table: Array<[number, number, number, boolean]> = [
      [prevM - 1, prevM, prevN, false],
      [prevM, prevM, prevN, false],
      [prevM + 1, prevM + 1, prevN, true],
      [prevM + 2, prevM + 2, prevN + 1, true],
    ];
    for (const [i, [update, wm, wn, wok]] of table.entries()) {
      const p = new Progress({ match: prevM, next: prevN, inflights: new Inflights(1) });
      assert.equal(p.maybeUpdate(update), wok, `#${i}`);
      assert.equal(p.match, wm, `#${i}`);
      assert.equal(p.next, wn, `#${i}`);
    }
  });

  test('maybeDecrTo table', () => {
    // state, match, next, rejected, hint, ok, want next
    const table: Array<[ProgressStateType, number, number, number, number, boolean, number]> = [
      [StateReplicate, 5, 10, 5, 5, false, 10], // rejected not above match: stale
      [StateReplicate, 5, 10, 4, 4, false, 10],
      [StateReplicate, 5, 10, 9, 9, true, 6], // straight back to match+1
      [StateProbe, 0, 0, 0, 0, false, 0], // next-1 != rejected: stale
      [StateProbe, 0, 10, 5, 5, false, 10],
      [StateProbe, 0, 10, 9, 9, true, 9],
      [StateProbe, 0, 2, 1, 1, true, 1],
      [StateProbe, 0, 1, 0, 0, true, 1],
      [StateProbe, 0, 10, 9, 2, true, 3], // min(rejected, hint+1)
      [StateProbe, 0, 10, 9, 0, true, 1],
    ];
    for (const [i, [state, m, n, rejected, hint, w, wn]] of table.entries()) {
      const p = new Progress({ state, match: m, next: n, inflights: new Inflights(1) });
      assert.equal(p.maybeDecrTo(rejected, hint), w, `#${i}`);
      assert.equal(p.match, m, `#${i}`);
      assert.equal(p.next, wn, `#${i}`);
    }
  });

  test('sentEntries: replicate advances next and fills the window; probe pauses; snapshot is fatal', () => {
    const p = new Progress({ state: StateReplicate, match: 0, next: 1, inflights: new Inflights(2) });
    p.sentEntries(3, 30);
    assert.deepEqual([p.next, p.inflights.count(), p.msgAppFlowPaused], [4, 1, false]);
    p.sentEntries(0, 0);
    assert.deepEqual([p.next, p.inflights.count(), p.msgAppFlowPaused], [4, 1, false]);
    p.sentEntries(1, 10);
    assert.deepEqual([p.next, p.inflights.count(), p.msgAppFlowPaused], [5, 2, true]);
    assert.ok(p.isPaused());

    const probe = new Progress({ state: StateProbe, next: 3, inflights: new Inflights(2) });
    probe.sentEntries(0, 0);
    assert.equal(probe.msgAppFlowPaused, false);
    probe.updateOnEntriesSend(2, 5);
    assert.deepEqual([probe.next, probe.inflights.count(), probe.msgAppFlowPaused], [3, 0, true]);

    const snap = new Progress({ state: StateSnapshot, next: 3, inflights: new Inflights(2) });
    assert.throws(() => snap.sentEntries(1, 1), /sending append in unhandled state StateSnapshot/);
  });

  test('byte-limited window pauses replication', () => {
    const p = new Progress({ state: StateReplicate, next: 1, inflights: new Inflights(100, 1000) });
    p.sentEntries(1, 600);
    assert.equal(p.msgAppFlowPaused, false);
    p.sentEntries(1, 400);
    assert.equal(p.msgAppFlowPaused, true);
    assert.equal(p.toString(), 'StateReplicate match=0 next=3 paused inactive inflight=2[full]');
    assert.ok(p.maybeUpdate(1));
    p.inflights.freeLE(1);
    assert.equal(p.isPaused(), false);
  });

  test('sentCommit: canBumpCommit, and regressions on probe and rejection', () => {
    const p = new Progress({ state: StateReplicate, match: 5, next: 11, inflights: new Inflights(10) });
    assert.ok(p.canBumpCommit(3));
    p.updateSentCommit(8);
    assert.ok(!p.canBumpCommit(8), 'already sent');
    assert.ok(p.canBumpCommit(9));
    p.updateSentCommit(10);
    assert.ok(!p.canBumpCommit(12), 'sent commit already covers next-1');
    assert.ok(p.maybeDecrTo(9, 9));
    assert.deepEqual([p.next, p.sentCommit], [6, 5]);
    p.updateSentCommit(5);
    p.becomeProbe();
    assert.deepEqual([p.next, p.sentCommit], [6, 5]);
    const q = new Progress({
      state: StateProbe,
      match: 0,
      next: 10,
      sentCommit: 9,
      inflights: new Inflights(1),
    });
    assert.ok(q.maybeDecrTo(9, 3));
    assert.deepEqual([q.next, q.sentCommit], [4, 3]);
  });

  test('shallowCopy shares the inflights but not the fields', () => {
    const p = new Progress({
      match: 2,
      next: 3,
      inflights: new Inflights(4),
      isLearner: true,
      recentActive: true,
    });
    const c = p.shallowCopy();
    c.isLearner = false;
    c.match = 9;
    assert.equal(p.isLearner, true);
    assert.equal(p.match, 2);
    assert.equal(c.inflights, p.inflights);
  });
});

describe('ProgressMap', () => {
  test('iterates and prints in ascending ID order, independent of insertion order', () => {
    const m = new ProgressMap();
    const big = (1n << 64n) - 2n;
    for (const id of [3n, big, 1n, 2n])
      m.set(id, new Progress({ next: 1, recentActive: true, inflights: new Inflights(1) }));
    assert.deepEqual([...m.ids()], [1n, 2n, 3n, big]);
    assert.equal(
      m.toString(),
      `1: StateProbe match=0 next=1\n2: StateProbe match=0 next=1\n3: StateProbe match=0 next=1\n${big}: StateProbe match=0 next=1\n`,
    );
    const before = m.ids();
    m.delete(2n);
    assert.deepEqual([...before], [1n, 2n, 3n, big], 'earlier id lists are not mutated');
    assert.deepEqual(
      [...m].map(([id]) => id),
      [1n, 3n, big],
    );
    assert.equal(m.size, 3);
    assert.ok(!m.has(2n));
  });
});
