/**
 * RawNode conf-change flows of etcd's rawnode_test.go (TestRawNodeProposeAndConfChange,
 * TestRawNodeJointAutoLeave, TestRawNodeProposeAddDuplicateNode) and the bounded log growth of a
 * partitioned leader (TestRawNodeBoundedLogGrowthWithPartition).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import type { Config } from '../../src/raft/config.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { StateType } from '../../src/raft/status.js';
import type { MemoryStorage } from '../../src/raft/storage.js';
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
} from '../../src/raftpb/index.js';
import { newTestMemoryStorage, seededRandom } from './network/network.js';

const enc = (s: string) => new TextEncoder().encode(s);

function singleLeader(extra: Partial<Config> = {}): { rn: RawNode; s: MemoryStorage } {
  const s = newTestMemoryStorage([1n]);
  const rn = new RawNode({
    id: 1n,
    electionTick: 10,
    heartbeatTick: 1,
    storage: s,
    maxSizePerMsg: Number.POSITIVE_INFINITY,
    maxInflightMsgs: 256,
    random: seededRandom(1),
    ...extra,
  });
  rn.campaign();
  loop(rn, s);
  assert.equal(rn.raft.state, StateType.StateLeader);
  return { rn, s };
}

/** The classic loop; conf changes are applied; returns the committed entries in order. */
function loop(rn: RawNode, s: MemoryStorage, apply = true): { committed: Entry[]; confStates: ConfState[] } {
  const committed: Entry[] = [];
  const confStates: ConfState[] = [];
  while (rn.hasReady()) {
    const rd = rn.ready();
    if (rd.hardState.term !== 0) s.setHardState(rd.hardState);
    s.append(rd.entries);
    for (const e of rd.committedEntries) {
      committed.push(e);
      if (!apply) continue;
      if (e.type === EntryType.EntryConfChange)
        confStates.push(rn.applyConfChange(decodeConfChange(e.data!)));
      if (e.type === EntryType.EntryConfChangeV2) {
        confStates.push(rn.applyConfChange(decodeConfChangeV2(e.data ?? new Uint8Array(0))));
      }
    }
    rn.advance(rd);
  }
  return { committed, confStates };
}

const cs = (
  voters: bigint[],
  outgoing: bigint[] = [],
  learners: bigint[] = [],
  autoLeave = false,
): ConfState => ({
  voters,
  votersOutgoing: outgoing,
  learners,
  learnersNext: [],
  autoLeave,
});

