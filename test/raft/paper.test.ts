/**
 * The Raft paper's rules (§5), one behaviour at a time, after etcd's raft_paper_test.go.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import type { MemoryStorage } from '../../src/raft/storage.js';
import { type Message, MessageType, NONE } from '../../src/raftpb/index.js';
import {
  advanceMessagesAfterAppend,
  ent,
  mkMsg,
  Network,
  newTestMemoryStorage,
  newTestRaft,
  nextEnts,
  readMessages,
} from './network/network.js';

const ids = (...n: number[]) => n.map((x) => BigInt(x));

function sortMsgs(msgs: Message[]): Message[] {
  return [...msgs].sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : a.type - b.type));
}

function becomeLeader(r: Raft): void {
  r.becomeCandidate();
  r.becomeLeader();
}

function commitNoopEntry(r: Raft, s: MemoryStorage): void {
  assert.equal(r.state, StateType.StateLeader);
  r.bcastAppend();
  // Simulate the followers accepting the empty entry.
  for (const m of readMessages(r)) {
    assert.equal(m.type, MessageType.MsgApp);
    assert.equal(m.entries.length, 1);
    assert.equal(m.entries[0]!.data, undefined);
    r.step(acceptAndReply(m));
  }
  // Drop the responses to our own appends.
  readMessages(r);
  s.append(r.raftLog.nextUnstableEnts());
  r.raftLog.appliedTo(r.raftLog.committed, 0);
  r.raftLog.stableTo(r.raftLog.lastIndex(), r.raftLog.lastTerm());
}

function acceptAndReply(m: Message): Message {
  assert.equal(m.type, MessageType.MsgApp);
  return mkMsg({
    from: m.to,
    to: m.from,
    term: m.term,
    type: MessageType.MsgAppResp,
    index: m.index + m.entries.length,
  });
}

describe('raft paper §5.1: terms', () => {
  for (const state of [StateType.StateFollower, StateType.StateCandidate, StateType.StateLeader]) {
    it(`a ${state} seeing a higher term in MsgApp adopts it and becomes follower`, () => {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
      if (state === StateType.StateFollower) r.becomeFollower(1, 2n);
      else if (state === StateType.StateCandidate) r.becomeCandidate();
      else becomeLeader(r);
      r.step(mkMsg({ type: MessageType.MsgApp, term: 2, from: 2n, to: 1n }));
      assert.equal(r.term, 2);
      assert.equal(r.state, StateType.StateFollower);
    });
  }

  it('rejects (ignores) messages with a stale term', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
    r.loadState({ term: 2, vote: NONE, commit: 0 });
    r.step(mkMsg({ type: MessageType.MsgApp, term: 1, from: 2n, to: 1n, entries: [ent(1, 1, 'x')] }));
    assert.equal(r.raftLog.lastIndex(), 0);
    assert.deepEqual(readMessages(r), []);
    assert.equal(r.term, 2);
  });

  it('starts as a follower', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
    assert.equal(r.state, StateType.StateFollower);
  });
});

describe('raft paper §5.2: leader election', () => {
  it('the leader broadcasts heartbeats every heartbeat tick', () => {
    const hi = 1;
    const r = newTestRaft(1n, 10, hi, newTestMemoryStorage(ids(1, 2, 3)));
    becomeLeader(r);
    for (let i = 0; i < 10; i++) r.appendEntry([ent(0, i + 1)]);
    readMessages(r);
    for (let i = 0; i < hi; i++) r.tick();
    const msgs = sortMsgs(readMessages(r));
    assert.deepEqual(
      msgs.map((m) => [m.from, m.to, m.term, m.type, m.commit]),
      [
        [1n, 2n, 1, MessageType.MsgHeartbeat, 0],
        [1n, 3n, 1, MessageType.MsgHeartbeat, 0],
      ],
    );
  });

  for (const state of [StateType.StateFollower, StateType.StateCandidate]) {
    it(`a ${state === StateType.StateFollower ? 'follower' : 'candidate'} starts an election after the election timeout`, () => {
      const et = 10;
      const r = newTestRaft(1n, et, 1, newTestMemoryStorage(ids(1, 2, 3)));
      if (state === StateType.StateFollower) r.becomeFollower(1, 2n);
      else r.becomeCandidate();
      for (let i = 1; i < 2 * et; i++) r.tick();
      advanceMessagesAfterAppend(r);
      assert.equal(r.term, 2);
      assert.equal(r.state, StateType.StateCandidate);
      assert.equal(r.trk.votes.get(r.id), true);
      const msgs = sortMsgs(readMessages(r));
      assert.deepEqual(
        msgs.map((m) => [m.from, m.to, m.term, m.type]),
        [
          [1n, 2n, 2, MessageType.MsgVote],
          [1n, 3n, 2, MessageType.MsgVote],
        ],
      );
    });
  }

  const elections: Array<[number, Map<bigint, boolean>, StateType]> = [
    [1, new Map(), StateType.StateLeader],
    [
      3,
      new Map([
        [2n, true],
        [3n, true],
      ]),
      StateType.StateLeader,
    ],
    [3, new Map([[2n, true]]), StateType.StateLeader],
    [
      5,
      new Map([
        [2n, true],
        [3n, true],
        [4n, true],
        [5n, true],
      ]),
      StateType.StateLeader,
    ],
    [
      5,
      new Map([
        [2n, true],
        [3n, true],
        [4n, true],
      ]),
      StateType.StateLeader,
    ],
    [
      5,
      new Map([
        [2n, true],
        [3n, true],
      ]),
      StateType.StateLeader,
    ],
    [
      3,
      new Map([
        [2n, false],
        [3n, false],
      ]),
      StateType.StateFollower,
    ],
    [
      5,
      new Map([
        [2n, false],
        [3n, false],
        [4n, false],
        [5n, false],
      ]),
      StateType.StateFollower,
    ],
    [
      5,
      new Map([
        [2n, true],
        [3n, false],
        [4n, false],
        [5n, false],
      ]),
      StateType.StateFollower,
    ],
    [3, new Map(), StateType.StateCandidate],
    [5, new Map([[2n, true]]), StateType.StateCandidate],
    [
      5,
      new Map([
        [2n, false],
        [3n, false],
      ]),
      StateType.StateCandidate,
    ],
    [5, new Map(), StateType.StateCandidate],
  ];
  elections.forEach(([size, votes, want], i) => {
    it(`wins, loses or waits in one round of votes (#${i})`, () => {
      const peers = Array.from({ length: size }, (_, k) => BigInt(k + 1));
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(peers));
      r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
      advanceMessagesAfterAppend(r);
      for (const [id, vote] of votes) {
        r.step(mkMsg({ from: id, to: 1n, term: r.term, type: MessageType.MsgVoteResp, reject: !vote }));
      }
      assert.equal(r.state, want);
      assert.equal(r.term, 1);
    });
  });

  const votes: Array<[bigint, bigint, boolean]> = [
    [NONE, 2n, false],
    [NONE, 3n, false],
    [2n, 2n, false],
    [3n, 3n, false],
    [2n, 3n, true],
    [3n, 2n, true],
  ];
  votes.forEach(([vote, nvote, wreject]) => {
    it(`a follower votes at most once per term (vote ${vote}, request from ${nvote})`, () => {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
      r.loadState({ term: 1, vote, commit: 0 });
      r.step(mkMsg({ from: nvote, to: 1n, term: 1, type: MessageType.MsgVote }));
      const msgs = readMessages(r);
      assert.deepEqual(
        msgs.map((m) => [m.from, m.to, m.term, m.type, m.reject]),
        [[1n, nvote, 1, MessageType.MsgVoteResp, wreject]],
      );
    });
  });

  for (const term of [1, 2]) {
    it(`a candidate falls back to follower on MsgApp of term ${term} (≥ its own)`, () => {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
      r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
      assert.equal(r.state, StateType.StateCandidate);
      r.step(mkMsg({ from: 2n, to: 1n, term, type: MessageType.MsgApp }));
      assert.equal(r.state, StateType.StateFollower);
      assert.equal(r.term, term);
    });
  }

  for (const state of [StateType.StateFollower, StateType.StateCandidate]) {
    it(`election timeouts are randomized over [et, 2et) (${state})`, () => {
      const et = 10;
      const r = newTestRaft(1n, et, 1, newTestMemoryStorage(ids(1, 2, 3)));
      const timeouts = new Set<number>();
      for (let round = 0; round < 50 * et; round++) {
        if (state === StateType.StateFollower) r.becomeFollower(r.term + 1, 2n);
        else r.becomeCandidate();
        let time = 0;
        while (readMessages(r).length === 0) {
          r.tick();
          time++;
        }
        timeouts.add(time);
      }
      for (let d = et + 1; d < 2 * et; d++) assert.ok(timeouts.has(d), `timeout ${d} never happened`);
      for (const t of timeouts) assert.ok(t >= et && t < 2 * et, `timeout ${t} out of range`);
    });
  }
});

describe('raft paper §5.3: log replication', () => {
  it('the leader appends a proposal and sends it to every follower', () => {
    const s = newTestMemoryStorage(ids(1, 2, 3));
    const r = newTestRaft(1n, 10, 1, s);
    becomeLeader(r);
    commitNoopEntry(r, s);
    const li = r.raftLog.lastIndex();
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'some data')] }));
    assert.equal(r.raftLog.lastIndex(), li + 1);
    assert.equal(r.raftLog.committed, li);
    const msgs = sortMsgs(readMessages(r));
    assert.deepEqual(
      msgs.map((m) => [m.to, m.type, m.index, m.logTerm, m.commit, m.entries.map((e) => [e.term, e.index])]),
      [
        [2n, MessageType.MsgApp, li, 1, li, [[1, li + 1]]],
        [3n, MessageType.MsgApp, li, 1, li, [[1, li + 1]]],
      ],
    );
    assert.deepEqual(
      r.raftLog.nextUnstableEnts().map((e) => [e.term, e.index]),
      [[1, li + 1]],
    );
  });

  it('the leader commits an entry once a majority acknowledges it, and tells the followers', () => {
    const s = newTestMemoryStorage(ids(1, 2, 3));
    const r = newTestRaft(1n, 10, 1, s);
    becomeLeader(r);
    commitNoopEntry(r, s);
    const li = r.raftLog.lastIndex();
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'some data')] }));
    for (const m of readMessages(r)) r.step(acceptAndReply(m));
    assert.equal(r.raftLog.committed, li + 1);
    const committed = nextEnts(r, s);
    assert.deepEqual(
      committed.map((e) => [e.term, e.index, new TextDecoder().decode(e.data)]),
      [[1, li + 1, 'some data']],
    );
    const msgs = sortMsgs(readMessages(r));
    assert.deepEqual(
      msgs.map((m) => [m.to, m.type, m.commit]),
      [
        [2n, MessageType.MsgApp, li + 1],
        [3n, MessageType.MsgApp, li + 1],
      ],
    );
  });

  const acks: Array<[number, bigint[], boolean]> = [
    [1, [], true],
    [3, [], false],
    [3, [2n], true],
    [3, [2n, 3n], true],
    [5, [], false],
    [5, [2n], false],
    [5, [2n, 3n], true],
    [5, [2n, 3n, 4n], true],
    [5, [2n, 3n, 4n, 5n], true],
  ];
  acks.forEach(([size, acceptors, wack], i) => {
    it(`the leader commits only with a majority of acks (#${i})`, () => {
      const peers = Array.from({ length: size }, (_, k) => BigInt(k + 1));
      const s = newTestMemoryStorage(peers);
      const r = newTestRaft(1n, 10, 1, s);
      becomeLeader(r);
      commitNoopEntry(r, s);
      const li = r.raftLog.lastIndex();
      r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'some data')] }));
      advanceMessagesAfterAppend(r);
      for (const m of readMessages(r)) {
        if (acceptors.includes(m.to)) r.step(acceptAndReply(m));
      }
      assert.equal(r.raftLog.committed > li, wack);
    });
  });

  const preceding: Array<Array<[number, number]>> = [
    [],
    [[2, 1]],
    [
      [1, 1],
      [2, 2],
    ],
    [[1, 1]],
  ];
  preceding.forEach((tt, i) => {
    it(`committing an entry commits the preceding ones too (#${i})`, () => {
      const s = newTestMemoryStorage(ids(1, 2, 3));
      s.append(tt.map(([term, index]) => ent(term, index)));
      const r = newTestRaft(1n, 10, 1, s);
      r.loadState({ term: 2, vote: NONE, commit: 0 });
      becomeLeader(r);
      r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'some data')] }));
      for (const m of readMessages(r)) r.step(acceptAndReply(m));
      const li = tt.length;
      const got = nextEnts(r, s).map((e) => [e.term, e.index]);
      assert.deepEqual(got, [...tt, [3, li + 1], [3, li + 2]]);
    });
  });

  it('a follower checks the previous entry of MsgApp and rejects on mismatch with a hint', () => {
    const cases: Array<[number, number, number, boolean, number, number]> = [
      // [term, index, windex, wreject, wrejectHint, wlogterm]
      [0, 0, 1, false, 0, 0],
      [1, 1, 1, false, 0, 0],
      [2, 2, 2, false, 0, 0],
      [1, 2, 2, true, 1, 1],
      [3, 3, 3, true, 2, 2],
    ];
    for (const [term, index, windex, wreject, whint, wlogterm] of cases) {
      const s = newTestMemoryStorage(ids(1, 2, 3));
      s.append([ent(1, 1), ent(2, 2)]);
      const r = newTestRaft(1n, 10, 1, s);
      r.loadState({ term: 0, vote: NONE, commit: 1 });
      r.becomeFollower(2, 2n);
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgApp, term: 2, logTerm: term, index }));
      const msgs = readMessages(r);
      assert.deepEqual(
        msgs.map((m) => [m.type, m.term, m.index, m.reject, m.rejectHint, m.logTerm]),
        [[MessageType.MsgAppResp, 2, windex, wreject, whint, wlogterm]],
        `case term=${term} index=${index}`,
      );
    }
  });

  it('a follower appends new entries and truncates conflicting ones', () => {
    const cases: Array<
      [number, number, Array<[number, number]>, Array<[number, number]>, Array<[number, number]>]
    > = [
      [
        2,
        2,
        [[3, 3]],
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        [[3, 3]],
      ],
      [
        1,
        1,
        [
          [3, 2],
          [4, 3],
        ],
        [
          [1, 1],
          [3, 2],
          [4, 3],
        ],
        [
          [3, 2],
          [4, 3],
        ],
      ],
      [
        0,
        0,
        [[1, 1]],
        [
          [1, 1],
          [2, 2],
        ],
        [],
      ],
      [0, 0, [[3, 1]], [[3, 1]], [[3, 1]]],
    ];
    for (const [index, term, ents, wents, wunstable] of cases) {
      const s = newTestMemoryStorage(ids(1, 2, 3));
      s.append([ent(1, 1), ent(2, 2)]);
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeFollower(2, 2n);
      r.step(
        mkMsg({
          from: 2n,
          to: 1n,
          type: MessageType.MsgApp,
          term: 2,
          logTerm: term,
          index,
          entries: ents.map(([t, i]) => ent(t, i)),
        }),
      );
      assert.deepEqual(
        r.raftLog.allEntries().map((e) => [e.term, e.index]),
        wents,
      );
      assert.deepEqual(
        r.raftLog.nextUnstableEnts().map((e) => [e.term, e.index]),
        wunstable,
      );
    }
  });

  it('a new leader repairs every follower log of Figure 7', () => {
    const T = (terms: number[]) => terms.map((t, i) => ent(t, i + 1));
    const leaderLog = T([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
    const followers = [
      T([1, 1, 1, 4, 4, 5, 5, 6, 6]),
      T([1, 1, 1, 4]),
      T([1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
      T([1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
      T([1, 1, 1, 4, 4, 4, 4]),
      T([1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ];
    for (const tt of followers) {
      const leadStorage = newTestMemoryStorage(ids(1, 2, 3));
      leadStorage.append(leaderLog);
      const lead = newTestRaft(1n, 10, 1, leadStorage);
      lead.loadState({ term: 8, vote: NONE, commit: leaderLog.length });
      const followerStorage = newTestMemoryStorage(ids(1, 2, 3));
      followerStorage.append(tt);
      const follower = newTestRaft(2n, 10, 1, followerStorage);
      follower.loadState({ term: 7, vote: NONE, commit: 0 });
      // The third node votes for the leader (its log is ignored).
      const n = new Network([lead, follower, undefined]);
      n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
      n.send(mkMsg({ from: 3n, to: 1n, type: MessageType.MsgVoteResp, term: lead.term + 1 }));
      n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0)] }));
      const terms = (r: Raft) => r.raftLog.allEntries().map((e) => `${e.term}/${e.index}`);
      assert.deepEqual(terms(follower), terms(lead));
    }
  });

  it('a vote request carries the last log index and term', () => {
    const cases: Array<[Array<[number, number]>, number]> = [
      [[[1, 1]], 2],
      [
        [
          [1, 1],
          [2, 2],
        ],
        3,
      ],
    ];
    for (const [ents, wterm] of cases) {
      const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(ids(1, 2, 3)));
      r.step(
        mkMsg({
          from: 2n,
          to: 1n,
          type: MessageType.MsgApp,
          term: wterm - 1,
          logTerm: 0,
          index: 0,
          entries: ents.map(([t, i]) => ent(t, i)),
        }),
      );
      readMessages(r);
      for (let i = 1; i < r.electionTimeout * 2; i++) r.tickElection();
      const msgs = sortMsgs(readMessages(r));
      assert.equal(msgs.length, 2);
      for (const [i, m] of msgs.entries()) {
        assert.equal(m.type, MessageType.MsgVote);
        assert.equal(m.to, BigInt(i + 2));
        assert.equal(m.term, wterm);
        const [lastTerm, lastIndex] = ents[ents.length - 1]!;
        assert.equal(m.index, lastIndex);
        assert.equal(m.logTerm, lastTerm);
      }
    }
  });

  it('a voter grants only to candidates whose log is at least as up to date', () => {
    const cases: Array<[Array<[number, number]>, number, number, boolean]> = [
      [[[1, 1]], 1, 1, false],
      [[[1, 1]], 1, 2, false],
      [
        [
          [1, 1],
          [1, 2],
        ],
        1,
        1,
        true,
      ],
      [[[1, 1]], 2, 1, false],
      [[[1, 1]], 2, 2, false],
      [
        [
          [1, 1],
          [1, 2],
        ],
        2,
        1,
        false,
      ],
      [[[2, 1]], 1, 1, true],
      [[[2, 1]], 1, 2, true],
      [
        [
          [2, 1],
          [1, 2],
        ],
        1,
        1,
        true,
      ],
    ];
    for (const [ents, logterm, index, wreject] of cases) {
      const s = newTestMemoryStorage(ids(1, 2));
      s.append(ents.map(([t, i]) => ent(t, i)));
      const r = newTestRaft(1n, 10, 1, s);
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgVote, term: 3, logTerm: logterm, index }));
      const msgs = readMessages(r);
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.type, MessageType.MsgVoteResp);
      assert.equal(
        msgs[0]!.reject,
        wreject,
        `ents ${JSON.stringify(ents)} logterm ${logterm} index ${index}`,
      );
    }
  });

  it('the leader commits entries of earlier terms only with one of its own term', () => {
    const cases: Array<[number, number]> = [
      [1, 0],
      [2, 0],
      [3, 3],
    ];
    for (const [index, wcommit] of cases) {
      const s = newTestMemoryStorage(ids(1, 2));
      s.append([ent(1, 1), ent(2, 2)]);
      const r = newTestRaft(1n, 10, 1, s);
      r.loadState({ term: 2, vote: NONE, commit: 0 });
      // Become leader at term 3.
      becomeLeader(r);
      readMessages(r);
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, term: r.term, index }));
      advanceMessagesAfterAppend(r);
      assert.equal(r.raftLog.committed, wcommit, `ack index ${index}`);
    }
  });
});

describe('raft paper: proposals carry data through the network', () => {
  it('a three-node network commits a proposal everywhere', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgHup }));
    n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, 'somedata')] }));
    for (const id of [1, 2, 3]) {
      const r = n.raft(id);
      assert.equal(r.raftLog.committed, 2);
      const data = r.raftLog
        .allEntries()
        .map((e) => (e.data === undefined ? '' : new TextDecoder().decode(e.data)));
      assert.deepEqual(data, ['', 'somedata']);
    }
  });
});
