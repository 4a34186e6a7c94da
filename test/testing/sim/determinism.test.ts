/**
 * The simulator replays a seed exactly: two runs with the same options trace the same events (same
 * hash) and record the same history; another seed gives another run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from '../../../src/testing/sim/simulator.js';

describe('simulator determinism', () => {
  for (const storage of ['classic', 'async'] as const) {
    it(`replays a seed exactly (${storage})`, () => {
      for (const seed of [7, 123456789]) {
        const a = runSimulation({ seed, storage, steps: 300 });
        const b = runSimulation({ seed, storage, steps: 300 });
        assert.equal(a.failure, undefined, a.failure?.detail);
        assert.equal(a.traceHash, b.traceHash);
        assert.deepEqual(a.history, b.history);
        assert.deepEqual(a.stats, b.stats);
        // The run did something worth replaying.
        assert.ok(a.stats.delivered! > 500, `only ${a.stats.delivered} messages`);
        assert.ok(a.history.length > 50, `only ${a.history.length} history lines`);
      }
    });
  }

  it('gives different runs for different seeds and storage modes', () => {
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3]) {
      for (const storage of ['classic', 'async'] as const)
        hashes.add(runSimulation({ seed, storage, steps: 100 }).traceHash);
    }
    assert.equal(hashes.size, 6);
  });

  it('refuses a cluster size outside 3 to 7', () => {
    assert.throws(() => runSimulation({ seed: 1, storage: 'classic', nodes: 2 }), {
      code: 'RAFTWIRE_SIM_CONFIG',
    });
    assert.throws(() => runSimulation({ seed: 1, storage: 'classic', nodes: 8 }), {
      code: 'RAFTWIRE_SIM_CONFIG',
    });
  });
});
