/**
 * Remotes (etcd remote.go): pipeline-only routes to members that are not peers. A full remote
 * queue drops with a counter and a warning but, unlike a peer, does not call reportUnreachable;
 * a POST failure does; cutPeer/mendPeer pause and resume it; peers take precedence.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { MessageType, newMessage } from '../../src/raftpb/index.js';
import { cutPeer, mendPeer } from '../../src/transport/fault-injection.js';
import { waitFor } from '../support/wait.js';
import { fakePeer, metricValue, startNode } from './harness.js';

const hb = (commit: number) => newMessage({ type: MessageType.MsgHeartbeat, to: 3n, from: 1n, commit });

describe('remote', () => {
  it('delivers by pipeline; a full queue drops without reportUnreachable; cut/mend pause and resume it', async () => {
    const held: ServerResponse[] = [];
    let answer = false;
    const posts: number[] = [];
    const peer = await fakePeer((req, res) => {
      const chunks: Buffer[] = [];
      req
        .on('data', (c) => chunks.push(c))
        .on('end', () => {
          posts.push(Buffer.concat(chunks).length);
          if (answer) res.writeHead(204).end();
          else held.push(res);
        });
    });
    const node = await startNode(1n);
    node.tr.addRemote(3n, [peer.url]);
    node.tr.send(Array.from({ length: 4 + 64 + 3 }, (_, i) => hb(i)));
    await waitFor('4 POSTs in flight', () => held.length === 4);
    assert.deepEqual(node.raft.unreachable, []);
    assert.equal(
      await metricValue(node.registry, 'raftwire_network_peer_dropped_messages_total', {
        Peer: '3',
        Channel: 'pipeline',
        Type: 'MsgHeartbeat',
      }),
      3,
    );
    assert.equal(await metricValue(node.registry, 'etcd_network_peer_sent_failures_total', { To: '3' }), 3);
    answer = true;
    for (const r of held.splice(0)) r.writeHead(204).end();
    await waitFor('queue drained', () => posts.length === 68);
    cutPeer(node.tr, 3n);
    node.tr.send([hb(100)]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(posts.length, 68, 'nothing sent while cut');
    mendPeer(node.tr, 3n);
    node.tr.send([hb(101)]);
    await waitFor('sent after mend', () => posts.length === 69);
    await node.close();
    await peer.close();
  });

  it('a failed POST to a remote reports unreachable (as etcd’s remote pipeline does)', async () => {
    const peer = await fakePeer((req, res) => {
      req.resume().on('end', () => res.writeHead(500).end());
    });
    const node = await startNode(1n);
    node.tr.addRemote(3n, [peer.url]);
    node.tr.send([hb(1)]);
    await waitFor('unreachable', () => node.raft.unreachable.length === 1);
    assert.deepEqual(node.raft.unreachable, [3n]);
    await node.close();
    await peer.close();
  });
});
