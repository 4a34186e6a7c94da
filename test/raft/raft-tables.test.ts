/**
 * Table-driven checks of the state machine (etcd's raft_test.go): role transitions, stepping down
 * on higher terms, vote decisions, the commit rule, append responses, and catching up slow or
 * restarted nodes with snapshots.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateType } from '../../src/raft/status.js';
import { ProgressStateType } from '../../src/raft/tracker/state.js';
import { type Message, MessageType, NONE, type Snapshot } from '../../src/raftpb/index.js';
import {
  ent,
  mkMsg,
  Network,
  newTestMemoryStorage,
  newTestRaft,
  nextEnts,
  readMessages,
} from './network/network.js';

const hup = (id: number): Message => mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgHup });
const prop = (id: number): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, 'x')] });

describe('role transitions', () => {
  const F = StateType.StateFollower;
  const P = StateType.StatePreCandidate;
  const C = StateType.StateCandidate;
  const L = StateType.StateLeader;
  // [from, to, allowed, wterm, wlead]
  const cases: Array<[StateType, StateType, boolean, number, bigint]> = [
    [F, F, true, 1, NONE],
    [F, P, true, 0, NONE],
    [F, C, true, 1, NONE],
    [F, L, false, 0, NONE],
    [P, F, true, 0, NONE],
    [P, P, true, 0, NONE],
    [P, C, true, 1, NONE],
    [P, L, true, 0, 1n],
    [C, F, true, 0, NONE],
    [C, P, true, 0, NONE],
    [C, C, true, 1, NONE],
    [C, L, true, 0, 1n],
    [L, F, true, 1, NONE],
    [L, P, false, 0, NONE],
    [L, C, false, 1, NONE],
    [L, L, true, 0, 1n],
  ];
  cases.forEach(([from, to, allowed, wterm, wlead], i) => {
    it(`#${i}: ${from} → ${to} ${allowed ? 'allowed' : 'refused'}`, () => {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
      r.state = from;
      const go = () => {
        if (to === F) r.becomeFollower(wterm, wlead);
        else if (to === P) r.becomePreCandidate();
        else if (to === C) r.becomeCandidate();
        else r.becomeLeader();
      };
      if (!allowed) {
        assert.throws(go, /invalid transition/);
        return;
      }
      go();
      assert.equal(r.term, wterm);
      assert.equal(r.lead, wlead);
    });
  });
});

describe('every role steps down on a higher term', () => {
  const roles = [
    StateType.StateFollower,
    StateType.StateCandidate,
    StateType.StateLeader,
    StateType.StatePreCandidate,
  ];
  const types = [MessageType.MsgVote, MessageType.MsgApp];
  const tterm = 3;
  for (const role of roles) {
    for (const type of types) {
      it(`role ${role}, message ${type}`, () => {
        const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]));
        if (role === StateType.StateFollower) r.becomeFollower(1, NONE);
        else if (role === StateType.StatePreCandidate) r.becomePreCandidate();
        else if (role === StateType.StateCandidate) r.becomeCandidate();
        else {
          r.becomeCandidate();
          r.becomeLeader();
        }
        r.step(mkMsg({ from: 2n, to: 1n, type, term: tterm, logTerm: tterm }));
        assert.equal(r.state, StateType.StateFollower);
        assert.equal(r.term, tterm);
        assert.equal(r.lead, type === MessageType.MsgVote ? NONE : 2n);
      });
    }
  }
});

describe('vote decisions', () => {
  // [state, index, logTerm, voteFor, wreject]; our log is 1/1 2/2.
  const cases: Array<[StateType, number, number, bigint, boolean]> = [
    [StateType.StateFollower, 0, 0, NONE, true],
    [StateType.StateFollower, 0, 1, NONE, true],
    [StateType.StateFollower, 0, 2, NONE, true],
    [StateType.StateFollower, 0, 3, NONE, false],
    [StateType.StateFollower, 1, 0, NONE, true],
    [StateType.StateFollower, 1, 1, NONE, true],
    [StateType.StateFollower, 1, 2, NONE, true],
    [StateType.StateFollower, 1, 3, NONE, false],
    [StateType.StateFollower, 2, 2, NONE, false],
    [StateType.StateFollower, 2, 3, NONE, false],
    [StateType.StateFollower, 3, 2, NONE, false],
    [StateType.StateFollower, 3, 3, NONE, false],
    [StateType.StateFollower, 3, 2, 2n, false],
    [StateType.StateFollower, 3, 2, 1n, true],
    [StateType.StateLeader, 3, 3, 1n, true],
    [StateType.StatePreCandidate, 3, 3, 1n, true],
    [StateType.StateCandidate, 3, 3, 1n, true],
  ];
  for (const msgType of [MessageType.MsgVote, MessageType.MsgPreVote]) {
    cases.forEach(([state, index, logTerm, voteFor, wreject], i) => {
      it(`${msgType === MessageType.MsgVote ? 'vote' : 'pre-vote'} #${i}`, () => {
        const s = newTestMemoryStorage([1n]);
        s.append([ent(2, 1), ent(2, 2)]);
        const r = newTestRaft(1n, 10, 1, s);
        r.state = state;
        r.vote = voteFor;
        // Same term on both sides: only the logs and the existing vote decide.
        const term = Math.max(2, logTerm);
        r.term = term;
        r.step(mkMsg({ type: msgType, term, from: 2n, to: 1n, index, logTerm }));
        const msgs = readMessages(r);
        assert.equal(msgs.length, 1);
        assert.equal(
          msgs[0]!.type,
          msgType === MessageType.MsgVote ? MessageType.MsgVoteResp : MessageType.MsgPreVoteResp,
        );
        assert.equal(msgs[0]!.reject, wreject);
      });
    });
  }
});

describe('the commit rule', () => {
  // [matches, log terms, term, wcommit]
  const cases: Array<[number[], number[], number, number]> = [
    [[1], [1], 1, 1],
    [[1], [1], 2, 0],
    [[2], [1, 2], 2, 2],
    [[1], [2], 2, 1],
    [[2, 1, 1], [1, 2], 1, 1],
    [[2, 1, 1], [1, 1], 2, 0],
    [[2, 1, 2], [1, 2], 2, 2],
    [[2, 1, 2], [1, 1], 2, 0],
    [[2, 1, 1, 1], [1, 2], 1, 1],
    [[2, 1, 1, 1], [1, 1], 2, 0],
    [[2, 1, 1, 2], [1, 2], 1, 1],
    [[2, 1, 1, 2], [1, 1], 2, 0],
    [[2, 1, 2, 2], [1, 2], 2, 2],
    [[2, 1, 2, 2], [1, 1], 2, 0],
  ];
  cases.forEach(([matches, terms, term, wcommit], i) => {
    it(`#${i}`, () => {
      const s = newTestMemoryStorage([1n]);
      s.append(terms.map((t, k) => ent(t, k + 1)));
      s.setHardState({ term, vote: NONE, commit: 0 });
      const r = newTestRaft(1n, 10, 2, s);
      for (let j = 0; j < matches.length; j++) {
        const id = BigInt(j + 1);
        if (id > 1n) r.applyConfChange({ transition: 0, changes: [{ type: 0, nodeId: id }] });
        const pr = r.trk.progress.get(id)!;
        pr.match = matches[j]!;
        pr.next = matches[j]! + 1;
      }
      r.maybeCommit();
      assert.equal(r.raftLog.committed, wcommit);
    });
  });
});

describe('append responses on the leader', () => {
  // [index, reject, wmatch, wnext, wmsgNum, windex, wcommitted]; leader log 0/1 1/2 after becoming
  // leader at term 1 with prior entries 1/1 (t0) 2/2 (t1).
  const cases: Array<[number, boolean, number, number, number, number, number]> = [
    [3, true, 0, 3, 0, 0, 0], // stale rejection
    [2, true, 0, 2, 1, 1, 0], // denied: decrease next and resend
    [2, false, 2, 4, 2, 2, 2], // accepted: commit and broadcast
    // A prober acking its match moves to replicate and gets everything (next past the log end).
    [0, false, 0, 4, 1, 0, 0],
  ];
  cases.forEach(([index, reject, wmatch, wnext, wmsgNum, windex, wcommitted], i) => {
    it(`#${i}`, () => {
      const s = newTestMemoryStorage([1n, 2n, 3n]);
      s.append([ent(0, 1), ent(1, 2)]);
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeCandidate();
      r.becomeLeader();
      readMessages(r);
      r.step(
        mkMsg({
          from: 2n,
          to: 1n,
          type: MessageType.MsgAppResp,
          index,
          term: r.term,
          reject,
          rejectHint: index,
        }),
      );
      const p = r.trk.progress.get(2n)!;
      assert.equal(p.match, wmatch);
      assert.equal(p.next, wnext);
      const msgs = readMessages(r);
      assert.equal(msgs.length, wmsgNum);
      for (const m of msgs) {
        assert.equal(m.index, windex);
        assert.equal(m.commit, wcommitted);
      }
    });
  });
});

describe('catching up with snapshots', () => {
  const snap = (index: number, term: number, voters: bigint[]): Snapshot => ({
    data: undefined,
    metadata: {
      index,
      term,
      confState: { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    },
  });

  it('the leader sends a snapshot when the follower needs compacted entries', () => {
    const s = newTestMemoryStorage([1n]);
    const r = newTestRaft(1n, 10, 1, s);
    r.restore(snap(11, 11, [1n, 2n]));
    s.applySnapshot(snap(11, 11, [1n, 2n]));
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    // Force 2 to need a snapshot.
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
    const msgs = readMessages(r);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.type, MessageType.MsgSnap);
    assert.equal(r.trk.progress.get(2n)!.state, ProgressStateType.StateSnapshot);
  });

  it('a slow node catches up through a snapshot, then through the log', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.send(hup(1));
    n.isolate(3);
    for (let j = 0; j <= 100; j++) n.send(prop(1));
    const lead = n.raft(1);
    const s = n.storage.get(1n)!;
    nextEnts(lead, s);
    s.createSnapshot(lead.raftLog.applied, lead.trk.confState(), undefined);
    s.compact(lead.raftLog.applied);
    n.recover();
    // Heartbeats until the leader sees 3 as active and sends the snapshot.
    for (let i = 0; i < 3; i++) {
      n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
      const follower = n.raft(3);
      const pending = follower.raftLog.nextUnstableSnapshot();
      if (pending !== undefined) {
        n.storage.get(3n)!.applySnapshot(pending);
        follower.appliedSnap(pending);
        lead.step(mkMsg({ from: 3n, to: 1n, type: MessageType.MsgSnapStatus }));
      }
    }
    n.send(prop(1));
    assert.equal(n.raft(3).raftLog.committed, lead.raftLog.committed);
    assert.ok(lead.raftLog.committed > 100);
  });

  it('a restarted follower over a compacted storage campaigns and catches up', () => {
    const peers = [1n, 2n, 3n];
    const s = newTestMemoryStorage(peers);
    s.applySnapshot(snap(11, 11, peers));
    const r = newTestRaft(1n, 10, 1, s);
    assert.equal(r.raftLog.committed, 11);
    assert.equal(r.raftLog.lastIndex(), 11);
    assert.deepEqual(r.trk.voterNodes(), peers);
  });
});

describe('PreVote and term migration', () => {
  it('a split pre-vote is retried until a leader wins', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.preVote = true;
    });
    n.send(hup(1));
    // Cut 1 away, let 2 and 3 campaign at once: they split.
    n.isolate(1);
    n.send(hup(2));
    n.send(hup(3));
    for (let i = 0; i < 5 && ![n.raft(2).state, n.raft(3).state].includes(StateType.StateLeader); i++)
      n.send(hup(2));
    assert.ok([n.raft(2).state, n.raft(3).state].includes(StateType.StateLeader));
  });

  it('a node with a higher term but no PreVote is rescued by lower-term appends (checkQuorum)', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.checkQuorum = true;
    });
    n.send(hup(1));
    n.isolate(3);
    n.send(hup(3));
    n.send(hup(3));
    assert.equal(n.raft(3).term, 3);
    n.recover();
    // The leader's heartbeat at term 1 is answered with term 3: the leader steps down.
    n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
    assert.equal(n.raft(1).state, StateType.StateFollower);
    assert.equal(n.raft(1).term, 3);
    n.send(hup(1));
    assert.equal(n.raft(1).state, StateType.StateLeader);
  });
});
