/**
 * The mixed-cluster scenarios, registered for one cluster composition (e.g. 2 Go + 1 raftwire).
 * Each test runs its own cluster and ends by comparing every member's log entry for entry.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { formatId } from '../../../src/raftpb/index.js';
import { type ClusterSettings, MixedCluster, seededRandom } from './cluster.js';
import type { NodeKind } from './cluster-node.js';
import { liveGoProcesses } from './go-raft-node.js';
import {
  assertAppliedOnce,
  assertIdenticalLogs,
  assertIsolationHarmless,
  assertReadIndex,
  elect,
  pick,
  proposeFrom,
  transferTo,
} from './scenarios.js';
import { openTsServers } from './ts-raft-node.js';

/** Registers every scenario for a cluster of `kinds` (members 1..n); `seed` drives all randomness. */
export function mixedClusterSuite(kinds: readonly NodeKind[], seed: number): void {
  const name = `${kinds.filter((k) => k === 'go').length} Go + ${kinds.filter((k) => k === 'ts').length} raftwire`;
  const start = async (
    t: { after: (f: () => Promise<void>) => void },
    salt: number,
    settings: ClusterSettings = {},
  ): Promise<MixedCluster> => {
    // ElectionTick 50 × 20 ms: 1-2 s election timeouts, so CPU contention on a shared machine
    // does not look like a dead leader (raft drops forwarded proposals on a leader change).
    const c = await MixedCluster.start(kinds, { electionTick: 50, ...settings }, seed + salt);
    t.after(() => c.close());
    return c;
  };

  after(() => {
    // Every test closed its cluster: no Go process alive, no raftwire peer server open.
    assert.equal(liveGoProcesses(), 0, 'Go raft-node processes left running');
    assert.equal(openTsServers(), 0, 'raftwire peer servers left open');
  });

  test(`${name}: elections and leader transfer both ways, 3000 proposals from both sides, identical logs`, async (t) => {
    // Every member snapshots every 1000 applied entries and keeps 200 behind (raftexample's policy).
    const c = await start(t, 1, { snapCount: 1000, catchUp: 200 });
    const ts = pick(c, 'ts');
    const go = pick(c, 'go');
    await elect(c, ts);
    const proposed = new Set<string>();
    // Proposals through the leader and through a follower of the other kind (forwarded MsgProp).
    await Promise.all([
      proposeFrom(c, ts, 750, seed + 11, proposed),
      proposeFrom(c, go, 750, seed + 12, proposed),
    ]);
    // A leader in transfer drops proposals (raft's rule), so forwarded ones must land first.
    await c.waitConverged(proposed);
    await transferTo(c, go);
    await Promise.all([
      proposeFrom(c, ts, 750, seed + 13, proposed),
      proposeFrom(c, go, 750, seed + 14, proposed),
    ]);
    await c.waitConverged(proposed);
    await transferTo(c, ts);
    await c.waitConverged(proposed);
    assert.equal(proposed.size, 3000);
    await assertAppliedOnce(c, proposed);
    // A follower more than 200 entries behind a compacting leader gets a snapshot, which resets its
    // own record; the chain value still covers the whole history.
    const compared = await assertIdenticalLogs(c);
    assert.ok(compared > 0, `compared ${compared} entries`);
    for (const m of await c.snapshotAll()) {
      const who = `${m.kind} ${formatId(m.id)}`;
      const { snapshotIndex, applied, firstIndex } = m.status;
      assert.ok(snapshotIndex > 0 && applied - snapshotIndex < 1000, `${who} snapshotted (${snapshotIndex})`);
      // Own snapshots keep 200 entries; an installed snapshot keeps none.
      assert.ok(
        firstIndex >= snapshotIndex - 200 + 1 && firstIndex <= snapshotIndex + 1,
        `${who} compacted, keeping at most 200 entries (first ${firstIndex}, snapshot ${snapshotIndex})`,
      );
    }
  });

  test(`${name}: the leader killed and restarted, Go then raftwire`, async (t) => {
    // Snapshots every 250 entries: restarts load a snapshot and replay the log after it.
    const c = await start(t, 2, { snapCount: 250, catchUp: 50 });
    const go = pick(c, 'go');
    await elect(c, go);
    const proposed = new Set<string>();
    await proposeFrom(c, pick(c, 'ts'), 300, seed + 21, proposed);
    await c.waitConverged(proposed);
    // SIGKILL the Go leader: a survivor takes over; the Go member restarts from its WAL.
    await c.kill(go);
    const second = await c.waitLeader();
    assert.notEqual(second, go);
    await proposeFrom(c, second, 300, seed + 22, proposed);
    const restartedGo = await c.restart(go);
    const ready = await restartedGo.events.waitFor('ready', (e) => e.ev === 'ready');
    assert.equal(ready.restarted, true);
    assert.ok(Number(ready.lastIndex) >= 300, 'the Go member replayed its WAL');
    await c.waitConverged(proposed);
    // Now a raftwire leader, killed and restarted from its storage.
    const ts = pick(c, 'ts');
    if ((await c.waitLeader()) !== ts) await transferTo(c, ts);
    await proposeFrom(c, go, 300, seed + 23, proposed);
    await c.waitConverged(proposed);
    await c.kill(ts);
    const third = await c.waitLeader();
    assert.notEqual(third, ts);
    await proposeFrom(c, third, 300, seed + 24, proposed);
    await c.restart(ts);
    await proposeFrom(c, ts, 300, seed + 25, proposed);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  /**
   * Entries proposed while the follower is down: ≥ 4 KiB each, 400 of them (> 1.5 MiB). The
   * leader's MsgApps sent towards the dead follower before the compaction may still sit in its
   * pipeline queue (4 in flight + 64 queued, each failing POST taking milliseconds on a loaded
   * machine) and reach the restarted follower: seen when raft's Ready batching let the leader's
   * one probe MsgApp carry all 400 small entries. What any of them can carry is bounded whatever
   * the timing (both sides: MaxInflightMsgs 256, MaxSizePerMsg 1 MiB, one raft step per entry):
   * at most 256 optimistic MsgApps of one new entry each, then one probe of ≤ 1 MiB (≤ 256 such
   * entries) from the follower's match; no more until it answers. So the follower can get at most
   * 256 entries past its log, the compaction point is 400 past it, and only MsgSnap brings it back.
   */
  const beyondOneMsgApp = { minBytes: 4096, maxBytes: 6144 };

  test(`${name}: a lagging follower brought back by snapshot, raftwire → Go and Go → raftwire`, async (t) => {
    const c = await start(t, 3);
    const ts = pick(c, 'ts');
    const go = pick(c, 'go');
    await elect(c, ts);
    const proposed = new Set<string>();
    await proposeFrom(c, ts, 200, seed + 31, proposed);
    await c.waitConverged(proposed);
    // Go follower down; the raftwire leader moves on and compacts its whole log.
    await c.kill(go);
    await proposeFrom(c, ts, 400, seed + 32, proposed, beyondOneMsgApp);
    await c.waitConverged(proposed);
    const snapAt = await c.node(ts).compact(0);
    assert.equal((await c.node(ts).status()).firstIndex, snapAt + 1);
    const goBack = await c.restart(go);
    const goReady = await goBack.events.waitFor('ready', (e) => e.ev === 'ready');
    assert.ok(Number(goReady.lastIndex) < snapAt, 'the Go log ends before the snapshot: only MsgSnap helps');
    const applied = await goBack.events.waitFor('snapshotApplied on Go', (e) => e.ev === 'snapshotApplied');
    assert.ok(Number(applied.index) >= snapAt, `Go installed snapshot ${applied.index} ≥ ${snapAt}`);
    await proposeFrom(c, go, 200, seed + 33, proposed);
    await c.waitConverged(proposed);
    await assertIdenticalLogs(c);
    // The reverse: a Go leader brings a lagging raftwire follower back.
    await transferTo(c, go);
    await c.kill(ts);
    await proposeFrom(c, go, 400, seed + 34, proposed, beyondOneMsgApp);
    await c.waitConverged(proposed);
    const goSnapAt = await c.node(go).compact(0);
    assert.equal((await c.node(go).status()).firstIndex, goSnapAt + 1);
    const tsBack = await c.restart(ts);
    const tsReady = await tsBack.events.waitFor('ready', (e) => e.ev === 'ready');
    assert.ok(Number(tsReady.lastIndex) < goSnapAt, 'the raftwire log ends before the snapshot');
    const tsApplied = await tsBack.events.waitFor(
      'snapshotApplied on raftwire',
      (e) => e.ev === 'snapshotApplied',
    );
    assert.ok(
      Number(tsApplied.index) >= goSnapAt,
      `raftwire installed snapshot ${tsApplied.index} ≥ ${goSnapAt}`,
    );
    await proposeFrom(c, ts, 200, seed + 35, proposed);
    await c.waitConverged(proposed);
    await assertIdenticalLogs(c);
    await assertAppliedOnce(c, proposed);
    const st = await c.node(ts).status();
    assert.equal(st.snapshotIndex, tsApplied.index, 'raftwire member continued from the Go snapshot');
  });

  test(`${name}: V1 conf changes add and remove a Go and a raftwire member`, async (t) => {
    const c = await start(t, 4);
    const go = pick(c, 'go');
    const ts = pick(c, 'ts');
    await elect(c, go);
    const proposed = new Set<string>();
    await proposeFrom(c, ts, 200, seed + 41, proposed);
    // A Go member joins through a raftwire proposal, a raftwire member through a Go proposal.
    const newGo = await c.addMember(4n, 'go', ts);
    const newTs = await c.addMember(5n, 'ts', go);
    await c.waitConverged();
    for (const id of [1n, 2n, 3n, 4n, 5n]) {
      assert.deepEqual((await c.node(id).status()).voters, [1n, 2n, 3n, 4n, 5n], `voters on ${formatId(id)}`);
    }
    await Promise.all([
      proposeFrom(c, newGo.id, 200, seed + 42, proposed),
      proposeFrom(c, newTs.id, 200, seed + 43, proposed),
    ]);
    await c.waitConverged(proposed);
    await assertIdenticalLogs(c);
    // Remove the new Go member through raftwire and an original raftwire member through Go.
    await c.removeMember(4n, ts);
    await c.removeMember(ts, go);
    const rest = c.runningIds();
    assert.deepEqual(
      rest,
      [1n, 2n, 3n, 5n].filter((x) => x !== ts),
    );
    for (const id of rest)
      assert.deepEqual((await c.node(id).status()).voters, rest, `voters on ${formatId(id)}`);
    await proposeFrom(c, 5n, 200, seed + 44, proposed);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: ConfChangeV2 joint consensus replaces members of both kinds, auto and explicit leave`, async (t) => {
    const c = await start(t, 13);
    const go = pick(c, 'go');
    const ts = pick(c, 'ts');
    const third = c.runningIds().find((x) => x !== go && x !== ts) as bigint;
    await elect(c, go);
    const proposed = new Set<string>();
    await proposeFrom(c, ts, 100, seed + 51, proposed);
    const assertVoters = async (want: bigint[], joint: boolean) => {
      for (const id of c.runningIds()) {
        const st = await c.node(id).status();
        assert.deepEqual([...st.voters].sort(), [...want].sort(), `voters on ${formatId(id)}`);
        assert.equal(st.votersOutgoing.length > 0, joint, `joint on ${formatId(id)}: ${st.votersOutgoing}`);
      }
    };

    // Auto transition, proposed through raftwire: a new Go member in, the third member out; the
    // leader leaves the joint configuration on its own.
    await c.changeMembersV2(ts, [{ id: 4n, kind: 'go' }], [third], 'auto');
    await c.waitJointLeft([third]);
    await c.dropRemoved([third]);
    await assertVoters([go, ts, 4n], false);
    await proposeFrom(c, 4n, 100, seed + 52, proposed);

    // Explicit transition, proposed through Go: a new raftwire member in, member 4 out; the
    // cluster stays joint (and commits there) until an empty V2 from raftwire leaves it.
    await c.changeMembersV2(go, [{ id: 5n, kind: 'ts' }], [4n], 'explicit');
    await c.waitUntil('every member in the joint configuration', async () => {
      const sts = await Promise.all(c.runningIds().map((x) => c.node(x).status()));
      return sts.every((st) => st.votersOutgoing.includes(4n) && !st.autoLeave);
    });
    await Promise.all([
      proposeFrom(c, go, 100, seed + 53, proposed),
      proposeFrom(c, 5n, 100, seed + 54, proposed),
    ]);
    await c.waitConverged(proposed);
    await c.leaveJoint(ts);
    await c.waitJointLeft([4n]);
    await c.dropRemoved([4n]);
    await assertVoters([go, ts, 5n], false);
    await proposeFrom(c, 5n, 100, seed + 55, proposed);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  for (const lease of [false, true]) {
    const mode = lease ? 'lease-based' : 'safe';
    test(`${name}: ReadIndex (${mode}) answered across implementations`, async (t) => {
      const c = await start(t, lease ? 10 : 5, { leaseReads: lease });
      const go = pick(c, 'go');
      const ts = pick(c, 'ts');
      await elect(c, go);
      const proposed = new Set<string>();
      await proposeFrom(c, go, 100, seed + 51, proposed);
      await c.waitConverged(proposed);
      // A raftwire follower asks the Go leader.
      await assertReadIndex(c, ts, 1);
      await transferTo(c, ts);
      await proposeFrom(c, ts, 100, seed + 52, proposed);
      await c.waitConverged(proposed);
      // A Go follower asks the raftwire leader.
      await assertReadIndex(c, go, 2);
      await assertAppliedOnce(c, proposed);
      await assertIdenticalLogs(c);
    });
  }

  test(`${name}: 40 seeded random rounds of proposals, transfers, kills, restarts and compactions`, async (t) => {
    const c = await start(t, 6, { snapCount: 300, catchUp: 30 });
    const random = seededRandom(seed + 61);
    const choose = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const all = c.runningIds();
    await elect(c, choose(all));
    const proposed = new Set<string>();
    let down: bigint | undefined;
    for (let round = 0; round < 40; round++) {
      const running = c.runningIds();
      await proposeFrom(c, choose(running), 50 + Math.floor(random() * 250), seed + 600 + round, proposed);
      await c.waitConverged(proposed);
      const action = choose(['transfer', 'kill', 'compact', 'none'] as const);
      t.diagnostic(`round ${round}: ${action}${down === undefined ? '' : ` (${formatId(down)} down)`}`);
      if (action === 'transfer') {
        const lead = await c.waitLeader();
        await transferTo(c, choose(running.filter((x) => x !== lead)));
      } else if (action === 'kill' && down === undefined) {
        down = choose(running);
        await c.kill(down);
        await c.waitLeader();
      } else if (action === 'compact') {
        await c.node(choose(running)).compact(Math.floor(random() * 50));
      }
      if (down !== undefined && random() < 0.4) {
        await c.restart(down);
        down = undefined;
      }
    }
    if (down !== undefined) await c.restart(down);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: PreVote: an isolated member of either kind rejoins without disrupting the leader`, async (t) => {
    const c = await start(t, 7, { preVote: true });
    const go = pick(c, 'go');
    await elect(c, go);
    const proposed = new Set<string>();
    await proposeFrom(c, pick(c, 'ts'), 100, seed + 71, proposed);
    await c.waitConverged(proposed);
    // A raftwire follower cut off from a Go leader, then a Go follower from a raftwire leader.
    await assertIsolationHarmless(c, pick(c, 'ts'), proposed, seed + 72);
    const ts = pick(c, 'ts');
    await transferTo(c, ts);
    await assertIsolationHarmless(c, pick(c, 'go'), proposed, seed + 73);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: learners of both kinds catch up on 100-300 KB entries, propose, and are promoted`, async (t) => {
    // The raftwire members share this process's event loop with the harness, which generates,
    // hex-encodes and JSON-encodes megabytes here: 50 ticks (1-2 s) keep that CPU from looking
    // like a dead leader to the Go members (with ElectionTick 10 it did; pre-generated payloads
    // did not, so it is the harness, not raftwire).
    const c = await start(t, 8, { electionTick: 50 });
    const ts = pick(c, 'ts');
    const go = pick(c, 'go');
    await elect(c, ts);
    const proposed = new Set<string>();
    const large = { minBytes: 100_000, maxBytes: 300_000 };
    await Promise.all([
      proposeFrom(c, ts, 30, seed + 81, proposed, large),
      proposeFrom(c, go, 30, seed + 82, proposed, large),
    ]);
    await c.waitConverged(proposed);
    // V1 AddLearnerNode: a Go learner through raftwire, a raftwire learner through Go.
    await c.addMember(4n, 'go', ts, true);
    await c.addMember(5n, 'ts', go, true);
    await c.waitConverged(proposed);
    for (const id of c.runningIds()) {
      const st = await c.node(id).status();
      assert.deepEqual(
        [st.voters, st.learners],
        [
          [1n, 2n, 3n],
          [4n, 5n],
        ],
        `configuration on ${formatId(id)}`,
      );
    }
    // Learners forward proposals too.
    await Promise.all([
      proposeFrom(c, 4n, 20, seed + 83, proposed, large),
      proposeFrom(c, 5n, 20, seed + 84, proposed, large),
    ]);
    await c.waitConverged(proposed);
    await c.promote(4n, go);
    await c.promote(5n, ts);
    await transferTo(c, 4n);
    await proposeFrom(c, 5n, 200, seed + 85, proposed);
    await c.waitConverged(proposed);
    for (const id of c.runningIds()) {
      const st = await c.node(id).status();
      assert.deepEqual(
        [st.voters, st.learners],
        [[1n, 2n, 3n, 4n, 5n], []],
        `configuration on ${formatId(id)}`,
      );
    }
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: raftwire with asynchronous storage writes: proposals, transfers, kill and restart`, async (t) => {
    const c = await start(t, 9, { asyncStorageWrites: true, snapCount: 500, catchUp: 100 });
    const ts = pick(c, 'ts');
    const go = pick(c, 'go');
    await elect(c, ts);
    const proposed = new Set<string>();
    await Promise.all([
      proposeFrom(c, ts, 500, seed + 91, proposed),
      proposeFrom(c, go, 500, seed + 92, proposed),
    ]);
    await c.waitConverged(proposed);
    await transferTo(c, go);
    await Promise.all([
      proposeFrom(c, ts, 500, seed + 93, proposed),
      proposeFrom(c, go, 500, seed + 94, proposed),
    ]);
    await c.waitConverged(proposed);
    // A raftwire member (follower now) killed and restarted from what its append thread stored.
    await c.kill(ts);
    await proposeFrom(c, go, 300, seed + 95, proposed);
    await c.restart(ts);
    await c.waitConverged(proposed);
    await transferTo(c, ts);
    await proposeFrom(c, go, 300, seed + 96, proposed);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: leader transfer asked on a follower of the other kind (forwarded MsgTransferLeader)`, async (t) => {
    const c = await start(t, 11);
    const go = pick(c, 'go');
    const ts = pick(c, 'ts');
    const third = c.runningIds().find((x) => x !== go && x !== ts) as bigint;
    await elect(c, go);
    const proposed = new Set<string>();
    await proposeFrom(c, ts, 100, seed + 111, proposed);
    await c.waitConverged(proposed);
    // raftwire (etcd-io/raft 3.6) forwards the transferee unchanged to the Go leader.
    await c.waitMessageStream(ts, go);
    await c.node(ts).transferLeader(third);
    assert.equal(await c.waitLeader(third), third);
    await c.waitConverged(proposed);
    if ((await c.waitLeader()) !== ts) await transferTo(c, ts);
    await c.waitConverged(proposed);
    // etcd 3.4's follower forwards MsgTransferLeader with its own ID as From (raft-core §5.3), so a
    // raftwire leader hands leadership to the Go follower that asked, not to the one it named.
    const other = c.runningIds().find((x) => x !== go && x !== ts) as bigint;
    await c.waitMessageStream(go, ts);
    await c.node(go).transferLeader(other);
    assert.equal(await c.waitLeader(go), go);
    await proposeFrom(c, other, 100, seed + 112, proposed);
    await c.waitConverged(proposed);
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });

  test(`${name}: new members of both kinds join by snapshot from a leader of the other kind`, async (t) => {
    const c = await start(t, 12);
    const go = pick(c, 'go');
    const ts = pick(c, 'ts');
    const proposed = new Set<string>();
    // Compact every member once the AddNode is applied (a snapshot from before it would not
    // contain the joiner, and raft refuses such a snapshot), so the joiner can only be caught up by
    // MsgSnap.
    const compactAll = async () => {
      for (const id of c.runningIds()) await c.node(id).compact(0);
    };
    await elect(c, go);
    await proposeFrom(c, ts, 300, seed + 121, proposed);
    await c.waitConverged(proposed);
    const newTs = await c.addMember(4n, 'ts', go, false, compactAll);
    const tsSnap = await newTs.events.waitFor(
      'snapshotApplied on the raftwire joiner',
      (e) => e.ev === 'snapshotApplied',
    );
    await proposeFrom(c, 4n, 100, seed + 122, proposed);
    await c.waitConverged(proposed);
    await transferTo(c, ts);
    await proposeFrom(c, go, 300, seed + 123, proposed);
    await c.waitConverged(proposed);
    const newGo = await c.addMember(5n, 'go', ts, false, compactAll);
    const goSnap = await newGo.events.waitFor(
      'snapshotApplied on the Go joiner',
      (e) => e.ev === 'snapshotApplied',
    );
    assert.ok(Number(goSnap.index) > Number(tsSnap.index));
    await proposeFrom(c, 5n, 100, seed + 124, proposed);
    await c.waitConverged(proposed);
    for (const id of c.runningIds()) {
      assert.deepEqual((await c.node(id).status()).voters, [1n, 2n, 3n, 4n, 5n], `voters on ${formatId(id)}`);
    }
    await assertAppliedOnce(c, proposed);
    await assertIdenticalLogs(c);
  });
}
