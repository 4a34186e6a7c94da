/** The text forms of etcd-io/raft v3.6 (util.go), as the raft test data prints them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfChangeTransition,
  ConfChangeType,
  confChangeAsV2,
  confChangeEnterJoint,
  confChangeLeaveJoint,
  confChangesFromString,
  confChangesToString,
  describeConfState,
  describeEntry,
  describeHardState,
  describeMessage,
  describeTarget,
  EntryType,
  encodeConfChange,
  encodeConfChangeV2,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  MessageType,
  newConfState,
  newMessage,
  newSnapshot,
} from '../../src/raftpb/index.js';

const enc = new TextEncoder();

describe('describe', () => {
  test('a MsgApp with one entry', () => {
    const m = newMessage({
      type: MessageType.MsgApp,
      from: 1n,
      to: 2n,
      term: 1,
      logTerm: 1,
      index: 2,
      commit: 2,
      entries: [{ term: 1, index: 3, type: EntryType.EntryNormal, data: enc.encode('prop_1') }],
    });
    assert.equal(
      describeMessage(m),
      '1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 EntryNormal "prop_1"]',
    );
  });

  test('several entries go one per line; rejections show the hint; IDs in hex', () => {
    const m = newMessage({
      type: MessageType.MsgAppResp,
      from: 0xd622127685879b3cn,
      to: 10n,
      term: 3,
      logTerm: 2,
      index: 7,
      reject: true,
      rejectHint: 5,
      entries: [
        { term: 1, index: 1, type: EntryType.EntryNormal },
        { term: 1, index: 2, type: EntryType.EntryNormal, data: new Uint8Array(0) },
      ],
    });
    assert.equal(
      describeMessage(m),
      'd622127685879b3c->a MsgAppResp Term:3 Log:2/7 Rejected (Hint: 5) Entries:[\n  1/1 EntryNormal ""\n  1/2 EntryNormal ""\n]',
    );
  });

  test('a snapshot, local targets and responses (etcd-io/raft v3.6 async storage)', () => {
    const snap = newSnapshot({ index: 11, term: 2, confState: newConfState({ voters: [1n, 2n, 3n] }) });
    const resp = newMessage({
      type: MessageType.MsgStorageAppendResp,
      from: LOCAL_APPEND_THREAD,
      to: 1n,
      term: 2,
      index: 11,
    });
    const m = newMessage({
      type: MessageType.MsgStorageAppend,
      from: 1n,
      to: LOCAL_APPEND_THREAD,
      term: 2,
      vote: 1n,
      snapshot: snap,
      responses: [resp],
    });
    assert.equal(
      describeMessage(m),
      '1->AppendThread MsgStorageAppend Term:2 Log:0/0 Vote:1\n' +
        '  Snapshot: Index:11 Term:2 ConfState:Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false Responses:[\n' +
        '  AppendThread->1 MsgStorageAppendResp Term:2 Log:0/11\n]',
    );
    assert.equal(describeTarget(LOCAL_APPLY_THREAD), 'ApplyThread');
    assert.equal(describeTarget(0n), 'None');
  });

  test('conf change entries print their changes', () => {
    const v1 = encodeConfChange({ id: 0n, type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 4n });
    assert.equal(
      describeEntry({ term: 1, index: 4, type: EntryType.EntryConfChange, data: v1 }),
      '1/4 EntryConfChange l4',
    );
    const v2 = encodeConfChangeV2({
      transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
      changes: confChangesFromString('v2 r3 u5'),
    });
    assert.equal(
      describeEntry({ term: 1, index: 5, type: EntryType.EntryConfChangeV2, data: v2 }),
      '1/5 EntryConfChangeV2 v2 r3 u5',
    );
    assert.equal(
      describeEntry({ term: 1, index: 6, type: EntryType.EntryConfChangeV2, data: Uint8Array.of(0x08) }),
      '1/6 EntryConfChangeV2 raftpb: unexpected EOF inside a varint at offset 1',
    );
  });

  test('hard state and conf state', () => {
    assert.equal(describeHardState({ term: 2, vote: 0n, commit: 5 }), 'Term:2 Commit:5');
    assert.equal(describeHardState({ term: 2, vote: 3n, commit: 5 }), 'Term:2 Vote:3 Commit:5');
    assert.equal(
      describeConfState(
        newConfState({ voters: [1n], votersOutgoing: [1n, 2n], learnersNext: [3n], autoLeave: true }),
      ),
      'Voters:[1] VotersOutgoing:[1 2] Learners:[] LearnersNext:[3] AutoLeave:true',
    );
  });
});

describe('conf change helpers', () => {
  test('string form round trips', () => {
    const ccs = confChangesFromString(' v1  l2 r3 u4 ');
    assert.deepEqual(
      ccs.map((c) => c.type),
      [0, 3, 1, 2],
    );
    assert.equal(confChangesToString(ccs), 'v1 l2 r3 u4');
    assert.throws(() => confChangesFromString('x1'), { code: 'RAFTWIRE_RAFTPB_CONF_CHANGE_STRING' });
    assert.throws(() => confChangesFromString('v'), { code: 'RAFTWIRE_RAFTPB_CONF_CHANGE_STRING' });
  });

  test('AsV2, EnterJoint and LeaveJoint follow etcd', () => {
    const v2 = confChangeAsV2({
      id: 9n,
      type: ConfChangeType.ConfChangeAddNode,
      nodeId: 7n,
      context: enc.encode('x'),
    });
    assert.deepEqual(v2.changes, [{ type: ConfChangeType.ConfChangeAddNode, nodeId: 7n }]);
    assert.deepEqual(v2.context, enc.encode('x'));
    assert.equal(confChangeEnterJoint(v2), undefined, 'a single auto change is simple');
    const two = {
      transition: ConfChangeTransition.ConfChangeTransitionAuto,
      changes: confChangesFromString('v1 v2'),
    };
    assert.deepEqual(confChangeEnterJoint(two), { autoLeave: true });
    assert.deepEqual(
      confChangeEnterJoint({
        transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
        changes: [],
      }),
      { autoLeave: false },
    );
    assert.equal(confChangeLeaveJoint({ transition: 0, changes: [], context: enc.encode('ctx') }), true);
    assert.equal(confChangeLeaveJoint(two), false);
  });
});
