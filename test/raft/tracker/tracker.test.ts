/** ProgressTracker and TrackerConfig: commit, votes, quorum activity, ConfState and printing. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JointConfig, MajorityConfig, VoteResult } from '../../../src/raft/quorum/index.js';
import { Inflights, Progress, ProgressTracker, TrackerConfig } from '../../../src/raft/tracker/index.js';

function tracker(voters: bigint[], outgoing: bigint[] = [], learners: bigint[] = []): ProgressTracker {
  const t = new ProgressTracker(256);
  t.config = new TrackerConfig({
    voters: new JointConfig(new MajorityConfig(voters), new MajorityConfig(outgoing)),
    learners,
  });
  for (const id of new Set([...voters, ...outgoing])) t.progress.set(id, newProgress(false));
  for (const id of learners) t.progress.set(id, newProgress(true));
  return t;
}

function newProgress(isLearner: boolean): Progress {
  return new Progress({ next: 1, inflights: new Inflights(256), isLearner, recentActive: true });
}

describe('ProgressTracker', () => {
  test('committed is the quorum match over voters (learners ignored), minimum across joint halves', () => {
    const t = tracker([1n, 2n, 3n], [], [4n]);
    const set = (id: bigint, m: number): void => {
      t.progress.get(id)!.match = m;
    };
    set(1n, 10);
    set(2n, 7);
    set(3n, 2);
    set(4n, 100);
    assert.equal(t.committed(), 7);
    const j = tracker([1n, 2n, 3n], [3n, 4n, 5n]);
    for (const [id, m] of [
      [1n, 10],
      [2n, 9],
      [3n, 8],
      [4n, 3],
      [5n, 2],
    ] as const)
      j.progress.get(id)!.match = m;
    assert.equal(j.committed(), 3);
  });

  test('votes: first vote counts, tally counts tracked voters only', () => {
    const t = tracker([1n, 2n, 3n], [], [4n]);
    t.recordVote(1n, true);
    t.recordVote(1n, false);
    t.recordVote(4n, true); // learner: ignored in the counts
    t.recordVote(9n, false); // untracked
    assert.deepEqual(t.tallyVotes(), { granted: 1, rejected: 0, result: VoteResult.VotePending });
    t.recordVote(2n, false);
    assert.deepEqual(t.tallyVotes(), { granted: 1, rejected: 1, result: VoteResult.VotePending });
    t.recordVote(3n, true);
    assert.deepEqual(t.tallyVotes(), { granted: 2, rejected: 1, result: VoteResult.VoteWon });
    t.resetVotes();
    assert.deepEqual(t.tallyVotes(), { granted: 0, rejected: 0, result: VoteResult.VotePending });
    t.recordVote(2n, false);
    t.recordVote(3n, false);
    assert.equal(t.tallyVotes().result, VoteResult.VoteLost);
  });

  test('quorumActive uses recentActive of voters only', () => {
    const t = tracker([1n, 2n, 3n], [], [4n, 5n]);
    for (const id of [2n, 3n]) t.progress.get(id)!.recentActive = false;
    assert.equal(t.quorumActive(), false, 'learners are active but do not count');
    t.progress.get(2n)!.recentActive = true;
    assert.equal(t.quorumActive(), true);
  });

  test('visit walks in ascending ID order; voter and learner lists are sorted', () => {
    const t = tracker([5n, 1n], [9n, 1n], [7n, 3n]);
    const seen: bigint[] = [];
    t.visit((id) => seen.push(id));
    assert.deepEqual(seen, [1n, 3n, 5n, 7n, 9n]);
    assert.deepEqual(t.voterNodes(), [1n, 5n, 9n]);
    assert.deepEqual(t.learnerNodes(), [3n, 7n]);
  });

  test('confState, isSingleton, config printing', () => {
    const t = tracker([3n, 1n], [2n, 1n], []);
    t.config.learnersNext.add(2n);
    t.config.autoLeave = true;
    assert.deepEqual(t.confState(), {
      voters: [1n, 3n],
      votersOutgoing: [1n, 2n],
      learners: [],
      learnersNext: [2n],
      autoLeave: true,
    });
    assert.equal(t.config.toString(), 'voters=(1 3)&&(1 2) learners_next=(2) autoleave');
    assert.equal(t.isSingleton(), false);
    assert.equal(tracker([1n]).isSingleton(), true);
    assert.equal(tracker([1n], [1n]).isSingleton(), false);
    assert.equal(tracker([1n], [], [2n]).config.toString(), 'voters=(1) learners=(2)');
  });

  test('TrackerConfig.clone is deep', () => {
    const c = new TrackerConfig({
      voters: new JointConfig(new MajorityConfig([1n])),
      learners: [2n],
      autoLeave: true,
    });
    const d = c.clone();
    d.voters.incoming.add(5n);
    d.learners.add(6n);
    assert.equal(c.toString(), 'voters=(1) learners=(2) autoleave');
    assert.equal(d.toString(), 'voters=(1 5) learners=(2 6) autoleave');
  });
});
