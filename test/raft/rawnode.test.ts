/**
 * RawNode (etcd's rawnode_test.go behaviours): stepping rules, bootstrap, the classic Ready/Advance
 * loop, asynchronous storage writes, conf changes with joint consensus, ReadIndex, status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { RawNode, SnapshotStatus } from '../../src/raft/rawnode.js';
import { StateType } from '../../src/raft/status.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { describeReady } from '../../src/raft/util.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EntryType,
  LOCAL_APPEND_THREAD,
  MessageType,
  NONE,
} from '../../src/raftpb/index.js';
import { appliedText, Cluster } from './network/cluster.js';
import { ent, mkMsg, newTestMemoryStorage, seededRandom } from './network/network.js';

const enc = (s: string) => new TextEncoder().encode(s);

function newNode(
  storage: MemoryStorage,
  extra: Partial<ConstructorParameters<typeof RawNode>[0]> = {},
): RawNode {
  return new RawNode({
    id: 1n,
    electionTick: 10,
    heartbeatTick: 1,
    storage,
    maxSizePerMsg: Number.POSITIVE_INFINITY,
    maxInflightMsgs: 256,
    random: seededRandom(1),
    ...extra,
  });
}

/** Runs the classic loop of a single node until it has nothing to do. */
function drain(rn: RawNode, s: MemoryStorage): void {
  while (rn.hasReady()) {
    const rd = rn.ready();
    if (rd.hardState.term !== 0 || rd.hardState.commit !== 0) s.setHardState(rd.hardState);
    s.append(rd.entries);
    rn.advance(rd);
  }
}

describe('RawNode.step', () => {
  const localTypes = [
    MessageType.MsgHup,
    MessageType.MsgBeat,
    MessageType.MsgUnreachable,
    MessageType.MsgSnapStatus,
    MessageType.MsgCheckQuorum,
    MessageType.MsgStorageAppend,
    MessageType.MsgStorageAppendResp,
    MessageType.MsgStorageApply,
    MessageType.MsgStorageApplyResp,
  ];
  for (const t of localTypes) {
    it(`refuses local message type ${t} from the network`, () => {
      const rn = newNode(newTestMemoryStorage([1n]));
      assert.throws(
        () => rn.step(mkMsg({ type: t, from: 2n, to: 1n })),
        (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STEP_LOCAL_MSG'),
      );
    });
  }

  it('refuses responses from peers it does not track', () => {
    const rn = newNode(newTestMemoryStorage([1n]));
    assert.throws(
      () => rn.step(mkMsg({ type: MessageType.MsgAppResp, from: 9n, to: 1n, term: 1 })),
      (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND'),
    );
  });

  it('accepts a MsgApp from an unknown leader (not a response)', () => {
    const rn = newNode(newTestMemoryStorage([1n, 2n]));
    rn.step(mkMsg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 1, entries: [ent(1, 1, 'a')] }));
    assert.equal(rn.raft.lead, 2n);
    assert.equal(rn.raft.raftLog.lastIndex(), 1);
  });
});

