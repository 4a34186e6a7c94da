/**
 * The CI sweep shared by the per-mode seed tests: many seeds, every cluster size from 3 to 7.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { formatFailure, type StorageMode, simulateAndCheck } from '../../../src/testing/sim/index.js';

/** Seeds per storage mode in CI. */
export const CI_SEEDS = 500;
/** Steps (ticks) per seed in CI. */
export const CI_STEPS = 400;

/** Runs seeds 1..CI_SEEDS in `storage` mode and fails on the first violation. */
export async function sweep(t: TestContext, storage: StorageMode): Promise<void> {
  const started = performance.now();
  let undecided = 0;
  let ops = 0;
  for (let seed = 1; seed <= CI_SEEDS; seed++) {
    const nodes = 3 + (seed % 5);
    const r = await simulateAndCheck({ seed, storage, nodes, steps: CI_STEPS });
    assert.equal(r.failure, undefined, formatFailure(r));
    undecided += r.stats.undecided ?? 0;
    ops += r.history.length;
  }
  const secs = (performance.now() - started) / 1000;
  t.diagnostic(
    `${CI_SEEDS} seeds × ${CI_STEPS} steps (${storage}) in ${secs.toFixed(1)} s: ${((CI_SEEDS * CI_STEPS) / secs).toFixed(0)} steps/s, ${ops} history lines, ${undecided} undecided checks`,
  );
  // The checker decides these small histories.
  assert.ok(undecided <= CI_SEEDS / 100, `${undecided} histories undecided`);
}
