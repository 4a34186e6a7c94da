/** Changer behaviours beyond the datadriven files: purity, cancellation, invariants, new Progress. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Changer, ConfChangeError } from '../../../src/raft/confchange/index.js';
import { JointConfig, MajorityConfig } from '../../../src/raft/quorum/index.js';
import { Inflights, Progress, ProgressTracker, TrackerConfig } from '../../../src/raft/tracker/index.js';
import { type ConfChangeSingle, ConfChangeType } from '../../../src/raftpb/index.js';

const v = (id: bigint): ConfChangeSingle => ({ type: ConfChangeType.ConfChangeAddNode, nodeId: id });
const l = (id: bigint): ConfChangeSingle => ({ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id });

function apply(t: ProgressTracker, [cfg, prs]: ReturnType<Changer['simple']>): void {
  t.config = cfg;
  t.progress = prs;
}

describe('Changer', () => {
  test('never mutates the tracker it reads', () => {
    const t = new ProgressTracker(5, 100);
    const c = new Changer(t, 7);
    apply(t, c.simple([v(1n)]));
    const before = `${t.config}\n${t.progress}`;
    const pr1 = t.progress.get(1n)!;
    const [cfg, prs] = c.enterJoint(true, [l(1n), v(2n)]);
    assert.equal(`${t.config}\n${t.progress}`, before);
    assert.equal(pr1.isLearner, false);
    assert.equal(cfg.toString(), 'voters=(2)&&(1) learners_next=(1) autoleave');
    assert.equal(prs.get(1n)!.inflights, pr1.inflights, 'progress is copied shallowly (shared inflights)');
  });

  test('new peers: next = max(lastIndex, 1), recently active, inflights from the tracker limits', () => {
    const t = new ProgressTracker(5, 100);
    const c = new Changer(t, 0);
    apply(t, c.simple([v(1n)]));
    assert.equal(t.progress.get(1n)!.next, 1);
    c.lastIndex = 42;
    apply(t, c.simple([l(2n)]));
    const pr = t.progress.get(2n)!;
    assert.deepEqual([pr.match, pr.next, pr.recentActive, pr.isLearner], [0, 42, true, true]);
    assert.deepEqual([pr.inflights.size, pr.inflights.maxBytes], [5, 100]);
  });

  test('node ID 0 is skipped (etcd cancels a change by zeroing it)', () => {
    const t = new ProgressTracker(5);
    const c = new Changer(t, 1);
    apply(t, c.simple([v(1n)]));
    const [cfg, prs] = c.simple([v(0n), { type: ConfChangeType.ConfChangeRemoveNode, nodeId: 0n }]);
    assert.equal(cfg.toString(), 'voters=(1)');
    assert.equal(prs.size, 1);
  });

  test('an unknown change type is refused with its number', () => {
    const t = new ProgressTracker(5);
    const c = new Changer(t, 1);
    assert.throws(
      () => c.simple([{ type: 9 as ConfChangeType, nodeId: 1n }]),
      (e: unknown) => e instanceof ConfChangeError && e.message === 'unexpected conf type 9',
    );
  });

  test('broken input invariants are reported with etcd texts', () => {
    const cases: Array<[string, (t: ProgressTracker) => void]> = [
      [
        'no progress for 2',
        (t) => {
          t.config = new TrackerConfig({ voters: new JointConfig(new MajorityConfig([1n, 2n])) });
        },
      ],
      [
        '2 is in Learners and Voters[0]',
        (t) => {
          t.config = new TrackerConfig({
            voters: new JointConfig(new MajorityConfig([1n, 2n])),
            learners: [2n],
          });
          t.progress.set(2n, new Progress({ next: 1, inflights: new Inflights(1), isLearner: true }));
        },
      ],
      [
        '2 is in Learners, but is not marked as learner',
        (t) => {
          t.config = new TrackerConfig({ voters: new JointConfig(new MajorityConfig([1n])), learners: [2n] });
          t.progress.set(2n, new Progress({ next: 1, inflights: new Inflights(1) }));
        },
      ],
      [
        '2 is in LearnersNext, but not Voters[1]',
        (t) => {
          t.config = new TrackerConfig({
            voters: new JointConfig(new MajorityConfig([1n])),
            learnersNext: [2n],
          });
          t.progress.set(2n, new Progress({ next: 1, inflights: new Inflights(1) }));
        },
      ],
      [
        'AutoLeave must be false when not joint',
        (t) => {
          t.config = new TrackerConfig({
            voters: new JointConfig(new MajorityConfig([1n])),
            autoLeave: true,
          });
        },
      ],
    ];
    for (const [message, setup] of cases) {
      const t = new ProgressTracker(5);
      t.progress.set(1n, new Progress({ next: 1, inflights: new Inflights(1) }));
      setup(t);
      assert.throws(
        () => new Changer(t, 1).simple([]),
        (e: unknown) => e instanceof ConfChangeError && e.message === message,
        message,
      );
    }
  });
});
