/**
 * InlineReplica (raftexample's raftNode) in one process, three or four members on loopback: the
 * log holds exactly the proposed bytes after raft's context-less bootstrap entries and the WAL has
 * no metadata; a proposal resolves once applied on its proposer (leader or follower); a member
 * behind the compaction point gets the snapshot inline in a MsgSnap (no member has a snapshot
 * store, so POST /raft/snapshot could not work); a member added after the last snapshot gets a
 * fresh one naming it instead of one it must reject; an entry the state machine rejects stops each
 * member that applies it; a member that applies its own removal stops with the `removed` event.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ConfChangeType, EntryType } from '../../src/raftpb/index.js';
import {
  InlineReplica,
  type InlineReplicaOptions,
  type InlineStateMachine,
  ReplicaErrorCode,
} from '../../src/replica/index.js';
import { Wal } from '../../src/wal/index.js';
import { waitFor } from '../support/wait.js';
import { freePorts, tempDir } from './helpers.js';

/** Applied values in order; entries starting with "BAD" are rejected (a throw is fatal). */
class ListMachine implements InlineStateMachine {
  values: string[] = [];
  restores = 0;
  apply(e: { data: Uint8Array }): void {
    const s = Buffer.from(e.data).toString();
    if (s.startsWith('BAD')) throw new Error(`cannot decode ${s}`);
    this.values.push(s);
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.values));
  }
  restore(data: Uint8Array): void {
    this.values = JSON.parse(Buffer.from(data).toString()) as string[];
    this.restores++;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const FAST = { tickMs: 20, electionTicks: 10, heartbeatTicks: 1 };

interface Harness {
  dir: string;
  urls: string[];
  replicas: Map<bigint, InlineReplica>;
  machines: Map<bigint, ListMachine>;
  start(id: bigint, extra?: Partial<InlineReplicaOptions>): Promise<InlineReplica>;
  leader(): Promise<InlineReplica>;
}

async function harness(
  t: TestContext,
  n: number,
  extra: Partial<InlineReplicaOptions> = {},
): Promise<Harness> {
  const { dir, cleanup } = await tempDir('inline');
  const ports = await freePorts(n + 1);
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const replicas = new Map<bigint, InlineReplica>();
  const machines = new Map<bigint, ListMachine>();
  t.after(async () => {
    await Promise.all([...replicas.values()].map((r) => r.close()));
    await cleanup();
  });
  const h: Harness = {
    dir,
    urls,
    replicas,
    machines,
    start: async (id, more = {}) => {
      const sm = new ListMachine();
      const r = await InlineReplica.start({
        id,
        peers: urls.slice(0, n).map((u, i) => ({ id: BigInt(i + 1), peerUrls: [u] })),
        walDir: join(dir, `raftexample-${id}`),
        snapDir: join(dir, `raftexample-${id}-snap`),
        stateMachine: sm,
        raft: FAST,
        walSegmentSizeBytes: 1 << 20,
        ...extra,
        ...more,
      });
      replicas.set(id, r);
      machines.set(id, sm);
      return r;
    },
    leader: async () => {
      let found: InlineReplica | undefined;
      await waitFor(
        'a leader',
        () => {
          found = [...replicas.values()].find((r) => r.status().leader === r.id);
          return found !== undefined;
        },
        { timeoutMs: 10_000 },
      );
      return found as InlineReplica;
    },
  };
  for (let i = 1; i <= n; i++) await h.start(BigInt(i));
  return h;
}

describe('InlineReplica', () => {
  it('logs raft bootstrap entries and the bytes proposed, nothing more; proposals resolve once applied', async (t) => {
    const h = await harness(t, 3);
    const leader = await h.leader();
    const follower = [...h.replicas.values()].find((r) => r !== leader) as InlineReplica;
    await leader.propose(enc('from-leader'));
    assert.deepEqual(
      h.machines.get(leader.id)?.values,
      ['from-leader'],
      'applied on the leader when it resolves',
    );
    await follower.propose(enc('from-follower'));
    assert.deepEqual(h.machines.get(follower.id)?.values, ['from-leader', 'from-follower']);
    await Promise.all([follower.propose(enc('same')), leader.propose(enc('same'))]);
    // Both are committed (on a quorum) and applied where proposed; member 3, whose WAL is read
    // below, may be the third member, which gets them a moment later: wait until every member
    // applied all four.
    await waitFor(
      'every member applied the four proposals',
      () => [...h.machines.values()].every((m) => m.values.length === 4),
      { timeoutMs: 10_000 },
    );
    for (const r of h.replicas.values()) await r.close();
    const wal = await Wal.openForRead(join(h.dir, 'raftexample-3'), { index: 0, term: 0 });
    const { metadata, entries } = await wal.readAll().finally(() => wal.close());
    assert.equal(metadata.length, 0);
    assert.deepEqual(
      entries.slice(0, 3).map((e) => [e.index, e.term, e.type, Buffer.from(e.data ?? []).toString('hex')]),
      [1, 2, 3].map((i) => [i, 1, EntryType.EntryConfChange, `0800100018${i.toString(16).padStart(2, '0')}`]),
    );
    const data = entries
      .filter((e) => e.type === EntryType.EntryNormal && (e.data?.length ?? 0) > 0)
      .map((e) => Buffer.from(e.data ?? []).toString());
    assert.deepEqual(data, ['from-leader', 'from-follower', 'same', 'same']);
  });

  it('sends snapshots inline; a member added after the last snapshot gets a fresh one that names it', async (t) => {
    const h = await harness(t, 3, { snapshotCount: 20, snapshotCatchUpEntries: 5 });
    const leader = await h.leader();
    const lagging = [...h.replicas.values()].find((r) => r !== leader) as InlineReplica;
    await lagging.close();
    h.replicas.delete(lagging.id);
    for (let i = 0; i < 60; i++) await leader.propose(enc(`v${i}`));
    assert.ok(leader.status().snapshotIndex > 40, `leader snapshot at ${leader.status().snapshotIndex}`);
    const back = await h.start(lagging.id);
    let installed = 0;
    back.once('snapshot-installed', ({ index }) => {
      installed = index;
    });
    await waitFor('the restarted member to catch up', () => h.machines.get(back.id)?.values.length === 60, {
      timeoutMs: 15_000,
    });
    assert.ok(installed > 40, `installed a snapshot at ${installed}`);
    assert.equal(h.machines.get(back.id)?.restores, 1);

    // Member 4: added (ConfChange V1, the URL as context) after the latest snapshot.
    const url4 = h.urls[3] as string;
    await leader.proposeConfChange({
      id: 1n,
      type: ConfChangeType.ConfChangeAddNode,
      nodeId: 4n,
      context: enc(url4),
    });
    const four = await h.start(4n, {
      join: true,
      peers: h.urls.map((u, i) => ({ id: BigInt(i + 1), peerUrls: [u] })),
    });
    let fourInstalled = 0;
    four.once('snapshot-installed', ({ index }) => {
      fourInstalled = index;
    });
    await waitFor('member 4 to catch up', () => h.machines.get(4n)?.values.length === 60, {
      timeoutMs: 15_000,
    });
    assert.ok(fourInstalled > 60, `a snapshot taken after member 4 was added (${fourInstalled})`);
    assert.deepEqual(four.status().voters.sort(), [1n, 2n, 3n, 4n]);
    await four.propose(enc('via-4'));
    await waitFor('every member to apply via-4', () =>
      [...h.machines.values()].every((m) => m.values.at(-1) === 'via-4'),
    );
  });

  it('stops each member that applies an entry the state machine rejects; none skips it', async (t) => {
    const h = await harness(t, 3);
    const leader = await h.leader();
    await leader.propose(enc('ok'));
    const fatals: Error[] = [];
    for (const r of h.replicas.values()) r.once('fatal', (e) => fatals.push(e));
    await assert.rejects(leader.propose(enc('BAD entry')), (e: { code?: string }) => {
      assert.equal(e.code, ReplicaErrorCode.Stopped);
      return true;
    });
    // The leader dies applying it; a new leader (the entry is on a quorum) commits it again and
    // dies too; the last member, alone, can never learn that it is committed.
    await waitFor('two members to stop', () => fatals.length >= 2, { timeoutMs: 15_000 });
    for (const err of fatals) {
      assert.equal((err as { code?: string }).code, ReplicaErrorCode.StateMachine);
      assert.match(err.message, /cannot apply the entry at index \d+: cannot decode BAD entry/);
    }
    for (const m of h.machines.values()) assert.deepEqual(m.values, ['ok'], 'nothing skipped, nothing after');
  });

  it('a member that applies its own removal stops with `removed`; the others go on', async (t) => {
    const h = await harness(t, 3);
    const leader = await h.leader();
    const victim = [...h.replicas.values()].find((r) => r !== leader) as InlineReplica;
    let removed = false;
    victim.once('removed', () => {
      removed = true;
    });
    await leader.proposeConfChange({ id: 7n, type: ConfChangeType.ConfChangeRemoveNode, nodeId: victim.id });
    await waitFor('the member to apply its own removal', () => removed, { timeoutMs: 10_000 });
    await victim.closed();
    await assert.rejects(
      victim.propose(enc('x')),
      (e: { code?: string }) => e.code === ReplicaErrorCode.MemberRemoved,
    );
    await leader.propose(enc('after'));
    assert.deepEqual(
      leader.status().voters.sort(),
      [1n, 2n, 3n].filter((id) => id !== victim.id),
    );
  });
});
