/**
 * Seeds that found real bugs, replayed (each also has a unit test next to the code it fixed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFailure, simulateAndCheck } from '../../../src/testing/sim/index.js';

describe('simulator regressions', () => {
  it('seed 1010 (async, 3 nodes): a single voter answered a ReadIndex before committing in its term', async () => {
    // The only voter restarted with a durable commit index behind the entry it had applied and
    // acknowledged (async writes apply before the HardState is durable), won the next term and
    // served a read at the stale commit index (test/raft/raft-read-index.test.ts pins the fix).
    const r = await simulateAndCheck({ seed: 1010, storage: 'async', nodes: 3, steps: 400 });
    assert.equal(r.failure, undefined, formatFailure(r));
  });

  it('seed 1514 (async, 5 nodes): a leader removed from a one-voter configuration answered a ReadIndex', async () => {
    // Leader 1 (stepDownOnRemoval off) applied a configuration whose only voter was 2, which went
    // on to lead term 3; 1 took itself for that single voter and served a stale read
    // (test/raft/raft-read-index.test.ts pins the fix).
    const r = await simulateAndCheck({ seed: 1514, storage: 'async', nodes: 5, steps: 400 });
    assert.equal(r.failure, undefined, formatFailure(r));
  });
});
