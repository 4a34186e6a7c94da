/**
 * Configuration changes in the state machine (etcd's raft_test.go): propose-time checks, pending
 * conf index, adding and removing nodes and learners, campaigning with unapplied changes,
 * StepDownOnRemoval, and snapshot restore of the configuration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type Entry,
  EntryType,
  encodeConfChange,
  encodeConfChangeV2,
  type Message,
  MessageType,
  NONE,
  type Snapshot,
} from '../../src/raftpb/index.js';
import {
  CollectingLogger,
  ent,
  mkMsg,
  newTestMemoryStorage,
  newTestRaft,
  readMessages,
} from './network/network.js';

const v2 = (...changes: Array<[ConfChangeType, bigint]>): ConfChangeV2 => ({
  transition: ConfChangeTransition.ConfChangeTransitionAuto,
  changes: changes.map(([type, nodeId]) => ({ type, nodeId })),
});

const ccEntry = (type: ConfChangeType, nodeId: bigint): Entry => ({
  term: 0,
  index: 0,
  type: EntryType.EntryConfChange,
  data: encodeConfChange({ id: 0n, type, nodeId }),
});

const propMsg = (e: Entry): Message => mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [e] });

function leader(peers: bigint[], extra = {}): Raft {
  const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(peers), extra);
  r.becomeCandidate();
  r.becomeLeader();
  return r;
}

describe('conf changes: proposals', () => {
  it('a conf change proposal is appended and sets pendingConfIndex', () => {
    const r = leader([1n, 2n]);
    const index = r.raftLog.lastIndex();
    r.step(propMsg(ccEntry(ConfChangeType.ConfChangeAddNode, 3n)));
    assert.equal(r.raftLog.lastIndex(), index + 1);
    assert.equal(r.pendingConfIndex, index + 1);
  });

  it('a second conf change while one is pending becomes an empty normal entry', () => {
    const logger = new CollectingLogger();
    const r = leader([1n, 2n], { logger });
    r.step(propMsg(ccEntry(ConfChangeType.ConfChangeAddNode, 3n)));
    const index = r.raftLog.lastIndex();
    const pending = r.pendingConfIndex;
    r.step(propMsg(ccEntry(ConfChangeType.ConfChangeAddNode, 4n)));
    const last = r.raftLog.allEntries().at(-1)!;
    assert.equal(last.index, index + 1);
    assert.equal(last.type, EntryType.EntryNormal);
    assert.equal(last.data, undefined);
    assert.equal(r.pendingConfIndex, pending);
    assert.ok(
      logger.lines.some((l) =>
        /ignoring conf change \{0 ConfChangeAddNode 4 \[\]\} at config voters=\(1 2\): possible unapplied conf change at index 2 \(applied to 0\)/.test(
          l,
        ),
      ),
    );
  });

  it('with disableConfChangeValidation the checks are skipped', () => {
    const r = leader([1n, 2n], { disableConfChangeValidation: true });
    r.step(propMsg(ccEntry(ConfChangeType.ConfChangeAddNode, 3n)));
    r.step(propMsg(ccEntry(ConfChangeType.ConfChangeAddNode, 4n)));
    const last = r.raftLog.allEntries().at(-1)!;
    assert.equal(last.type, EntryType.EntryConfChange);
  });

  it('a new leader sets pendingConfIndex to its last index', () => {
    for (const addEntry of [false, true]) {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
      if (addEntry) r.appendEntry([{ term: 0, index: 0, type: EntryType.EntryNormal, data: undefined }]);
      const last = r.raftLog.lastIndex();
      r.becomeCandidate();
      r.becomeLeader();
      assert.equal(r.pendingConfIndex, last);
    }
  });

  it('a leave-joint outside a joint config, or a change inside one, is refused', () => {
    const r = leader([1n, 2n]);
    r.appliedTo(r.raftLog.committed, 0);
    r.pendingConfIndex = 0;
    const empty: Entry = {
      term: 0,
      index: 0,
      type: EntryType.EntryConfChangeV2,
      data: encodeConfChangeV2(v2()),
    };
    r.step(propMsg(empty));
    assert.equal(r.raftLog.allEntries().at(-1)!.type, EntryType.EntryNormal);
  });
});

describe('conf changes: application', () => {
  it('adding a node tracks it; removing one forgets it', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
    r.applyConfChange(v2([ConfChangeType.ConfChangeAddNode, 2n]));
    assert.deepEqual(r.trk.voterNodes(), [1n, 2n]);
    r.applyConfChange(v2([ConfChangeType.ConfChangeRemoveNode, 2n]));
    assert.deepEqual(r.trk.voterNodes(), [1n]);
    // Removing the last voter is refused by the changer.
    assert.throws(
      () => r.applyConfChange(v2([ConfChangeType.ConfChangeRemoveNode, 1n])),
      /removed all voters/,
    );
  });

  it('adding a learner; a learner cannot campaign but a promoted one can', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
    r.applyConfChange(v2([ConfChangeType.ConfChangeAddLearnerNode, 2n]));
    assert.deepEqual(r.trk.learnerNodes(), [2n]);
    assert.ok(r.trk.progress.get(2n)!.isLearner);
    const l = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n], [2n]));
    assert.equal(l.promotable(), false);
    l.applyConfChange(v2([ConfChangeType.ConfChangeAddNode, 2n]));
    assert.equal(l.promotable(), true);
  });

  it('removing a follower lets the leader commit with the remaining quorum', () => {
    const r = leader([1n, 2n]);
    readMessages(r);
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'x')] }));
    readMessages(r);
    // Only the leader has the entries; removing 2 makes 1 the whole quorum.
    assert.equal(r.raftLog.committed, 0);
    r.applyConfChange(v2([ConfChangeType.ConfChangeRemoveNode, 2n]));
    assert.equal(r.raftLog.committed, 2);
  });

  it('a node with unapplied committed conf changes does not campaign', () => {
    const s = newTestMemoryStorage([1n, 2n]);
    s.append([{ term: 1, index: 1, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(v2()) }]);
    s.setHardState({ term: 1, vote: NONE, commit: 1 });
    const logger = new CollectingLogger();
    const r = newTestRaft(1n, 10, 1, s, { logger });
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
    assert.equal(r.state, StateType.StateFollower);
    assert.ok(
      logger.lines.includes(
        'WARN 1 cannot campaign at term 1 since there are still pending configuration changes to apply',
      ),
    );
    r.appliedTo(1, 0);
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
    assert.equal(r.state, StateType.StateCandidate);
  });

  for (const stepDownOnRemoval of [false, true]) {
    it(`a leader that removes itself ${stepDownOnRemoval ? 'steps down' : 'stays leader'} (stepDownOnRemoval ${stepDownOnRemoval})`, () => {
      const r = leader([1n, 2n], { stepDownOnRemoval });
      r.applyConfChange(v2([ConfChangeType.ConfChangeRemoveNode, 1n]));
      assert.equal(r.state, stepDownOnRemoval ? StateType.StateFollower : StateType.StateLeader);
      // A removed leader drops proposals.
      const err = r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'x')] }));
      assert.ok(err !== undefined);
    });
  }

  it('an auto-leave joint config is left by the leader once applied', () => {
    const r = leader([1n]);
    const joint: ConfChangeV2 = {
      transition: ConfChangeTransition.ConfChangeTransitionJointImplicit,
      changes: [{ type: ConfChangeType.ConfChangeAddNode, nodeId: 2n }],
    };
    r.applyConfChange(joint);
    assert.equal(r.trk.config.autoLeave, true);
    const last = r.raftLog.lastIndex();
    r.appliedTo(r.raftLog.committed, 0);
    const tail = r.raftLog.allEntries().at(-1)!;
    assert.equal(tail.index, last + 1);
    assert.equal(tail.type, EntryType.EntryConfChangeV2);
  });
});

describe('snapshot restore', () => {
  const snap = (index: number, term: number, voters: bigint[], learners: bigint[] = []): Snapshot => ({
    data: undefined,
    metadata: {
      index,
      term,
      confState: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
    },
  });

  it('restores the log and the configuration from a snapshot', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
    assert.ok(r.restore(snap(11, 11, [1n, 2n, 3n])));
    assert.equal(r.raftLog.lastIndex(), 11);
    assert.equal(r.raftLog.term(11), 11);
    assert.deepEqual(r.trk.voterNodes(), [1n, 2n, 3n]);
    // Restoring the same snapshot again is a no-op.
    assert.equal(r.restore(snap(11, 11, [1n, 2n, 3n])), false);
  });

  it('restores learners, and a learner in the snapshot becomes a learner here', () => {
    const r = newTestRaft(3n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]));
    assert.ok(r.restore(snap(11, 11, [1n, 2n], [3n])));
    assert.ok(r.isLearner);
    assert.deepEqual(r.trk.learnerNodes(), [3n]);
  });

  it('a snapshot not naming us is ignored; one we already hold only fast-forwards the commit', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
    assert.equal(r.restore(snap(11, 11, [2n, 3n])), false);
    const s = newTestMemoryStorage([1n, 2n]);
    s.append([ent(1, 1), ent(1, 2), ent(1, 3)]);
    const r2 = newTestRaft(1n, 10, 1, s);
    assert.equal(r2.restore(snap(2, 1, [1n, 2n])), false);
    assert.equal(r2.raftLog.committed, 2);
    assert.equal(r2.raftLog.lastIndex(), 3);
  });

  it('a follower acknowledges a snapshot message with its new last index', () => {
    const r = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n, 2n]));
    const m = mkMsg({
      from: 1n,
      to: 2n,
      term: 2,
      type: MessageType.MsgSnap,
      snapshot: snap(11, 11, [1n, 2n]),
    });
    r.step(m);
    assert.equal(r.lead, 1n);
    const msgs = readMessages(r);
    assert.deepEqual(
      msgs.map((x) => [x.type, x.to, x.index]),
      [[MessageType.MsgAppResp, 1n, 11]],
    );
  });
});
