import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkHistory } from '../../src/testing/index.js';
import { generateHistory, plantReadOfUnwrittenValue, plantStaleRead } from '../support/history-generator.js';

const TIMEOUT_MS = 10_000;

describe('checkHistory: generated histories', () => {
  it('a real sequential execution with random overlaps, fail and info outcomes is linearizable', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, processes, operations, keys, objectValues) => {
          const events = generateHistory({
            seed,
            processes,
            operations,
            keys,
            objectValues,
            infoRate: 0.1,
            failRate: 0.1,
          });
          const r = checkHistory(events, { timeoutMs: TIMEOUT_MS });
          assert.equal(r.outcome, 'linearizable', JSON.stringify(r));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('repeated values (small value domain) stay linearizable', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const events = generateHistory({
          seed,
          processes: 5,
          operations: 80,
          keys: 1,
          valueDomain: 3,
          fns: ['read', 'write', 'cas', 'delete'],
        });
        assert.equal(checkHistory(events, { timeoutMs: TIMEOUT_MS }).outcome, 'linearizable');
      }),
      { numRuns: 40 },
    );
  });

  it('a planted read of a value never written is never linearizable', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const events = plantReadOfUnwrittenValue(
          generateHistory({
            seed,
            processes: 5,
            operations: 60,
            keys: 2,
            fns: ['read', 'write', 'delete', 'append'],
          }),
          seed,
        );
        const r = checkHistory(events, { timeoutMs: TIMEOUT_MS });
        assert.equal(r.outcome, 'not-linearizable');
        if (r.outcome === 'not-linearizable') assert.equal(r.key, 'x');
      }),
      { numRuns: 40 },
    );
  });

  it('a planted stale read after a completed write is never linearizable', () => {
    let planted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const events = plantStaleRead(
          generateHistory({ seed, processes: 5, operations: 60, keys: 1, fns: ['read', 'write', 'delete'] }),
          seed,
        );
        if (events === undefined) return;
        planted++;
        assert.equal(checkHistory(events, { timeoutMs: TIMEOUT_MS }).outcome, 'not-linearizable');
      }),
      { numRuns: 40 },
    );
    assert.ok(planted > 30, `only ${planted} histories had a pair of writes to plant on`);
  });
});
