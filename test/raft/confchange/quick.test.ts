/**
 * Property tests as etcd's confchange/quick_test.go and restore_test.go: one-at-a-time simple
 * changes equal the same changes applied jointly (enter + leave), and restore(ConfState)
 * round-trips through the tracker's ConfState.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  Changer,
  ConfChangeError,
  describeChanges,
  restore,
  toConfChangeSingle,
} from '../../../src/raft/confchange/index.js';
import type { ProgressMap } from '../../../src/raft/tracker/index.js';
import { ProgressTracker, type TrackerConfig } from '../../../src/raft/tracker/index.js';
import { type ConfChangeSingle, ConfChangeType, type ConfState } from '../../../src/raftpb/index.js';

/** Everything observable about a config and its progress, for deep comparison. */
function snapshot(cfg: TrackerConfig, prs: ProgressMap): unknown {
  return {
    config: cfg.toString(),
    incoming: cfg.voters.incoming.slice(),
    outgoing: cfg.voters.outgoing.slice(),
    learners: [...cfg.learners].sort(),
    learnersNext: [...cfg.learnersNext].sort(),
    autoLeave: cfg.autoLeave,
    progress: [...prs].map(([id, pr]) => ({
      id,
      match: pr.match,
      next: pr.next,
      state: pr.state,
      isLearner: pr.isLearner,
      recentActive: pr.recentActive,
      inflights: [pr.inflights.count(), pr.inflights.size, pr.inflights.maxBytes],
    })),
  };
}

function newChanger(): Changer {
  return new Changer(new ProgressTracker(10, 0), 10);
}

function install(c: Changer, [cfg, prs]: [TrackerConfig, ProgressMap]): void {
  const t = c.tracker as ProgressTracker;
  t.config = cfg;
  t.progress = prs;
}

function runWithSimple(c: Changer, ccs: readonly ConfChangeSingle[]): void {
  for (const cc of ccs) install(c, c.simple([cc]));
}

function runWithJoint(c: Changer, ccs: readonly ConfChangeSingle[]): void {
  const joint = c.enterJoint(false, ccs);
  // The same with autoLeave must give the same result apart from the flag.
  const jointAuto = c.enterJoint(true, ccs);
  assert.equal(jointAuto[0].autoLeave, true);
  jointAuto[0].autoLeave = false;
  assert.deepEqual(snapshot(...jointAuto), snapshot(...joint));
  install(c, joint);
  const leftOther = c.leaveJoint();
  install(c, joint);
  const left = c.leaveJoint();
  assert.deepEqual(snapshot(...left), snapshot(...leftOther));
  install(c, left);
}

const typeArb = fc.constantFrom(
  ConfChangeType.ConfChangeAddNode,
  ConfChangeType.ConfChangeRemoveNode,
  ConfChangeType.ConfChangeUpdateNode,
  ConfChangeType.ConfChangeAddLearnerNode,
);
/** Node 1 is a voter from the start and never touched, so no change removes all voters. */
const setupArb = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 })
  .map((ids): ConfChangeSingle[] =>
    [1, ...ids].map((id) => ({ type: ConfChangeType.ConfChangeAddNode, nodeId: BigInt(id) })),
  );
const changesArb = fc.array(
  fc.record({ type: typeArb, nodeId: fc.integer({ min: 2, max: 10 }).map(BigInt) }),
  { minLength: 1, maxLength: 9 },
);

