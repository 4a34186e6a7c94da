/**
 * Multi-step scenarios of etcd's raft_test.go: overwriting newer uncommitted logs, disruptive
 * followers, learner replication, commits after a removal, single-node campaigns, reordered
 * appends, and campaigning while leader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import { ConfChangeType, encodeConfChange, type Message, MessageType, NONE } from '../../src/raftpb/index.js';
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
const beat = (id: number): Message => mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgBeat });
const prop = (id: number, data = 'somedata'): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, data)] });

function withLog(id: bigint, peers: bigint[], terms: number[], term: number, vote = NONE): Raft {
  const s = newTestMemoryStorage(peers);
  s.append(terms.map((t, i) => ent(t, i + 1)));
  s.setHardState({ term, vote, commit: 0 });
  return newTestRaft(id, 10, 1, s);
}

describe('scenarios', () => {
  it('a new leader overwrites newer uncommitted entries of earlier terms', () => {
    // As in etcd: nodes 1 and 2 hold an uncommitted entry of term 1, node 3 won term 2 and holds
    // one of its entries, nodes 4 and 5 voted for 3 in term 2 but got nothing.
    const peers = [1n, 2n, 3n, 4n, 5n];
    const n = new Network([
      withLog(1n, peers, [1], 1),
      withLog(2n, peers, [1], 1),
      withLog(3n, peers, [2], 2),
      withLog(4n, peers, [], 2, 3n),
      withLog(5n, peers, [], 2, 3n),
    ]);
    // 1 campaigns at term 2, where a quorum already voted: it loses.
    n.send(hup(1));
    const r1 = n.raft(1);
    assert.equal(r1.state, StateType.StateFollower);
    assert.equal(r1.term, 2);
    // Second campaign at term 3 wins; the term-2 entry of node 3 is overwritten.
    n.send(hup(1));
    assert.equal(r1.state, StateType.StateLeader);
    assert.equal(r1.term, 3);
    for (const r of n.rafts.values()) {
      assert.deepEqual(
        r.raftLog.allEntries().map((e) => e.term),
        [1, 3],
        `node ${r.id}`,
      );
    }
  });

  for (const preVote of [false, true]) {
    it(`a disruptive follower with a higher term ${preVote ? 'is held off by PreVote' : 'deposes the leader'}`, () => {
      const n = new Network([undefined, undefined, undefined], (c) => {
        c.checkQuorum = true;
        c.preVote = preVote;
      });
      const [n1, n2, n3] = [n.raft(1), n.raft(2), n.raft(3)];
      n1.becomeFollower(1, NONE);
      n2.becomeFollower(1, NONE);
      n3.becomeFollower(1, NONE);
      n1.randomizedElectionTimeout = n1.electionTimeout + 2;
      for (let i = 0; i < n1.randomizedElectionTimeout - 1; i++) n1.tick();
      // 1 becomes leader.
      n1.tick();
      n.send(...readMessages(n1));
      assert.equal(n1.state, StateType.StateLeader);
      // 3 is cut off and campaigns on its own.
      n3.randomizedElectionTimeout = n3.electionTimeout + 2;
      n.isolate(3);
      for (let i = 0; i < n3.randomizedElectionTimeout; i++) n3.tick();
      readMessages(n3);
      if (preVote) {
        assert.equal(n3.state, StateType.StatePreCandidate);
        assert.equal(n3.term, 2);
      } else {
        assert.equal(n3.state, StateType.StateCandidate);
        assert.equal(n3.term, 3);
      }
      n.recover();
      // The leader's heartbeat reaches 3; 3 answers with its term.
      n.send(mkMsg({ from: 1n, to: 3n, term: n1.term, type: MessageType.MsgHeartbeat }));
      if (preVote) {
        assert.equal(n1.state, StateType.StateLeader);
        assert.equal(n3.state, StateType.StateFollower);
        assert.equal(n3.lead, 1n);
      } else {
        assert.equal(n1.state, StateType.StateFollower);
        assert.equal(n1.term, 3);
      }
    });
  }

  it('a learner receives the log but does not count for commit', () => {
    const n1 = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n], [2n]));
    const n2 = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n], [2n]));
    const n = new Network([n1, n2]);
    n1.becomeFollower(1, NONE);
    n2.becomeFollower(1, NONE);
    n1.randomizedElectionTimeout = n1.electionTimeout;
    for (let i = 0; i < n1.electionTimeout; i++) n1.tick();
    n.send(...readMessages(n1));
    n.send(beat(1));
    assert.equal(n1.state, StateType.StateLeader);
    assert.equal(n2.isLearner, true);
    const next = n1.raftLog.committed + 1;
    n.send(prop(1));
    assert.equal(n1.raftLog.committed, next);
    assert.equal(n2.raftLog.committed, next);
    assert.equal(n1.trk.progress.get(2n)!.match, n2.raftLog.committed);
  });

  it('removing a node lets a pending entry commit with the smaller quorum', () => {
    const s = newTestMemoryStorage([1n, 2n]);
    const r = newTestRaft(1n, 5, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    // Commit the empty entry.
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 1, term: r.term }));
    nextEnts(r, s);
    const cc = { id: 0n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2n };
    r.step(
      mkMsg({
        from: 1n,
        to: 1n,
        type: MessageType.MsgProp,
        entries: [
          {
            term: 0,
            index: 0,
            type: 1,
            data: encodeConfChange(cc),
          },
        ],
      }),
    );
    // A normal entry after it cannot commit while 2 is silent.
    r.step(prop(1, 'hello'));
    assert.deepEqual(
      nextEnts(r, s).map((e) => e.index),
      [],
    );
    // 2 acks the conf change: it commits and is applied, removing 2.
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 2, term: r.term }));
    const committed = nextEnts(r, s);
    assert.deepEqual(
      committed.map((e) => e.index),
      [2],
    );
    r.applyConfChange({
      transition: 0,
      changes: [{ type: ConfChangeType.ConfChangeRemoveNode, nodeId: 2n }],
    });
    // Now 1 alone is the quorum: the pending entry commits.
    assert.deepEqual(
      nextEnts(r, s).map((e) => new TextDecoder().decode(e.data)),
      ['hello'],
    );
  });

  for (const preVote of [false, true]) {
    it(`a single node wins its own election${preVote ? ' (PreVote)' : ''}`, () => {
      const n = new Network([undefined], (c) => {
        c.preVote = preVote;
      });
      n.send(hup(1));
      assert.equal(n.raft(1).state, StateType.StateLeader);
    });
  }

  it('campaigning while leader is a no-op', () => {
    for (const preVote of [false, true]) {
      const r = newTestRaft(1n, 5, 1, newTestMemoryStorage([1n]), { preVote });
      r.step(hup(1));
      readMessages(r);
      assert.equal(r.state, StateType.StateLeader);
      const term = r.term;
      r.step(hup(1));
      assert.equal(r.state, StateType.StateLeader);
      assert.equal(r.term, term);
    }
  });

  it('reordered appends do not make the leader believe in a wrong match', () => {
    const n = new Network([undefined, undefined], undefined);
    n.send(hup(1));
    const r1 = n.raft(1);
    const r2 = n.raft(2);
    // Capture two appends to 2 and deliver them out of order.
    const held: Message[] = [];
    n.msgHook = (m) => {
      if (m.type === MessageType.MsgApp && m.to === 2n && m.entries.length > 0) {
        held.push(m);
        return false;
      }
      return true;
    };
    r1.trk.progress.get(2n)!.becomeReplicate();
    n.send(prop(1, 'a'));
    n.send(prop(1, 'b'));
    assert.equal(held.length, 2);
    n.msgHook = undefined;
    n.send(held[1]!);
    n.send(held[0]!);
    n.send(beat(1));
    assert.equal(r2.raftLog.lastIndex(), r1.raftLog.lastIndex());
    assert.equal(r1.trk.progress.get(2n)!.match, r1.raftLog.lastIndex());
    assert.equal(r2.raftLog.committed, r1.raftLog.committed);
  });
});
