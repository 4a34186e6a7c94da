/**
 * Elections (etcd's raft_test.go): leader election with and without PreVote, learners, dueling
 * candidates, stale messages, CheckQuorum and its lease, disruptive nodes, ForgetLeader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../src/raft/config.js';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import { type Message, MessageType, NONE } from '../../src/raftpb/index.js';
import {
  blackHole,
  ent,
  mkMsg,
  Network,
  newTestMemoryStorage,
  newTestRaft,
  readMessages,
} from './network/network.js';

const hup = (id: number | bigint): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgHup });
const beat = (id: number | bigint): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgBeat });
const prop = (id: number | bigint, data = 'somedata'): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, data)] });

/** A raft whose log holds entries of the given terms at indexes 1.. and whose term is the last one. */
function raftWithTerms(id: bigint, peers: bigint[], terms: number[], extra: Partial<Config> = {}): Raft {
  const s = newTestMemoryStorage(peers);
  s.append(terms.map((t, i) => ent(t, i + 1)));
  const r = newTestRaft(id, 10, 1, s, extra);
  r.loadState({ term: terms[terms.length - 1] ?? 0, vote: NONE, commit: 0 });
  r.becomeFollower(r.term, NONE);
  return r;
}

function tickUntilElection(r: Raft): void {
  for (let i = 0; i < r.randomizedElectionTimeout; i++) r.tick();
}

describe('leader election', () => {
  for (const preVote of [false, true]) {
    const configure = (c: Config) => {
      c.preVote = preVote;
    };
    const cases: Array<[string, Array<Raft | typeof blackHole | undefined>, StateType, number]> = [
      ['3 healthy nodes', [undefined, undefined, undefined], StateType.StateLeader, 1],
      ['3 nodes, one down', [undefined, undefined, blackHole], StateType.StateLeader, 1],
      [
        '3 nodes, two down',
        [undefined, blackHole, blackHole],
        preVote ? StateType.StatePreCandidate : StateType.StateCandidate,
        preVote ? 0 : 1,
      ],
      [
        '4 nodes, two down',
        [undefined, blackHole, blackHole, undefined],
        preVote ? StateType.StatePreCandidate : StateType.StateCandidate,
        preVote ? 0 : 1,
      ],
      [
        '5 nodes, two down',
        [undefined, blackHole, blackHole, undefined, undefined],
        StateType.StateLeader,
        1,
      ],
    ];
    for (const [name, peers, wstate, wterm] of cases) {
      it(`${name}${preVote ? ' (PreVote)' : ''}`, () => {
        const n = new Network(peers, configure);
        n.send(hup(1));
        const r = n.raft(1);
        assert.equal(r.state, wstate);
        assert.equal(r.term, wterm);
      });
    }

    it(`a node with a stale log loses${preVote ? ' (PreVote)' : ''}`, () => {
      // Node 1's log is behind nodes 2 and 3 (which hold a term-1 entry): they refuse it.
      const peers = [1n, 2n, 3n];
      const n = new Network(
        [
          newTestRaft(1n, 10, 1, newTestMemoryStorage(peers), { preVote }),
          raftWithTerms(2n, peers, [1], { preVote }),
          raftWithTerms(3n, peers, [1], { preVote }),
        ],
        configure,
      );
      n.send(hup(1));
      const r = n.raft(1);
      assert.equal(r.state, StateType.StateFollower);
      assert.equal(r.term, 1);
    });
  }

  it('leadership cycles: every node can win in turn', () => {
    for (const preVote of [false, true]) {
      const n = new Network([undefined, undefined, undefined], (c) => {
        c.preVote = preVote;
      });
      for (let campaigner = 1; campaigner <= 3; campaigner++) {
        n.send(hup(campaigner));
        for (const [id, r] of n.rafts) {
          if (id === BigInt(campaigner)) assert.equal(r.state, StateType.StateLeader);
          else assert.equal(r.state, StateType.StateFollower);
        }
      }
    }
  });

  it('a single node commits its proposals immediately', () => {
    const n = new Network([undefined]);
    n.send(hup(1));
    n.send(prop(1));
    n.send(prop(1));
    assert.equal(n.raft(1).raftLog.committed, 3);
  });

  it('a leader cannot commit without a quorum, then commits an entry of its term after healing', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.send(hup(1));
    n.cut(1, 3);
    n.cut(1, 2);
    n.send(prop(1));
    n.send(prop(1));
    assert.equal(n.raft(1).raftLog.committed, 1);
    n.recover();
    // A heartbeat response triggers appends; all earlier entries commit together.
    n.send(beat(1));
    assert.equal(n.raft(1).raftLog.committed, 3);
  });

  it('dueling candidates: the one with the shorter log loses and rejoins', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.cut(1, 3);
    n.send(hup(1));
    n.send(hup(3));
    assert.equal(n.raft(1).state, StateType.StateLeader);
    assert.equal(n.raft(3).state, StateType.StateCandidate);
    n.recover();
    // 3 campaigns with a higher term but a shorter log: it disrupts 1 but cannot win.
    n.send(hup(3));
    const r1 = n.raft(1);
    const r3 = n.raft(3);
    assert.equal(r1.state, StateType.StateFollower);
    assert.equal(r1.term, 2);
    assert.equal(r3.state, StateType.StateFollower);
    assert.equal(r3.term, 2);
    assert.equal(r1.raftLog.committed, 1);
    assert.equal(r3.raftLog.lastIndex(), 0);
  });

  it('dueling pre-candidates do not disrupt the leader', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.preVote = true;
    });
    n.cut(1, 3);
    n.send(hup(1));
    n.send(hup(3));
    assert.equal(n.raft(1).state, StateType.StateLeader);
    assert.equal(n.raft(3).state, StateType.StateFollower);
    n.recover();
    n.send(hup(3));
    assert.equal(n.raft(1).state, StateType.StateLeader);
    assert.equal(n.raft(1).term, 1);
    assert.equal(n.raft(3).term, 1);
  });

  it('a candidate becomes follower of a leader of its term (heartbeat or append)', () => {
    for (const type of [MessageType.MsgHeartbeat, MessageType.MsgApp]) {
      const n = new Network([undefined, undefined, undefined]);
      n.isolate(3);
      n.send(hup(2));
      n.send(hup(1));
      assert.equal(n.raft(1).state, StateType.StateLeader);
      assert.equal(n.raft(3).state, StateType.StateFollower);
      // 3 times out and becomes candidate at the leader's term.
      n.send(hup(3));
      const r3 = n.raft(3);
      assert.equal(r3.state, StateType.StateCandidate);
      n.recover();
      n.send(mkMsg({ from: 1n, to: 3n, term: n.raft(1).term, type }));
      assert.equal(r3.state, StateType.StateFollower);
      assert.equal(r3.term, n.raft(1).term);
    }
  });

  it('old-term messages are ignored', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.send(hup(1));
    n.send(hup(2));
    n.send(hup(1));
    // An append from the first, term-1 leader is ignored.
    n.send(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgApp, term: 2, entries: [ent(2, 3)] }));
    n.send(prop(1));
    const r1 = n.raft(1);
    assert.equal(r1.term, 3);
    assert.equal(r1.raftLog.committed, 4);
    for (const r of n.rafts.values()) {
      assert.deepEqual(
        r.raftLog.allEntries().map((e) => e.term),
        [1, 2, 3, 3],
      );
    }
  });
});

