import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHistory, type HistoryOp } from '../../src/testing/index.js';

type Ev = [number, HistoryOp['type'], HistoryOp['f'], unknown?];
/** Events on key "x": [process, type, f, value]. */
function h(...events: Ev[]): HistoryOp[] {
  return events.map(([process, type, f, value]) => {
    const e: HistoryOp = { process, type, f, key: 'x' };
    if (value !== undefined) e.value = value;
    return e;
  });
}

const good: Record<string, HistoryOp[]> = {
  'read of absent is null': h([1, 'invoke', 'read'], [1, 'ok', 'read', null]),
  'write then read': h(
    [1, 'invoke', 'write', 1],
    [1, 'ok', 'write', 1],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 1],
  ),
  'concurrent writes, reads see them in one order': h(
    [1, 'invoke', 'write', 1],
    [2, 'invoke', 'write', 2],
    [3, 'invoke', 'read'],
    [3, 'ok', 'read', 2],
    [4, 'invoke', 'read'],
    [4, 'ok', 'read', 1],
    [1, 'ok', 'write', 1],
    [2, 'ok', 'write', 2],
  ),
  'an info write that shows up only much later': h(
    [1, 'invoke', 'write', 7],
    [1, 'info', 'write', 7],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', null],
    [3, 'invoke', 'write', 1],
    [3, 'ok', 'write', 1],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 1],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 7],
  ),
  'an invoke with no completion may take effect later': h(
    [1, 'invoke', 'write', 5],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', null],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 5],
  ),
  'a failed write did not take effect': h(
    [1, 'invoke', 'write', 1],
    [1, 'fail', 'write', 1],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', null],
  ),
  'a failed cas saw another value': h([1, 'invoke', 'cas', [1, 2]], [1, 'fail', 'cas', [1, 2]]),
  'cas swaps': h(
    [1, 'invoke', 'write', 1],
    [1, 'ok', 'write', 1],
    [1, 'invoke', 'cas', [1, 2]],
    [1, 'ok', 'cas', [1, 2]],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 2],
  ),
  'delete then read null': h(
    [1, 'invoke', 'write', 1],
    [1, 'ok', 'write', 1],
    [1, 'invoke', 'delete'],
    [1, 'ok', 'delete'],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', null],
  ),
  'appends concatenate from absent': h(
    [1, 'invoke', 'append', 'a'],
    [1, 'ok', 'append', 'a'],
    [1, 'invoke', 'append', 'b'],
    [1, 'ok', 'append', 'b'],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', 'ab'],
  ),
  'objects compare as JSON values': h(
    [1, 'invoke', 'write', { a: 1, b: [1, { c: 2, d: 3 }] }],
    [1, 'ok', 'write'],
    [2, 'invoke', 'read'],
    [2, 'ok', 'read', { b: [1, { d: 3, c: 2 }], a: 1 }],
  ),
  'failed and unknown reads constrain nothing': h(
    [1, 'invoke', 'read'],
    [1, 'fail', 'read', 9],
    [2, 'invoke', 'read'],
    [2, 'info', 'read', 8],
  ),
};

const bad: Record<string, [HistoryOp[], number]> = {
  'stale read after a completed write': [
    h(
      [1, 'invoke', 'write', 1],
      [1, 'ok', 'write', 1],
      [2, 'invoke', 'write', 2],
      [2, 'ok', 'write', 2],
      [3, 'invoke', 'read'],
      [3, 'ok', 'read', 1],
    ),
    3,
  ],
  'read of a value never written': [
    h([1, 'invoke', 'write', 1], [1, 'ok', 'write', 1], [2, 'invoke', 'read'], [2, 'ok', 'read', 3]),
    1,
  ],
  'a failed cas that cannot have seen another value': [
    h(
      [1, 'invoke', 'write', 1],
      [1, 'ok', 'write', 1],
      [2, 'invoke', 'cas', [1, 2]],
      [2, 'fail', 'cas', [1, 2]],
    ),
    2,
  ],
  'reads in both orders of two completed writes': [
    h(
      [1, 'invoke', 'write', 1],
      [2, 'invoke', 'write', 2],
      [1, 'ok', 'write'],
      [2, 'ok', 'write'],
      [3, 'invoke', 'read'],
      [3, 'ok', 'read', 1],
      [4, 'invoke', 'read'],
      [4, 'ok', 'read', 2],
      [3, 'invoke', 'read'],
      [3, 'ok', 'read', 1],
    ),
    3,
  ],
  'a read of the old value after delete completed': [
    h(
      [1, 'invoke', 'write', 1],
      [1, 'ok', 'write', 1],
      [1, 'invoke', 'delete'],
      [1, 'ok', 'delete'],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 1],
    ),
    3,
  ],
  'appends out of order': [
    h(
      [1, 'invoke', 'append', 'a'],
      [1, 'ok', 'append', 'a'],
      [1, 'invoke', 'append', 'b'],
      [1, 'ok', 'append', 'b'],
      [2, 'invoke', 'read'],
      [2, 'ok', 'read', 'ba'],
    ),
    3,
  ],
  'an info write read before its invoke': [
    h([2, 'invoke', 'read'], [2, 'ok', 'read', 7], [1, 'invoke', 'write', 7], [1, 'info', 'write', 7]),
    1,
  ],
  'a failed write that was read': [
    h([1, 'invoke', 'write', 1], [1, 'fail', 'write', 1], [2, 'invoke', 'read'], [2, 'ok', 'read', 1]),
    1,
  ],
};

describe('checkHistory: hand-written histories', () => {
  for (const [name, ops] of Object.entries(good)) {
    it(`linearizable: ${name}`, () => {
      assert.deepEqual(checkHistory(ops), {
        outcome: 'linearizable',
        keys: 1,
        operations: ops.filter((o) => o.type === 'invoke').length,
      });
    });
  }
  for (const [name, [ops, size]] of Object.entries(bad)) {
    it(`not linearizable: ${name}`, () => {
      const r = checkHistory(ops);
      assert.equal(r.outcome, 'not-linearizable');
      if (r.outcome !== 'not-linearizable') return;
      assert.equal(r.key, 'x');
      assert.equal(r.window.length, size, r.timeline);
    });
  }
  it('keys are independent registers', () => {
    const ops: HistoryOp[] = [
      { process: 1, type: 'invoke', f: 'write', key: 'a', value: 1 },
      { process: 1, type: 'ok', f: 'write', key: 'a', value: 1 },
      { process: 2, type: 'invoke', f: 'read', key: 'b' },
      { process: 2, type: 'ok', f: 'read', key: 'b', value: null },
      { process: 2, type: 'invoke', f: 'read' },
      { process: 2, type: 'ok', f: 'read', value: null },
    ];
    assert.deepEqual(checkHistory(ops), { outcome: 'linearizable', keys: 3, operations: 3 });
  });
  it('the stale-read window names the three operations', () => {
    const r = checkHistory(bad['stale read after a completed write']![0]);
    assert.equal(r.outcome, 'not-linearizable');
    if (r.outcome !== 'not-linearizable') return;
    assert.match(r.timeline, /write x 1/);
    assert.match(r.timeline, /write x 2/);
    assert.match(r.timeline, /read x → 1/);
    assert.match(r.explanation, /3 operations on key "x" cannot be ordered/);
  });
});