describe('RawNode conf changes', () => {
  const cases: Array<[string, ConfChange | ConfChangeV2, ConfState, ConfState | undefined]> = [
    ['V1 add', { id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: 2n }, cs([1n, 2n]), undefined],
    [
      'V2 simple add learner',
      {
        transition: ConfChangeTransition.ConfChangeTransitionAuto,
        changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 2n }],
      },
      cs([1n], [], [2n]),
      undefined,
    ],
    [
      'V2 auto joint (two changes)',
      {
        transition: ConfChangeTransition.ConfChangeTransitionAuto,
        changes: [
          { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 2n },
          { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3n },
        ],
      },
      cs([1n], [1n], [2n, 3n], true),
      cs([1n], [], [2n, 3n]),
    ],
    [
      'V2 implicit joint',
      {
        transition: ConfChangeTransition.ConfChangeTransitionJointImplicit,
        changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 2n }],
      },
      cs([1n], [1n], [2n], true),
      cs([1n], [], [2n]),
    ],
    [
      'V2 explicit joint',
      {
        transition: ConfChangeTransition.ConfChangeTransitionJointExplicit,
        changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 2n }],
      },
      cs([1n], [1n], [2n], false),
      cs([1n], [], [2n]),
    ],
  ];
  for (const [name, cc, wcs, wleft] of cases) {
    it(name, () => {
      const { rn, s } = singleLeader();
      rn.propose(enc('somedata'));
      rn.proposeConfChange(cc);
      const { committed, confStates } = loop(rn, s);
      const ccEntries = committed.filter((e) => e.type !== EntryType.EntryNormal);
      assert.equal(
        ccEntries[0]!.type,
        'changes' in cc ? EntryType.EntryConfChangeV2 : EntryType.EntryConfChange,
      );
      assert.deepEqual(confStates[0], wcs);
      if (wleft === undefined) {
        assert.equal(confStates.length, 1);
        return;
      }
      if (wcs.autoLeave) {
        // The leader proposed the leave itself: an empty V2 with nil data.
        assert.equal(confStates.length, 2);
        const leave = ccEntries[1]!;
        assert.equal(leave.type, EntryType.EntryConfChangeV2);
        assert.equal(leave.data, undefined);
        assert.deepEqual(confStates[1], wleft);
      } else {
        // Explicit: nothing happens until the application proposes the leave.
        assert.equal(confStates.length, 1);
        rn.proposeConfChange({ transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] });
        const after = loop(rn, s);
        assert.deepEqual(after.confStates, [wleft]);
      }
    });
  }

  it('the auto-leave waits while a leadership transfer is in progress', () => {
    const s = newTestMemoryStorage([1n, 2n]);
    const rn = new RawNode({
      id: 1n,
      electionTick: 10,
      heartbeatTick: 1,
      storage: s,
      maxSizePerMsg: Number.POSITIVE_INFINITY,
      maxInflightMsgs: 256,
      random: seededRandom(1),
    });
    // Become leader of the two-voter group by hand (2 is silent).
    rn.raft.becomeCandidate();
    rn.raft.becomeLeader();
    rn.raft.trk.progress.get(2n)!.match = 1;
    rn.raft.trk.progress.get(2n)!.next = 2;
    loop(rn, s);
    rn.raft.step({
      type: 4,
      from: 2n,
      to: 1n,
      term: rn.raft.term,
      logTerm: 0,
      index: 1,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    });
    loop(rn, s);
    assert.equal(rn.raft.raftLog.committed, 1);
    rn.proposeConfChange({
      transition: ConfChangeTransition.ConfChangeTransitionJointImplicit,
      changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3n }],
    });
    // 2 acks the conf change so it commits; then a transfer starts before it is applied.
    loop(rn, s, false);
    rn.raft.step({
      type: 4,
      from: 2n,
      to: 1n,
      term: rn.raft.term,
      logTerm: 0,
      index: 2,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    });
    rn.transferLeader(2n);
    assert.equal(rn.raft.leadTransferee, 2n);
    const { confStates, committed } = loop(rn, s);
    assert.equal(confStates[0]!.autoLeave, true);
    // No leave entry while the transfer is pending.
    assert.equal(
      committed.filter((e) => e.type === EntryType.EntryConfChangeV2).length,
      1,
      'only the joint entry is committed',
    );
    assert.equal(rn.raft.raftLog.lastIndex(), 2);
    // Once the transfer is abandoned, the next apply proposes the leave.
    rn.raft.abortLeaderTransfer();
    rn.raft.appliedTo(rn.raft.raftLog.applied, 0);
    assert.equal(rn.raft.raftLog.lastIndex(), 3);
  });

  it('adding an existing voter again commits and changes nothing', () => {
    const { rn, s } = singleLeader();
    const add1: ConfChange = { id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: 1n };
    rn.proposeConfChange(add1);
    const first = loop(rn, s);
    rn.proposeConfChange(add1);
    const second = loop(rn, s);
    assert.deepEqual(first.confStates, [cs([1n])]);
    assert.deepEqual(second.confStates, [cs([1n])]);
    const ccs = [...first.committed, ...second.committed].filter((e) => e.type === EntryType.EntryConfChange);
    assert.equal(ccs.length, 2);
    assert.deepEqual(ccs[0]!.data, ccs[1]!.data);
    rn.proposeConfChange({ id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: 2n });
    assert.deepEqual(loop(rn, s).confStates, [cs([1n, 2n])]);
  });

  it('a partitioned leader bounds its log with maxUncommittedEntriesSize', () => {
    const data = enc('testdata');
    const { rn, s } = singleLeader({ maxUncommittedEntriesSize: 1024 });
    // Add a voter that never answers: nothing commits any more.
    rn.proposeConfChange({ id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: 2n });
    loop(rn, s);
    let dropped = 0;
    for (let i = 0; i < 1024; i++) {
      try {
        rn.propose(data);
      } catch (e) {
        assert.ok(isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED'));
        dropped++;
      }
    }
    loop(rn, s);
    assert.equal(rn.raft.uncommittedSize, 1024);
    assert.equal(dropped, 1024 - 1024 / data.length);
  });
});
