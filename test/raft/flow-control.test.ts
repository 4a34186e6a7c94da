/**
 * Flow control of MsgApp (etcd's raft_flow_control_test.go, plus the v3.6 byte limit): the
 * inflight window fills, acknowledgements move it forward, and heartbeat responses keep a full
 * window alive with empty appends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Raft } from '../../src/raft/raft.js';
import { ProgressStateType } from '../../src/raft/tracker/state.js';
import { MessageType } from '../../src/raftpb/index.js';
import { ent, mkMsg, newTestMemoryStorage, newTestRaft, readMessages } from './network/network.js';

function leaderWithReplicatingFollower(maxInflightMsgs: number, maxInflightBytes = 0): Raft {
  const r = newTestRaft(1n, 5, 1, newTestMemoryStorage([1n, 2n]), {
    maxInflightMsgs,
    maxInflightBytes,
    maxSizePerMsg: maxInflightBytes === 0 ? Number.POSITIVE_INFINITY : 200,
  });
  r.becomeCandidate();
  r.becomeLeader();
  readMessages(r);
  const pr2 = r.trk.progress.get(2n)!;
  // Force the follower into replicate state.
  pr2.becomeReplicate();
  return r;
}

const prop = (data = 'somedata') =>
  mkMsg({ from: 1n, to: 1n, type: MessageType.MsgProp, entries: [ent(0, 0, data)] });

describe('flow control', () => {
  it('a full inflight window stops appends', () => {
    const r = leaderWithReplicatingFollower(3);
    const pr2 = r.trk.progress.get(2n)!;
    for (let i = 0; i < r.trk.maxInflight; i++) {
      r.step(prop());
      const ms = readMessages(r);
      assert.equal(ms.length, 1, `#${i}`);
      assert.equal(ms[0]!.type, MessageType.MsgApp);
    }
    assert.ok(pr2.inflights.full());
    for (let i = 0; i < 10; i++) {
      r.step(prop());
      assert.deepEqual(readMessages(r), [], `#${i}`);
    }
  });

  it('acknowledgements move the window forward', () => {
    const r = leaderWithReplicatingFollower(3);
    const pr2 = r.trk.progress.get(2n)!;
    for (let i = 0; i < r.trk.maxInflight; i++) {
      r.step(prop());
      readMessages(r);
    }
    // 1 is the empty entry of the term, 2..4 the proposals.
    for (let tt = 2; tt < r.trk.maxInflight; tt++) {
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: tt, term: r.term }));
      readMessages(r);
      // One slot is free: a new proposal goes out at once.
      r.step(prop());
      const ms = readMessages(r);
      assert.equal(ms.length, 1);
      assert.equal(ms[0]!.type, MessageType.MsgApp);
      assert.ok(pr2.inflights.full());
      // Acking an index already covered frees nothing.
      for (let i = 0; i < tt; i++) {
        r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: i, term: r.term }));
        assert.ok(pr2.inflights.full(), `ack of ${i} freed a slot`);
      }
    }
  });

  it('a heartbeat response on a full window sends one empty append and pauses again', () => {
    const r = leaderWithReplicatingFollower(3);
    const pr2 = r.trk.progress.get(2n)!;
    for (let i = 0; i < r.trk.maxInflight; i++) {
      r.step(prop());
      readMessages(r);
    }
    for (let tt = 1; tt < 5; tt++) {
      for (let i = 0; i < tt; i++) {
        assert.ok(pr2.isPaused(), `#${tt}.${i}: paused`);
        r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term }));
        const ms = readMessages(r);
        assert.equal(ms.length, 1);
        assert.equal(ms[0]!.type, MessageType.MsgApp);
        assert.equal(ms[0]!.entries.length, 0);
      }
      // Without heartbeats nothing more is sent.
      for (let i = 0; i < 10; i++) {
        assert.ok(pr2.isPaused());
        r.step(prop());
        assert.deepEqual(readMessages(r), []);
      }
      r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgHeartbeatResp, term: r.term }));
      readMessages(r);
    }
  });

  it('maxInflightBytes limits the bytes in flight, not only the count', () => {
    // Each proposal carries 100 payload bytes; 250 bytes admit three appends (the third crosses).
    const r = leaderWithReplicatingFollower(100, 250);
    r.trk.progress.get(2n)!.next = r.raftLog.lastIndex() + 1;
    const pr2 = r.trk.progress.get(2n)!;
    const data = 'x'.repeat(100);
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      r.step(prop(data));
      sent += readMessages(r).filter((m) => m.type === MessageType.MsgApp).length;
    }
    assert.equal(sent, 3);
    assert.ok(pr2.inflights.full());
    assert.equal(pr2.inflights.count(), 3);
    // Acknowledging the first append frees its bytes, and the next append goes out.
    const firstSentIndex = 2;
    r.step(mkMsg({ from: 2n, to: 1n, type: MessageType.MsgAppResp, index: firstSentIndex, term: r.term }));
    const ms = readMessages(r).filter((m) => m.type === MessageType.MsgApp);
    assert.ok(ms.length >= 1);
    assert.ok(ms[0]!.entries.length > 0);
  });

  it('maxInflightBytes below maxSizePerMsg is refused by validation', () => {
    assert.throws(
      () =>
        newTestRaft(1n, 5, 1, newTestMemoryStorage([1n, 2n]), { maxSizePerMsg: 1000, maxInflightBytes: 10 }),
      /max inflight bytes must be >= max message size/,
    );
  });

  it('a rejected append puts a replicating follower back to probing', () => {
    const r = leaderWithReplicatingFollower(3);
    const pr2 = r.trk.progress.get(2n)!;
    r.step(prop());
    readMessages(r);
    assert.equal(pr2.state, ProgressStateType.StateReplicate);
    r.step(
      mkMsg({
        from: 2n,
        to: 1n,
        type: MessageType.MsgAppResp,
        index: 2,
        reject: true,
        rejectHint: 1,
        term: r.term,
      }),
    );
    assert.equal(pr2.state, ProgressStateType.StateProbe);
    assert.equal(pr2.next, 1);
  });
});
