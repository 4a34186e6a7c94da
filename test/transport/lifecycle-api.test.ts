/**
 * The Transport's one lifecycle and its public surface: what each method does before start(),
 * while running and after stop(); typed errors for misuse; peerStatus(); no test hooks or TLS
 * material on the public object.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { MessageType, newMessage } from '../../src/raftpb/index.js';
import * as door from '../../src/transport/index.js';
import { Transport, TransportError, TransportErrorCode } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import { fakePeer, RecordingRaft, startPair, track } from './harness.js';

function isCode(code: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TransportError, String(e));
    assert.equal(e.code, code);
    return true;
  };
}

const snapMsg = (to: bigint) => ({
  message: newMessage({ type: MessageType.MsgSnap, to, from: 1n }),
  body: Readable.from([Buffer.from('db')]),
});

/** Every membership change, each on a fresh argument. */
const membership: Array<[string, (tr: Transport) => void]> = [
  ['addPeer', (tr) => tr.addPeer(2n, ['http://127.0.0.1:1'])],
  ['removePeer', (tr) => tr.removePeer(2n)],
  ['updatePeer', (tr) => tr.updatePeer(2n, ['http://127.0.0.1:1'])],
  ['addRemote', (tr) => tr.addRemote(3n, ['http://127.0.0.1:1'])],
  ['removeAllPeers', (tr) => tr.removeAllPeers()],
];

describe('transport lifecycle', () => {
  for (const [phase, prepare] of [
    ['before start', (_tr: Transport) => Promise.resolve()],
    [
      'after stop',
      async (tr: Transport) => {
        tr.start();
        tr.addPeer(2n, ['http://127.0.0.1:1']);
        await tr.stop();
      },
    ],
  ] as const) {
    it(`${phase}: membership changes throw STOPPED, send ignores, sendSnapshot rejects STOPPED, queries answer`, async () => {
      const tr = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft(), probeIntervalMs: 0 });
      track(() => tr.stop());
      await prepare(tr);
      assert.equal(tr.running, false);
      for (const [name, call] of membership) {
        assert.throws(() => call(tr), isCode(TransportErrorCode.Stopped), name);
      }
      tr.send([newMessage({ type: MessageType.MsgHeartbeat, to: 2n, from: 1n })]);
      const snap = snapMsg(2n);
      await assert.rejects(tr.sendSnapshot(snap), isCode(TransportErrorCode.Stopped));
      assert.equal(snap.body.destroyed, true, 'the body is destroyed');
      assert.deepEqual(tr.peerStatus(), []);
      assert.equal(tr.activePeers(), 0);
      assert.equal(tr.activeSince(2n), undefined);
      assert.equal(typeof tr.handler(), 'function');
    });
  }

  it('start is synchronous and idempotent; a stopped transport cannot start again; stop before start is allowed', async () => {
    const tr = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft(), probeIntervalMs: 0 });
    assert.equal(tr.start(), undefined);
    assert.equal(tr.running, true);
    tr.start();
    assert.equal(tr.running, true);
    await tr.stop();
    await tr.stop();
    assert.throws(() => tr.start(), isCode(TransportErrorCode.Stopped));
    const never = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft() });
    await never.stop();
    assert.throws(() => never.start(), isCode(TransportErrorCode.Stopped));
  });

  it('while running: sendSnapshot to a non-peer rejects MEMBER_NOT_FOUND; removePeer/updatePeer of unknown IDs are no-ops', async () => {
    const tr = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft(), probeIntervalMs: 0 });
    track(() => tr.stop());
    tr.start();
    tr.removePeer(9n);
    tr.updatePeer(9n, ['not a url']);
    await assert.rejects(tr.sendSnapshot(snapMsg(9n)), isCode(TransportErrorCode.MemberNotFound));
    assert.throws(() => tr.addPeer(2n, ['ftp://x:1']), isCode(TransportErrorCode.InvalidUrl));
    await tr.stop();
  });

  it('the constructor refuses out-of-range options with INVALID_OPTION', () => {
    const base = { id: 1n, clusterId: 1n, raft: new RecordingRaft() };
    for (const bad of [
      { id: -1n },
      { id: 1n << 64n },
      { clusterId: -5n },
      { dialTimeoutMs: -1 },
      { dialRetryPerSecond: Number.NaN },
      { snapshotProgressTimeoutMs: 0 },
      { probeIntervalMs: Number.POSITIVE_INFINITY },
    ]) {
      assert.throws(
        () => new Transport({ ...base, ...bad }),
        isCode(TransportErrorCode.InvalidOption),
        String(Object.keys(bad)),
      );
    }
    assert.throws(
      () => new Transport({ ...base, urls: ['http://x'] }),
      isCode(TransportErrorCode.InvalidUrl),
    );
  });

  it('exposes no test hooks and no TLS material', () => {
    const tls = { key: 'secret' };
    const tr = new Transport({ id: 1n, clusterId: 1n, raft: new RecordingRaft(), tls });
    // pause()/resume() are public, as etcd's Transport.Pause/Resume (a member's isolation);
    // the per-peer cut/mend hooks stay in fault-injection.ts.
    assert.equal(typeof tr.pause, 'function');
    assert.equal(typeof tr.resume, 'function');
    for (const name of ['cutPeer', 'mendPeer', 'tls']) {
      assert.equal(name in tr, false, name);
      assert.equal(name in door, false, name);
    }
    assert.ok(!Object.values(tr).includes(tls));
  });
});

describe('peerStatus', () => {
  it('reports active peers with both streams, a probe RTT and no drops', async () => {
    const [a, b] = await startPair({ probeIntervalMs: 100 }, { probeIntervalMs: 100 });
    await waitFor('a probe round trip', () => a.tr.peerStatus()[0]?.rttMs !== undefined);
    const [s] = a.tr.peerStatus();
    assert.ok(s !== undefined);
    assert.equal(s.id, 2n);
    assert.equal(s.active, true);
    assert.ok(s.activeSince instanceof Date);
    assert.deepEqual(s.streams, { msgappv2: true, message: true });
    assert.ok(s.rttMs! > 0);
    assert.equal(s.dropped, 0);
    await a.close();
    await b.close();
  });

  it('counts drops of a peer whose pipeline is full, and shows it inactive without streams', async () => {
    const peer = await fakePeer((req, res) => {
      if (req.url!.startsWith('/raft/stream/')) {
        res.writeHead(404, { 'X-Server-Version': '3.4.23' }).end();
        return;
      }
      req.pause(); // never answers: 4 POSTs in flight, 64 queued, the rest dropped
    });
    track(() => peer.close());
    const tr = new Transport({ id: 1n, clusterId: 0x1000n, raft: new RecordingRaft(), probeIntervalMs: 0 });
    track(() => tr.stop());
    tr.start();
    tr.addPeer(7n, [peer.url]);
    const msgs = Array.from({ length: 4 + 64 + 3 }, (_, i) =>
      newMessage({ type: MessageType.MsgHeartbeat, to: 7n, from: 1n, commit: i }),
    );
    tr.send(msgs);
    const [s] = tr.peerStatus();
    assert.ok(s !== undefined);
    assert.equal(s.id, 7n);
    assert.equal(s.dropped, 3);
    assert.equal(s.active, false);
    assert.equal(s.activeSince, undefined);
    assert.deepEqual(s.streams, { msgappv2: false, message: false });
    assert.equal(s.rttMs, undefined);
    await tr.stop();
    await peer.close();
  });
});
