/** Port of etcd-io/raft v3.6 tracker/inflights_test.go: ring layout, freeing, count and byte limits. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Inflights } from '../../../src/raft/tracker/index.js';

/** Slots as [index, bytes] pairs from parallel lists, like etcd's inflightsBuffer helper. */
const slots = (indices: number[], sizes: number[]): Array<[number, number]> =>
  indices.map((idx, i) => [idx, sizes[i]!]);

describe('Inflights', () => {
  test('add fills the ring in order, growing the buffer on demand', () => {
    const inf = new Inflights(10);
    for (let i = 0; i < 5; i++) inf.add(i, 100 + i);
    const s1 = inf.debugState();
    assert.deepEqual(
      { start: s1.start, count: s1.count, bytes: s1.bytes },
      { start: 0, count: 5, bytes: 510 },
    );
    // Grown by doubling 1 → 2 → 4 → 8: the five messages sit in the first slots.
    assert.deepEqual(s1.slots.slice(0, 5), slots([0, 1, 2, 3, 4], [100, 101, 102, 103, 104]));
    assert.equal(s1.slots.length, 8);
    for (let i = 5; i < 10; i++) inf.add(i, 100 + i);
    const s2 = inf.debugState();
    assert.deepEqual(
      s2,
      {
        start: 0,
        count: 10,
        bytes: 1045,
        slots: slots([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]),
      },
      'growth is capped at size',
    );
    assert.ok(inf.full());
  });

  test('add wraps around the ring once the head has moved', () => {
    const inf = new Inflights(10);
    for (let i = 0; i < 10; i++) inf.add(i, 100 + i);
    inf.freeLE(4);
    for (let i = 10; i < 15; i++) inf.add(i, 100 + i);
    assert.deepEqual(inf.debugState(), {
      start: 5,
      count: 10,
      bytes: 1095,
      slots: slots([10, 11, 12, 13, 14, 5, 6, 7, 8, 9], [110, 111, 112, 113, 114, 105, 106, 107, 108, 109]),
    });
  });

  test('freeLE frees everything up to an index, across the wrap, and resets start when empty', () => {
    const inf = new Inflights(10);
    for (let i = 0; i < 10; i++) inf.add(i, 100 + i);
    const all = slots([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);

    inf.freeLE(0);
    assert.deepEqual(inf.debugState(), { start: 1, count: 9, bytes: 945, slots: all });
    inf.freeLE(4);
    assert.deepEqual(inf.debugState(), { start: 5, count: 5, bytes: 535, slots: all });
    inf.freeLE(8);
    assert.deepEqual(inf.debugState(), { start: 9, count: 1, bytes: 109, slots: all });

    for (let i = 10; i < 15; i++) inf.add(i, 100 + i);
    inf.freeLE(12);
    const wrapped = slots(
      [10, 11, 12, 13, 14, 5, 6, 7, 8, 9],
      [110, 111, 112, 113, 114, 105, 106, 107, 108, 109],
    );
    assert.deepEqual(inf.debugState(), { start: 3, count: 2, bytes: 227, slots: wrapped });

    inf.freeLE(14);
    assert.deepEqual(inf.debugState(), { start: 0, count: 0, bytes: 0, slots: wrapped });
  });

  test('freeLE below the window is a no-op', () => {
    const inf = new Inflights(4);
    inf.add(5, 1);
    inf.add(6, 1);
    inf.freeLE(4);
    assert.equal(inf.count(), 2);
    new Inflights(4).freeLE(100);
  });

  test('freeFirstOne frees exactly the oldest message', () => {
    const inf = new Inflights(10);
    for (let i = 0; i < 10; i++) inf.add(i, 1);
    inf.freeFirstOne();
    assert.deepEqual([inf.debugState().start, inf.count(), inf.bytes()], [1, 9, 9]);
    const empty = new Inflights(3);
    empty.freeFirstOne();
    assert.equal(empty.count(), 0);
  });

  // name, size, maxBytes, fullAt, freeLE, againAt (etcd's TestInflightsFull table).
  const fullCases: Array<[string, number, number, number, number, number]> = [
    ['always-full', 0, 0, 0, 0, 0],
    ['single-entry', 1, 0, 1, 1, 2],
    ['single-entry-overflow', 1, 10, 1, 1, 2],
    ['multi-entry', 15, 0, 15, 6, 22],
    ['slight-overflow', 8, 400, 4, 2, 7],
    ['exact-max-bytes', 8, 406, 4, 3, 8],
    ['larger-overflow', 15, 408, 5, 1, 6],
  ];
  for (const [name, size, maxBytes, fullAt, freeLE, againAt] of fullCases) {
    test(`full: ${name}`, () => {
      const inf = new Inflights(size, maxBytes);
      const addUntilFull = (begin: number, end: number): void => {
        for (let i = begin; i < end; i++) {
          assert.ok(!inf.full(), `full at ${i}, want ${end}`);
          inf.add(i, 100 + i);
        }
        assert.ok(inf.full(), `not full at ${end}`);
      };
      addUntilFull(0, fullAt);
      inf.freeLE(freeLE);
      addUntilFull(fullAt, againAt);
      assert.throws(
        () => inf.add(100, 1024),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'RAFTWIRE_RAFT_FATAL',
      );
    });
  }

  test('reset empties the window and clone is independent', () => {
    const inf = new Inflights(3, 100);
    inf.add(1, 60);
    inf.add(2, 50);
    assert.ok(inf.full());
    const c = inf.clone();
    inf.reset();
    assert.deepEqual([inf.count(), inf.bytes(), inf.full()], [0, 0, false]);
    assert.deepEqual([c.count(), c.bytes(), c.full()], [2, 110, true]);
    c.freeLE(1);
    assert.deepEqual([c.count(), c.bytes(), c.full()], [1, 50, false]);
    assert.deepEqual([c.size, c.maxBytes], [3, 100]);
  });

  test('matches a queue model under random add/free sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(
          fc.oneof(
            fc.nat({ max: 20 }).map((b) => ({ add: b })),
            fc.nat({ max: 6 }).map((d) => ({ free: d })),
          ),
          {
            maxLength: 60,
          },
        ),
        (size, maxBytes, ops) => {
          const inf = new Inflights(size, maxBytes);
          const model: Array<[number, number]> = [];
          let next = 1;
          for (const op of ops) {
            if ('add' in op) {
              if (inf.full()) continue;
              inf.add(next, op.add);
              model.push([next, op.add]);
              next++;
            } else {
              const to = next - 1 - op.free;
              inf.freeLE(to);
              while (model.length > 0 && model[0]![0] <= to) model.shift();
            }
            const bytes = model.reduce((s, [, b]) => s + b, 0);
            assert.equal(inf.count(), model.length);
            assert.equal(inf.bytes(), bytes);
            assert.equal(inf.full(), model.length === size || (maxBytes !== 0 && bytes >= maxBytes));
          }
        },
      ),
    );
  });
});