describe('learners', () => {
  it('a learner never campaigns', () => {
    const s = newTestMemoryStorage([1n], [2n]);
    const r = newTestRaft(2n, 10, 1, s);
    r.becomeFollower(1, NONE);
    for (let i = 0; i < r.randomizedElectionTimeout * 2; i++) r.tick();
    assert.equal(r.state, StateType.StateFollower);
    assert.deepEqual(readMessages(r), []);
  });

  it('a promoted learner can campaign and win', () => {
    const n1 = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n], [2n]));
    const n2 = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n], [2n]));
    n1.becomeFollower(1, NONE);
    n2.becomeFollower(1, NONE);
    const n = new Network([n1, n2]);
    assert.equal(n1.isLearner, false);
    assert.equal(n2.isLearner, true);
    tickUntilElection(n1);
    n.send(beat(1));
    assert.equal(n1.state, StateType.StateLeader);
    const promote = { transition: 0 as const, changes: [{ type: 0 as const, nodeId: 2n }] };
    n1.applyConfChange(promote);
    n2.applyConfChange(promote);
    assert.equal(n2.isLearner, false);
    tickUntilElection(n2);
    n.send(beat(1));
    n.send(hup(2));
    assert.equal(n1.state, StateType.StateFollower);
    assert.equal(n2.state, StateType.StateLeader);
  });

  it('a learner grants votes (it may have been promoted without knowing)', () => {
    const s = newTestMemoryStorage([1n], [2n]);
    const r = newTestRaft(2n, 10, 1, s);
    r.becomeFollower(1, NONE);
    r.step(mkMsg({ from: 1n, to: 2n, term: 2, type: MessageType.MsgVote, logTerm: 11, index: 11 }));
    const msgs = readMessages(r);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.type, MessageType.MsgVoteResp);
    assert.equal(msgs[0]!.reject, false);
  });
});

