/**
 * End to end over real loopback (etcd functional_test TestSendMessage, stream_test TestStream,
 * transport_test TestTransportSend): every message type goes through and arrives field for field;
 * MsgApp uses msgappv2, MsgProp the proposal queue, MsgSnap via send the pipeline.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Message,
  MessageType,
  newConfState,
  newEntry,
  newMessage,
  newSnapshot,
} from '../../src/raftpb/index.js';
import { messageToJson, stripNames } from '../raftpb/json-form.js';
import { startPair, type TestNode } from './harness.js';

const j = (m: Message) => stripNames(messageToJson(m));

describe('two transports on loopback', () => {
  let a: TestNode;
  let b: TestNode;
  before(async () => {
    [a, b] = await startPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('delivers every message type unchanged, both directions', async () => {
    const data = new TextEncoder().encode('some data');
    const msgs: Message[] = [
      newMessage({ type: MessageType.MsgProp, from: 1n, to: 2n, entries: [newEntry({ data })] }),
      newMessage({
        type: MessageType.MsgApp,
        from: 1n,
        to: 2n,
        term: 1,
        logTerm: 1,
        index: 3,
        commit: 3,
        entries: [newEntry({ term: 1, index: 4, data })],
      }),
      newMessage({ type: MessageType.MsgAppResp, from: 1n, to: 2n, term: 1, index: 3 }),
      newMessage({ type: MessageType.MsgVote, from: 1n, to: 2n, term: 1, logTerm: 1, index: 3 }),
      newMessage({ type: MessageType.MsgVoteResp, from: 1n, to: 2n, term: 1 }),
      newMessage({
        type: MessageType.MsgSnap,
        from: 1n,
        to: 2n,
        term: 1,
        snapshot: newSnapshot({ data, index: 1000, term: 1, confState: newConfState({ voters: [1n, 2n] }) }),
      }),
      newMessage({ type: MessageType.MsgHeartbeat, from: 1n, to: 2n, term: 1, commit: 3 }),
      newMessage({ type: MessageType.MsgHeartbeatResp, from: 1n, to: 2n, term: 1 }),
    ];
    for (const m of msgs) {
      const before = b.raft.messages.length;
      a.tr.send([m]);
      await b.raft.waitForMessages(before + 1);
      assert.deepEqual(j(b.raft.messages.at(-1)!), j(m), `message type ${m.type}`);
    }
    const back = newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 9, index: 77 });
    b.tr.send([back]);
    await a.raft.waitForMessages(1);
    assert.deepEqual(j(a.raft.messages[0]!), j(back));
  });

  it('delivers a long consecutive MsgApp run in order (msgappv2 AppEntries records)', async () => {
    const start = b.raft.messages.length;
    const msgs: Message[] = [];
    for (let i = 0; i < 500; i++) {
      msgs.push(
        newMessage({
          type: MessageType.MsgApp,
          from: 1n,
          to: 2n,
          term: 7,
          logTerm: 7,
          index: 100 + i,
          commit: 100 + i,
          entries: [newEntry({ term: 7, index: 101 + i, data: new Uint8Array([i & 0xff]) })],
        }),
      );
    }
    a.tr.send(msgs.slice(0, 250));
    a.tr.send(msgs.slice(250));
    await b.raft.waitForMessages(start + 500);
    assert.deepEqual(b.raft.messages.slice(start).map(j), msgs.map(j));
  });

  it('skips To = 0 and unknown targets', async () => {
    const start = b.raft.messages.length;
    a.tr.send([
      newMessage({ type: MessageType.MsgHeartbeat, from: 1n, to: 0n }),
      newMessage({ type: MessageType.MsgHeartbeat, from: 1n, to: 99n }),
      newMessage({ type: MessageType.MsgHeartbeat, from: 1n, to: 2n, commit: 42 }),
    ]);
    await b.raft.waitForMessages(start + 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(b.raft.messages.length, start + 1);
    assert.equal(b.raft.messages.at(-1)!.commit, 42);
  });

  it('reports both peers active and counts bytes in the etcd metrics', async () => {
    assert.equal(a.tr.activePeers(), 1);
    assert.ok(a.tr.activeSince(2n) instanceof Date);
    assert.equal(a.tr.activeSince(3n), undefined);
    const sent = await a.registry.getSingleMetric('etcd_network_peer_sent_bytes_total')!.get();
    assert.ok(sent.values.some((v) => v.labels.To === '2' && v.value > 0));
    const recv = await b.registry.getSingleMetric('etcd_network_peer_received_bytes_total')!.get();
    assert.ok(recv.values.some((v) => v.labels.From === '1' && v.value > 0));
    const active = await a.registry.getSingleMetric('etcd_network_active_peers')!.get();
    assert.deepEqual(
      active.values.map((v) => [v.labels, v.value]),
      [[{ Local: '1', Remote: '2' }, 1]],
    );
  });
});
