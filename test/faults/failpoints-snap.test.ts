/**
 * A crash at each snapshot failpoint: a follower down past compaction restarts armed, crashes
 * while installing the leader's snapshot (or while taking its own), restarts clean and catches up.
 */
import { test } from 'node:test';
import type { FailpointName } from '../../src/failpoint/index.js';
import { crashAtFailpoint, moreWrites } from './support/failpoint-crash.js';
import { others, runScenario } from './support/scenario.js';

const SNAP_ARGS = ['--snapshot-count', '25', '--snapshot-catch-up-entries', '5'];

for (const point of [
  'raftBeforeSaveSnap',
  'raftAfterSaveSnap',
  'raftBeforeApplySnap',
  'raftAfterApplySnap',
] as FailpointName[]) {
  test(`crash a follower at ${point} while it installs a snapshot`, async (t) => {
    await runScenario(t, {
      name: `fp-${point}`,
      args: SNAP_ARGS,
      warmupMs: 500,
      afterMs: 1000,
      fault: async (c, leader, w) =>
        crashAtFailpoint(c, others(leader)[0] as number, point, { meanwhile: () => moreWrites(w, 60) }),
    });
  });
}

for (const point of ['snapBeforeTake', 'snapAfterTake'] as FailpointName[]) {
  test(`crash a follower at ${point} (taking its own snapshot)`, async (t) => {
    await runScenario(t, {
      name: `fp-${point}`,
      args: SNAP_ARGS,
      warmupMs: 500,
      afterMs: 1000,
      fault: async (c, leader) => crashAtFailpoint(c, others(leader)[0] as number, point),
    });
  });
}
