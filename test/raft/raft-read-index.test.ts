/**
 * ReadIndex (etcd's raft_test.go): safe reads confirmed by a heartbeat round, lease-based reads,
 * forwarding from followers and learners, postponement until the leader's first commit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadOnlyOption } from '../../src/raft/config.js';
import type { Raft } from '../../src/raft/raft.js';
import { StateType } from '../../src/raft/status.js';
import { ConfChangeType, confChangeAsV2, type Message, MessageType } from '../../src/raftpb/index.js';
import {
  advanceMessagesAfterAppend,
  ent,
  mkMsg,
  Network,
  newTestMemoryStorage,
  newTestRaft,
  readMessages,
} from './network/network.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const hup = (id: number): Message => mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgHup });
const readIndex = (from: number, ctx: string): Message =>
  mkMsg({ from: BigInt(from), to: BigInt(from), type: MessageType.MsgReadIndex, entries: [ent(0, 0, ctx)] });
const prop = (id: number): Message =>
  mkMsg({ from: BigInt(id), to: BigInt(id), type: MessageType.MsgProp, entries: [ent(0, 0, 'x')] });

function takeReadStates(r: Raft): Array<[number, string]> {
  const rs = r.readStates.map((s): [number, string] => [s.index, dec(s.requestCtx)]);
  r.readStates = [];
  return rs;
}

for (const option of [ReadOnlyOption.ReadOnlySafe, ReadOnlyOption.ReadOnlyLeaseBased]) {
  const name = option === ReadOnlyOption.ReadOnlySafe ? 'safe' : 'lease-based';
  describe(`ReadIndex (${name})`, () => {
    it('is answered on the leader and on followers at the commit index', () => {
      const n = new Network([undefined, undefined, undefined], (c) => {
        c.readOnlyOption = option;
        c.checkQuorum = true;
      });
      // Lease-based reads would be refused while followers' leases are fresh: start elections
      // by hand.
      n.raft(2).randomizedElectionTimeout = n.raft(2).electionTimeout + 1;
      n.send(hup(1));
      const cases: Array<[number, number, string]> = [
        [1, 10, 'ctx1'],
        [2, 10, 'ctx2'],
        [3, 10, 'ctx3'],
        [1, 10, 'ctx4'],
        [2, 10, 'ctx5'],
        [3, 10, 'ctx6'],
      ];
      for (const [id, proposals, ctx] of cases) {
        for (let i = 0; i < proposals; i++) n.send(prop(1));
        n.send(readIndex(id, ctx));
        const r = n.raft(id);
        const rs = takeReadStates(r);
        assert.equal(rs.length, 1, `read on ${id}`);
        assert.equal(rs[0]![1], ctx);
        assert.equal(rs[0]![0], n.raft(1).raftLog.committed);
      }
    });

    it('a learner forwards its read to the leader', () => {
      const a = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n], [2n]), {
        readOnlyOption: option,
        checkQuorum: true,
      });
      const b = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n], [2n]), {
        readOnlyOption: option,
        checkQuorum: true,
      });
      const n = new Network([a, b]);
      b.becomeFollower(1, 1n);
      a.becomeCandidate();
      a.becomeLeader();
      n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
      n.send(readIndex(2, 'learner'));
      assert.deepEqual(takeReadStates(b), [[a.raftLog.committed, 'learner']]);
    });
  });
}

describe('ReadIndex details', () => {
  it('a new leader postpones reads until it commits an entry of its term', () => {
    const peers = [1n, 2n, 3n];
    const rafts = peers.map((id) => {
      const s = newTestMemoryStorage(peers);
      s.append([ent(1, 1), ent(1, 2)]);
      s.setHardState({ term: 1, vote: 0n, commit: 1 });
      return newTestRaft(id, 10, 1, s, { applied: 1 });
    });
    const n = new Network(rafts);
    // Drop the appends so the leader cannot commit its empty entry yet.
    n.ignore(MessageType.MsgApp);
    n.send(hup(1));
    const a = n.raft(1);
    assert.equal(a.raftLog.committed, 1);
    n.send(readIndex(1, 'ctx'));
    assert.deepEqual(takeReadStates(a), []);
    assert.equal(a.pendingReadIndexMessages.length, 1);
    n.recover();
    // Heartbeats trigger the appends; the commit of the term releases the read.
    n.send(mkMsg({ from: 1n, to: 1n, type: MessageType.MsgBeat }));
    assert.deepEqual(takeReadStates(a), [[3, 'ctx']]);
    assert.equal(a.pendingReadIndexMessages.length, 0);
  });

  it('a single voter answers without a heartbeat round once it committed in its term; reads pending a heartbeat round are dropped on term change', () => {
    const single = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n]));
    single.becomeCandidate();
    single.becomeLeader();
    // Simulator seed 1010: before its term's entry commits, the commit index may be behind what
    // the node acknowledged before a restart, so the read waits (etcd answers at once).
    single.step(readIndex(1, 'one'));
    assert.deepEqual(takeReadStates(single), []);
    // The self-acknowledgement of the term's empty entry commits it and releases the read.
    advanceMessagesAfterAppend(single);
    assert.equal(single.raftLog.committed, 1);
    assert.deepEqual(takeReadStates(single), [[1, 'one']]);
    single.step(readIndex(1, 'two'));
    assert.deepEqual(takeReadStates(single), [[1, 'two']]);

    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]));
    r.becomeCandidate();
    r.becomeLeader();
    // Commit the term's empty entry through 2's ack.
    readMessages(r);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 1, term: r.term }));
    readMessages(r);
    r.step(readIndex(1, 'pending'));
    const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
    assert.equal(hbs.length, 2);
    assert.ok(hbs.every((m) => m.context !== undefined && dec(m.context) === 'pending'));
    assert.equal(r.readOnly.pendingCount(), 1);
    r.becomeFollower(r.term + 1, 2n);
    assert.equal(r.readOnly.pendingCount(), 0);
  });

  it('a leader removed from a one-voter configuration does not answer for the other voter', () => {
    // Simulator seed 1514: leader 1 (stepDownOnRemoval off) applied a configuration whose only
    // voter is 2, which meanwhile led a later term; 1 answered a ReadIndex with its stale commit.
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n]));
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 1, term: r.term }));
    readMessages(r);
    assert.ok(r.committedEntryInCurrentTerm());
    r.applyConfChange(confChangeAsV2({ id: 0n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: 1n }));
    assert.equal(r.state, StateType.StateLeader);
    assert.ok(r.trk.isSingleton());
    r.step(readIndex(1, 'stale'));
    assert.deepEqual(takeReadStates(r), []);
    // It asks the voter instead; only a quorum of the voters (here: 2) can release the read.
    const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
    assert.deepEqual(
      hbs.map((m) => [m.to, dec(m.context!)]),
      [[2n, 'stale']],
    );
    r.step(
      mkMsg({ from: 2n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term, context: enc('stale') }),
    );
    assert.deepEqual(takeReadStates(r), [[r.raftLog.committed, 'stale']]);
  });

  it('a heartbeat quorum for a context releases it and every earlier read', () => {
    const r = newTestRaft(1n, 10, 1, newTestMemoryStorage([1n, 2n, 3n]));
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: 1, term: r.term }));
    readMessages(r);
    r.step(readIndex(1, 'a'));
    r.step(readIndex(1, 'b'));
    // A duplicate context is ignored (it would get the first request's index).
    r.step(readIndex(1, 'a'));
    readMessages(r);
    assert.equal(r.readOnly.pendingCount(), 2);
    r.step(mkMsg({ from: 3n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term, context: enc('b') }));
    assert.deepEqual(takeReadStates(r), [
      [1, 'a'],
      [1, 'b'],
    ]);
    assert.equal(r.readOnly.pendingCount(), 0);
  });

  it('a follower without a leader drops the read; a MsgReadIndexResp becomes a ReadState', () => {
    const r = newTestRaft(2n, 10, 1, newTestMemoryStorage([1n, 2n]));
    r.step(readIndex(2, 'lost'));
    assert.deepEqual(readMessages(r), []);
    r.becomeFollower(1, 1n);
    r.step(readIndex(2, 'fwd'));
    const fwd = readMessages(r);
    assert.deepEqual(
      fwd.map((m) => [m.type, m.to, m.term]),
      [[MessageType.MsgReadIndex, 1n, 0]],
    );
    r.step(
      mkMsg({
        from: 1n,
        to: 2n,
        term: 1,
        type: MessageType.MsgReadIndexResp,
        index: 7,
        entries: [ent(0, 0, 'fwd')],
      }),
    );
    assert.deepEqual(takeReadStates(r), [[7, 'fwd']]);
  });
});