describe('confchange properties', () => {
  test('simple changes one at a time equal the joint change (enter + leave)', () => {
    fc.assert(
      fc.property(setupArb, changesArb, (setup, ccs) => {
        const viaSimple = newChanger();
        runWithSimple(viaSimple, setup);
        runWithSimple(viaSimple, ccs);
        const viaJoint = newChanger();
        runWithSimple(viaJoint, setup);
        runWithJoint(viaJoint, ccs);
        assert.deepEqual(
          snapshot(viaJoint.tracker.config, viaJoint.tracker.progress),
          snapshot(viaSimple.tracker.config, viaSimple.tracker.progress),
          `setup: ${describeChanges(setup)}\nccs: ${describeChanges(ccs)}`,
        );
      }),
      { numRuns: 1000 },
    );
  });

  /** A random valid ConfState, generated as etcd's rndConfChange does. */
  const confStateArb = fc
    .record({
      nVoters: fc.integer({ min: 1, max: 5 }),
      nLearners: fc.integer({ min: 0, max: 4 }),
      nRemoved: fc.integer({ min: 0, max: 2 }),
      retainedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      learnersNextFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      autoLeave: fc.boolean(),
      seed: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
    })
    .map(
      ({
        nVoters,
        nLearners,
        nRemoved,
        retainedFraction,
        learnersNextFraction,
        autoLeave,
        seed,
      }): ConfState => {
        // A permutation of 1..2n, driven by the seed.
        const n = 2 * (nVoters + nLearners + nRemoved);
        const ids = Array.from({ length: n }, (_, i) => BigInt(i + 1));
        for (let i = ids.length - 1; i > 0; i--) {
          const j = seed[i % seed.length]! % (i + 1);
          [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        }
        const voters = ids.splice(0, nVoters);
        const learners = ids.splice(0, nLearners);
        const retained = Math.floor(retainedFraction * (nVoters + 1)) % (nVoters + 1);
        const votersOutgoing =
          retained > 0 || nRemoved > 0 ? [...voters.slice(0, retained), ...ids.slice(0, nRemoved)] : [];
        const nNext = nRemoved > 0 ? Math.floor(learnersNextFraction * (nRemoved + 1)) % (nRemoved + 1) : 0;
        const learnersNext = ids.slice(0, nNext);
        return {
          voters,
          learners,
          votersOutgoing,
          learnersNext,
          autoLeave: votersOutgoing.length > 0 && autoLeave,
        };
      },
    );

  const sortIds = (ids: bigint[]): bigint[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const checkRoundTrip = (cs: ConfState): void => {
    const changer = new Changer(new ProgressTracker(20, 0), 10);
    const [cfg, prs] = restore(changer, cs);
    assert.equal(changer.tracker.progress.size, 0, 'restore leaves the changer untouched');
    const t = new ProgressTracker(20, 0);
    t.config = cfg;
    t.progress = prs;
    assert.deepEqual(t.confState(), {
      voters: sortIds(cs.voters),
      learners: sortIds(cs.learners),
      votersOutgoing: sortIds(cs.votersOutgoing),
      learnersNext: sortIds(cs.learnersNext),
      autoLeave: cs.autoLeave,
    });
  };

  test('restore round-trips the unit cases', () => {
    const cs = (v: number[], l: number[] = [], o: number[] = [], ln: number[] = []): ConfState => ({
      voters: v.map(BigInt),
      learners: l.map(BigInt),
      votersOutgoing: o.map(BigInt),
      learnersNext: ln.map(BigInt),
      autoLeave: false,
    });
    checkRoundTrip(cs([]));
    checkRoundTrip(cs([1, 2, 3]));
    checkRoundTrip(cs([1, 2, 3], [4, 5, 6]));
    checkRoundTrip(cs([1, 2, 3], [5], [1, 2, 4, 6], [4]));
    checkRoundTrip({ ...cs([3, 1, 2], [5], [6, 4, 2, 1], [4]), autoLeave: true });
  });

  test('restore round-trips random valid ConfStates', () => {
    fc.assert(fc.property(confStateArb, checkRoundTrip), { numRuns: 1000 });
  });

  test('restore rejects an impossible ConfState with a ConfChangeError', () => {
    const bad: ConfState = {
      voters: [1n],
      learners: [1n],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    assert.throws(
      () => restore(newChanger(), bad),
      (e: unknown) =>
        e instanceof ConfChangeError &&
        e.code === 'RAFTWIRE_RAFT_CONF_CHANGE' &&
        e.message === 'removed all voters',
    );
  });

  test('toConfChangeSingle orders the changes as etcd does', () => {
    const [out, inc] = toConfChangeSingle({
      voters: [1n, 2n, 3n],
      learners: [5n],
      votersOutgoing: [1n, 2n, 4n, 6n],
      learnersNext: [4n],
      autoLeave: false,
    });
    assert.equal(
      describeChanges(out),
      'ConfChangeAddNode(1) ConfChangeAddNode(2) ConfChangeAddNode(4) ConfChangeAddNode(6)',
    );
    assert.equal(
      describeChanges(inc),
      'ConfChangeRemoveNode(1) ConfChangeRemoveNode(2) ConfChangeRemoveNode(4) ConfChangeRemoveNode(6) ' +
        'ConfChangeAddNode(1) ConfChangeAddNode(2) ConfChangeAddNode(3) ConfChangeAddLearnerNode(5) ConfChangeAddLearnerNode(4)',
    );
  });
});
