import assert from 'node:assert/strict';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { Replica, type ReplicaError, ReplicaErrorCode } from '../../src/replica/index.js';
import { FAST, freePorts, MemoryStateMachine, TestCluster, tempDir } from './helpers.js';

async function single(dir: string, id = 1n, more: Record<string, unknown> = {}) {
  const [port] = await freePorts(1);
  const sm = new MemoryStateMachine();
  const r = await Replica.start<number>({
    id,
    dataDir: dir,
    initialCluster: [{ id, peerUrls: [`http://127.0.0.1:${port}`] }],
    stateMachine: sm,
    ...FAST,
    ...more,
  });
  return { r, sm };
}

test('a data directory of another member or cluster is refused', async (t) => {
  const { dir, cleanup } = await tempDir('foreign');
  t.after(cleanup);
  const { r } = await single(dir, 1n);
  await r.propose(Buffer.from('x'));
  await r.close();
  await assert.rejects(single(dir, 2n), (e) => isRaftwireError(e, ReplicaErrorCode.ForeignDataDir));
  await assert.rejects(single(dir, 1n, { clusterId: 0x2000n }), (e) =>
    isRaftwireError(e, ReplicaErrorCode.ForeignDataDir),
  );
  // The right member still opens it and finds its entry.
  const again = await single(dir, 1n);
  t.after(() => again.r.close());
  await again.r.readBarrier();
  assert.deepEqual(again.sm.list(), ['x']);
});

test('a corrupt WAL record is refused at start with CORRUPT_DATA_DIR', async (t) => {
  const { dir, cleanup } = await tempDir('corrupt');
  t.after(cleanup);
  const { r } = await single(dir);
  for (let i = 0; i < 5; i++) await r.propose(Buffer.from(`value-${i}-${'z'.repeat(64)}`));
  await r.close();
  const walDir = join(dir, 'wal');
  const seg = (await readdir(walDir)).find((n) => n.endsWith('.wal')) as string;
  const fh = await open(join(walDir, seg), 'r+');
  const buf = Buffer.alloc(4096);
  await fh.read(buf, 0, 4096, 0);
  const at = buf.indexOf('value-2');
  assert.ok(at > 0);
  await fh.write(Buffer.from('X'), 0, 1, at + 3);
  await fh.close();
  await assert.rejects(single(dir), (e) => isRaftwireError(e, ReplicaErrorCode.CorruptDataDir));
});

test('a state machine that throws stops the replica loudly; nothing is acknowledged after', async (t) => {
  const { dir, cleanup } = await tempDir('smfail');
  t.after(cleanup);
  const { r, sm } = await single(dir);
  t.after(() => r.close());
  const ok = await r.propose(Buffer.from('fine'));
  sm.failAt = ok + 1;
  const fatal = new Promise<Error>((resolve) => r.once('fatal', resolve));
  await assert.rejects(r.propose(Buffer.from('bad')), (e) => isRaftwireError(e, ReplicaErrorCode.Stopped));
  const err = (await fatal) as ReplicaError;
  assert.equal(err.code, ReplicaErrorCode.StateMachine);
  assert.match(String((err.cause as Error).message), /boom/);
  await assert.rejects(r.propose(Buffer.from('later')), (e) => isRaftwireError(e, ReplicaErrorCode.Stopped));
  await assert.rejects(r.readBarrier(), (e) => isRaftwireError(e, ReplicaErrorCode.Stopped));
  await r.close();
});

