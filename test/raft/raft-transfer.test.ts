/**
 * Leader transfer (etcd's raft_test.go TestLeaderTransfer*): to up-to-date and slow followers,
 * after a snapshot, to self, to non-members and learners, the timeout, dropped proposals during a
 * transfer, a second transfer, removal and demotion of the transferee.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type Message,
  MessageType,
  NONE,
} from '../../src/raftpb/index.js';
import { ent, mkMsg, Network, nextEnts } from './network/network.js';

const hup = (id: number): Message => mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgHup });
const prop = (id: number): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, 'x')] });
/** A transfer request: From is the transferee, To the node asked. */
const transfer = (transferee: number, to: number): Message =>
  mkMsg({ from: BigInt(transferee), to: BigInt(to), type: MessageType.MsgTransferLeader });

function checkLeaderTransferState(r: Raft, state: StateType, lead: bigint): void {
  assert.equal(r.state, state, 'state');
  assert.equal(r.lead, lead, 'lead');
  assert.equal(r.leadTransferee, NONE, 'leadTransferee');
}

function threeNodes(): Network {
  const n = new Network([undefined, undefined, undefined]);
  n.send(hup(1));
  return n;
}

describe('leader transfer', () => {
  it('to an up-to-date follower, and back', () => {
    const n = threeNodes();
    const lead = n.raft(1);
    assert.equal(lead.lead, 1n);
    n.send(transfer(2, 1));
    checkLeaderTransferState(lead, StateType.StateFollower, 2n);
    // After the transfer the new leader appends an entry of its term and commits.
    n.send(prop(1));
    n.send(transfer(1, 2));
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
  });

  it('requested on a follower, forwarded to the leader', () => {
    const n = threeNodes();
    n.send(transfer(2, 2));
    checkLeaderTransferState(n.raft(1), StateType.StateFollower, 2n);
    n.send(prop(1));
    n.send(transfer(1, 1));
    checkLeaderTransferState(n.raft(1), StateType.StateLeader, 1n);
  });

  it('to a slow follower: it is caught up first', () => {
    const n = threeNodes();
    n.isolate(3);
    n.send(prop(1));
    n.recover();
    const lead = n.raft(1);
    assert.equal(lead.trk.progress.get(3n)!.match, 1);
    n.send(transfer(3, 1));
    checkLeaderTransferState(lead, StateType.StateFollower, 3n);
  });

  it('to a follower that needs a snapshot first', () => {
    const n = threeNodes();
    n.isolate(3);
    n.send(prop(1));
    const lead = n.raft(1);
    const s = n.storage.get(1n)!;
    nextEnts(lead, s);
    s.createSnapshot(lead.raftLog.applied, lead.trk.confState(), undefined);
    s.compact(lead.raftLog.applied);
    n.recover();
    assert.equal(lead.trk.progress.get(3n)!.match, 1);
    const filtered: Message[] = [];
    // Snapshot delivery "succeeds" only after the heartbeat response that triggered it.
    n.msgHook = (m) => {
      if (m.type !== MessageType.MsgAppResp || m.from !== 3n || m.reject) return true;
      filtered.push(m);
      return false;
    };
    n.send(transfer(3, 1));
    assert.equal(lead.state, StateType.StateLeader);
    assert.equal(filtered.length, 1);
    // The follower installs the snapshot (it cannot campaign while one is pending).
    const follower = n.raft(3);
    const snap = follower.raftLog.nextUnstableSnapshot()!;
    n.storage.get(3n)!.applySnapshot(snap);
    follower.appliedSnap(snap);
    n.msgHook = undefined;
    n.send(filtered[0]!);
    checkLeaderTransferState(lead, StateType.StateFollower, 3n);
  });

  it('to itself, to a non-member, or to a learner is ignored', () => {
    const n = threeNodes();
    const lead = n.raft(1);
    n.send(transfer(1, 1));
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
    n.send(transfer(4, 1));
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
    const demote: ConfChangeV2 = {
      transition: ConfChangeTransition.ConfChangeTransitionAuto,
      changes: [{ type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3n }],
    };
    lead.applyConfChange(demote);
    n.send(transfer(3, 1));
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
  });

  it('times out after an election timeout, and proposals are dropped meanwhile', () => {
    const n = threeNodes();
    n.isolate(3);
    const lead = n.raft(1);
    n.send(transfer(3, 1));
    assert.equal(lead.leadTransferee, 3n);
    const err = lead.step(prop(1));
    assert.ok(err !== undefined && /dropped/.test(err.message));
    assert.equal(lead.trk.progress.get(1n)!.match, 1);
    for (let i = 0; i < lead.heartbeatTimeout; i++) lead.tick();
    assert.equal(lead.leadTransferee, 3n);
    for (let i = 0; i < lead.electionTimeout - lead.heartbeatTimeout; i++) lead.tick();
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
  });

  it('a second request to the same node keeps the timeout; to another node replaces it', () => {
    const n = threeNodes();
    n.isolate(3);
    const lead = n.raft(1);
    n.send(transfer(3, 1));
    for (let i = 0; i < lead.heartbeatTimeout; i++) lead.tick();
    n.send(transfer(3, 1));
    // The repeated request did not restart the clock.
    for (let i = 0; i < lead.electionTimeout - lead.heartbeatTimeout; i++) lead.tick();
    checkLeaderTransferState(lead, StateType.StateLeader, 1n);
    n.send(transfer(3, 1));
    assert.equal(lead.leadTransferee, 3n);
    n.send(transfer(2, 1));
    checkLeaderTransferState(lead, StateType.StateFollower, 2n);
  });

  it('is abandoned when the transferee is removed or demoted', () => {
    for (const change of [ConfChangeType.ConfChangeRemoveNode, ConfChangeType.ConfChangeAddLearnerNode]) {
      const n = threeNodes();
      n.ignore(MessageType.MsgTimeoutNow);
      const lead = n.raft(1);
      // Apply the pending configuration of the leader's empty entry first.
      nextEnts(lead, n.storage.get(1n)!);
      n.send(transfer(3, 1));
      assert.equal(lead.leadTransferee, 3n);
      lead.applyConfChange({
        transition: ConfChangeTransition.ConfChangeTransitionAuto,
        changes: [{ type: change, nodeId: 3n }],
      });
      checkLeaderTransferState(lead, StateType.StateLeader, 1n);
    }
  });

  it('a higher-term vote during the transfer makes the leader step down', () => {
    const n = threeNodes();
    n.isolate(3);
    const lead = n.raft(1);
    n.send(transfer(3, 1));
    assert.equal(lead.leadTransferee, 3n);
    n.send(mkMsg({ from: 2n, to: 2n, type: MessageType.MsgHup, index: 1, term: 0 }));
    checkLeaderTransferState(lead, StateType.StateFollower, 2n);
  });

  it('MsgTimeoutNow makes a follower campaign at once, bypassing the lease', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.checkQuorum = true;
      c.preVote = true;
    });
    n.raft(2).randomizedElectionTimeout = n.raft(2).electionTimeout + 1;
    n.raft(3).randomizedElectionTimeout = n.raft(3).electionTimeout + 1;
    for (let i = 0; i < n.raft(1).electionTimeout; i++) n.raft(1).tick();
    n.send(hup(1));
    n.send(transfer(3, 1));
    assert.equal(n.raft(3).state, StateType.StateLeader);
    assert.equal(n.raft(3).term, 2);
  });
});