describe('RawNode bootstrap and the classic loop', () => {
  it('refuses to bootstrap without peers or over a non-empty storage', () => {
    const s = new MemoryStorage();
    const rn = newNode(s);
    assert.throws(
      () => rn.bootstrap([]),
      (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_BOOTSTRAP'),
    );
    const s2 = new MemoryStorage();
    s2.append([ent(1, 1)]);
    const rn2 = newNode(s2);
    assert.throws(() => rn2.bootstrap([{ id: 1n }]), /can't bootstrap a nonempty Storage/);
  });

  it('bootstraps, campaigns, and commits a proposal through Ready/Advance', () => {
    const s = new MemoryStorage();
    const rn = newNode(s);
    rn.bootstrap([{ id: 1n }]);
    const rd = rn.ready();
    assert.deepEqual(rd.hardState, { term: 1, vote: NONE, commit: 1 });
    assert.equal(rd.entries.length, 1);
    assert.equal(rd.entries[0]!.type, EntryType.EntryConfChange);
    assert.equal(rd.committedEntries.length, 1);
    assert.ok(rd.mustSync);
    s.setHardState(rd.hardState);
    s.append(rd.entries);
    rn.advance(rd);

    rn.campaign();
    drain(rn, s);
    assert.equal(rn.raft.state, StateType.StateLeader);

    rn.propose(enc('foo'));
    const rd2 = rn.ready();
    assert.deepEqual(
      rd2.entries.map((e) => [e.index, new TextDecoder().decode(e.data)]),
      [[3, 'foo']],
    );
    // The leader commits its own entry only once it is stored (self-ack on advance).
    assert.equal(rd2.committedEntries.length, 0);
    s.append(rd2.entries);
    rn.advance(rd2);
    const rd3 = rn.ready();
    assert.deepEqual(
      rd3.committedEntries.map((e) => new TextDecoder().decode(e.data)),
      ['foo'],
    );
    rn.advance(rd3);
    assert.equal(rn.hasReady(), false);
  });

  it('throws when a second Ready is taken before advance', () => {
    const s = new MemoryStorage();
    const rn = newNode(s);
    rn.bootstrap([{ id: 1n }]);
    rn.ready();
    rn.campaign();
    assert.throws(() => rn.ready(), /two accepted Ready structs without call to Advance/);
  });

  it('restarts from storage and hands out only entries after applied', () => {
    const s = newTestMemoryStorage([1n]);
    s.append([ent(1, 1, 'a'), ent(1, 2, 'b'), ent(1, 3, 'c')]);
    s.setHardState({ term: 1, vote: 1n, commit: 3 });
    const rn = newNode(s, { applied: 1 });
    const rd = rn.ready();
    assert.deepEqual(
      rd.committedEntries.map((e) => e.index),
      [2, 3],
    );
    assert.equal(rd.entries.length, 0);
    assert.deepEqual(rd.hardState, { term: 0, vote: NONE, commit: 0 });
    rn.advance(rd);
    assert.equal(rn.hasReady(), false);
  });

  it('paginates committed entries by maxCommittedSizePerReady', () => {
    const s = newTestMemoryStorage([1n]);
    const ents = Array.from({ length: 10 }, (_, i) => ent(1, i + 1, 'x'.repeat(100)));
    s.append(ents);
    s.setHardState({ term: 1, vote: 1n, commit: 10 });
    const rn = newNode(s, { maxCommittedSizePerReady: 250 });
    const sizes: number[] = [];
    while (rn.hasReady()) {
      const rd = rn.ready();
      sizes.push(rd.committedEntries.length);
      rn.advance(rd);
    }
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      10,
    );
    assert.ok(sizes.every((n) => n <= 2));
  });

  it('async storage writes: advance is refused', () => {
    const rn = newNode(newTestMemoryStorage([1n]), { asyncStorageWrites: true });
    assert.throws(() => rn.advance(), /Advance must not be called when using AsyncStorageWrites/);
  });

  it('async storage writes: a single node hands out append and apply work as messages', () => {
    const s = newTestMemoryStorage([1n]);
    const rn = newNode(s, { asyncStorageWrites: true });
    rn.campaign();
    let rd = rn.ready();
    const append = rd.messages.find((m) => m.to === LOCAL_APPEND_THREAD);
    assert.ok(append !== undefined);
    assert.equal(append.type, MessageType.MsgStorageAppend);
    assert.equal(append.vote, 1n);
    // The self-vote waits for the write.
    assert.ok(append.responses?.some((r) => r.type === MessageType.MsgVoteResp && r.to === 1n));
    s.setHardState({ term: append.term, vote: append.vote ?? NONE, commit: append.commit });
    s.append(append.entries);
    for (const r of append.responses ?? []) rn.step(r);
    assert.equal(rn.raft.state, StateType.StateLeader);
    rd = rn.ready();
    assert.ok(describeReady(rd).includes('MsgStorageAppend'));
  });
});

describe('RawNode clusters', () => {
  for (const async of [false, true]) {
    it(`three nodes elect a leader and replicate proposals (${async ? 'async' : 'classic'} storage)`, () => {
      const c = new Cluster(3, { async });
      c.member(1).node.campaign();
      c.stabilize();
      assert.equal(c.leader(), 1n);
      for (let i = 0; i < 20; i++) c.member(1).node.propose(enc(`p${i}`));
      // A follower's proposal is forwarded to the leader.
      c.member(2).node.propose(enc('from-2'));
      c.stabilize();
      const want = [...Array.from({ length: 20 }, (_, i) => `p${i}`), 'from-2'];
      for (const id of [1, 2, 3]) assert.deepEqual(appliedText(c.member(id)), want, `member ${id}`);
      for (const id of [1, 2, 3]) {
        const st = c.member(id).node.basicStatus();
        assert.equal(st.hardState.commit, 22);
        assert.equal(st.applied, 22);
      }
    });
  }

  it('a V2 joint conf change with auto-leave adds a voter and a learner', () => {
    const c = new Cluster(1);
    c.member(1).node.campaign();
    c.stabilize();
    c.add(2n, newTestMemoryStorage([1n, 2n, 3n]));
    c.add(3n, newTestMemoryStorage([1n, 2n, 3n]));
    c.member(1).node.proposeConfChange({
      transition: ConfChangeTransition.ConfChangeTransitionAuto,
      changes: [
        { type: ConfChangeType.ConfChangeAddNode, nodeId: 2n },
        { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3n },
      ],
    });
    c.stabilize();
    const cs = c.member(1).node.raft.trk.confState();
    // The auto-leave entry took the leader out of the joint configuration.
    assert.deepEqual(cs.voters, [1n, 2n]);
    assert.deepEqual(cs.votersOutgoing, []);
    assert.deepEqual(cs.learners, [3n]);
    assert.equal(cs.autoLeave, false);
    c.member(1).node.propose(enc('after'));
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(appliedText(c.member(id)), ['after'], `member ${id}`);
  });

  it('a V1 conf change removing a follower commits with the smaller quorum', () => {
    const c = new Cluster(3);
    c.member(1).node.campaign();
    c.stabilize();
    c.member(1).node.proposeConfChange({ id: 0n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: 3n });
    c.stabilize();
    assert.deepEqual(c.member(1).node.raft.trk.confState().voters, [1n, 2n]);
    c.filter = (m) => m.to !== 3n && m.from !== 3n;
    c.member(1).node.propose(enc('two'));
    c.stabilize();
    assert.deepEqual(appliedText(c.member(2)), ['two']);
  });

  it('ReadIndex on a leader yields a ReadState at the commit index after a heartbeat round', () => {
    const c = new Cluster(3);
    c.member(1).node.campaign();
    c.stabilize();
    const leader = c.member(1).node;
    leader.readIndex(enc('ctx1'));
    // Intercept the ReadState before the cluster loop consumes it.
    let found: { index: number; ctx: string } | undefined;
    for (let i = 0; i < 10 && found === undefined; i++) {
      c.deliver();
      for (const m of c.members.values()) {
        if (!m.node.hasReady()) continue;
        const rd = m.node.ready();
        for (const rs of rd.readStates)
          found = { index: rs.index, ctx: new TextDecoder().decode(rs.requestCtx) };
        for (const msg of rd.messages) c.inflight.push(msg);
        for (const e of rd.entries) m.storage.append([e]);
        m.node.advance(rd);
      }
    }
    assert.deepEqual(found, { index: 1, ctx: 'ctx1' });
  });

  it('status reports progress only on the leader; reports do not throw on followers', () => {
    const c = new Cluster(3);
    c.member(1).node.campaign();
    c.stabilize();
    const st = c.member(1).node.status();
    assert.equal(st.softState.raftState, StateType.StateLeader);
    assert.deepEqual([...st.progress.keys()], [1n, 2n, 3n]);
    assert.equal(st.progress.get(2n)!.match, 1);
    const fst = c.member(2).node.status();
    assert.equal(fst.progress.size, 0);
    assert.equal(fst.softState.lead, 1n);
    c.member(2).node.reportUnreachable(1n);
    c.member(2).node.reportSnapshot(1n, SnapshotStatus.SnapshotFailure);
    const visited: bigint[] = [];
    c.member(1).node.withProgress((id) => visited.push(id));
    assert.deepEqual(visited, [1n, 2n, 3n]);
  });

  it('leadership moves with transferLeader', () => {
    const c = new Cluster(3);
    c.member(1).node.campaign();
    c.stabilize();
    c.member(1).node.transferLeader(3n);
    c.stabilize();
    assert.equal(c.leader(), 3n);
    assert.equal(c.member(1).node.raft.lead, 3n);
  });
});