test('propose: abort after proposing is OUTCOME_UNKNOWN; without a leader it is PROPOSAL_DROPPED; after close CLOSED', async (t) => {
  const { dir, cleanup } = await tempDir('abort');
  const c = new TestCluster(dir);
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  const ids = [1n, 2n, 3n];
  await Promise.all(ids.map((id) => c.start(id, ids)));
  const leader = await c.leader();
  const lr = c.replicas.get(leader) as Replica<number>;
  await lr.propose(Buffer.from('ok'));
  // Both followers gone: the leader still takes the proposal but cannot commit it.
  for (const id of ids) if (id !== leader) await c.stop(id);
  const ac = new AbortController();
  const p = lr.propose(Buffer.from('stuck'), { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e) => isRaftwireError(e, ReplicaErrorCode.OutcomeUnknown));
  // CheckQuorum makes it step down; a proposal then waits for a leader and gives up unproposed.
  const deadline = Date.now() + 10_000;
  while (lr.status().leader !== undefined && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(lr.status().leader, undefined);
  await assert.rejects(lr.propose(Buffer.from('nobody'), { signal: AbortSignal.timeout(100) }), (e) =>
    isRaftwireError(e, ReplicaErrorCode.ProposalDropped),
  );
  await assert.rejects(lr.readBarrier({ signal: AbortSignal.timeout(100) }), (e) =>
    isRaftwireError(e, ReplicaErrorCode.Unavailable),
  );
  const pending = assert.rejects(lr.propose(Buffer.from('pending')), (e) =>
    isRaftwireError(e, ReplicaErrorCode.Closed),
  );
  await c.stop(leader);
  await pending;
  await assert.rejects(lr.propose(Buffer.from('x')), (e) => isRaftwireError(e, ReplicaErrorCode.Closed));
});

test('leader transfer, and a read barrier on a follower sees a write completed on the leader', async (t) => {
  const { dir, cleanup } = await tempDir('transfer');
  const c = new TestCluster(dir);
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  const ids = [1n, 2n, 3n];
  await Promise.all(ids.map((id) => c.start(id, ids)));
  const leader = await c.leader();
  const [a, b] = ids.filter((id) => id !== leader) as [bigint, bigint];
  for (let i = 0; i < 20; i++) {
    const idx = await c.replicas.get(leader)?.propose(Buffer.from(`w${i}`));
    const seen = await c.replicas.get(a)?.readBarrier();
    assert.ok((seen ?? 0) >= (idx ?? 1), `barrier ${seen} covers write ${idx}`);
    assert.equal(c.machines.get(a)?.values.get(idx as number), `w${i}`);
  }
  // Transfer requested through a follower (forwarded to the leader).
  await c.replicas.get(b)?.transferLeadership(a);
  assert.equal(await c.leader(), a);
  assert.equal(c.replicas.get(a)?.status().role, 'leader');
  await assert.rejects(c.replicas.get(a)?.transferLeadership(99n) as Promise<void>, (e) =>
    isRaftwireError(e, ReplicaErrorCode.MemberNotFound),
  );
  const st = c.replicas.get(a)?.status();
  assert.equal(st?.peers.length, 2);
  assert.ok(st?.peers.every((p) => p.active && p.streams.message && p.streams.msgappv2));
});

test('bad options are refused with INVALID_OPTIONS', async (t) => {
  const { dir, cleanup } = await tempDir('opts');
  t.after(cleanup);
  const sm = new MemoryStateMachine();
  await assert.rejects(Replica.start({ id: 0n, dataDir: dir, initialCluster: [], stateMachine: sm }), (e) =>
    isRaftwireError(e, ReplicaErrorCode.InvalidOptions),
  );
  await assert.rejects(
    Replica.start({
      id: 1n,
      dataDir: dir,
      initialCluster: [{ id: 2n, peerUrls: ['http://127.0.0.1:1'] }],
      stateMachine: sm,
      ...FAST,
    }),
    (e) => isRaftwireError(e, ReplicaErrorCode.InvalidOptions),
  );
});

test('a peer port in use is refused with LISTEN, and the failed start leaves the directory usable', async (t) => {
  const a = await tempDir('listen-a');
  const b = await tempDir('listen-b');
  t.after(async () => {
    await a.cleanup();
    await b.cleanup();
  });
  const { r } = await single(a.dir, 1n);
  t.after(() => r.close());
  const url = `http://127.0.0.1:${r.peerAddress.port}`;
  const opts = {
    id: 1n,
    dataDir: b.dir,
    initialCluster: [{ id: 1n, peerUrls: [url] }],
    stateMachine: new MemoryStateMachine(),
    ...FAST,
  };
  await assert.rejects(Replica.start<number>(opts), (e) => isRaftwireError(e, ReplicaErrorCode.Listen));
  await r.close();
  // The WAL lock was released: the same directory starts once the port is free.
  const again = await Replica.start<number>({ ...opts, stateMachine: new MemoryStateMachine() });
  t.after(() => again.close());
  assert.ok((await again.propose(Buffer.from('ok'))) > 0);
});

test('a proposal with an already aborted signal is never proposed', async (t) => {
  const { dir, cleanup } = await tempDir('preabort');
  t.after(cleanup);
  const { r, sm } = await single(dir);
  t.after(() => r.close());
  await r.propose(Buffer.from('first'));
  await assert.rejects(r.propose(Buffer.from('never'), { signal: AbortSignal.abort() }), (e) =>
    isRaftwireError(e, ReplicaErrorCode.ProposalDropped),
  );
  await r.propose(Buffer.from('last'));
  assert.deepEqual(sm.list(), ['first', 'last']);
});