describe('CheckQuorum', () => {
  it('a leader steps down when its quorum is not active', () => {
    const r = newTestRaft(1n, 5, 1, newTestMemoryStorage([1n, 2n, 3n]), { checkQuorum: true });
    r.becomeCandidate();
    r.becomeLeader();
    for (let i = 0; i < r.electionTimeout + 1; i++) {
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term }));
      r.tick();
    }
    assert.equal(r.state, StateType.StateLeader);
    // The activity of the last round still counts once; the round after it finds nobody.
    for (let i = 0; i < 2 * r.electionTimeout + 1; i++) r.tick();
    assert.equal(r.state, StateType.StateFollower);
  });

  it('a vote inside the lease is ignored; after it, a new leader supersedes the old', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.checkQuorum = true;
      c.electionTick = 10;
    });
    const [a, b, c] = [n.raft(1), n.raft(2), n.raft(3)];
    b.randomizedElectionTimeout = b.electionTimeout + 1;
    for (let i = 0; i < b.electionTimeout; i++) b.tick();
    n.send(hup(1));
    assert.equal(a.state, StateType.StateLeader);
    assert.equal(c.state, StateType.StateFollower);
    n.send(hup(3));
    // 2 heard from the leader within the lease: 3's vote request is ignored.
    assert.equal(c.state, StateType.StateCandidate);
    for (let i = 0; i < b.randomizedElectionTimeout; i++) b.tick();
    n.send(hup(3));
    assert.equal(c.state, StateType.StateLeader);
  });

  it('a stuck candidate with a higher term is freed by the leader stepping down', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.checkQuorum = true;
    });
    const [a, b, c] = [n.raft(1), n.raft(2), n.raft(3)];
    b.randomizedElectionTimeout = b.electionTimeout + 1;
    for (let i = 0; i < b.electionTimeout; i++) b.tick();
    n.send(hup(1));
    n.isolate(1);
    n.send(hup(3));
    assert.equal(b.state, StateType.StateFollower);
    assert.equal(c.state, StateType.StateCandidate);
    assert.equal(c.term, b.term + 1);
    n.send(hup(3));
    assert.equal(c.term, b.term + 2);
    n.recover();
    // The leader's heartbeat reaches the candidate, whose term-stamped reply deposes the leader.
    n.send(mkMsg({ from: 1n, to: 3n, type: MessageType.MsgHeartbeat, term: a.term }));
    assert.equal(a.state, StateType.StateFollower);
    assert.equal(c.term, a.term);
    n.send(hup(3));
    assert.equal(c.state, StateType.StateLeader);
  });

  it('a lower-term append gets an empty reply carrying our term (checkQuorum or preVote)', () => {
    for (const extra of [{ checkQuorum: true }, { preVote: true }, {}]) {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]), extra);
      r.loadState({ term: 5, vote: NONE, commit: 0 });
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgApp, term: 3 }));
      const msgs = readMessages(r);
      if (extra.checkQuorum === true || extra.preVote === true) {
        assert.deepEqual(
          msgs.map((m) => [m.type, m.to, m.term]),
          [[MessageType.MsgAppResp, 2n, 5]],
        );
      } else {
        assert.deepEqual(msgs, []);
      }
    }
  });
});

describe('PreVote', () => {
  it('a node rejoining with a higher term but stale log does not disrupt (PreVote rejects)', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.preVote = true;
    });
    n.send(hup(1));
    n.isolate(3);
    n.send(prop(1));
    n.send(prop(1));
    // 3 campaigns alone: PreVote keeps its term.
    n.send(hup(3));
    assert.equal(n.raft(3).term, 1);
    assert.equal(n.raft(3).state, StateType.StatePreCandidate);
    n.recover();
    n.send(hup(3));
    assert.equal(n.raft(1).state, StateType.StateLeader);
    assert.equal(n.raft(1).term, 1);
    assert.equal(n.raft(3).state, StateType.StateFollower);
  });

  it('a pre-vote for a future term is granted without changing our term or vote', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]), { preVote: true });
    r.loadState({ term: 2, vote: 3n, commit: 0 });
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgPreVote, term: 3 }));
    const msgs = readMessages(r);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.term, m.reject]),
      [[MessageType.MsgPreVoteResp, 3, false]],
    );
    assert.equal(r.term, 2);
    assert.equal(r.vote, 3n);
  });

  it('a pre-vote with a lower term is rejected with our term', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]), { preVote: true });
    r.loadState({ term: 4, vote: NONE, commit: 0 });
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgPreVote, term: 3 }));
    const msgs = readMessages(r);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.term, m.reject]),
      [[MessageType.MsgPreVoteResp, 4, true]],
    );
  });
});

describe('ForgetLeader', () => {
  it('a follower forgets its leader, then grants a pre-vote despite checkQuorum', () => {
    const n = new Network([undefined, undefined, undefined], (c) => {
      c.preVote = true;
      c.checkQuorum = true;
    });
    n.send(hup(1));
    const r3 = n.raft(3);
    assert.equal(r3.lead, 1n);
    r3.step(mkMsg({ type: MessageType.MsgForgetLeader }));
    assert.equal(r3.lead, NONE);
    // Once 2 forgets the leader too and 1 is cut off, 2's pre-vote and vote are granted by 3
    // despite the CheckQuorum lease.
    n.raft(2).step(mkMsg({ type: MessageType.MsgForgetLeader }));
    n.isolate(1);
    n.send(hup(2));
    assert.equal(n.raft(2).state, StateType.StateLeader);
  });

  it('is a no-op on the leader and refused with lease-based reads', () => {
    const n = new Network([undefined, undefined], (c) => {
      c.checkQuorum = true;
      c.readOnlyOption = 1;
    });
    n.send(hup(1));
    n.raft(1).step(mkMsg({ type: MessageType.MsgForgetLeader }));
    assert.equal(n.raft(1).state, StateType.StateLeader);
    n.raft(2).step(mkMsg({ type: MessageType.MsgForgetLeader }));
    assert.equal(n.raft(2).lead, 1n);
  });
});
