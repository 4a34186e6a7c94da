/**
 * Log replication in the state machine (etcd's raft_test.go): proposal forwarding and its switch,
 * the uncommitted-size limit, heartbeats and the commit they carry, fast log rejection, the
 * per-state sending rules, unreachable peers, and the leader's self-acknowledgement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import { ProgressStateType } from '../../src/raft/tracker/state.js';
import { type Entry, type Message, MessageType, NONE } from '../../src/raftpb/index.js';
import {
  advanceMessagesAfterAppend,
  ent,
  mkMsg,
  Network,
  newTestMemoryStorage,
  newTestRaft,
  readMessages,
} from './network/network.js';

const hup = (id: number): Message => mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgHup });
const prop = (id: number, data = 'somedata'): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, data)] });

function leader(peers: bigint[], extra = {}): Raft {
  const r = newTestRaft(1n, 10, 1, newTestMemoryStorage(peers), extra);
  r.becomeCandidate();
  r.becomeLeader();
  readMessages(r);
  return r;
}

describe('proposals', () => {
  it('are forwarded by followers and committed everywhere', () => {
    const n = new Network([undefined, undefined, undefined]);
    n.send(hup(1));
    n.send(prop(2));
    for (const r of n.rafts.values()) {
      assert.equal(r.raftLog.committed, 2);
      assert.equal(new TextDecoder().decode(r.raftLog.allEntries()[1]!.data), 'somedata');
    }
  });

  it('are dropped without a leader, or when forwarding is disabled', () => {
    const r = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n, 2n]));
    assert.match(r.step(prop(2))!.message, /raft proposal dropped/);
    r.becomeFollower(1, 1n);
    assert.equal(r.step(prop(2)), undefined);
    const fwd = readMessages(r);
    assert.deepEqual(
      fwd.map((m) => [m.type, m.to, m.term]),
      [[MessageType.MsgProp, 1n, 0]],
    );
    const noFwd = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n, 2n]), { disableProposalForwarding: true });
    noFwd.becomeFollower(1, 1n);
    assert.match(noFwd.step(prop(2))!.message, /raft proposal dropped/);
    assert.deepEqual(readMessages(noFwd), []);
  });

  it('a candidate drops proposals', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
    r.becomeCandidate();
    assert.match(r.step(prop(1))!.message, /raft proposal dropped/);
  });
});

describe('uncommitted entry size limit', () => {
  it('drops proposals over the limit, admits them again after commit, and resets on term change', () => {
    const maxEntries = 16;
    const data = 'testdata';
    const maxEntrySize = maxEntries * data.length;
    const r = newTestRaft(1n, 5, 1, newTestMemoryStorage([1n, 2n, 3n]), {
      maxUncommittedEntriesSize: maxEntrySize,
      maxInflightMsgs: 2 * 1024,
    });
    r.becomeCandidate();
    r.becomeLeader();
    assert.equal(r.uncommittedSize, 0);
    // Set all followers to replicate so that appends go out.
    for (const [id, pr] of r.trk.progress) if (id !== 1n) pr.becomeReplicate();
    const propEnts: Entry[] = [];
    for (let i = 0; i < maxEntries; i++) {
      assert.equal(r.step(prop(1, data)), undefined, `proposal ${i}`);
      propEnts.push(ent(0, 0, data));
    }
    // The next one is over the limit.
    assert.match(r.step(prop(1, data))!.message, /dropped/);
    // Committing (as the apply acknowledgement would) frees the quota.
    r.reduceUncommittedSize(maxEntrySize);
    assert.equal(r.uncommittedSize, 0);
    // An oversized single proposal is admitted when nothing is uncommitted.
    const big = 'x'.repeat(maxEntrySize + 10);
    assert.equal(r.step(prop(1, big)), undefined);
    assert.match(r.step(prop(1, data))!.message, /dropped/);
    // Empty entries are always admitted.
    assert.equal(r.increaseUncommittedSize([ent(0, 0)]), true);
    // A new term resets the count.
    r.becomeFollower(r.term + 1, NONE);
    assert.equal(r.uncommittedSize, 0);
  });
});

describe('heartbeats', () => {
  it('a follower commits up to the heartbeat commit and echoes its context', () => {
    const commit = 2;
    const cases: Array<[number, number]> = [
      [commit + 1, commit + 1],
      [commit - 1, commit], // never decreases
    ];
    for (const [mcommit, wcommit] of cases) {
      const s = newTestMemoryStorage([1n, 2n]);
      s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
      const r = newTestRaft(1n, 5, 1, s);
      r.becomeFollower(2, 2n);
      r.raftLog.commitTo(commit);
      r.step(
        mkMsg({
          from: 2n,
          to: 1n,
          type: MessageType.MsgHeartbeat,
          term: 2,
          commit: mcommit,
          context: new Uint8Array([7]),
        }),
      );
      assert.equal(r.raftLog.committed, wcommit);
      const msgs = readMessages(r);
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.type, MessageType.MsgHeartbeatResp);
      assert.deepEqual(msgs[0]!.context, new Uint8Array([7]));
    }
  });

  it('heartbeats carry min(match, committed) per follower', () => {
    const s = newTestMemoryStorage([1n, 2n, 3n]);
    s.append([ent(1, 1), ent(1, 2), ent(1, 3)]);
    const r = newTestRaft(1n, 10, 1, s);
    r.loadState({ term: 1, vote: NONE, commit: 0 });
    r.becomeCandidate();
    r.becomeLeader();
    r.raftLog.commitTo(4);
    r.trk.progress.get(2n)!.match = 5;
    r.trk.progress.get(3n)!.match = 2;
    readMessages(r);
    r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
    const hbs = readMessages(r);
    assert.deepEqual(
      hbs.map((m) => [m.type, m.to, m.commit]),
      [
        [MessageType.MsgHeartbeat, 2n, 4],
        [MessageType.MsgHeartbeat, 3n, 2],
      ],
    );
  });

  it('MsgBeat is only acted on by the leader', () => {
    for (const state of [StateType.StateLeader, StateType.StateCandidate, StateType.StateFollower]) {
      const s = newTestMemoryStorage([1n, 2n, 3n]);
      s.append([ent(0, 1), ent(1, 2)]);
      const r = newTestRaft(1n, 10, 1, s);
      r.term = 1;
      if (state === StateType.StateLeader) {
        r.becomeCandidate();
        r.becomeLeader();
      } else if (state === StateType.StateCandidate) {
        r.becomeCandidate();
      }
      readMessages(r);
      r.step(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
      const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
      assert.equal(hbs.length, state === StateType.StateLeader ? 2 : 0);
    }
  });
});

describe('append responses and sending rules', () => {
  it('a probing follower gets one append per heartbeat; replicate sends freely; snapshot none', () => {
    const r = leader([1n, 2n]);
    const pr2 = r.trk.progress.get(2n)!;
    assert.equal(pr2.state, ProgressStateType.StateProbe);
    // First append in probe pauses the flow.
    r.step(prop(1));
    assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgApp).length, 1);
    assert.ok(pr2.msgAppFlowPaused);
    r.step(prop(1));
    assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgApp).length, 0);
    // A heartbeat response unpauses it.
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term }));
    assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgApp).length, 1);
    // In replicate, every proposal goes out.
    pr2.becomeReplicate();
    for (let i = 0; i < 3; i++) {
      r.step(prop(1));
      assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgApp).length, 1);
    }
    pr2.becomeSnapshot(10);
    r.step(prop(1));
    assert.deepEqual(readMessages(r), []);
  });

  it('MsgUnreachable moves a replicating follower to probe', () => {
    const r = leader([1n, 2n]);
    const pr2 = r.trk.progress.get(2n)!;
    pr2.becomeReplicate();
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgUnreachable }));
    assert.equal(pr2.state, ProgressStateType.StateProbe);
    assert.equal(pr2.next, pr2.match + 1);
  });

  it('an accepted append response moves a prober to replicate and commits', () => {
    const r = leader([1n, 2n, 3n]);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 1, term: r.term }));
    const pr2 = r.trk.progress.get(2n)!;
    assert.equal(pr2.state, ProgressStateType.StateReplicate);
    assert.equal(pr2.match, 1);
    assert.equal(r.raftLog.committed, 1);
    // The commit goes out to every follower.
    const apps = readMessages(r).filter((m) => m.type === MessageType.MsgApp);
    assert.deepEqual(
      apps.map((m) => [m.to, m.commit]),
      [
        [2n, 1],
        [3n, 1],
      ],
    );
  });

  it('fast log rejection: the follower hints by term, the leader skips whole terms', () => {
    // Leader log terms 1 3 3 3 5 5 5 5 5, follower 1 1 1 1 2 2 (etcd's example).
    const leadTerms = [1, 3, 3, 3, 5, 5, 5, 5, 5];
    const followTerms = [1, 1, 1, 1, 2, 2];
    const ls = newTestMemoryStorage([1n, 2n]);
    ls.append(leadTerms.map((t, i) => ent(t, i + 1)));
    const lead = newTestRaft(1n, 10, 1, ls);
    lead.loadState({ term: 5, vote: NONE, commit: 0 });
    const fs = newTestMemoryStorage([1n, 2n]);
    fs.append(followTerms.map((t, i) => ent(t, i + 1)));
    const follow = newTestRaft(2n, 10, 1, fs);
    follow.loadState({ term: 2, vote: NONE, commit: 0 });
    lead.becomeCandidate();
    lead.becomeLeader();
    lead.bcastAppend();
    follow.step(mkMsg({ from: 1n, to: 2n, type: MessageType.MsgHeartbeat, term: lead.term }));
    readMessages(follow);
    // Probe at the leader's last index (10 after its empty entry), prev (9, 5).
    const probes = readMessages(lead).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
    assert.equal(probes.length, 1);
    follow.step(probes[0]!);
    const rej = readMessages(follow);
    assert.equal(rej.length, 1);
    assert.ok(rej[0]!.reject);
    assert.equal(rej[0]!.rejectHint, 6);
    assert.equal(rej[0]!.logTerm, 2);
    lead.step(rej[0]!);
    // The next probe goes straight to index 1 (the last index with term ≤ 2 in the leader's log).
    const next = readMessages(lead).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
    assert.equal(next.length, 1);
    assert.equal(next[0]!.index, 1);
    assert.equal(next[0]!.logTerm, 1);
  });

  it('the leader counts its own entries only after its self-acknowledgement', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
    r.becomeCandidate();
    r.becomeLeader();
    // Single voter: the empty entry commits only when the self MsgAppResp is stepped.
    assert.equal(r.raftLog.committed, 0);
    assert.equal(r.msgsAfterAppend.length, 1);
    assert.equal(r.msgsAfterAppend[0]!.type, MessageType.MsgAppResp);
    advanceMessagesAfterAppend(r);
    assert.equal(r.raftLog.committed, 1);
  });

  it('a stale self-acknowledgement from an earlier term is ignored', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
    r.becomeCandidate();
    r.becomeLeader();
    const selfAck = r.msgsAfterAppend.find((m) => m.to === 1n && m.type === MessageType.MsgAppResp)!;
    r.msgsAfterAppend = [];
    r.becomeFollower(r.term + 1, 2n);
    r.step(selfAck);
    assert.equal(r.raftLog.committed, 0);
    assert.equal(r.state, StateType.StateFollower);
  });
});
