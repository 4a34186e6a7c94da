/**
 * Sending snapshots from the leader (etcd's raft_snap_test.go): the pending snapshot, paused
 * replication, and the follower's way back to probing on failure, success or abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { ProgressStateType } from '../../src/raft/tracker/state.js';
import { MessageType, type Snapshot } from '../../src/raftpb/index.js';
import { ent, mkMsg, newTestMemoryStorage, newTestRaft, readMessages } from './network/network.js';

const testingSnap = (): Snapshot => ({
  data: undefined,
  metadata: {
    index: 11,
    term: 11,
    confState: { voters: [1n, 2n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
  },
});

function leaderFromSnapshot(): Raft {
  const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
  assert.ok(r.restore(testingSnap()));
  r.becomeCandidate();
  r.becomeLeader();
  return r;
}

describe('snapshots', () => {
  it('sending a snapshot records it as pending', () => {
    const r = leaderFromSnapshot();
    // Force 2's next below the first index: a snapshot is needed.
    r.trk.progress.get(2n)!.next = r.raftLog.firstIndex();
    r.step(
      mkMsg({
        from: 2n,
        to: 1n,
        type: MessageType.MsgAppResp,
        index: r.trk.progress.get(2n)!.next - 1,
        reject: true,
        term: r.term,
      }),
    );
    assert.equal(r.trk.progress.get(2n)!.pendingSnapshot, 11);
    const snaps = readMessages(r).filter((m) => m.type === MessageType.MsgSnap);
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0]!.snapshot?.metadata.index, 11);
  });

  it('a pending snapshot pauses replication', () => {
    const r = leaderFromSnapshot();
    r.trk.progress.get(2n)!.becomeSnapshot(11);
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'somedata')] }));
    assert.deepEqual(readMessages(r), []);
  });

  it('a failed snapshot goes back to probing from match+1, paused', () => {
    const r = leaderFromSnapshot();
    const pr = r.trk.progress.get(2n)!;
    pr.next = 1;
    pr.becomeSnapshot(11);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgSnapStatus, reject: true }));
    assert.equal(pr.pendingSnapshot, 0);
    assert.equal(pr.next, 1);
    assert.equal(pr.state, ProgressStateType.StateProbe);
    assert.ok(pr.msgAppFlowPaused);
  });

  it('a delivered snapshot goes back to probing after it, paused', () => {
    const r = leaderFromSnapshot();
    const pr = r.trk.progress.get(2n)!;
    pr.next = 1;
    pr.becomeSnapshot(11);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgSnapStatus, reject: false }));
    assert.equal(pr.pendingSnapshot, 0);
    assert.equal(pr.next, 12);
    assert.ok(pr.msgAppFlowPaused);
  });

  it('an append response that catches the follower up aborts the snapshot', () => {
    const r = leaderFromSnapshot();
    const pr = r.trk.progress.get(2n)!;
    pr.next = 1;
    pr.becomeSnapshot(11);
    // The follower somehow has index 11: the snapshot is no longer needed.
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 11, term: r.term }));
    assert.equal(pr.pendingSnapshot, 0);
    // The leader's empty entry of its term (index 12) went out right away.
    assert.equal(pr.next, 13);
    assert.equal(pr.inflights.count(), 1);
    assert.equal(pr.state, ProgressStateType.StateReplicate);
  });

  it('a snapshot that is not recently active is not sent', () => {
    const r = leaderFromSnapshot();
    const pr = r.trk.progress.get(2n)!;
    pr.recentActive = false;
    pr.next = r.raftLog.firstIndex() - 1;
    r.sendAppend(2n);
    assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgSnap).length, 0);
    assert.equal(pr.state, ProgressStateType.StateProbe);
  });
});
